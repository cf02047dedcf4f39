// Packages the tool has flashed, by SHA-256: the delta base for the next
// flash of the same module (the device reports the hash of its confirmed
// package in its retained status; the tool needs those bytes to diff against).

import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeFileDurable } from "../fs/durable.js";
import { sha256Hex } from "./state-store.js";

export class PackageCache {
  constructor(readonly dir: string) {}

  static defaultDir(): string {
    return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "fwx", "packages");
  }

  get(sha256: string): Uint8Array | null {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
    const p = join(this.dir, `${sha256}.fwx`);
    if (!existsSync(p)) return null;
    const bytes = new Uint8Array(readFileSync(p));
    return sha256Hex(bytes) === sha256 ? bytes : null;
  }

  put(bytes: Uint8Array): void {
    const p = join(this.dir, `${sha256Hex(bytes)}.fwx`);
    // A unique temporary name (the default): two flashes from different processes may cache the same package at once.
    if (!existsSync(p)) writeFileDurable(p, bytes, { createDirs: true });
  }
}
