// The device side of a transfer: chunks in, acknowledgements out, received
// bytes kept in a partial-download file so a broker drop, a tool restart or
// an agent restart resumes where the last acknowledgement left off.
//
// Durability rule: an offset is acknowledged only after the bytes below it
// are fsynced and the metadata recording it is atomically replaced, so an
// acknowledged byte is never needed again, whatever is killed when.

import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import type { CrashHook } from "./crash.js";
import { removeDurable, writeAll, writeDurable } from "./durable.js";
import { RequestRefused } from "./install.js";
import type { AckFrame, ChunkFrame, PackageRef, TransferSpec } from "./protocol.js";

export const MAX_TRANSFER_BYTES = 16 * 1024 * 1024;

export interface PartialMeta {
  session: number;
  /** MQTT client id of the tool driving the transfer. */
  from: string;
  chunkBytes: number;
  transfer: TransferSpec;
  package: PackageRef;
  acked: number;
}

export interface ReceiverOptions {
  /** Acknowledge after this many in-order chunks (and at the end, on a gap, or after ackDelayMs). */
  ackEvery: number;
  ackDelayMs: number;
  /** A transfer with no chunk for this long may be displaced by a different one. */
  staleMs: number;
}

export const DEFAULT_RECEIVER: ReceiverOptions = { ackEvery: 8, ackDelayMs: 25, staleMs: 15_000 };

interface Active {
  meta: PartialMeta;
  fd: number;
  contiguous: number;
  /** Chunks beyond a gap, kept until the gap is filled (bounded). */
  pending: Map<number, Uint8Array>;
  inOrderSinceAck: number;
  gapReportedAt: number;
  lastActivityMs: number;
  ackTimer: NodeJS.Timeout | null;
}

const MAX_PENDING = 128;

export class TransferReceiver {
  private active: Active | null = null;
  private readonly dataFile: string;
  private readonly metaFile: string;

  constructor(
    dir: string,
    private readonly opts: ReceiverOptions,
    private readonly crash: CrashHook | null,
    private readonly sendAck: (a: AckFrame) => void,
    private readonly onComplete: (meta: PartialMeta, bytes: Uint8Array) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.dataFile = join(dir, "transfer.bin");
    this.metaFile = join(dir, "transfer.json");
    this.recover();
  }

  /** Picks up a partial download left by a previous run (as stale: any new transfer may replace it). */
  private recover(): void {
    if (!existsSync(this.metaFile) || !existsSync(this.dataFile)) {
      this.discardFiles();
      return;
    }
    let meta: PartialMeta;
    try {
      meta = JSON.parse(readFileSync(this.metaFile, "utf8")) as PartialMeta;
    } catch {
      this.discardFiles();
      return;
    }
    const fd = openSync(this.dataFile, "r+");
    // Bytes past the recorded ack may be torn: they are rewritten when resent.
    const acked = Math.min(meta.acked, fstatSync(fd).size);
    this.active = { meta: { ...meta, acked }, fd, contiguous: acked, pending: new Map(), inOrderSinceAck: 0, gapReportedAt: -1, lastActivityMs: 0, ackTimer: null };
  }

  get current(): Readonly<PartialMeta> | null {
    return this.active?.meta ?? null;
  }

  /** Starts or resumes a transfer; returns the offset to send from. */
  begin(meta: Omit<PartialMeta, "acked">, nowMs: number): number {
    if (meta.transfer.size > MAX_TRANSFER_BYTES) throw new RequestRefused("too-large", `transfer of ${meta.transfer.size} bytes exceeds the device limit of ${MAX_TRANSFER_BYTES}`);
    if (!(meta.chunkBytes >= 64 && meta.chunkBytes <= 65536)) throw new RequestRefused("bad-request", `chunk size ${meta.chunkBytes} is outside 64..65536`);
    const a = this.active;
    if (a && a.meta.transfer.sha256 === meta.transfer.sha256) {
      // Same bytes: a resumed tool (new session) takes over from where the device got to.
      a.meta = { ...meta, acked: a.contiguous };
      a.pending.clear();
      a.lastActivityMs = nowMs;
      this.persist();
      return a.contiguous;
    }
    if (a && a.lastActivityMs > 0 && nowMs - a.lastActivityMs < this.opts.staleMs) {
      throw new RequestRefused("busy", `device is receiving ${a.meta.package.module} ${a.meta.package.version} from ${a.meta.from} (session ${a.meta.session}, ${a.contiguous} of ${a.meta.transfer.size} bytes); try again when it is done`);
    }
    this.discard();
    const fd = openSync(this.dataFile, "w+");
    this.active = { meta: { ...meta, acked: 0 }, fd, contiguous: 0, pending: new Map(), inOrderSinceAck: 0, gapReportedAt: -1, lastActivityMs: nowMs, ackTimer: null };
    this.persist();
    return 0;
  }

  /** The acknowledged offset of `session`, or null if that session is not the current one. */
  ackedFor(session: number): number | null {
    return this.active && this.active.meta.session === session ? this.active.contiguous : null;
  }

  onChunk(c: ChunkFrame, nowMs: number): void {
    const a = this.active;
    if (!a || c.session !== a.meta.session) return;
    a.lastActivityMs = nowMs;
    const size = a.meta.transfer.size;
    if (c.offset + c.data.length > size || c.data.length === 0) return;
    if (c.offset < a.contiguous) {
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
    for (let next = a.pending.get(a.contiguous); next; next = a.pending.get(a.contiguous)) {
      a.pending.delete(a.contiguous);
      this.write(a, a.contiguous, next);
    }
    if (a.contiguous === size || a.inOrderSinceAck >= this.opts.ackEvery) this.ackNow(false);
    else this.scheduleAck(this.opts.ackDelayMs);
  }

  private write(a: Active, offset: number, data: Uint8Array): void {
    writeAll(a.fd, data, offset);
    a.contiguous = offset + data.length;
    a.inOrderSinceAck++;
    this.crash?.("chunk-written");
  }

  private scheduleAck(delayMs: number): void {
    const a = this.active;
    if (!a || a.ackTimer) return;
    a.ackTimer = setTimeout(() => {
      a.ackTimer = null;
      if (this.active === a) this.ackNow(false);
    }, delayMs);
  }

  private persist(): void {
    const a = this.active!;
    fsyncSync(a.fd);
    a.meta.acked = a.contiguous;
    writeDurable(this.metaFile, JSON.stringify(a.meta), (step) => this.crash?.(`partial-meta:${step}`));
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
    this.sendAck({ session: a.meta.session, offset: a.contiguous, gap });
    if (a.contiguous === a.meta.transfer.size && !gap) this.complete();
  }

  /** Hands the received bytes on once (again after a resume that finds them complete). */
  complete(): void {
    const a = this.active;
    if (!a || a.contiguous !== a.meta.transfer.size) return;
    this.crash?.("transfer-complete");
    const bytes = new Uint8Array(a.meta.transfer.size);
    const fd = openSync(this.dataFile, "r");
    try {
      const got = readFully(fd, bytes);
      if (got !== bytes.length) throw new Error(`partial file holds ${got} of ${bytes.length} bytes`);
    } finally {
      closeSync(fd);
    }
    this.onComplete({ ...a.meta }, bytes);
  }

  get isComplete(): boolean {
    return !!this.active && this.active.contiguous === this.active.meta.transfer.size;
  }

  /** Drops the transfer and its files (after a verdict, an abort, or a hash mismatch). */
  discard(): void {
    const a = this.active;
    if (a) {
      if (a.ackTimer) clearTimeout(a.ackTimer);
      closeSync(a.fd);
      this.active = null;
    }
    this.discardFiles();
  }

  private discardFiles(): void {
    removeDurable(this.metaFile);
    removeDurable(this.dataFile);
  }

  close(): void {
    const a = this.active;
    if (a?.ackTimer) clearTimeout(a.ackTimer);
    if (a) closeSync(a.fd);
    this.active = null;
  }
}

function readFully(fd: number, into: Uint8Array): number {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
