// adaptForMcu: the start function becomes __fwx_start (run by the host under
// its own budget, never implicitly), and memory.grow fails past the limit
// the host sets with __fwx_mem_limit_set.
import { describe, expect, it } from "vitest";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { adaptForMcu, MEM_LIMIT_EXPORT, START_EXPORT } from "../../src/fuel/mcu.js";
import { listCustomSections, readStartFunctionIndex } from "../../src/fuel/section.js";
import { FuelExhausted, instantiate, wat } from "./helpers.js";

const source = `(module
  (memory (export "memory") 1)
  (global $started (mut i32) (i32.const 0))
  (func $start (global.set $started (i32.const 1)) (loop $spin (br_if $spin (i32.eqz (global.get $started)))))
  (func $spin_start (loop $l (br $l)))
  (func (export "started") (result i32) (global.get $started))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; A growth bomb: grows one page at a time until refused, returns the pages reached.
  (func (export "bomb") (result i32)
    (block $done (loop $more (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (br $more)))
    (memory.size))
  (start $start))`;

const adapt = (text: string) => adaptForMcu(instrumentFuel(wat(text)).bytes);

describe("adaptForMcu", () => {
  it("moves the start function to __fwx_start: nothing runs at instantiation", () => {
    const { bytes, startExported, growsChecked } = adapt(source);
    expect(startExported).toBe(true);
    expect(growsChecked).toBe(2);
    expect(readStartFunctionIndex(bytes)).toBeNull();
    const mod = instantiate(bytes);
    expect(mod.exports.started!()).toBe(0);
    const { used } = mod.withFuel(1000n, () => (mod.exports[START_EXPORT] as () => void)());
    expect(mod.exports.started!()).toBe(1);
    expect(used > 0n).toBe(true);
  });

  it("meters a looping start function with the budget the host gives it", () => {
    const looping = source.replace("(start $start)", "(start $spin_start)");
    const mod = instantiate(adapt(looping).bytes);
    mod.setFuel(5000n);
    expect(() => (mod.exports[START_EXPORT] as () => void)()).toThrow(FuelExhausted);
    expect(mod.getFuel()).toBe(0n);
  });

  it("makes memory.grow return -1 past the host's limit, and succeed below it", () => {
    const mod = instantiate(adapt(source).bytes);
    const grow = mod.exports.grow as (n: number) => number;
    mod.setFuel(1_000_000n);
    expect(grow(1)).toBe(1); // no limit set yet
    (mod.exports[MEM_LIMIT_EXPORT] as (p: number) => void)(3);
    expect(grow(2)).toBe(-1);
    expect(grow(1)).toBe(2);
    expect(grow(1)).toBe(-1);
    expect(grow(0)).toBe(3);
    expect(mod.memory!.buffer.byteLength).toBe(3 * 65536);
  });

  it("stops a growth bomb at the limit instead of letting it believe it grew", () => {
    const mod = instantiate(adapt(source).bytes);
    (mod.exports[MEM_LIMIT_EXPORT] as (p: number) => void)(4);
    const { result } = mod.withFuel(1_000_000n, () => (mod.exports.bomb as () => number)());
    expect(result).toBe(4);
    expect(mod.memory!.buffer.byteLength).toBe(4 * 65536);
  });

  it("refuses a memory already above the limit and keeps custom sections", () => {
    const { bytes } = adapt(source);
    expect(listCustomSections(bytes).map((s) => s.name)).toContain("fwx.fuel");
    const mod = instantiate(bytes);
    mod.setFuel(1_000_000n);
    (mod.exports[MEM_LIMIT_EXPORT] as (p: number) => void)(0);
    expect((mod.exports.grow as (n: number) => number)(0)).toBe(-1);
  });

  it("adds the limit export to a module without memory, and leaves one without a start section alone", () => {
    const { bytes, startExported, growsChecked } = adapt(`(module (func (export "f")))`);
    expect(startExported).toBe(false);
    expect(growsChecked).toBe(0);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).map((e) => e.name);
    expect(exports).toContain(MEM_LIMIT_EXPORT);
    expect(exports).not.toContain(START_EXPORT);
  });
});

describe("fwx pack --target mcu", () => {
  it("payloads carry __fwx_start in place of the build's start section, and the limit export", async () => {
    const { buildProjectPayload } = await import("../../src/pkg/project.js");
    const plain = await buildProjectPayload("examples/cold-chain-alarm", "gateway");
    const { payload } = await buildProjectPayload("examples/cold-chain-alarm", "mcu");
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(payload as Uint8Array<ArrayBuffer>)).map((e) => e.name);
    expect(exports).toContain(MEM_LIMIT_EXPORT);
    expect(exports).toContain("__fwx_fuel_set");
    expect(readStartFunctionIndex(payload)).toBeNull();
    // AssemblyScript emits a start section for the example's top-level code.
    expect(readStartFunctionIndex(plain.payload)).not.toBeNull();
    expect(exports).toContain(START_EXPORT);
  }, 60_000);
});
