// fwx:kv@1 — a small key-value store private to each module id, kept across
// restarts of the module. With a state directory every change is written whole
// to <dir>/kv/<module>.json through a temporary file, fsync and rename, so a
// power loss leaves the old or the new store, never a mix; without one the
// store lives in memory for the run.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Status, type KvHost } from "../../abi/host.generated.js";
import type { ModuleHostContext } from "../host-context.js";
import { writeFileDurable } from "../../fs/durable.js";
import { ownRecord } from "../../fs/own-record.js";
import { describeFileError } from "../../fs/file-error.js";

export const KV_KEY_MAX_BYTES = 32;
const FORMAT = 1;
const enc = new TextEncoder();

export class KvStoreError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "KvStoreError";
  }
}

/** The store's file could not be written: the change was not made (kv.set and kv.delete answer no-space, as the C device does). */
export class KvWriteError extends KvStoreError {
  constructor(file: string, message: string) {
    super(file, message);
    this.name = "KvWriteError";
  }
}

export class KvStore {
  private readonly entries = new Map<string, Uint8Array>();
  private usedBytes = 0;
  private readonly file: string | null;

  /** Opens (or creates) the store of `moduleId`; `stateDir` null keeps it in memory. */
  constructor(readonly moduleId: string, stateDir: string | null) {
    if (!/^[A-Za-z0-9._-]+$/.test(moduleId)) throw new KvStoreError(moduleId, "module id is not usable as a file name");
    this.file = stateDir ? join(stateDir, "kv", `${moduleId}.json`) : null;
    if (this.file && existsSync(this.file)) this.load(this.file);
  }

  private load(file: string): void {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new KvStoreError(file, `unreadable store: ${(e as Error).message}`);
    }
    const d = doc as { format?: unknown; entries?: unknown };
    if (typeof doc !== "object" || doc === null || d.format !== FORMAT || typeof d.entries !== "object" || d.entries === null || Array.isArray(d.entries)) throw new KvStoreError(file, `not a format ${FORMAT} kv store`);
    for (const [k, v] of Object.entries(d.entries as Record<string, unknown>)) {
      if (typeof v !== "string") throw new KvStoreError(file, `entries.${k}: value must be base64 text`);
      this.put(k, new Uint8Array(Buffer.from(v, "base64")));
    }
  }

  get used(): number {
    return this.usedBytes;
  }

  get(key: string): Uint8Array | undefined {
    return this.entries.get(key);
  }

  /** Bytes the store would use with `key` set to a value of `valueBytes`. */
  usedWith(key: string, valueBytes: number): number {
    const old = this.entries.get(key);
    const keyBytes = enc.encode(key).length;
    return this.usedBytes - (old ? keyBytes + old.length : 0) + keyBytes + valueBytes;
  }

  /** Stores a value; when the store cannot be written (disk full, I/O error) the old value is kept and a KvWriteError says why. */
  set(key: string, value: Uint8Array): void {
    const old = this.entries.get(key);
    this.put(key, value.slice());
    this.persistOr(() => (old ? this.put(key, old) : this.drop(key)));
  }

  delete(key: string): boolean {
    const old = this.entries.get(key);
    if (!old) return false;
    this.drop(key);
    this.persistOr(() => this.put(key, old));
    return true;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.usedBytes -= enc.encode(key).length + old.length;
  }

  /** Writes the store; on a file-system error undoes the change in memory, so memory and file agree, and throws KvWriteError. */
  private persistOr(undo: () => void): void {
    try {
      this.persist();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) throw e;
      undo();
      throw new KvWriteError(this.file!, `cannot be written: ${describeFileError(e)}`);
    }
  }

  private put(key: string, value: Uint8Array): void {
    this.usedBytes = this.usedWith(key, value.length);
    this.entries.set(key, value);
  }

  private persist(): void {
    if (!this.file) return;
    // Keys are module-chosen: `__proto__` must stay an entry (see own-record.ts).
    const entries = ownRecord<string>();
    for (const k of [...this.entries.keys()].sort()) entries[k] = Buffer.from(this.entries.get(k)!).toString("base64");
    mkdirSync(join(this.file, ".."), { recursive: true });
    writeFileDurable(this.file, JSON.stringify({ format: FORMAT, module: this.moduleId, entries }, null, 1) + "\n");
  }
}

function checkKey(ctx: ModuleHostContext, fn: string, key: string): number {
  const n = enc.encode(key).length;
  if (n === 0 || n > KV_KEY_MAX_BYTES) return ctx.fail(Status.invalidArg, `kv.${fn}: key is ${n} bytes, must be 1..${KV_KEY_MAX_BYTES}`);
  return Status.ok;
}

export function createKvHost(ctx: ModuleHostContext, store: KvStore): KvHost {
  const granted = (fn: string) => ((ctx.caps.kv ?? 0) > 0 ? Status.ok : ctx.fail(Status.notPermitted, `kv.${fn}: the module has no kv grant`));
  return {
    get(key, value, out) {
      const g = granted("get"); if (g) return g;
      const k = checkKey(ctx, "get", key); if (k) return k;
      const v = store.get(key);
      if (!v) return ctx.fail(Status.notFound, `kv.get: no value under "${key}"`);
      out.valueLen = v.length;
      if (v.length > value.length) return ctx.fail(Status.noSpace, `kv.get: "${key}" holds ${v.length} bytes, the buffer ${value.length}`);
      value.set(v);
      return Status.ok;
    },
    set(key, value) {
      const g = granted("set"); if (g) return g;
      const k = checkKey(ctx, "set", key); if (k) return k;
      const quota = ctx.caps.kv ?? 0;
      const after = store.usedWith(key, value.length);
      if (after > quota) return ctx.fail(Status.noSpace, `kv.set: "${key}" would bring the store to ${after} bytes, the quota is ${quota}`);
      // A full disk is the module's no-space, not a fault of the module (host-error), as on the C device.
      try {
        store.set(key, value);
      } catch (e) {
        if (e instanceof KvWriteError) return ctx.fail(Status.noSpace, `kv.set: ${e.message}; the old value is kept`);
        throw e;
      }
      return Status.ok;
    },
    delete(key) {
      const g = granted("delete"); if (g) return g;
      const k = checkKey(ctx, "delete", key); if (k) return k;
      try {
        if (!store.delete(key)) return ctx.fail(Status.notFound, `kv.delete: no value under "${key}"`);
      } catch (e) {
        if (e instanceof KvWriteError) return ctx.fail(Status.noSpace, `kv.delete: ${e.message}; the value is kept`);
        throw e;
      }
      return Status.ok;
    },
  };
}
