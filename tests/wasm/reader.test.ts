import { describe, expect, it } from "vitest";
import { WasmParseError, appendCustomSection, formatSignature, parseModule } from "../../src/wasm/reader.js";
import { HEADER, I32, I64, WasmBuilder, op, rawModule, s32, section, str, u32, vec } from "../fixtures/wasm-builder.js";

describe("parseModule", () => {
  it("decodes imports, functions, memory, globals, exports, data, custom and name sections", () => {
    const b = new WasmBuilder();
    b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
    b.importFunc("fwx:core@1", "now_ms", [], [I64]);
    b.memory(1, 4);
    b.export("memory", 2, 0);
    const g = b.global(I32, true, [op.i32_const, ...s32(4096)]);
    const init = b.func([], [I32], [op.global_get, g, op.drop, op.i32_const, 0], { export: "fwx_init" });
    const setup = b.func([], [], [op.nop], { locals: [[2, I64]] });
    b.start(setup);
    b.data(1024, [104, 105]);
    b.data(2000, new Array(10).fill(0));
    const funcNames = vec([[...u32(init), ...str("init")], [...u32(setup), ...str("setup")]]);
    const globalNames = vec([[...u32(g), ...str("__stack_pointer")]]);
    b.custom("name", [1, ...u32(funcNames.length), ...funcNames, 7, ...u32(globalNames.length), ...globalNames]);
    b.custom("fwx.abi", [1, 0]);
    const { bytes, layout } = b.build();
    const m = parseModule(bytes);

    expect(m.size).toBe(bytes.length);
    expect(m.imports.map((i) => [i.module, i.name, i.kind, i.offset, i.funcIndex, formatSignature(i.signature!)])).toEqual([
      ["fwx:core@1", "log", "func", layout.imports[0], 0, "(i32, i32, i32) -> i32"],
      ["fwx:core@1", "now_ms", "func", layout.imports[1], 1, "() -> i64"],
    ]);
    expect(m.functions).toHaveLength(4);
    expect(m.functions[init]!.codeOffset).toBe(layout.code.get(init));
    expect(m.functions[setup]!.codeOffset).toBe(layout.code.get(setup));
    expect(m.memories).toEqual([{ initial: 1, maximum: 4, shared: false, memory64: false, pageSize: 65536, imported: false, offset: layout.memories[0] }]);
    expect(m.globals[0]).toMatchObject({ type: "i32", mutable: true, init: { kind: "i32", value: 4096 } });
    expect(m.exports.map((e) => [e.name, e.kind, e.index, e.offset])).toEqual([
      ["memory", "memory", 0, layout.exports.get("memory")],
      ["fwx_init", "func", init, layout.exports.get("fwx_init")],
    ]);
    expect(m.start).toBe(setup);
    expect(m.data.map((d) => [d.offsetExpr, d.size, d.offset])).toEqual([
      [{ kind: "i32", value: 1024 }, 2, layout.data[0]],
      [{ kind: "i32", value: 2000 }, 10, layout.data[1]],
    ]);
    expect(m.customSections.map((c) => c.name)).toEqual(["name", "fwx.abi"]);
    expect([...m.customSections[1]!.payload]).toEqual([1, 0]);
    expect(m.functionNames.get(init)).toBe("init");
    expect(m.functionNames.get(setup)).toBe("setup");
    expect(m.globalNames.get(g)).toBe("__stack_pointer");
    expect(m.sections.map((s) => s.name)).toEqual(["type", "import", "function", "memory", "global", "export", "start", "code", "data", "name", "fwx.abi"]);
  });

  it("keeps a module readable when only its name section is broken, with a warning", () => {
    const b = new WasmBuilder();
    b.func([], [], []);
    b.custom("name", [1, 5, 1, 0]); // subsection claims 5 bytes, has 2
    const m = parseModule(b.build().bytes);
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]!.message).toMatch(/name section ignored/);
  });

  it("decodes type-index block types, br_table and call_indirect", () => {
    const b = new WasmBuilder();
    const t = b.type([I32], [I32, I32]);
    b.table(1);
    const f = b.func([], [], [
      op.i32_const, 1, op.block, ...s32(t), op.i32_const, 2, op.end, op.drop, op.drop,
      op.block, 0x40, op.i32_const, 0, 0x0e, 2, 0, 0, 0, op.end,
      op.i32_const, 0, op.call_indirect, ...u32(b.type([], [])), 0,
    ]);
    b.elem(0, [f]);
    const { bytes, layout } = b.build();
    const m = parseModule(bytes);
    expect(m.features).toEqual([
      { feature: "multi-value", offset: layout.sections.get(1)! + 3, detail: "type 0 returns 2 values" },
      { feature: "multi-value", offset: layout.code.get(f)! + 2, detail: "block with type-index block type", funcIndex: f },
    ]);
    expect(m.elementCount).toBe(1);
  });
});

function parseError(bytes: Uint8Array): WasmParseError {
  try {
    parseModule(bytes);
  } catch (e) {
    if (e instanceof WasmParseError) return e;
    throw e;
  }
  throw new Error("expected a WasmParseError");
}

describe("hostile input: a clear error with the offset, never a crash", () => {
  const typeSection = section(1, vec([[0x60, 0, 0]]));
  const funcSection = section(3, vec([[0]]));
  const codeSection = section(10, vec([[2, 0, op.end]]));

  it.each([
    ["empty file", [], 0, /shorter than the 8-byte wasm header/],
    ["not wasm", [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0], 0, /magic bytes/],
    ["wrong version", [...HEADER.slice(0, 4), 2, 0, 0, 0], 4, /version 2/],
    ["a component", [...HEADER.slice(0, 4), 0x0d, 0, 1, 0], 4, /component/],
  ])("%s", (_name, bytes, offset, message) => {
    const e = parseError(Uint8Array.from(bytes));
    expect(e.offset).toBe(offset);
    expect(e.message).toMatch(message);
  });

  it("section size past the end of the file", () => {
    const e = parseError(rawModule([1, 50, 1, 0x60]));
    expect(e.offset).toBe(9);
    expect(e.message).toMatch(/type section size 50 runs past the end of the file \(2 bytes left\)/);
  });

  it("LEB128 longer than 5 bytes / overflowing 32 bits", () => {
    expect(parseError(rawModule([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])).message).toMatch(/longer than 5 bytes|overflows/);
    const e = parseError(rawModule([1, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    expect(e.offset).toBe(9);
    expect(e.message).toMatch(/overflows 32 bits/);
  });

  it("a count larger than the bytes left allocates nothing and says so", () => {
    const e = parseError(rawModule(section(1, [0xff, 0xff, 0xff, 0xff, 0x0f])));
    expect(e.offset).toBe(10);
    expect(e.message).toMatch(/type count 4294967295 cannot fit in the 0 bytes left/);
  });

  it("duplicate section", () => {
    const e = parseError(rawModule(typeSection, typeSection));
    expect(e.offset).toBe(8 + typeSection.length);
    expect(e.message).toMatch(/duplicate type section/);
  });

  it("out-of-order section", () => {
    const e = parseError(rawModule(funcSection, typeSection));
    expect(e.offset).toBe(8 + funcSection.length);
    expect(e.message).toMatch(/type section is out of order \(it must come before the function section\)/);
  });

  it("unknown section id", () => {
    const e = parseError(rawModule([42, 0]));
    expect(e.offset).toBe(8);
    expect(e.message).toMatch(/unknown section id 42/);
  });

  it("trailing bytes inside a section", () => {
    const e = parseError(rawModule(section(1, [...vec([[0x60, 0, 0]]), 0x00])));
    expect(e.message).toMatch(/1 unexpected bytes at the end of the type section/);
  });

  it("function and code counts disagree", () => {
    const e = parseError(rawModule(typeSection, section(3, vec([[0], [0]])), codeSection));
    expect(e.message).toMatch(/code section has 1 bodies, but the function section declares 2/);
  });

  it("a function section without code", () => {
    expect(parseError(rawModule(typeSection, funcSection)).message).toMatch(/no code section/);
  });

  it("a body without its final end", () => {
    const e = parseError(rawModule(typeSection, funcSection, section(10, vec([[2, 0, op.nop]]))));
    expect(e.message).toMatch(/instruction runs past the end of the body of function 0/);
  });

  it("bytes after a body's final end", () => {
    const e = parseError(rawModule(typeSection, funcSection, section(10, vec([[3, 0, op.end, op.nop]]))));
    expect(e.message).toMatch(/1 bytes after the final end of function 0/);
  });

  it("a branch to a label that is not open", () => {
    const body = [0, op.block, 0x40, op.br, 2, op.end, op.end];
    const e = parseError(rawModule(typeSection, funcSection, section(10, vec([[body.length, ...body]]))));
    expect(e.message).toMatch(/br targets label 2, but only 2 blocks are open/);
  });

  it("a call to a function that does not exist", () => {
    const body = [0, op.call, 7, op.end];
    const e = parseError(rawModule(typeSection, funcSection, section(10, vec([[body.length, ...body]]))));
    expect(e.message).toMatch(/function index 7 is out of range/);
  });

  it("an import using a type that does not exist", () => {
    const e = parseError(rawModule(typeSection, section(2, vec([[...str("m"), ...str("f"), 0, 5]]))));
    expect(e.message).toMatch(/uses type 5, but the module has 1 types/);
  });

  it("an invalid UTF-8 name", () => {
    const e = parseError(rawModule(section(2, vec([[1, 0xff, ...str("f"), 0, 0]]))));
    expect(e.offset).toBe(12);
    expect(e.message).toMatch(/import module name is not valid UTF-8/);
  });

  it("a memory instruction without a memory", () => {
    const body = [0, op.i32_const, 0, op.i32_load, 2, 0, op.drop, op.end];
    const e = parseError(rawModule(typeSection, funcSection, section(10, vec([[body.length, ...body]]))));
    expect(e.message).toMatch(/i32\.load needs a linear memory/);
  });
});

describe("appendCustomSection", () => {
  it("appends a section and replaces an existing one of the same name", () => {
    const b = new WasmBuilder();
    b.func([], [], []);
    b.custom("fwx.abi", [1, 0]);
    b.custom("other", [9]);
    const { bytes } = b.build();
    const once = appendCustomSection(bytes, "fwx.abi", Uint8Array.from([1, 1, 4, 99, 111, 114, 101, 1, 0]));
    const m = parseModule(once);
    expect(m.customSections.map((c) => c.name)).toEqual(["other", "fwx.abi"]);
    expect([...m.customSections[1]!.payload]).toEqual([1, 1, 4, 99, 111, 114, 101, 1, 0]);
    const twice = appendCustomSection(once, "fwx.abi", Uint8Array.from([1, 0]));
    expect(parseModule(twice).customSections.filter((c) => c.name === "fwx.abi")).toHaveLength(1);
    expect(twice.length).toBe(bytes.length);
  });

  it("refuses a module with broken framing", () => {
    expect(() => appendCustomSection(rawModule([1, 50]), "x", new Uint8Array())).toThrow(WasmParseError);
  });
});
