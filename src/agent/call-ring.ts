// The last host calls of an instance, for crash reports. The glue calls
// record() after every completed host call, so push() sits on the hottest
// path of the agent. It stores the raw values into one preallocated plain
// array: no number conversion and no type test (an i64 arrives as a bigint
// and is stored as it is), nothing allocated, a power-of-two capacity so the
// slot is a mask. Measured against typed arrays with per-argument checks,
// this halves what recording adds to a host call. The device time is kept
// per callback, not per call: calls inside one callback share it.

import { FUNCTIONS } from "../abi/host.generated.js";
import type { HostCallRecord } from "./faults.js";

export const MAX_FLAT_ARGS = 6;
/** Calls kept. A constant (with the stride below) so push() indexes with a shift and a mask. */
export const RING_CAPACITY = 16;
// Per slot: function index, result, then the flat arguments (undefined past the function's own).
const STRIDE = 2 + MAX_FLAT_ARGS;
const SLOT_SHIFT = 3;
const MASK = RING_CAPACITY - 1;
const PARAM_COUNT = Uint8Array.from(FUNCTIONS.map((f) => f.params.length));

export class CallRing {
  private readonly values = new Array<unknown>(RING_CAPACITY * STRIDE).fill(undefined);
  /** Where callbacks with at least one call began: the first call's sequence number and the device time. */
  private readonly callbacks: { firstSeq: number; tUs: bigint }[] = [];
  /** Host calls completed by the instance so far. */
  total = 0;

  readonly capacity = RING_CAPACITY;

  /** A callback starts at device time tUs; the calls it makes are stamped with it. */
  beginCallback(tUs: bigint): void {
    // A callback that made no calls gives its boundary to the next one, so
    // `capacity` boundaries always cover every call still in the ring, and
    // push() stays free of bookkeeping.
    const last = this.callbacks[this.callbacks.length - 1];
    if (last && last.firstSeq === this.total) {
      last.tUs = tUs;
      return;
    }
    this.callbacks.push({ firstSeq: this.total, tUs });
    if (this.callbacks.length > this.capacity) this.callbacks.shift();
  }

  push(fn: number, result: number | bigint, a0?: number | bigint, a1?: number | bigint, a2?: number | bigint, a3?: number | bigint, a4?: number | bigint, a5?: number | bigint): void {
    const b = (this.total++ & MASK) << SLOT_SHIFT;
    const v = this.values;
    v[b] = fn;
    v[b + 1] = result;
    v[b + 2] = a0;
    v[b + 3] = a1;
    v[b + 4] = a2;
    v[b + 5] = a3;
    v[b + 6] = a4;
    v[b + 7] = a5;
  }

  private timeOf(seq: number): bigint {
    for (let i = this.callbacks.length - 1; i >= 0; i--) if (this.callbacks[i]!.firstSeq <= seq) return this.callbacks[i]!.tUs;
    return 0n;
  }

  /** Oldest first. */
  list(): HostCallRecord[] {
    const n = Math.min(this.total, this.capacity);
    const out: HostCallRecord[] = [];
    for (let seq = this.total - n; seq < this.total; seq++) {
      const b = (seq & MASK) << SLOT_SHIFT;
      const fn = this.values[b] as number;
      const args = this.values.slice(b + 2, b + 2 + (PARAM_COUNT[fn] ?? 0)) as (number | bigint)[];
      out.push({ fn, seq, tUs: this.timeOf(seq), args, result: this.values[b + 1] as number | bigint });
    }
    return out;
  }
}
