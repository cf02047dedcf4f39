// The device side of a transfer: chunks in, acknowledgements out, received
// bytes kept in a partial-download file so a broker drop, a tool restart or
// an agent restart resumes where the last acknowledgement left off.
//
// Durability rule: an offset is acknowledged only after the bytes below it
// are fsynced and the metadata recording it is atomically replaced, so an
// acknowledged byte is never needed again, whatever is killed when.

import { join } from "node:path";
import type { CrashHook } from "./crash.js";
import { ensureDirDurable, removeFileDurable, writeAll, writeFileDurable, type DurableStep } from "../fs/durable.js";
import { NODE_FS, type FileIo } from "../fs/file-io.js";
import { RequestRefused } from "./install.js";
import { STATE_DIR_WRITE } from "./state-store.js";
import { MAX_CHUNK_BYTES, type AckFrame, type ChunkFrame, type PackageRef, type TransferSpec } from "./protocol.js";

export const MAX_TRANSFER_BYTES = 16 * 1024 * 1024;

export interface PartialMeta {
  session: number;
  /** MQTT client id of the tool driving the transfer. */
  from: string;
  /** Chunks the tool keeps in flight: the device acknowledges at least every half window, so the tool never waits on a full window. */
  window: number;
  transfer: TransferSpec;
  package: PackageRef;
  acked: number;
  /** SHA-256 (hex) of the signed begin now driving the transfer: the verdict is signed bound to it. */
  request?: string;
}

export interface ReceiverOptions {
  /** Acknowledge after this many in-order chunks (fewer when the tool's window is small), at the end, and on a gap. */
  ackEvery: number;
  /**
   * Safety net for a stream that pauses with progress unacknowledged (a lost chunk at the tail, a
   * tool that stopped sending): acknowledge when no chunk came for twice the recent gap between
   * chunks (a decaying maximum), at least this long and at most a second. Relative to the chunk rate, so a slow link
   * does not turn it into one ack per chunk.
   */
  ackDelayMs: number;
  /** A transfer with no chunk for this long may be displaced by a different one. */
  staleMs: number;

  /** The file operations a transfer makes (a seam: tests inject ENOSPC and other fs errors here); default: receiverIo(fs). */
  io?: ReceiverIo;
  /** The file system the partial download lives on (default: the real one; a simulated disk in power-cut tests). */
  fs?: FileIo;
}

export interface ReceiverIo {
  /** Writes all of `data` at `offset` of the partial file. */
  writeAt(fd: number, data: Uint8Array, offset: number): void;
  fsync(fd: number): void;
  /** Atomically replaces the partial's metadata file. */
  writeMeta(path: string, text: string, onStep: (step: DurableStep) => void): void;
}

export const receiverIo = (fs: FileIo): ReceiverIo => ({
  writeAt: (fd, data, offset) => writeAll(fd, data, offset, fs),
  fsync: (fd) => fs.fsync(fd),
  writeMeta: (path, text, onStep) => writeFileDurable(path, text, { ...STATE_DIR_WRITE, fs, onStep }),
});

export const FS_IO: ReceiverIo = receiverIo(NODE_FS);

/** Storing a transfer failed (disk full, I/O error): the transfer ends, the agent carries on. */
export class StorageError extends Error {
  constructor(what: string, cause: unknown) {
    const c = cause as NodeJS.ErrnoException;
    super(`${what} failed: ${c?.code ? `${c.code}: ` : ""}${c?.message ?? String(cause)}`, { cause });
    this.name = "StorageError";
  }
}

export const DEFAULT_RECEIVER: ReceiverOptions = { ackEvery: 8, ackDelayMs: 200, staleMs: 15_000 };

interface Active {
  meta: PartialMeta;
  fd: number;
  contiguous: number;
  /** Chunks beyond a gap, kept until the gap is filled (bounded). */
  pending: Map<number, Uint8Array>;
  inOrderSinceAck: number;
  gapReportedAt: number;
  lastActivityMs: number;
  /** performance.now() of the last chunk, and a decaying maximum of the gaps between chunks (for the pause timer). */
  lastChunkAt: number;
  chunkGapMs: number;
  ackTimer: NodeJS.Timeout | null;
  /** Starts the install if the broker never confirms the final ack; cleared when the transfer is dropped or the receiver closes. */
  finalAckFallback: NodeJS.Timeout | null;
}

const MAX_ACK_DELAY_MS = 1000;
/** The install waits for the broker's PUBACK of the final ack at most this long (a broker drop must not hold it up). */
const FINAL_ACK_WAIT_MS = 2000;

const MAX_PENDING = 128;
/** Chunks of a not-yet-begun session kept: more than the tool pipelines behind a begin. */
const MAX_EARLY = 8;
/** And at most this many bytes of them: chunks nobody announced cannot grow the device's memory. */
const MAX_EARLY_BYTES = 2 * MAX_CHUNK_BYTES;
const fresh = () => ({ pending: new Map<number, Uint8Array>(), inOrderSinceAck: 0, gapReportedAt: -1, lastActivityMs: 0, lastChunkAt: 0, chunkGapMs: 0, ackTimer: null, finalAckFallback: null });

export class TransferReceiver {
  private active: Active | null = null;
  private early: ChunkFrame[] = [];
  private readonly dataFile: string;
  private readonly metaFile: string;
  private readonly fs: FileIo;
  private readonly defaultIo: ReceiverIo;
  private get io(): ReceiverIo {
    return this.opts.io ?? this.defaultIo;
  }

  constructor(
    dir: string,
    private readonly opts: ReceiverOptions,
    private readonly crash: CrashHook | null,
    /** Publishes an ack; with `delivered`, as the final ack, calling it once the broker has acknowledged it. */
    private readonly sendAck: (a: AckFrame, delivered: (() => void) | null) => void,
    private readonly onComplete: (meta: PartialMeta, bytes: Uint8Array) => void,
    /** The transfer was dropped because storing it failed; the tool learns it from the device's "failed" event. */
    private readonly onFailed: (meta: PartialMeta, reason: string) => void = () => {},
  ) {
    this.fs = opts.fs ?? NODE_FS;
    this.defaultIo = receiverIo(this.fs);
    ensureDirDurable(dir, this.fs);
    this.dataFile = join(dir, "transfer.bin");
    this.metaFile = join(dir, "transfer.json");
    this.recover();
  }

  /** Picks up a partial download left by a previous run (as stale: any new transfer may replace it). */
  private recover(): void {
    if (!this.fs.exists(this.metaFile) || !this.fs.exists(this.dataFile)) {
      this.discardFiles();
      return;
    }
    let meta: PartialMeta;
    let fd: number;
    try {
      meta = JSON.parse(Buffer.from(this.fs.readFile(this.metaFile)).toString("utf8")) as PartialMeta;
      // A record that parses but is not one (damaged, hand-edited) is discarded like one that does not parse: it is
      // only a download in progress, which the tool sends again; used, it would fail the next begin or boot.
      if (!isPartialMeta(meta)) throw new Error("not a partial-download record");
      fd = this.fs.open(this.dataFile, "r+");
    } catch {
      this.discardFiles();
      return;
    }
    // Bytes past the recorded ack may be torn: they are rewritten when resent.
    const acked = Math.min(meta.acked, this.fs.size(fd));
    // A partial written by an agent before windows were announced: assume the tool's default.
    const window = Number.isInteger(meta.window) && meta.window >= 1 ? meta.window : 16;
    this.active = { meta: { ...meta, window, acked }, fd, contiguous: acked, ...fresh() };
  }

  get current(): Readonly<PartialMeta> | null {
    return this.active?.meta ?? null;
  }

  /** Starts or resumes a transfer; returns the offset to send from. Chunks of its session that came early are taken in right after. */
  begin(meta: Omit<PartialMeta, "acked">, nowMs: number, preempt = false): number {
    const from = this.start(meta, nowMs, preempt);
    const early = this.early.filter((c) => c.session === meta.session);
    this.early = this.early.filter((c) => c.session !== meta.session);
    if (early.length) {
      // After the begin's reply has gone out.
      setImmediate(() => {
        for (const c of early) this.onChunk(c, Date.now());
      });
    }
    return from;
  }

  private start(meta: Omit<PartialMeta, "acked">, nowMs: number, preempt: boolean): number {
    // The size arrives in a broker message: a non-number would pass every `offset + length > size` check, letting chunks grow the file without bound.
    if (!Number.isSafeInteger(meta.transfer.size) || meta.transfer.size < 0) throw new RequestRefused("bad-request", `transfer size ${JSON.stringify(meta.transfer.size)} is not a byte count`);
    // No package or delta is 0 bytes long; an empty transfer would be "complete" before it began (fwx_ota.c refuses it alike).
    if (meta.transfer.size === 0) throw new RequestRefused("bad-request", "transfer of 0 bytes: there is nothing to install");
    if (meta.transfer.size > MAX_TRANSFER_BYTES) throw new RequestRefused("too-large", `transfer of ${meta.transfer.size} bytes exceeds the device limit of ${MAX_TRANSFER_BYTES}`);
    if (!(Number.isInteger(meta.window) && meta.window >= 1 && meta.window <= 1024)) throw new RequestRefused("bad-request", `window ${meta.window} is outside 1..1024 chunks`);
    const a = this.active;
    if (a && a.meta.transfer.sha256 === meta.transfer.sha256) {
      // Same bytes: a resumed tool (new session) takes over from where the device got to.
      a.meta = { ...meta, acked: a.contiguous };
      a.pending.clear();
      a.gapReportedAt = -1;
      a.lastActivityMs = nowMs;
      try {
        this.persist();
      } catch (e) {
        if (!(e instanceof StorageError)) throw e;
        this.discard();
        throw new RequestRefused("storage", `the device cannot store the transfer: ${e.message}`);
      }
      return a.contiguous;
    }
    // Idle = no new byte stored for staleMs (chunks that store nothing do not keep a transfer alive); an
    // operator's signed begin may also pre-empt a transfer that still trickles.
    if (a && !preempt && a.lastActivityMs > 0 && nowMs - a.lastActivityMs < this.opts.staleMs) {
      throw new RequestRefused("busy", `device is receiving ${a.meta.package.module} ${a.meta.package.version} from ${a.meta.from} (session ${a.meta.session}, ${a.contiguous} of ${a.meta.transfer.size} bytes); try again when it is done`);
    }
    this.discard();
    try {
      const fd = this.fs.open(this.dataFile, "w+");
      this.active = { meta: { ...meta, acked: 0 }, fd, contiguous: 0, ...fresh(), lastActivityMs: nowMs };
      this.persist();
    } catch (e) {
      this.discard();
      const err = e instanceof StorageError ? e : new StorageError("creating the partial-download file", e);
      throw new RequestRefused("storage", `the device cannot store the transfer: ${err.message}`);
    }
    return 0;
  }

  /** The acknowledged offset of `session`, or null if that session is not the current one. */
  ackedFor(session: number): number | null {
    return this.active && this.active.meta.session === session ? this.active.contiguous : null;
  }

  onChunk(c: ChunkFrame, nowMs: number): void {
    this.storing(() => this.takeChunk(c, nowMs));
  }

  /**
   * Runs a step that writes the transfer. A storage failure (ENOSPC, EIO, …)
   * ends the transfer: its files go, the device reports "failed" with the
   * reason, and the agent carries on.
   */
  private storing(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      const meta = this.active?.meta;
      this.discard();
      if (meta) this.onFailed({ ...meta }, `the device could not store the transfer: ${e.message}`);
    }
  }

  private takeChunk(c: ChunkFrame, nowMs: number): void {
    const a = this.active;
    if (!a || c.session !== a.meta.session) {
      // Possibly a chunk pipelined behind a begin that the broker has not delivered yet (brokers may
      // forward QoS 0 ahead of QoS 1): kept, a few and bounded in bytes, until a begin for its session arrives.
      if (c.data.length > MAX_CHUNK_BYTES) return;
      this.early.push({ ...c, data: c.data.slice() });
      let bytes = this.early.reduce((n, e) => n + e.data.length, 0);
      while (this.early.length > MAX_EARLY || bytes > MAX_EARLY_BYTES) bytes -= this.early.shift()!.data.length;
      return;
    }
    const t = performance.now();
    // A decaying maximum, not the last gap: on a slow link chunks often arrive in pairs (two in one
    // TCP segment), and the near-zero gap inside a pair must not shrink the timer below the real pace.
    if (a.lastChunkAt > 0) a.chunkGapMs = Math.max(t - a.lastChunkAt, a.chunkGapMs * 0.75);
    a.lastChunkAt = t;
    const size = a.meta.transfer.size;
    if (c.offset + c.data.length > size || c.data.length === 0 || c.data.length > MAX_CHUNK_BYTES) return;
    if (c.offset < a.contiguous) {
      // A resend of something already stored (the tool missed an ack): tell it where the device is.
      this.scheduleAck(0);
      return;
    }
    if (c.offset > a.contiguous) {
      if (a.pending.size < MAX_PENDING) a.pending.set(c.offset, c.data.slice());
      if (a.gapReportedAt !== a.contiguous) {
        a.gapReportedAt = a.contiguous;
        this.ackNow(true);
      }
      return;
    }
    this.write(a, c.offset, c.data);
    a.lastActivityMs = nowMs;
    for (let next = a.pending.get(a.contiguous); next; next = a.pending.get(a.contiguous)) {
      a.pending.delete(a.contiguous);
      this.write(a, a.contiguous, next);
    }
    if (a.contiguous === size || a.inOrderSinceAck >= this.ackEvery(a)) this.ackNow(false);
    else this.scheduleAck(Math.min(MAX_ACK_DELAY_MS, Math.max(this.opts.ackDelayMs, 2 * a.chunkGapMs)));
  }

  /** At most half the tool's window, so an ack is always under way before the window runs out. */
  private ackEvery(a: Active): number {
    return Math.max(1, Math.min(this.opts.ackEvery, Math.floor(a.meta.window / 2)));
  }

  private write(a: Active, offset: number, data: Uint8Array): void {
    try {
      this.io.writeAt(a.fd, data, offset);
    } catch (e) {
      throw new StorageError(`writing ${data.length} bytes at offset ${offset} of the partial download`, e);
    }
    a.contiguous = offset + data.length;
    a.inOrderSinceAck++;
    this.crash?.("chunk-written");
  }

  /** (Re)arms the pause timer: every chunk pushes it back, so it fires only when the stream really pauses. */
  private scheduleAck(delayMs: number): void {
    const a = this.active;
    if (!a) return;
    if (a.ackTimer) clearTimeout(a.ackTimer);
    a.ackTimer = setTimeout(() => {
      a.ackTimer = null;
      if (this.active === a) this.storing(() => this.ackNow(false));
    }, delayMs);
  }

  private persist(): void {
    const a = this.active!;
    try {
      this.io.fsync(a.fd);
    } catch (e) {
      throw new StorageError("syncing the partial download", e);
    }
    const acked = a.contiguous;
    try {
      this.io.writeMeta(this.metaFile, JSON.stringify({ ...a.meta, acked }), (step) => this.crash?.(`partial-meta:${step}`));
    } catch (e) {
      throw new StorageError("recording the acknowledged offset", e);
    }
    a.meta.acked = acked;
  }

  private ackNow(gap: boolean): void {
    const a = this.active;
    if (!a) return;
    if (a.ackTimer) {
      clearTimeout(a.ackTimer);
      a.ackTimer = null;
    }
    if (a.meta.acked !== a.contiguous) {
      this.persist();
      this.crash?.("ack-persisted");
    }
    a.inOrderSinceAck = 0;
    const frame = { session: a.meta.session, offset: a.contiguous, gap };
    if (a.contiguous !== a.meta.transfer.size || gap) return this.sendAck(frame, null);
    // The final ack goes out first and alone: the install starts once the broker has it, so the tool
    // learns that the transfer is complete before the install's events compete for the uplink.
    let started = false;
    const install = () => {
      if (started) return;
      started = true;
      if (a.finalAckFallback) clearTimeout(a.finalAckFallback);
      a.finalAckFallback = null;
      if (this.active === a) this.complete();
    };
    if (a.finalAckFallback) clearTimeout(a.finalAckFallback);
    a.finalAckFallback = setTimeout(install, FINAL_ACK_WAIT_MS);
    this.sendAck(frame, install);
  }

  /** Hands the received bytes on once (again after a resume that finds them complete). */
  complete(): void {
    const a = this.active;
    if (!a || a.contiguous !== a.meta.transfer.size) return;
    this.crash?.("transfer-complete");
    const bytes = new Uint8Array(a.meta.transfer.size);
    let read = false;
    this.storing(() => {
      let fd: number;
      try {
        fd = this.fs.open(this.dataFile, "r");
      } catch (e) {
        throw new StorageError("reading the completed download", e);
      }
      try {
        const got = readFully(this.fs, fd, bytes);
        if (got !== bytes.length) throw new StorageError("reading the completed download", new Error(`the partial file holds ${got} of ${bytes.length} bytes`));
      } catch (e) {
        throw e instanceof StorageError ? e : new StorageError("reading the completed download", e);
      } finally {
        this.fs.close(fd);
      }
      read = true;
    });
    if (read) this.onComplete({ ...a.meta }, bytes);
  }

  get isComplete(): boolean {
    return !!this.active && this.active.contiguous === this.active.meta.transfer.size;
  }

  /** Drops the transfer and its files (after a verdict, an abort, or a hash mismatch). */
  discard(): void {
    const a = this.active;
    if (a) {
      clearTimers(a);
      this.active = null;
      try {
        this.fs.close(a.fd);
      } catch {
        /* already unusable; the files go below */
      }
    }
    this.discardFiles();
  }

  private discardFiles(): void {
    // Best effort: a file that cannot be removed now (I/O error) is replaced by the next transfer.
    for (const f of [this.metaFile, this.dataFile]) {
      try {
        removeFileDurable(f, this.fs);
      } catch {
        /* left for the next transfer to overwrite */
      }
    }
  }

  close(): void {
    const a = this.active;
    if (a) {
      clearTimers(a);
      this.fs.close(a.fd);
    }
    this.active = null;
  }
}

function clearTimers(a: Active): void {
  if (a.ackTimer) clearTimeout(a.ackTimer);
  if (a.finalAckFallback) clearTimeout(a.finalAckFallback);
  a.ackTimer = a.finalAckFallback = null;
}

const HEX64 = /^[0-9a-f]{64}$/;
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** Whether a parsed transfer.json has every field a transfer needs, of its type. */
function isPartialMeta(m: unknown): m is PartialMeta {
  if (typeof m !== "object" || m === null) return false;
  const p = m as Partial<PartialMeta>;
  const t = p.transfer, k = p.package;
  return Number.isInteger(p.session) && p.session! >= 1 && p.session! <= 0xffff && typeof p.from === "string" && isCount(p.acked)
    && typeof t === "object" && t !== null && (t.mode === "full" || t.mode === "delta") && isCount(t.size) && t.size <= MAX_TRANSFER_BYTES
    && typeof t.sha256 === "string" && HEX64.test(t.sha256) && (t.mode === "full" || (typeof t.base === "string" && HEX64.test(t.base)))
    && typeof k === "object" && k !== null && typeof k.module === "string" && typeof k.version === "string" && isCount(k.sequence)
    && isCount(k.size) && typeof k.sha256 === "string" && HEX64.test(k.sha256)
    && (p.request === undefined || (typeof p.request === "string" && HEX64.test(p.request)));
}

function readFully(fs: FileIo, fd: number, into: Uint8Array): number {
  let done = 0;
  while (done < into.length) {
    const n = fs.read(fd, into, done, into.length - done, done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
