// Instrumenting a module must leave binaryen's stack where it found it.
// binaryen.js passes names on its C stack, and some of its wrappers
// (global.get/set among them) never give that space back. The agent prepares
// every module it installs on one reused worker, so a few KiB left per module
// ran the 5 MiB stack out after about a thousand installs: every module after
// that was refused with "memory access out of bounds", through no fault of its own.

import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { adaptForMcu } from "../../src/fuel/mcu.js";
import { wat } from "./helpers.js";

/** The address binaryen's stack pointer is at now (the probe itself takes one aligned slot). */
const stackTop = (): number => (binaryen as unknown as { allocateUTF8OnStack(s: string): number }).allocateUTF8OnStack("x");

/** Bytes of binaryen's stack `work` leaves taken. */
function stackLeft(work: () => void): number {
  const a = stackTop();
  const b = stackTop();
  const slot = a - b;
  work();
  const c = stackTop();
  return b - c - slot;
}

const MODULE = `(module
  (import "fwx:core@1" "now_ms" (func $now (result i64)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "fwx_init") (result i32)
    (local $i i32)
    (loop $l
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (drop (call $now))
      (i32.store (local.get $i) (global.get $g))
      (drop (memory.grow (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 64))))
    (i32.const 0)))`;

describe("binaryen's stack across instrumentation", () => {
  const bytes = wat(MODULE);

  it("instrumentFuel (with the RAM bound) leaves none of it taken", () => {
    expect(stackLeft(() => instrumentFuel(bytes, { ramBound: {} }))).toBe(0);
  });

  it("adaptForMcu leaves none of it taken", () => {
    const instrumented = instrumentFuel(bytes, { ramBound: {} }).bytes;
    expect(stackLeft(() => adaptForMcu(instrumented))).toBe(0);
  });
});
