// The device's persistent state directory:
//
//   device.json                  which slot of each module is confirmed / on trial,
//                                installed sequence numbers, config values, last verdict
//   slots/<module>/A.fwx, B.fwx  whole signed packages (re-verified at every boot)
//   slots/<module>/A.prepared, B.prepared
//                                what the agent prepared of each (src/ota/prepared-store.ts)
//   partial/transfer.bin, .json  the one download in progress (bytes + acknowledged offset)
//   kv/<module>.json             the modules' key-value stores (src/agent)
//   revocations.fwxrl            the kept root-signed revocation list
//
// The anti-rollback floors and the command counter are NOT here: whoever can
// rewrite this directory could lower them. They are in the anti-rollback store
// (src/ota/anti-rollback.ts), outside it.
//
// device.json is the commit point of every install step: a slot file is made
// durable first, then device.json is replaced atomically to point at it, so
// a crash between the two leaves a spare slot file that nothing refers to.

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { CrashHook, CrashPoint } from "./crash.js";
import { ensureDirDurable, removeTreeDurable, writeFileDurable, type DurableWriteOptions } from "../fs/durable.js";
import { NODE_FS, type FileIo } from "../fs/file-io.js";
import type { InstallEvent } from "./protocol.js";
import { ownRecord } from "../fs/own-record.js";
import { describeFileError } from "../fs/file-error.js";

/**
 * How every file in the state directory is written: parents created on demand, and one fixed
 * temporary name per file (the agent owns the directory alone), so a crash leaves at most one
 * stale temporary per file, which the next write replaces.
 */
export const STATE_DIR_WRITE: DurableWriteOptions = { createDirs: true, stableTempName: true };

export type SlotName = "A" | "B";
export const otherSlot = (s: SlotName): SlotName => (s === "A" ? "B" : "A");

export interface SlotRecord {
  /** SHA-256 (hex) of the whole package file in the slot. */
  sha256: string;
  size: number;
  version: string;
  sequence: number;
  /** Device wall clock (ms) when the package was verified: boot re-verification checks the certificate's validity at this instant. */
  verifiedAt: number;
}

export interface TrialRecord {
  slot: SlotName;
  session: number | null;
  /** How many times the trial has been started (a restart during trial counts one). */
  boots: number;
  /** SHA-256 (hex) of the signed begin the verdict answers: a trial resumed after a restart still signs its verdict bound to it. */
  request?: string | null;
}

export interface ModuleRecord {
  slots: { A: SlotRecord | null; B: SlotRecord | null };
  confirmed: SlotName | null;
  trial: TrialRecord | null;
  /** Highest sequence ever confirmed: the anti-rollback floor for new packages. */
  installedSeq: number;
  /** Deploy-time values set with `fwx config set`, as text (what core.config_get returns). */
  config: Record<string, string>;
}

export interface DeviceState {
  format: 1;
  modules: Record<string, ModuleRecord>;
  lastInstall: InstallEvent | null;
}

export type StateLabel = "trial-state" | "confirm-state" | "revert-state" | "state";

export class StateFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "StateFileError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** What is wrong with a module record read from device.json (a field path and the problem), or null. */
function moduleRecordProblem(rec: unknown): string | null {
  if (!isObject(rec)) return `: expected a module record, found ${JSON.stringify(rec)}`;
  if (!isObject(rec.slots)) return `.slots: expected {"A": …, "B": …}, found ${JSON.stringify(rec.slots)}`;
  for (const s of ["A", "B"] as const) {
    const slot = rec.slots[s];
    if (slot === null || slot === undefined) continue;
    if (!isObject(slot)) return `.slots.${s}: expected null or a slot record, found ${JSON.stringify(slot)}`;
    if (typeof slot.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(slot.sha256)) return `.slots.${s}.sha256: expected a SHA-256 in hex`;
    if (!isCount(slot.size)) return `.slots.${s}.size: expected a byte count`;
    if (typeof slot.version !== "string") return `.slots.${s}.version: expected a version string`;
    if (!isCount(slot.sequence)) return `.slots.${s}.sequence: expected a sequence number`;
    if (slot.verifiedAt !== undefined && typeof slot.verifiedAt !== "number") return `.slots.${s}.verifiedAt: expected a time in ms`;
  }
  if (rec.slots.A === undefined) rec.slots.A = null;
  if (rec.slots.B === undefined) rec.slots.B = null;
  if (rec.confirmed !== null && rec.confirmed !== "A" && rec.confirmed !== "B") return `.confirmed: expected null, "A" or "B", found ${JSON.stringify(rec.confirmed)}`;
  if (rec.trial !== null && rec.trial !== undefined) {
    const t = rec.trial;
    if (!isObject(t) || (t.slot !== "A" && t.slot !== "B")) return `.trial: expected null or {"slot": "A"|"B", …}, found ${JSON.stringify(t)}`;
    if (!isCount(t.boots)) return `.trial.boots: expected a count`;
    if (t.session !== null && t.session !== undefined && !isCount(t.session)) return `.trial.session: expected null or a session number`;
  } else rec.trial = null;
  if (!isCount(rec.installedSeq)) return `.installedSeq: expected a sequence number, found ${JSON.stringify(rec.installedSeq)}`;
  if (rec.config !== undefined && (!isObject(rec.config) || Object.values(rec.config).some((v) => typeof v !== "string"))) return `.config: expected an object of text values`;
  return null;
}

/**
 * A file of the state directory could not be written (disk full, I/O error, permissions): the change it
 * would record did not happen. Only errors the file system reports become one; anything else (a simulated
 * power cut in tests) passes through as it is.
 */
export class StateWriteError extends StateFileError {
  constructor(file: string, cause: unknown) {
    super(file, `cannot be written: ${describeFileError(cause)}`);
    this.name = "StateWriteError";
  }
}

const isFsError = (e: unknown) => typeof (e as NodeJS.ErrnoException)?.code === "string" && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!);

export const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export class StateStore {
  readonly file: string;

  constructor(readonly dir: string, private readonly crash: CrashHook | null = null, readonly fs: FileIo = NODE_FS) {
    ensureDirDurable(dir, fs);
    this.file = join(dir, "device.json");
  }

  hit(point: CrashPoint): void {
    this.crash?.(point);
  }

  load(): DeviceState {
    if (!this.fs.exists(this.file)) return { format: 1, modules: ownRecord(), lastInstall: null };
    let doc: DeviceState;
    try {
      doc = JSON.parse(Buffer.from(this.fs.readFile(this.file)).toString("utf8")) as DeviceState;
    } catch (e) {
      throw new StateFileError(this.file, `unreadable device state: ${(e as Error).message}`);
    }
    if (typeof doc !== "object" || doc === null || doc.format !== 1 || typeof doc.modules !== "object" || doc.modules === null || Array.isArray(doc.modules)) throw new StateFileError(this.file, "not a format 1 device state");
    doc.modules = ownRecord(doc.modules);
    // A damaged or hand-edited record would otherwise surface at boot as a TypeError deep in the install state machine.
    for (const [id, rec] of Object.entries(doc.modules)) {
      const bad = moduleRecordProblem(rec);
      if (bad) throw new StateFileError(this.file, `modules[${JSON.stringify(id)}]${bad}`);
      if (rec.config === undefined) rec.config = ownRecord();
      rec.config = ownRecord(rec.config);
    }
    if (doc.lastInstall === undefined) doc.lastInstall = null;
    if (doc.lastInstall !== null && (typeof doc.lastInstall !== "object" || Array.isArray(doc.lastInstall) || typeof doc.lastInstall.module !== "string" || typeof doc.lastInstall.phase !== "string")) {
      throw new StateFileError(this.file, "lastInstall: expected null or an install event with module and phase");
    }
    return doc;
  }

  /** Replaces device.json durably; a file-system failure is a StateWriteError naming it (device.json is then unchanged). */
  save(state: DeviceState, label: StateLabel): void {
    try {
      writeFileDurable(this.file, JSON.stringify(state, null, 1) + "\n", {
        ...STATE_DIR_WRITE,
        fs: this.fs,
        onStep: (step) => {
          if (label !== "state") this.hit(`${label}:${step}` as CrashPoint);
        },
      });
    } catch (e) {
      throw isFsError(e) ? new StateWriteError(this.file, e) : e;
    }
  }

  slotPath(module: string, slot: SlotName): string {
    return join(this.dir, "slots", module, `${slot}.fwx`);
  }

  writeSlot(module: string, slot: SlotName, bytes: Uint8Array): void {
    try {
      writeFileDurable(this.slotPath(module, slot), bytes, { ...STATE_DIR_WRITE, fs: this.fs, onStep: (step) => this.hit(`slot:${step}`) });
    } catch (e) {
      throw isFsError(e) ? new StateWriteError(this.slotPath(module, slot), e) : e;
    }
    this.hit("slot-written");
  }

  /** The slot's bytes if present and matching the recorded hash; otherwise why not. */
  readSlot(module: string, slot: SlotName, rec: SlotRecord): { bytes: Uint8Array } | { problem: string } {
    const path = this.slotPath(module, slot);
    let bytes: Uint8Array;
    try {
      bytes = this.fs.readFile(path);
    } catch (e) {
      return { problem: `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : (e as Error).message}` };
    }
    const h = sha256Hex(bytes);
    if (h !== rec.sha256) return { problem: `${path}: SHA-256 ${h.slice(0, 16)}… does not match the recorded ${rec.sha256.slice(0, 16)}… (${bytes.length} of ${rec.size} bytes)` };
    return { bytes };
  }

  /** What the agent prepared of a slot's payload (src/ota/prepared-store.ts checks it); null when there is none or it cannot be read. */
  readPrepared(module: string, slot: SlotName): Uint8Array | null {
    try {
      return this.fs.readFile(join(this.dir, "slots", module, `${slot}.prepared`));
    } catch {
      return null;
    }
  }

  writePrepared(module: string, slot: SlotName, data: Uint8Array): void {
    writeFileDurable(join(this.dir, "slots", module, `${slot}.prepared`), data, { ...STATE_DIR_WRITE, fs: this.fs });
  }

  removeModuleFiles(module: string): void {
    const dir = join(this.dir, "slots", module);
    if (this.fs.exists(dir)) removeTreeDurable(dir, this.fs);
  }

  get partialDir(): string {
    return join(this.dir, "partial");
  }
}
