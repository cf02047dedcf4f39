// The shape of instrumentFuel's output and how it treats input it must refuse.
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { COST_MODEL_VERSION } from "../../src/fuel/cost-model.js";
import { FuelError } from "../../src/fuel/errors.js";
import { FUEL_GET_EXPORT, FUEL_SET_EXPORT, instrumentFuel } from "../../src/fuel/instrument.js";
import { decodeFuelSection, encodeFuelSection, listCustomSections, readFuelSection } from "../../src/fuel/section.js";
import { ABI_SECTION_NAME, encodeAbiSection } from "../../src/wasm/abi-section.js";
import { encodeU32 } from "../../src/wasm/leb128.js";
import { compileKernel, functionNames, wat } from "./helpers.js";
import { shapesSource, spinSource } from "./kernels.js";

function withCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...encodeU32(nameBytes.length), ...nameBytes, ...payload];
  return Uint8Array.from([...bytes, 0, ...encodeU32(body.length), ...body]);
}

function expectFuelError(fn: () => unknown, code: string, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FuelError);
  expect((error as FuelError).code).toBe(code);
  expect((error as FuelError).message).toMatch(message);
}

const WASM3_FEATURES =
  binaryen.Features.MutableGlobals | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt |
  binaryen.Features.BulkMemory | binaryen.Features.Multivalue;

const shapes = await compileKernel("shapes", shapesSource, { optimizeLevel: 3, debug: true });

describe("instrumented output", () => {
  const { bytes, stats } = instrumentFuel(shapes);
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);

  it("is valid wasm that uses only features wasm3 runs", () => {
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    const m = binaryen.readBinary(bytes);
    try {
      m.setFeatures(WASM3_FEATURES);
      expect(m.validate()).toBe(1);
    } finally {
      m.dispose();
    }
  });

  it("imports fuel_exhausted, exports the fuel accessors and carries fwx.fuel", () => {
    expect(WebAssembly.Module.imports(module)).toContainEqual({ module: "fwx:core@1", name: "fuel_exhausted", kind: "function" });
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exports).toEqual(expect.arrayContaining([FUEL_SET_EXPORT, FUEL_GET_EXPORT, "nested", "fib"]));
    expect(readFuelSection(bytes)).toEqual({ format: 1, costModelVersion: COST_MODEL_VERSION });
    expect(readFuelSection(shapes)).toBeNull();
  });

  it("keeps the name section: every original function keeps its name and index", () => {
    const before = functionNames(shapes);
    const after = functionNames(bytes);
    expect(before).toContain("shapes/fib");
    // One import (fuel_exhausted) is added before the defined functions; helpers go last (out-of-fuel, fuel set/get, grow-refused).
    expect(after.slice(1, 1 + before.length)).toEqual(before);
    expect(after.length).toBe(before.length + 5);
  });

  it("does not invent a name section when the input had none", () => {
    const out = instrumentFuel(wat(`(module (func (export "f") (loop $l (br_if $l (i32.const 0)))))`, { names: false })).bytes;
    expect(listCustomSections(out).map((s) => s.name)).not.toContain("name");
  });

  it("keeps other custom sections byte for byte (fwx.abi)", () => {
    const payload = encodeAbiSection([{ name: "gpio", major: 1, minor: 0 }]);
    const out = instrumentFuel(withCustomSection(shapes, ABI_SECTION_NAME, payload)).bytes;
    const section = listCustomSections(out).find((s) => s.name === ABI_SECTION_NAME);
    expect(section?.payload).toEqual(payload);
  });

  it("reports what it did", () => {
    expect(stats.strategy).toBe("cached");
    expect(stats.functionsInstrumented).toBe(functionNames(shapes).length);
    expect(stats.loops).toBeGreaterThanOrEqual(5);
    // Caller-charged functions have no charge point of their own.
    expect(stats.chargePoints).toBe(stats.functionsInstrumented - stats.functionsChargedAtCallSites + stats.loops + stats.dynamicChargePoints);
    expect(stats.dynamicChargePoints).toBe(3); // memory.fill, memory.copy, memory.grow
    expect(stats.staticCost).toBeGreaterThan(stats.chargePoints);
    expect(stats.costModel.version).toBe(COST_MODEL_VERSION);
  });

  it("restores binaryen's global debug-info flag (shared with asc in the same process)", () => {
    for (const flag of [true, false]) {
      binaryen.setDebugInfo(flag);
      instrumentFuel(shapes);
      expect(binaryen.getDebugInfo()).toBe(flag);
    }
  });

  it("reuses an existing fuel_exhausted import instead of adding a second", () => {
    const input = wat(`(module
      (import "fwx:core@1" "fuel_exhausted" (func $fx))
      (func (export "f") (param $x i32) (result i32) (if (i32.eqz (local.get $x)) (then (call $fx))) (local.get $x)))`);
    const { bytes: out, stats: s } = instrumentFuel(input);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(out as Uint8Array<ArrayBuffer>));
    expect(imports.filter((i) => i.name === "fuel_exhausted")).toHaveLength(1);
    expect(s.fuelImportReused).toBe(true);
  });
});

describe("the fwx.fuel section codec", () => {
  it("round-trips and rejects unknown formats and trailing bytes", () => {
    expect(decodeFuelSection(encodeFuelSection(300))).toEqual({ format: 1, costModelVersion: 300 });
    expect(() => decodeFuelSection(Uint8Array.of(2, 1))).toThrow(/unknown format version 2/);
    expect(() => decodeFuelSection(Uint8Array.of(1, 1, 0))).toThrow(/1 trailing bytes/);
    expect(() => decodeFuelSection(new Uint8Array(0))).toThrow(/empty/);
  });
});

describe("refused input", () => {
  it("already-instrumented output is refused, not trusted or re-instrumented", async () => {
    const once = instrumentFuel(await compileKernel("spin", spinSource)).bytes;
    expectFuelError(() => instrumentFuel(once), "already-instrumented", /fwx\.fuel/);
  });

  it("a forged fwx.fuel section alone is enough to refuse", () => {
    const forged = withCustomSection(wat(`(module (func (export "f")))`), "fwx.fuel", Uint8Array.of(1, 1));
    expectFuelError(() => instrumentFuel(forged), "already-instrumented", /fwx\.fuel/);
  });

  it("exports in the reserved __fwx_ namespace are refused", () => {
    const input = wat(`(module (global $g (mut i64) (i64.const 0)) (func (export "__fwx_fuel_set") (param i64) (global.set $g (local.get 0))))`);
    expectFuelError(() => instrumentFuel(input), "already-instrumented", /"__fwx_fuel_set"/);
  });

  it("a fuel_exhausted import with the wrong signature is refused", () => {
    const input = wat(`(module (import "fwx:core@1" "fuel_exhausted" (func $fx (param i32))) (func (export "f") (call $fx (i32.const 1))))`);
    expectFuelError(() => instrumentFuel(input), "bad-fuel-import", /signature/);
  });

  it("bytes that are not wasm are refused", () => {
    expectFuelError(() => instrumentFuel(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99)), "invalid-module", /not a valid/);
  });

  it("SIMD is refused with the function named", () => {
    const input = wat(`(module (func $splat (export "f") (param $x i32) (result i32) (i32x4.extract_lane 0 (i32x4.splat (local.get $x)))))`);
    expectFuelError(() => instrumentFuel(input), "unsupported-feature", /function splat: SIMD\w+ belongs to SIMD/);
  });

  it("atomics, passive data and element segments, and tail calls are refused", () => {
    const atomics = wat(`(module (memory 1 1 shared) (func (export "f") (result i32) (i32.atomic.load (i32.const 0))))`);
    expectFuelError(() => instrumentFuel(atomics), "unsupported-feature", /shared memory|atomic/);
    const passive = wat(`(module (memory 1) (data $d "abc") (func (export "f") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3))))`);
    expectFuelError(() => instrumentFuel(passive), "unsupported-feature", /memory\.init/);
    const tail = wat(`(module (func $g (result i32) (i32.const 1)) (func (export "f") (result i32) (return_call $g)))`);
    expectFuelError(() => instrumentFuel(tail), "unsupported-feature", /tail calls/);
    const passiveElem = wat(`(module (table 1 funcref) (elem funcref (ref.func $g)) (func $g) (func (export "f") (call $g)))`);
    expectFuelError(() => instrumentFuel(passiveElem), "unsupported-feature", /element segment 0 is passive/);
  });
});
