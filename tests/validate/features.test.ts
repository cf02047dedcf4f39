import { describe, expect, it } from "vitest";
import { EXTERNREF, F32, FUNCREF, I32, I64, V128, WasmBuilder, op, s32, str, u32 } from "../fixtures/wasm-builder.js";
import { addInit, baseModule, only, validate } from "./helpers.js";

const ZERO16 = new Array<number>(16).fill(0);

/** Builds base + fwx_init + one function with `body`; returns the offset of body[at] and the function index. */
function withBody(body: number[], at: number, opts: { setup?: (b: WasmBuilder) => void; params?: number[]; locals?: [number, number][] } = {}) {
  const b = baseModule();
  opts.setup?.(b);
  addInit(b);
  const f = b.func(opts.params ?? [], [], body, { locals: opts.locals ?? [] });
  const { bytes, layout } = b.build();
  return { bytes, f, offset: layout.code.get(f)! + at, layout };
}

function expectRejected(code: string, built: { bytes: Uint8Array; f: number; offset: number }, detail: RegExp) {
  const result = validate(built.bytes);
  expect(result.ok).toBe(false);
  const e = only(result, code);
  expect(e.offset).toBe(built.offset);
  expect(e.funcIndex).toBe(built.f);
  expect(e.location).toBe(`function ${built.f}`);
  expect(e.message).toMatch(detail);
  return result;
}

describe("features wasm3 cannot run are rejected at the first offending instruction", () => {
  it("SIMD instruction (0xfd prefix)", () => {
    const built = withBody([op.nop, op.nop, 0xfd, 0x0c, ...ZERO16, op.drop], 2);
    expectRejected("unsupported-simd", built, /v128\.const.*SIMD/);
  });

  it("SIMD memory instruction decodes its memarg and keeps sync", () => {
    // v128.load then i8x16.extract_lane_s 3: only the first use is reported.
    const built = withBody([op.i32_const, 0, 0xfd, 0x00, 4, 0, 0xfd, 0x15, 3, op.drop], 2);
    expectRejected("unsupported-simd", built, /v128\.load/);
  });

  it("v128 local", () => {
    const b = baseModule();
    addInit(b);
    const f = b.func([], [], [], { locals: [[1, V128]] });
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-simd");
    // body: size, local group count (1), count (1), then the type byte.
    expect(e.offset).toBe(layout.code.get(f)! - 1);
    expect(e.funcIndex).toBe(f);
    expect(e.message).toMatch(/v128 local/);
  });

  it("atomics (0xfe prefix)", () => {
    const built = withBody([op.i32_const, 0, 0xfe, 0x10, 2, 0, op.drop], 2);
    expectRejected("unsupported-threads", built, /atomic/);
  });

  it("shared memory", () => {
    const b = new WasmBuilder();
    b.memory(1, 1, 0x03);
    b.export("memory", 2, 0);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-threads");
    expect(e.offset).toBe(layout.memories[0]);
    expect(e.message).toMatch(/shared memory/);
  });

  it("memory64", () => {
    const b = new WasmBuilder();
    b.memory(1, undefined, 0x04);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-memory64");
    expect(e.offset).toBe(layout.memories[0]);
  });

  it("multiple memories", () => {
    const b = baseModule();
    b.memory(1);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-multi-memory");
    expect(e.offset).toBe(layout.memories[1]);
    expect(e.message).toMatch(/memory 1/);
  });

  it("exception handling: try / catch_all", () => {
    const built = withBody([op.nop, 0x06, 0x40, op.nop, 0x19, op.end], 1);
    expectRejected("unsupported-exception-handling", built, /try/);
  });

  it("exception handling: try_table with a catch_all clause", () => {
    // try_table (empty) with one clause: catch_all -> label 0
    const built = withBody([0x02, 0x40, 0x1f, 0x40, 1, 0x02, 0, op.end, op.end], 2);
    expectRejected("unsupported-exception-handling", built, /try_table/);
  });

  it("exception handling: tag section", () => {
    const b = baseModule();
    const t = b.type([I32], []);
    b.rawSection(13, [1, 0x00, ...u32(t)]);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-exception-handling");
    expect(e.offset).toBe(layout.sections.get(13)! + 3);
    expect(e.message).toMatch(/tag 0/);
  });

  it("GC instruction (0xfb prefix)", () => {
    const built = withBody([op.i32_const, 5, 0xfb, 28, op.drop], 2);
    expectRejected("unsupported-gc", built, /ref\.i31/);
  });

  it("GC rec group in the type section", () => {
    const b = baseModule();
    const t = b.rawType([0x4e, 1, 0x5f, 1, I32, 1]);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-gc");
    // type section: id, size, count, then the rec group at type index t = 0.
    expect(t).toBe(0);
    expect(e.offset).toBe(layout.sections.get(1)! + 3);
    expect(e.message).toMatch(/recursive type group/);
  });

  it("tail call: return_call", () => {
    const built = withBody([op.nop, op.nop, op.nop, 0x12, 0], 3);
    expectRejected("unsupported-tail-call", built, /return_call/);
  });

  it("tail call: return_call_indirect", () => {
    const built = withBody([op.i32_const, 0, 0x13, 0, 0], 2, {
      setup: (b) => { b.table(1); },
    });
    expectRejected("unsupported-tail-call", built, /return_call_indirect/);
  });

  it("reference types: ref.null / ref.is_null", () => {
    const built = withBody([op.nop, 0xd0, FUNCREF, 0xd1, op.drop], 1);
    expectRejected("unsupported-reference-types", built, /ref\.null/);
  });

  it("reference types: table.get", () => {
    const built = withBody([op.i32_const, 0, 0x25, 0, op.drop], 2, { setup: (b) => { b.table(1); } });
    expectRejected("unsupported-reference-types", built, /table\.get/);
  });

  it("reference types: table.size (0xfc 16)", () => {
    const built = withBody([0xfc, 16, 0, op.drop], 0, { setup: (b) => { b.table(1); } });
    expectRejected("unsupported-reference-types", built, /table\.size/);
  });

  it("reference types: typed select", () => {
    const built = withBody([op.i32_const, 1, op.i32_const, 2, op.i32_const, 0, 0x1c, 1, I32, op.drop], 6);
    expectRejected("unsupported-reference-types", built, /select/);
  });

  it("reference types: externref parameter", () => {
    const b = baseModule();
    addInit(b);
    const f = b.func([EXTERNREF], [], []);
    const { bytes } = b.build();
    const result = validate(bytes);
    const perFunction = result.errors.find((e) => e.code === "unsupported-reference-types" && e.funcIndex === f);
    expect(perFunction?.message).toMatch(/externref parameter 0 of function 1/);
  });

  it("reference types: a second table", () => {
    const b = baseModule();
    b.table(1);
    b.table(1);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-reference-types");
    // table section: id, size, count, table 0 (3 bytes), then table 1.
    expect(e.offset).toBe(layout.sections.get(4)! + 3 + 3);
  });

  it("memory.init and data.drop (wasm3 0.5 lacks them)", () => {
    const built = withBody([op.nop, 0xfc, 9, 0], 1, {
      setup: (b) => { b.data(16, [1, 2, 3]); b.dataCount(); },
    });
    expectRejected("unsupported-bulk-memory-segments", built, /data\.drop/);
  });

  it("passive data segment", () => {
    const b = baseModule();
    b.dataRaw([0x01, 2, 0xaa, 0xbb]);
    b.dataCount();
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-bulk-memory-segments");
    expect(e.offset).toBe(layout.data[0]);
  });

  it("extended constant expressions", () => {
    const b = baseModule();
    b.global(I32, false, [op.i32_const, 1, op.i32_const, 2, op.i32_add]);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "unsupported-extended-const");
    // global section: id, size, count, type, mutability, i32.const 1, then i32.add at +4.
    expect(e.offset).toBe(layout.sections.get(6)! + 3 + 2 + 4);
  });

  it("names the function from the name section", () => {
    const b = baseModule();
    addInit(b);
    const f = b.func([], [], [op.nop, 0x12, 0]);
    const names = [1, ...u32(f), ...str("retry_loop")];
    b.custom("name", [1, ...u32(names.length), ...names]);
    const e = only(validate(b.build().bytes), "unsupported-tail-call");
    expect(e.location).toBe(`function ${f} "retry_loop"`);
  });

  it("reports each feature once per function, at its first use", () => {
    const body = [op.nop, 0xfd, 0x0c, ...ZERO16, op.drop, 0xfd, 0x0c, ...ZERO16, op.drop];
    const built = withBody(body, 1);
    const result = validate(built.bytes);
    expect(result.errors.filter((e) => e.code === "unsupported-simd")).toHaveLength(1);
  });
});

describe("unknown opcodes", () => {
  it("single-byte opcode", () => {
    const built = withBody([op.nop, op.nop, 0xff], 2);
    const e = only(validate(built.bytes), "malformed");
    expect(e.offset).toBe(built.offset);
    expect(e.message).toMatch(/unknown opcode 0xff/);
  });

  it("prefixed opcode", () => {
    const built = withBody([op.nop, 0xfc, 0x7f], 1);
    const e = only(validate(built.bytes), "malformed");
    expect(e.offset).toBe(built.offset);
    expect(e.message).toMatch(/unknown opcode 0xfc 0x7f/);
  });
});

describe("features wasm3 runs are allowed", () => {
  it("sign-extension, non-trapping float-to-int, bulk copy/fill, multi-value, DataCount, mutable global export", () => {
    const b = baseModule();
    const pair = b.type([], [I32, I32]);
    const g = b.global(I32, true, [op.i32_const, ...s32(1024)]);
    b.export("counter", 3, g);
    b.data(8, [1, 2, 3, 4]);
    b.dataCount();
    addInit(b, [
      op.i32_const, 1, 0xc0, op.drop, // i32.extend8_s
      op.f32_const, 0, 0, 0, 0, 0xfc, 0, op.drop, // i32.trunc_sat_f32_s
      op.i32_const, 0, op.i32_const, 8, op.i32_const, 4, 0xfc, 10, 0, 0, // memory.copy
      op.i32_const, 0, op.i32_const, 0, op.i32_const, 4, 0xfc, 11, 0, // memory.fill
      op.block, ...s32(pair), op.i32_const, 1, op.i32_const, 2, op.end, op.drop, op.drop, // multi-value block
    ]);
    b.func([], [I64, F32], [op.i64_const, 1, op.f32_const, 0, 0, 0, 0]);
    const result = validate(b.build().bytes);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.report.features).toEqual(
      expect.arrayContaining(["sign-extension", "nontrapping-f2i", "bulk-memory", "multi-value", "mutable-globals"]),
    );
  });

  it("a valid module without any post-MVP feature reports none", () => {
    const b = baseModule();
    addInit(b);
    const result = validate(b.build().bytes);
    expect(result.ok).toBe(true);
    expect(result.report.features).toEqual([]);
  });
});
