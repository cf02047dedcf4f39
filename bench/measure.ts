// Timing helpers shared by the fuel metering suites (fuel.ts, examples.ts):
// both run the same bytes unmetered and metered side by side, so they must
// instantiate, refill and time the variants the same way.

import { instrumentFuel } from "../src/fuel/instrument.js";

/** A budget no benchmark call can spend: metering is measured, not exhaustion. */
export const UNLIMITED = 1n << 62n;

export class FuelExhausted extends Error {}

/** One instantiated variant of a kernel: unmetered (no setFuel) or metered. */
export interface Variant {
  exports: Record<string, unknown>;
  run: (arg: number) => unknown;
  setFuel?: (fuel: bigint) => void;
}

/** Instantiates a kernel exporting run(n) (and optionally init()), with an unlimited budget when metered. */
export function instantiate(bytes: Uint8Array): Variant {
  const imports = {
    env: { abort: () => { throw new Error("abort"); } },
    "fwx:core@1": { fuel_exhausted: () => { throw new FuelExhausted("fuel exhausted"); } },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports);
  const exports = instance.exports as Record<string, unknown>;
  if (typeof exports.run !== "function") throw new Error("bench kernel exports no run(n)");
  const setFuel = exports.__fwx_fuel_set as ((fuel: bigint) => void) | undefined;
  setFuel?.(UNLIMITED);
  if (typeof exports.init === "function") (exports.init as () => void)();
  return { exports, run: exports.run as Variant["run"], setFuel };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Times one run(arg) after refilling the budget, so no call can run out. */
export function timeCall(v: Variant, arg: number): { ms: number; result: unknown } {
  v.setFuel?.(UNLIMITED);
  const t0 = performance.now();
  const result = v.run(arg);
  return { ms: performance.now() - t0, result };
}

/**
 * Instruments `plainBytes` and times instrumentation: the median of three runs
 * after a first one, which also pays for binaryen's own warm-up.
 */
export function instrumentTimed(plainBytes: Uint8Array): { metered: ReturnType<typeof instrumentFuel>; instrumentMs: number } {
  let metered = instrumentFuel(plainBytes);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    metered = instrumentFuel(plainBytes);
    times.push(performance.now() - t0);
  }
  return { metered, instrumentMs: median(times) };
}

