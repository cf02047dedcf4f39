// parseModule(bytes, { decodeCode: false }): the structure without decoding
// instructions, for the device agent (which runs the full validator anyway).

import { describe, expect, it } from "vitest";
import { parseModule, WasmParseError } from "../../src/wasm/reader.js";
import { misbehaveOnTimer } from "../fixtures/hostile/modules.js";
import { op } from "../fixtures/hostile/builder.js";

describe("parseModule without decoding code", () => {
  // i32.extend8_s (0xc0, sign-extension ops): a post-MVP feature used in code.
  const bytes = misbehaveOnTimer([...op.i32(200), 0xc0, ...op.drop]);

  it("reads the same structure, offsets and names as a full parse, without code features", () => {
    const full = parseModule(bytes);
    const light = parseModule(bytes, { decodeCode: false });
    expect(light.imports).toEqual(full.imports);
    // The same functions, less what only decoding the code gives: the operand stack and nesting each body needs.
    expect(light.functions).toEqual(full.functions.map(({ shape: _shape, ...f }) => f));
    expect(full.functions.filter((f) => !f.imported).every((f) => f.shape !== undefined)).toBe(true);
    expect(light.functions.some((f) => f.shape !== undefined)).toBe(false);
    expect(light.memories).toEqual(full.memories);
    expect(light.sections).toEqual(full.sections);
    expect(light.functionNames).toEqual(full.functionNames);
    expect(full.features.some((f) => f.funcIndex !== undefined)).toBe(true);
    expect(light.features.filter((f) => f.funcIndex !== undefined)).toEqual([]);
  });

  it("does not look inside bodies: a bad opcode fails only the full parse", () => {
    const culprit = parseModule(bytes).functions.at(-1)!;
    const broken = bytes.slice();
    broken[culprit.codeOffset!] = 0xff;
    expect(() => parseModule(broken)).toThrow(WasmParseError);
    expect(parseModule(broken, { decodeCode: false }).functions.at(-1)!.codeOffset).toBe(culprit.codeOffset);
  });
});
