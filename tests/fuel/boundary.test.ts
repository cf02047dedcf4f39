// The exact edge of a fuel budget, for every kind of charge point: a budget
// of exactly what a call costs runs it to the end with 0 left, one less traps
// with fuel_exhausted. Loop-free exports are charged only at their entry, so
// an entry check that let a call overdraw (by any amount) fails here; loops,
// calls and recursion cover the other charge points.

import { describe, expect, it } from "vitest";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { call, FuelExhausted, instantiate, wat } from "./helpers.js";

const SHAPES: { name: string; text: string; args: number[] }[] = [
  {
    name: "a loop-free export (entry charge only)",
    text: `(module (func (export "f") (param i32) (result i32) (i32.mul (i32.add (local.get 0) (i32.const 1)) (i32.const 3))))`,
    args: [5],
  },
  {
    name: "a loop-free export that calls an import",
    text: `(module (import "env" "tick" (func $tick (param i32)))
      (func (export "f") (param i32) (result i32) (call $tick (local.get 0)) (i32.add (local.get 0) (i32.const 1))))`,
    args: [5],
  },
  {
    name: "a chain of loop-free calls",
    text: `(module
      (func $c (param i32) (result i32) (i32.add (local.get 0) (i32.const 7)))
      (func $b (param i32) (result i32) (call $c (i32.mul (local.get 0) (i32.const 2))))
      (func (export "f") (param i32) (result i32) (call $b (call $b (local.get 0)))))`,
    args: [5],
  },
  {
    name: "recursion",
    text: `(module (func $r (export "f") (param i32) (result i32)
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) (else (i32.add (call $r (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))`,
    args: [40],
  },
  {
    // Functions with loops keep the counter in a local and check it at entry
    // and at each loop; returning before the loop leaves only the entry check.
    name: "an export with a loop it returns before (entry check of a looping function)",
    text: `(module (func (export "f") (param i32) (result i32) (local i32)
      (if (i32.eqz (local.get 0)) (then (return (i32.mul (i32.add (local.get 1) (i32.const 9)) (i32.const 3)))))
      (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
      (local.get 1)))`,
    args: [0],
  },
  {
    name: "a counted loop",
    text: `(module (func (export "f") (param i32) (result i32) (local i32)
      (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
      (local.get 1)))`,
    args: [30],
  },
];

describe("fuel: a budget is exact at every charge point", () => {
  for (const strategy of ["cached", "global"] as const) {
    for (const shape of SHAPES) {
      it(`${shape.name} (${strategy}): exactly enough runs to the end, one less traps`, () => {
        const bytes = instrumentFuel(wat(shape.text), { strategy }).bytes;
        const m = instantiate(bytes, { env: { tick: () => {} } });
        const { used, result } = m.withFuel(1n << 40n, () => call(m, "f", ...shape.args));
        expect(used).toBeGreaterThan(0n);
        expect(m.withFuel(used, () => call(m, "f", ...shape.args)).result).toBe(result);
        expect(m.getFuel()).toBe(0n);
        m.setFuel(used - 1n);
        expect(() => call(m, "f", ...shape.args)).toThrow(FuelExhausted);
        // Nothing is left to overdraw with: the counter stays at or above zero.
        expect(m.getFuel()).toBeGreaterThanOrEqual(0n);
        m.setFuel(0n);
        expect(() => call(m, "f", ...shape.args)).toThrow(FuelExhausted);
      });
    }
  }
});
