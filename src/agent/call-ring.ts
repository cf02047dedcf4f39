// The last host calls of an instance, for crash reports. The glue calls
// record() after every completed host call, so this sits on the hottest path
// of the agent: it stores into preallocated typed arrays and allocates nothing.

import type { HostCallRecord } from "./faults.js";

export const MAX_FLAT_ARGS = 6;

export class CallRing {
  private readonly fns: Int32Array;
  private readonly argc: Uint8Array;
  private readonly args: Float64Array;
  private readonly results: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  /** Host calls completed by the instance so far. */
  total = 0;

  constructor(readonly capacity = 16) {
    this.fns = new Int32Array(capacity);
    this.argc = new Uint8Array(capacity);
    this.args = new Float64Array(capacity * MAX_FLAT_ARGS);
    this.results = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  /** Device time of the callback the calls happen in; calls inside one callback share it. */
  nowUs = 0;

  push(fn: number, result: number | bigint, argc: number, a0?: number | bigint, a1?: number | bigint, a2?: number | bigint, a3?: number | bigint, a4?: number | bigint, a5?: number | bigint): void {
    const i = this.next;
    this.fns[i] = fn;
    this.argc[i] = argc;
    this.results[i] = Number(result);
    this.times[i] = this.nowUs;
    const b = i * MAX_FLAT_ARGS;
    const a = this.args;
    if (argc > 0) a[b] = Number(a0);
    if (argc > 1) a[b + 1] = Number(a1);
    if (argc > 2) a[b + 2] = Number(a2);
    if (argc > 3) a[b + 3] = Number(a3);
    if (argc > 4) a[b + 4] = Number(a4);
    if (argc > 5) a[b + 5] = Number(a5);
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    this.total++;
  }

  /** Oldest first. */
  list(): HostCallRecord[] {
    const n = Math.min(this.total, this.capacity);
    const out: HostCallRecord[] = [];
    for (let k = 0; k < n; k++) {
      const i = (this.next - n + k + this.capacity) % this.capacity;
      const args: number[] = [];
      for (let j = 0; j < this.argc[i]!; j++) args.push(this.args[i * MAX_FLAT_ARGS + j]!);
      out.push({ fn: this.fns[i]!, seq: this.total - n + k, tUs: BigInt(this.times[i]!), args, result: this.results[i]! });
    }
    return out;
  }
}
