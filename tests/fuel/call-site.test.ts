// Small loop-free functions reached only by direct calls are charged at their
// call sites (src/fuel/call-site.ts). These tests pin down who qualifies, that
// every way into a function still pays, and that runaway code still traps.
import { describe, expect, it } from "vitest";
import { MAX_CALL_SITE_CHARGE } from "../../src/fuel/call-site.js";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { call, compileKernel, FuelExhausted, instantiate, wat } from "./helpers.js";
import { helpersSource } from "./kernels.js";

const BUDGET = 1n << 40n;

/** 33 instructions of straight-line arithmetic on `x`: dear enough to tell "paid" from "not paid". */
function heavy(x: string): string {
  let e = x;
  for (let i = 0; i < 8; i++) e = `(i32.xor (i32.mul ${e} (i32.const ${2 * i + 3})) (i32.const ${i}))`;
  return e;
}
const HEAVY_COST = 33;

// $hidden and $outer qualify. $exported (an export), $inTable (an element
// segment, reached by call_indirect) and $init (the start function) are the
// same kind of leaf but something other than a direct call enters them.
const leavesWat = `(module
  (type $unary (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $inTable)
  (global $g (mut i32) (i32.const 0))
  (func $hidden (param $x i32) (result i32) ${heavy("(local.get $x)")})
  (func $inTable (type $unary) (param $x i32) (result i32) ${heavy("(local.get $x)")})
  (func $exported (export "exported") (param $x i32) (result i32) ${heavy("(local.get $x)")})
  (func $outer (param $x i32) (result i32) (i32.add (call $hidden (local.get $x)) (call $hidden (i32.const 3))))
  (func (export "viaHidden") (param $x i32) (result i32) (call $hidden (local.get $x)))
  (func (export "viaExported") (param $x i32) (result i32) (call $exported (local.get $x)))
  (func (export "viaTable") (param $x i32) (result i32) (call_indirect (type $unary) (local.get $x) (i32.const 0)))
  (func (export "loopOuter") (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $outer (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
  (func $init (global.set $g ${heavy("(global.get $g)")}))
  (start $init))`;

describe("which functions are charged at their call sites", () => {
  const plain = wat(leavesWat);
  const { bytes, stats } = instrumentFuel(plain);

  it("only the leaves reached solely by direct calls, transitively", () => {
    expect(stats.functionsChargedAtCallSites).toBe(2); // $hidden, and $outer which only calls $hidden
    // viaHidden, outer (x2) and loopOuter call caller-charged functions; the loop needs no write-back around its call.
    expect(stats.callsChargedAtSite).toBe(4);
    expect(stats.callsWrapped).toBe(0);
    expect(stats.chargePoints).toBe(stats.functionsInstrumented - 2 + stats.loops);
  });

  it("an exported leaf keeps its entry charge: called from the host it pays its whole body", () => {
    const m = instantiate(bytes);
    const { used, result } = m.withFuel(BUDGET, () => call(m, "exported", 9));
    expect(result).toBe(call(instantiate(plain), "exported", 9));
    expect(used).toBe(BigInt(HEAVY_COST));
    m.setFuel(used - 1n);
    expect(() => call(m, "exported", 9)).toThrow(FuelExhausted);
  });

  it("a leaf in a table keeps its entry charge: call_indirect pays its body", () => {
    const m = instantiate(bytes);
    const used = m.withFuel(BUDGET, () => call(m, "viaTable", 9)).used;
    // call_indirect (2) + local.get + i32.const in the caller, the body in the callee.
    expect(used).toBe(BigInt(HEAVY_COST + 4));
  });

  it("a leaf start function keeps its entry charge: instantiation pays it", () => {
    const initCost = BigInt(HEAVY_COST + 1); // the body plus its global.set
    expect(() => instantiate(instrumentFuel(plain, { instantiateFuel: initCost - 1n }).bytes)).toThrow(FuelExhausted);
    expect(instantiate(instrumentFuel(plain, { instantiateFuel: initCost }).bytes).getFuel()).toBe(0n);
  });

  it("a call charged at its site costs what the callee's entry charge would have", () => {
    const m = instantiate(bytes);
    const viaHidden = m.withFuel(BUDGET, () => call(m, "viaHidden", 9));
    const viaExported = m.withFuel(BUDGET, () => call(m, "viaExported", 9));
    expect(viaHidden.result).toBe(viaExported.result);
    expect(viaHidden.used).toBe(viaExported.used);
    expect(viaHidden.used).toBe(BigInt(HEAVY_COST + 3));
  });

  it("each loop iteration pays for the caller-charged calls in it", () => {
    const m = instantiate(bytes);
    const reference = instantiate(plain);
    const used = (n: number) => {
      const r = m.withFuel(BUDGET, () => call(m, "loopOuter", n));
      expect(r.result).toBe(call(reference, "loopOuter", n));
      return r.used;
    };
    const [u1, u11, u21] = [used(1), used(11), used(21)];
    expect(u21 - u11).toBe(u11 - u1);
    // Per iteration: $outer's two calls of $hidden, each a call plus the heavy body.
    expect((u11 - u1) / 10n).toBeGreaterThanOrEqual(BigInt(2 * (HEAVY_COST + 2)));
  });

  it("keeps the entry charge of a leaf dearer than the cap, and of one that calls an import (the host may call back in)", () => {
    let big = "(local.get $x)";
    while ((big.match(/\(/g) ?? []).length <= MAX_CALL_SITE_CHARGE) big = `(i32.add ${big} ${heavy("(local.get $x)")})`;
    const out = instrumentFuel(wat(`(module
      (import "env" "tick" (func $tick))
      (func $big (param $x i32) (result i32) ${big})
      (func $ticks (param $x i32) (result i32) (call $tick) (local.get $x))
      (func (export "f") (param $x i32) (result i32) (i32.add (call $big (local.get $x)) (call $ticks (local.get $x)))))`));
    expect(out.stats.functionsChargedAtCallSites).toBe(0);
    expect(out.stats.callsChargedAtSite).toBe(0);
  });

  it("the naive global strategy charges every function at its own entry, with the same total on straight-line code", () => {
    const naive = instrumentFuel(plain, { strategy: "global" });
    expect(naive.stats.functionsChargedAtCallSites).toBe(0);
    expect(naive.stats.callsChargedAtSite).toBe(0);
    const a = instantiate(naive.bytes);
    const b = instantiate(bytes);
    expect(a.withFuel(BUDGET, () => call(a, "viaHidden", 5)).used).toBe(b.withFuel(BUDGET, () => call(b, "viaHidden", 5)).used);
  });
});

describe("a kernel of small un-inlined helpers (-O3s, as fwx build compiles)", async () => {
  const plainO3s = await compileKernel("helpers", helpersSource, { optimizeLevel: 3, shrinkLevel: 1 });
  const plainO0 = await compileKernel("helpers", helpersSource, { optimizeLevel: 0 });
  const instrumented = instrumentFuel(plainO3s);

  it("charges the accessors at their call sites, and helpers that only call them too (-O0 keeps them all)", () => {
    expect(instrumented.stats.functionsChargedAtCallSites).toBeGreaterThanOrEqual(3); // get, put, mix
    expect(instrumented.stats.callsChargedAtSite).toBeGreaterThan(5);
    // get, put, mix, and swap and clampSum which call only those. Not scale
    // (exported), the function-pointer targets (table) or ping/pong (a cycle).
    expect(instrumentFuel(plainO0).stats.functionsChargedAtCallSites).toBe(5);
  });

  it("fuel is deterministic and exact: the fuel used suffices, one less traps", () => {
    const a = instantiate(instrumented.bytes);
    const b = instantiate(instrumented.bytes);
    const first = a.withFuel(BUDGET, () => call(a, "run", 33));
    expect(a.withFuel(BUDGET, () => call(a, "run", 33)).used).toBe(first.used);
    expect(b.withFuel(first.used, () => call(b, "run", 33)).result).toBe(first.result);
    expect(b.getFuel()).toBe(0n);
    b.setFuel(first.used - 1n);
    expect(() => call(b, "run", 33)).toThrow(FuelExhausted);
  });

  for (const [label, plain] of [["-O3s", plainO3s], ["-O0", plainO0]] as const) {
    it(`an infinite loop whose body only calls caller-charged helpers traps (${label})`, () => {
      const m = instantiate(instrumentFuel(plain).bytes);
      m.setFuel(100_000n);
      expect(() => call(m, "spinOnHelpers")).toThrow(FuelExhausted);
      expect(m.getFuel()).toBe(0n);
    });

    it(`loop-free mutual recursion keeps its entry charges and traps (${label})`, () => {
      const m = instantiate(instrumentFuel(plain).bytes);
      m.setFuel(5_000n);
      expect(() => call(m, "pingPong", 0)).toThrow(FuelExhausted);
    });
  }
});
