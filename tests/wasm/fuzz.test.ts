// Truncate a valid module at every byte and flip bytes everywhere: validation
// must return errors (with offsets inside the input) and never throw.
import { describe, expect, it } from "vitest";
import { parseModule } from "../../src/wasm/reader.js";
import { validateModule, type ValidationResult } from "../../src/validate/validate.js";
import { I32, I64, WasmBuilder, op, s32, u32 } from "../fixtures/wasm-builder.js";

function richModule(): Uint8Array {
  const b = new WasmBuilder();
  b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
  b.importFunc("fwx:gpio@1", "write", [I32, I32], [I32]);
  b.table(2, 2);
  b.memory(1, 2);
  b.export("memory", 2, 0);
  const g = b.global(I32, true, [op.i32_const, ...s32(8192)]);
  const pair = b.type([], [I32, I32]);
  const helper = b.func([I32], [I32], [op.local_get, 0, op.i32_const, 1, op.i32_add], { locals: [[1, I64]] });
  b.func([], [I32], [
    op.block, 0x40, op.i32_const, 0, op.br_if, 0, op.end,
    op.block, ...s32(pair), op.i32_const, 1, op.i32_const, 2, op.end, op.drop, op.drop,
    op.i32_const, 0, op.i32_const, 16, op.i32_const, 4, 0xfc, 10, 0, 0,
    op.i32_const, 3, op.call, ...u32(helper), op.global_set, g,
    op.i32_const, 1, op.i32_const, 0, op.call_indirect, ...u32(b.type([I32], [I32])), 0, op.drop,
    op.i32_const, 0, op.i32_load, 2, 0, op.drop,
    op.i32_const, 0,
  ], { export: "fwx_init" });
  b.elem(0, [helper]);
  b.data(16, [1, 2, 3, 4, 5, 6, 7, 8]);
  b.dataCount();
  b.custom("fwx.abi", [1, 2, 4, 99, 111, 114, 101, 1, 0, 4, 103, 112, 105, 111, 1, 0]);
  return b.build().bytes;
}

function wellFormed(result: ValidationResult, length: number): void {
  for (const issue of [...result.errors, ...result.warnings]) {
    expect(typeof issue.code).toBe("string");
    expect(issue.message.length).toBeGreaterThan(0);
    if (issue.offset !== undefined) {
      expect(issue.offset).toBeGreaterThanOrEqual(0);
      expect(issue.offset).toBeLessThanOrEqual(length);
    }
  }
}

describe("robustness against corrupt input", () => {
  const bytes = richModule();

  it("the base module is valid", () => {
    expect(validateModule(bytes).errors).toEqual([]);
  });

  it("truncation at every byte is an error (except at section boundaries), never a throw", () => {
    const boundaries = new Set(parseModule(bytes).sections.map((s) => s.offset));
    let malformed = 0;
    for (let cut = 0; cut < bytes.length; cut++) {
      const result = validateModule(bytes.subarray(0, cut));
      wellFormed(result, cut);
      // Cutting exactly before a section leaves a shorter module that may be valid.
      if (!boundaries.has(cut)) {
        expect(result.ok).toBe(false);
        const e = result.errors.find((x) => x.code === "malformed");
        expect(e, `cut at ${cut}`).toBeDefined();
        malformed++;
      }
    }
    expect(malformed).toBeGreaterThan(bytes.length - 20);
  });

  it("flipping bits anywhere never throws", () => {
    let rejected = 0;
    for (let at = 0; at < bytes.length; at++) {
      for (const mask of [0x01, 0x40, 0x80, 0xff]) {
        const copy = Uint8Array.from(bytes);
        copy[at]! ^= mask;
        const result = validateModule(copy);
        wellFormed(result, copy.length);
        if (!result.ok) rejected++;
      }
    }
    // Most flips break something; a few land in data bytes or equivalent encodings.
    expect(rejected).toBeGreaterThan(bytes.length * 2);
  });

  it("every byte value at every position of the code section never throws", () => {
    const code = parseModule(bytes).sections.find((s) => s.name === "code")!;
    for (let at = code.payloadOffset; at < code.end; at++) {
      for (let v = 0; v < 256; v += 7) {
        const copy = Uint8Array.from(bytes);
        copy[at] = v;
        wellFormed(validateModule(copy), copy.length);
      }
    }
  });
});
