import { describe, expect, it } from "vitest";
import { parseRamBudget } from "../../src/validate/validate.js";
import { I32, WasmBuilder, op, s32 } from "../fixtures/wasm-builder.js";
import { addInit, baseModule, only, validate } from "./helpers.js";

describe("RAM and flash report", () => {
  it("AssemblyScript-style layout: data end is the heap base, no stack global", () => {
    const b = baseModule();
    b.data(1024, new Array(100).fill(7));
    b.data(2048, new Array(300).fill(9));
    addInit(b);
    const { bytes } = b.build();
    const result = validate(bytes);
    expect(result.ok).toBe(true);
    expect(result.report.flashBytes).toBe(bytes.length);
    expect(result.report.ram).toEqual({
      declaredPages: 1, maxPages: null, dataEnd: 2348, heapBase: 2348, stackBytes: null, needBytes: 2348, budgetBytes: 65536, measuredFrom: "static-data",
    });
  });

  it("LLVM-style layout: __stack_pointer global after the data, __heap_base exported", () => {
    const b = new WasmBuilder();
    b.memory(2, 16);
    b.export("memory", 2, 0);
    const sp = b.global(I32, true, [op.i32_const, ...s32(1024 + 200 + 8192)]);
    const heap = b.global(I32, false, [op.i32_const, ...s32(1024 + 200 + 8192)]);
    const dataEnd = b.global(I32, false, [op.i32_const, ...s32(1224)]);
    b.export("__heap_base", 3, heap);
    b.export("__data_end", 3, dataEnd);
    b.data(1024, new Array(200).fill(1));
    addInit(b, [op.global_get, sp, op.drop]);
    const result = validate(b.build().bytes, 128 * 1024);
    expect(result.errors).toEqual([]);
    expect(result.report.ram).toEqual({
      declaredPages: 2, maxPages: 16, dataEnd: 1224, heapBase: 9416, stackBytes: 8192, needBytes: 9416, budgetBytes: 131072, measuredFrom: "heap-base",
    });
  });

  it("LLVM --stack-first layout: the stack sits below the data", () => {
    const b = baseModule();
    b.global(I32, true, [op.i32_const, ...s32(4096)]);
    const heap = b.global(I32, false, [op.i32_const, ...s32(4096 + 64)]);
    b.export("__heap_base", 3, heap);
    b.data(4096, new Array(64).fill(1));
    addInit(b);
    const ram = validate(b.build().bytes).report.ram;
    expect(ram.stackBytes).toBe(4096);
    expect(ram.needBytes).toBe(4160);
  });
});

describe("RAM budget", () => {
  it("rejects initial pages beyond the budget", () => {
    const b = new WasmBuilder();
    b.memory(2);
    b.export("memory", 2, 0);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "memory-over-budget");
    expect(e.offset).toBe(layout.memories[0]);
    expect(e.message).toContain("2 initial pages (131072 bytes), more than the RAM budget of 65536 bytes");
  });

  it("rejects a data segment ending past the budget, naming the segment", () => {
    const b = baseModule();
    b.data(16, [1]);
    b.data(30000, new Array(3000).fill(2));
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes, 32 * 1024), "ram-over-budget");
    expect(e.offset).toBe(layout.data[1]);
    expect(e.location).toBe("data segment 1");
    expect(e.message).toContain("needs 33000 bytes");
  });

  it("accepts one page on a smaller budget, with a warning that the device caps it", () => {
    const b = baseModule();
    b.data(0, [1, 2, 3]);
    addInit(b);
    const result = validate(b.build().bytes, 16 * 1024);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.code)).toEqual(["memory-capped"]);
  });
});

describe("parseRamBudget", () => {
  it.each([
    ["65536", 65536], ["64k", 65536], ["64KiB", 65536], ["1p", 65536], ["3 pages", 196608], ["1m", 1048576], ["512b", 512],
  ])("%s = %d bytes", (text, bytes) => {
    expect(parseRamBudget(text)).toBe(bytes);
  });

  it.each(["", "64x", "-1", "0", "1.5k", "99999999m"])("rejects %j", (text) => {
    expect(() => parseRamBudget(text)).toThrow(/RAM budget/);
  });
});
