// Instrumented modules must compute exactly what the originals compute.
import { describe, expect, it } from "vitest";
import { arithSource } from "../../bench/kernels/arith.js";
import { crc32Source } from "../../bench/kernels/crc32.js";
import { spectrumSource } from "../../bench/kernels/spectrum.js";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { call, compileKernel, instantiate, wat, type Metered } from "./helpers.js";
import { helpersSource, shapesSource } from "./kernels.js";

const BUDGET = 1n << 50n;

/** -O3s and -Oz are what `fwx build` ships: binaryen leaves small helpers un-inlined there, so calls are charged at their sites. */
const builds = [
  { label: "-O0", optimizeLevel: 0, shrinkLevel: 0 },
  { label: "-O3", optimizeLevel: 3, shrinkLevel: 0 },
  { label: "-O3s", optimizeLevel: 3, shrinkLevel: 1 },
  { label: "-Oz", optimizeLevel: 2, shrinkLevel: 2 },
];

interface Case {
  kernel: string;
  source: string;
  init?: boolean;
  calls: [string, ...number[]][];
}

const cases: Case[] = [
  { kernel: "crc32", source: crc32Source, init: true, calls: [["crc32", 0], ["crc32", 1], ["crc32", 4096], ["crc32", 65536], ["run", 2]] },
  { kernel: "arith", source: arithSource, calls: [["run", 0], ["run", 1], ["run", 12345]] },
  { kernel: "spectrum", source: spectrumSource, init: true, calls: [["run", 1], ["run", 3]] },
  {
    kernel: "shapes",
    source: shapesSource,
    calls: [
      ["nested", 0], ["nested", 40], ["nested", 120],
      ["classify", 0], ["classify", 100],
      ["findFirst", 64, 3], ["findFirst", 64, 15], ["findFirst", 4, 99],
      ["fib", 0], ["fib", 15],
      ["nestedCalls", 50],
      ["bulk", 5], ["bulk", 700],
      ["grow", 1], ["grow", 0],
    ],
  },
  {
    kernel: "helpers",
    source: helpersSource,
    calls: [["run", 0], ["run", 1], ["run", 77], ["checksum"], ["viaPointer", 40], ["setOp", 1], ["viaPointer", 40], ["run", 5], ["scale", 12345]],
  },
];

function runAll(m: Metered, c: Case, metered: boolean): unknown[] {
  const go = <T>(fn: () => T): T => (metered ? m.withFuel(BUDGET, fn).result : fn());
  if (c.init) go(() => call(m, "init"));
  return c.calls.map(([name, ...args]) => go(() => call(m, name, ...args)));
}

describe("instrumented kernels compute the same results", () => {
  for (const c of cases) {
    for (const { label, optimizeLevel, shrinkLevel } of builds) {
      it(`${c.kernel} at ${label}, both strategies`, async () => {
        const plain = await compileKernel(c.kernel, c.source, { optimizeLevel, shrinkLevel });
        const expected = runAll(instantiate(plain), c, false);
        for (const strategy of ["cached", "global"] as const) {
          const { bytes } = instrumentFuel(plain, { strategy });
          expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
          expect(runAll(instantiate(bytes), c, true), strategy).toEqual(expected);
        }
      });
    }
  }

  it("multi-value functions, blocks and calls inside call arguments", () => {
    // binaryen's text syntax for multi-value: tuple.make/tuple.extract with explicit arity, tuple-typed locals.
    const plain = wat(`(module
      (func $divmod (param $a i32) (param $b i32) (result i32 i32)
        (tuple.make 2 (i32.div_u (local.get $a) (local.get $b)) (i32.rem_u (local.get $a) (local.get $b))))
      (func $sum (param $n i32) (result i32)
        (local $i i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))
      (func (export "digits") (param $x i32) (result i32)
        (local $qr (i32 i32)) (local $acc i32)
        (block $done
          (loop $l
            (br_if $done (i32.eqz (local.get $x)))
            (local.set $qr (call $divmod (local.get $x) (i32.const 10)))
            (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 3)) (tuple.extract 2 1 (local.get $qr))))
            (local.set $x (tuple.extract 2 0 (local.get $qr)))
            (br $l)))
        (local.get $acc))
      (func (export "pair") (param $x i32) (result i32 i32)
        (block (result i32 i32)
          (loop $l (br_if $l (i32.eqz (call $sum (local.get $x)))))
          (call $divmod (call $sum (local.get $x)) (call $sum (i32.const 7)))))
      (func (export "argcalls") (param $x i32) (result i32)
        (local $r i32)
        (loop $once
          (local.set $r (call $sum (i32.add (call $sum (local.get $x)) (call $sum (i32.const 5))))))
        (local.get $r)))`);
    const expected = instantiate(plain);
    const instrumented = instrumentFuel(plain);
    // Calls with calls in their arguments must have been rewritten with spilled operands.
    expect(instrumented.stats.spilledOperands).toBeGreaterThan(0);
    expect(instrumented.stats.callsWrapped).toBeGreaterThan(0);
    const m = instantiate(instrumented.bytes);
    for (const x of [0, 7, 12345, 99999]) {
      expect(m.withFuel(BUDGET, () => call(m, "digits", x)).result).toBe(call(expected, "digits", x));
    }
    for (const x of [3, 20]) {
      expect(m.withFuel(BUDGET, () => call(m, "pair", x)).result).toEqual(call(expected, "pair", x));
      expect(m.withFuel(BUDGET, () => call(m, "argcalls", x)).result).toBe(call(expected, "argcalls", x));
    }
  });
});
