// The device's anti-rollback store: numbers that only ever rise, kept OUTSIDE
// the state directory, so that whoever can rewrite the state directory (restore
// an old copy of it, slot files, device.json and all) cannot take the device
// back to an older, validly signed package or reset its command counter.
//
// Kept per device:
//   installed:<module>  highest sequence ever confirmed: a new package must be above it
//                       (after `remove`, at least it: the removed version may come back)
//   runnable:<module>   lowest sequence the device starts at boot: the rollback target
//                       kept in the other slot when `installed` was confirmed
//   commands            highest signed-command counter accepted (replay protection)
//   revocations         highest revocation-list serial ever kept (an older list un-revokes)
//
// It is a port. On a gateway with secure hardware it maps onto a TPM 2.0 NV
// index of type counter (TPM2_NV_Increment: cannot be lowered, not even by
// root), an eMMC RPMB partition, or OTP/eFuse bits; those survive a rewrite of
// the whole disk. The implementation here is a file on a path of its own
// (`fwx agent --floor`, default beside the state directory): it protects
// against everything that writes the state directory but not that file (a
// restored backup, a copied state directory, a process or account given the
// state directory only), never against root on the gateway, who can rewrite
// or delete it too. docs/ota-protocol.md, "Anti-rollback", says which is which.

import { dirname, resolve } from "node:path";
import { ensureDirDurable, writeFileDurable } from "../fs/durable.js";
import { NODE_FS, type FileIo } from "../fs/file-io.js";
import { ownRecord } from "../fs/own-record.js";

export interface AntiRollbackStore {
  /** Where the numbers are kept, for messages ("file /var/lib/fwx.anti-rollback.json"). */
  readonly description: string;
  /** The kept value; 0 when never raised. */
  get(name: string): number;
  /** Durably raises each named value to at least the one given (never lowers); all of them or none survive a power cut. */
  raise(values: Record<string, number>): void;
}

export const installedFloor = (module: string) => `installed:${module}`;
export const runnableFloor = (module: string) => `runnable:${module}`;
export const COMMAND_COUNTER = "commands";
export const REVOCATION_SERIAL = "revocations";

/** The default file: beside the state directory, never inside it (`/var/lib/fwx` → `/var/lib/fwx.anti-rollback.json`). */
export function defaultAntiRollbackPath(stateDir: string): string {
  // Beside the directory whatever its spelling: `--state-dir .` or `state/.` would otherwise put the store
  // inside it (`./..anti-rollback.json`), where a restored state directory restores the floors too.
  return `${resolve(stateDir)}.anti-rollback.json`;
}

export class AntiRollbackStoreError extends Error {
  constructor(readonly path: string, message: string) {
    super(`anti-rollback store ${path}: ${message}`);
    this.name = "AntiRollbackStoreError";
  }
}

/**
 * The numbers in one JSON file, replaced with the project's one durable write.
 * Created (empty) when missing, at construction: an agent that cannot write it
 * fails at start, not at its first confirmation.
 */
export class FileAntiRollbackStore implements AntiRollbackStore {
  readonly description: string;
  private values: Record<string, number>;

  constructor(readonly path: string, private readonly fs: FileIo = NODE_FS) {
    this.description = `file ${path}`;
    if (!fs.exists(path)) {
      this.values = ownRecord<number>();
      ensureDirDurable(dirname(path), fs);
      this.write();
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(fs.readFile(path)).toString("utf8"));
    } catch (e) {
      // Never treated as empty: that would lower every floor. The operator must look.
      throw new AntiRollbackStoreError(path, `unreadable (${(e as Error).message}); refusing to start rather than forget the floors`);
    }
    const floors = (doc as { format?: unknown; floors?: unknown })?.floors;
    if ((doc as { format?: unknown })?.format !== 1 || typeof floors !== "object" || floors === null || Array.isArray(floors)) {
      throw new AntiRollbackStoreError(path, "not a format 1 anti-rollback store; refusing to start rather than forget the floors");
    }
    this.values = ownRecord<number>();
    for (const [k, v] of Object.entries(floors)) {
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new AntiRollbackStoreError(path, `${JSON.stringify(k)} is ${JSON.stringify(v)}, not a non-negative integer`);
      this.values[k] = v as number;
    }
  }

  get(name: string): number {
    return Object.hasOwn(this.values, name) ? this.values[name]! : 0;
  }

  raise(values: Record<string, number>): void {
    const next = ownRecord<number>({ ...this.values });
    let changed = false;
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isSafeInteger(v) || v < 0) throw new AntiRollbackStoreError(this.path, `cannot raise ${k} to ${v}`);
      if (v > (next[k] ?? 0)) {
        next[k] = v;
        changed = true;
      }
    }
    if (!changed) return;
    const before = this.values;
    this.values = next;
    try {
      this.write();
    } catch (e) {
      this.values = before;
      throw e;
    }
  }

  private write(): void {
    writeFileDurable(this.path, JSON.stringify({ format: 1, floors: this.values }, null, 1) + "\n", { createDirs: true, stableTempName: true, fs: this.fs, mode: 0o600 });
  }
}
