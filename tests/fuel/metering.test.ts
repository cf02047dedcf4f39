import { describe, expect, it } from "vitest";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { compileKernel, FuelExhausted, instantiate, call, wat } from "./helpers.js";
import { spinSource } from "./kernels.js";

const spinO3 = instrumentFuel(await compileKernel("spin", spinSource, { optimizeLevel: 3 })).bytes;
const spinO0 = instrumentFuel(await compileKernel("spin", spinSource, { optimizeLevel: 0 })).bytes;

describe("runaway code ends with fuel_exhausted", () => {
  for (const [label, bytes] of [["-O3", spinO3], ["-O0", spinO0]] as const) {
    it(`an infinite call-free loop traps within its budget (${label})`, () => {
      const m = instantiate(bytes);
      m.setFuel(50_000n);
      expect(() => call(m, "spin")).toThrow(FuelExhausted);
      // The out-of-fuel path zeroes the counter: "used" is exactly the budget, never more.
      expect(m.getFuel()).toBe(0n);
    });

    it(`a loop that only exits via br_if on an unreachable condition traps (${label})`, () => {
      const m = instantiate(bytes);
      m.setFuel(100_000n);
      expect(() => call(m, "spinCounting")).toThrow(FuelExhausted);
    });

    it(`unbounded recursion traps on fuel with a small budget (${label})`, () => {
      const m = instantiate(bytes);
      m.setFuel(2_000n);
      expect(() => call(m, "recurse", 0)).toThrow(FuelExhausted);
    });
  }

  it("unbounded recursion with a huge budget still ends (stack overflow or fuel)", () => {
    const m = instantiate(spinO3);
    m.setFuel(1n << 60n);
    let error: unknown;
    try {
      call(m, "recurse", 0);
    } catch (e) {
      error = e;
    }
    expect(error instanceof FuelExhausted || error instanceof RangeError).toBe(true);
  });

  it("a br_table loop in hand-written wasm traps", () => {
    const bytes = instrumentFuel(
      wat(`(module
        (func (export "dispatch") (param $x i32)
          (loop $top
            (block $a (block $b
              (br_table $a $b $top (local.get $x))))
            (local.set $x (i32.and (i32.add (local.get $x) (i32.const 1)) (i32.const 1)))
            (br $top))))`),
    ).bytes;
    const m = instantiate(bytes);
    m.setFuel(10_000n);
    expect(() => call(m, "dispatch", 0)).toThrow(FuelExhausted);
  });

  it("the start function pays from the instantiation budget", () => {
    const source = wat(`(module
      (global $g (mut i32) (i32.const 0))
      (func $init (loop $l (global.set $g (i32.add (global.get $g) (i32.const 1))) (br_if $l (i32.lt_u (global.get $g) (i32.const 1000)))))
      (start $init))`);
    expect(() => instantiate(instrumentFuel(source, { instantiateFuel: 100n }).bytes)).toThrow(FuelExhausted);
    const m = instantiate(instrumentFuel(source, { instantiateFuel: 1_000_000n }).bytes);
    expect(m.getFuel()).toBeLessThan(1_000_000n - 1000n);
  });
});

describe("fuel used", () => {
  it("is deterministic: same input, same fuel, across calls and fresh instances", () => {
    const a = instantiate(spinO3);
    const b = instantiate(spinO3);
    const runs = [a, a, b].map((m) => m.withFuel(1n << 40n, () => call(m, "work", 1000)));
    expect(new Set(runs.map((r) => r.used)).size).toBe(1);
    expect(runs[0]!.used).toBeGreaterThan(1000n);
  });

  it("is linear in work: 2x iterations cost 2x the per-iteration fuel", () => {
    const m = instantiate(spinO3);
    const used = (n: number) => m.withFuel(1n << 40n, () => call(m, "work", n)).used;
    const [u0, u1, u2] = [used(0), used(1000), used(2000)];
    expect(u2 - u1).toBe(u1 - u0);
    const ratio = Number(u2) / Number(u1);
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.1);
  });

  it("is exact: a budget of exactly the fuel used succeeds, one less traps", () => {
    const m = instantiate(spinO3);
    const { used, result } = m.withFuel(1n << 40n, () => call(m, "work", 500));
    expect(m.withFuel(used, () => call(m, "work", 500)).result).toBe(result);
    expect(m.getFuel()).toBe(0n);
    m.setFuel(used - 1n);
    expect(() => call(m, "work", 500)).toThrow(FuelExhausted);
  });

  it("includes what callees spend: the cached counter is written back around calls", () => {
    const bytes = instrumentFuel(
      wat(`(module
        (func $inner (export "inner") (param $n i32) (result i32)
          (local $i i32)
          (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $i))
        (func (export "outer") (param $k i32) (result i32)
          (local $j i32) (local $acc i32)
          (loop $l
            (local.set $acc (i32.add (local.get $acc) (call $inner (i32.const 100))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $j) (local.get $k))))
          (local.get $acc)))`),
    ).bytes;
    const m = instantiate(bytes);
    const inner = m.withFuel(1n << 40n, () => call(m, "inner", 100)).used;
    const outer10 = m.withFuel(1n << 40n, () => call(m, "outer", 10));
    expect(outer10.result).toBe(1000);
    expect(outer10.used).toBeGreaterThan(10n * inner);
    const outer20 = m.withFuel(1n << 40n, () => call(m, "outer", 20)).used;
    expect(outer20 - outer10.used).toBeGreaterThan(10n * inner);
  });

  it("charges memory.fill and memory.copy per 64 bytes and memory.grow per page", () => {
    const bytes = instrumentFuel(
      wat(`(module (memory (export "memory") 1)
        (func (export "fill") (param $n i32) (memory.fill (i32.const 0) (i32.const 7) (local.get $n)))
        (func (export "copy") (param $n i32) (memory.copy (i32.const 0) (i32.const 100) (local.get $n)))
        (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n))))`),
    ).bytes;
    const m = instantiate(bytes);
    const used = (name: string, n: number) => m.withFuel(1n << 40n, () => call(m, name, n)).used;
    expect(used("fill", 65536) - used("fill", 0)).toBe(1024n);
    expect(used("copy", 6400) - used("copy", 0)).toBe(100n);
    expect(used("grow", 2) - used("grow", 0)).toBe(2048n);
    expect(new Uint8Array(m.memory!.buffer)[100]).toBe(7);
  });

  it("a negative budget is stored as zero, so it cannot wrap around to a huge one", () => {
    const m = instantiate(spinO3);
    for (const budget of [-5n, -(1n << 63n)]) {
      m.setFuel(budget);
      expect(m.getFuel()).toBe(0n);
      expect(() => call(m, "work", 10)).toThrow(FuelExhausted);
    }
  });

  it("the global strategy (naive baseline) meters too", () => {
    const bytes = instrumentFuel(new Uint8Array(spinSourceBinary), { strategy: "global" }).bytes;
    const m = instantiate(bytes);
    m.setFuel(50_000n);
    expect(() => call(m, "spin")).toThrow(FuelExhausted);
    expect(m.withFuel(1n << 40n, () => call(m, "work", 10)).result).toBe(call(instantiate(spinO3), "work", 10));
  });
});

const spinSourceBinary = await compileKernel("spin", spinSource, { optimizeLevel: 3 });
