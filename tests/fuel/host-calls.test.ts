// Host calls cost what the ABI says: the lowering step prices every function
// (a base by kind unless the spec says otherwise, and a per-byte charge on
// each string/buffer length), and the instrumenter charges it at the call
// site: the base with the region, the per-byte part right after the call from
// the lengths actually passed.

import { describe, expect, it } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { DEFAULT_HOST_CALL_FUEL, importKey, lowerAbi } from "../../host-abi/gen/lower.js";
import { COST_MODEL } from "../../src/fuel/cost-model.js";
import { abiHostCallCosts, instrumentFuel } from "../../src/fuel/index.js";
import { FuelExhausted, instantiate, wat } from "./helpers.js";
import { fn, loweredFn, specCopy, specProblems } from "../abi/helpers.js";

const lowered = lowerAbi(abi);

describe("the lowering prices every host function", () => {
  it("defaults by kind, spec overrides, and which flat parameters are byte lengths", () => {
    expect(loweredFn(lowered, "core", "now_us").fuel).toEqual({ base: DEFAULT_HOST_CALL_FUEL.value, perByte: 1, byteLengthParams: [] });
    expect(loweredFn(lowered, "core", "abort").fuel).toEqual({ base: 0, perByte: 0, byteLengthParams: [1, 3] });
    expect(loweredFn(lowered, "core", "fuel_exhausted").fuel.base).toBe(0);
    expect(loweredFn(lowered, "gpio", "write").fuel).toEqual({ base: DEFAULT_HOST_CALL_FUEL.status, perByte: 1, byteLengthParams: [] });
    // kv.set(key_ptr, key_len, value_ptr, value_len): a durable write, priced in the spec.
    expect(loweredFn(lowered, "kv", "set").fuel).toEqual({ base: 5000, perByte: 1, byteLengthParams: [1, 3] });
    // i2c.write_read(bus, address, tx_ptr, tx_len, rx_ptr, rx_len)
    expect(loweredFn(lowered, "i2c", "write_read").fuel).toEqual({ base: 5000, perByte: 1, byteLengthParams: [3, 5] });
    // Out-pointers are not lengths: kv.get(key_ptr, key_len, value_ptr, value_len, value_len_ptr)
    expect(loweredFn(lowered, "kv", "get").fuel.byteLengthParams).toEqual([1, 3]);
    for (const f of lowered.functions) {
      for (const i of f.fuel.byteLengthParams) expect(f.flat.params[i]!.name, f.symbol).toMatch(/_len$/);
      expect(f.fuel.byteLengthParams.length, f.symbol).toBe(f.params.filter((p) => ["string", "buffer", "mut-buffer"].includes(p.marshal.kind)).length);
    }
  });

  it("refuses a fuel figure that is not a small non-negative integer, naming it", () => {
    expect(specProblems(specCopy((s) => { fn(s, "kv", "set").fuel = { base: -1 }; })))
      .toContain("interfaces[kv].functions[set].fuel.base: must be an integer 0..1048576");
    expect(specProblems(specCopy((s) => { fn(s, "kv", "set").fuel = { perByte: 0.5 }; })))
      .toContain("interfaces[kv].functions[set].fuel.perByte: must be an integer 0..1048576");
    expect(specProblems(specCopy((s) => { (fn(s, "kv", "set").fuel as Record<string, number>) = { perbyte: 1 }; })))
      .toContain("interfaces[kv].functions[set].fuel.perbyte: unknown field (base, perByte)");
  });

  it("the instrumenter's default table is the lowering's", () => {
    const costs = abiHostCallCosts();
    expect(costs.size).toBe(lowered.functions.length);
    expect(costs.get(importKey("fwx:kv@1", "set"))).toEqual(loweredFn(lowered, "kv", "set").fuel);
  });
});

// set(key, value) -> status, called once from `f` with the lengths it is given.
const kvSetModule = wat(`(module
  (import "fwx:kv@1" "set" (func $set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (param $klen i32) (param $vlen i32) (result i32)
    (call $set (i32.const 0) (local.get $klen) (i32.const 64) (local.get $vlen))))`);

describe("the instrumenter charges host calls at the call site", () => {
  const bytes = instrumentFuel(kvSetModule).bytes;

  it("base + perByte × the lengths passed, on top of the call", () => {
    const seen: number[][] = [];
    const m = instantiate(bytes, { "fwx:kv@1": { set: (...a: number[]) => { seen.push(a); return 0; } } });
    const f = m.exports.f as (k: number, v: number) => number;
    const small = m.withFuel(1_000_000n, () => f(3, 5)).used;
    const large = m.withFuel(1_000_000n, () => f(30, 500)).used;
    expect(large - small).toBe(BigInt(30 + 500 - 3 - 5));
    // The body: 4 operand instructions and the call, plus kv.set's base.
    expect(small).toBe(BigInt(4 * COST_MODEL.instruction + COST_MODEL.call + 5000 + 3 + 5));
    expect(seen).toEqual([[0, 3, 64, 5], [0, 30, 64, 500]]);
  });

  it("charges the bytes after the call: a host that traps on a bad length traps before any fuel runs out", () => {
    const m = instantiate(bytes, { "fwx:kv@1": { set: () => { throw new RangeError("out of bounds"); } } });
    const f = m.exports.f as (k: number, v: number) => number;
    // 4 GiB - 1 of value would be 4 billion fuel, far over the budget.
    expect(() => m.withFuel(1_000_000n, () => f(3, -1))).toThrow(RangeError);
  });

  it("runs out of fuel when the bytes are more than the budget left", () => {
    const m = instantiate(bytes, { "fwx:kv@1": { set: () => 0 } });
    const f = m.exports.f as (k: number, v: number) => number;
    expect(() => m.withFuel(6000n, () => f(3, 5000))).toThrow(FuelExhausted);
    expect(() => m.withFuel(4_000n, () => f(3, 5))).toThrow(FuelExhausted);
  });

  it("an import the ABI does not price costs a plain call", () => {
    const other = wat(`(module
      (import "env" "thing" (func $t (param i32 i32) (result i32)))
      (func (export "f") (result i32) (call $t (i32.const 1) (i32.const 2))))`);
    const m = instantiate(instrumentFuel(other).bytes, { env: { thing: () => 0 } });
    expect(m.withFuel(1000n, () => (m.exports.f as () => number)()).used).toBe(BigInt(2 * COST_MODEL.instruction + COST_MODEL.call));
  });
});

describe("host functions reached through a table", () => {
  // kv.set sits in the table; `f` calls it through call_indirect.
  const tabled = wat(`(module
    (import "fwx:kv@1" "set" (func $set (param i32 i32 i32 i32) (result i32)))
    (import "env" "other" (func $other (result i32)))
    (type $setType (func (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (table 4 funcref)
    (elem (i32.const 0) $set $other)
    (elem (i32.const 2) $set)
    (func (export "f") (param $slot i32) (param $vlen i32) (result i32)
      (call_indirect (type $setType) (i32.const 0) (i32.const 3) (i32.const 64) (local.get $vlen) (local.get $slot))))`);

  it("cost what a direct call costs, base and bytes", () => {
    const seen: number[][] = [];
    const m = instantiate(instrumentFuel(tabled).bytes, { "fwx:kv@1": { set: (...a: number[]) => { seen.push(a); return 7; } }, env: { other: () => 0 } });
    const f = m.exports.f as (slot: number, v: number) => number;
    const a = m.withFuel(1_000_000n, () => f(0, 5));
    const b = m.withFuel(1_000_000n, () => f(2, 500));
    expect([a.result, b.result]).toEqual([7, 7]);
    expect(seen).toEqual([[0, 3, 64, 5], [0, 3, 64, 500]]);
    expect(a.used).toBeGreaterThan(5000n);
    expect(b.used - a.used).toBe(495n);
    // A table-driven flood runs out like a direct one.
    expect(() => m.withFuel(4_000n, () => f(0, 1))).toThrow(FuelExhausted);
  });

  it("keep the table layout: unpriced imports and indices stay where they were", () => {
    const m = instantiate(instrumentFuel(tabled).bytes, { "fwx:kv@1": { set: () => 0 }, env: { other: () => 42 } });
    // Slot 1 holds env.other, whose signature differs: call_indirect through it traps as before.
    expect(() => m.withFuel(1_000_000n, () => (m.exports.f as (s: number, v: number) => number)(1, 0))).toThrow(/signature|indirect/i);
    expect(() => m.withFuel(1_000_000n, () => (m.exports.f as (s: number, v: number) => number)(3, 0))).toThrow(/null|uninitialized|undefined|table/i);
  });
});
