// The instruction set as data: for every opcode, its name, the shape of its
// immediates and the post-MVP feature it belongs to. The decoder in code.ts
// needs the immediates of every instruction, including those of features fwx
// rejects, so that it can walk past them and report the first offending
// instruction at its exact offset instead of losing sync.

import type { WasmFeature } from "./features.js";

export type Immediate =
  | "none"
  | "blocktype"     // block, loop, if, try
  | "label"         // br, br_if, rethrow, delegate, br_on_null, br_on_non_null
  | "br_table"
  | "func"          // call, return_call, ref.func
  | "call_indirect" // type index, table index
  | "type"          // call_ref, struct.new, array.get, …
  | "local"
  | "global"
  | "table"
  | "tag"
  | "memarg"
  | "mem"           // memory.size, memory.grow, memory.fill
  | "mem_mem"       // memory.copy
  | "data_mem"      // memory.init
  | "data"          // data.drop
  | "elem_table"    // table.init
  | "elem"          // elem.drop
  | "table_table"   // table.copy
  | "i32" | "i64" | "f32" | "f64"
  | "heaptype"      // ref.null, ref.test, ref.cast
  | "select_t"
  | "try_table"
  | "lane"          // SIMD extract/replace lane
  | "memarg_lane"   // SIMD load/store lane
  | "bytes16"       // v128.const, i8x16.shuffle
  | "fence"         // atomic.fence: one reserved zero byte
  | "type_field"    // struct.get/set
  | "type_type"     // array.copy
  | "type_u32"      // array.new_fixed
  | "type_data"     // array.new_data, array.init_data
  | "type_elem"     // array.new_elem, array.init_elem
  | "br_on_cast";   // flags, label, heap type, heap type

/** How an instruction changes the control stack. */
export type Control = "open" | "else" | "catch" | "end" | "delegate";

export interface OpInfo {
  name: string;
  imm: Immediate;
  feature?: WasmFeature;
  control?: Control;
  /** Valid in a constant expression (global initialisers, segment offsets). */
  constant?: boolean;
  /**
   * Operands popped and results pushed, for the instructions wasm3 runs whose
   * effect is fixed. Control instructions and calls, whose effect depends on a
   * block or function type, are measured by code-shape.ts; an instruction
   * with neither is of a feature wasm3 lacks, and its body is not measured.
   */
  stack?: readonly [pops: number, pushes: number];
}

// Every OpInfo has the same properties in the same order (absent ones
// undefined): one object shape keeps the decoder's property reads fast.
const op = (name: string, imm: Immediate = "none", extra: Partial<OpInfo> = {}): OpInfo =>
  ({ name, imm, feature: extra.feature, control: extra.control, constant: extra.constant, stack: extra.stack }) as OpInfo;

/** Single-byte opcodes, indexed by the byte. Prefix bytes 0xfb–0xfe are decoded through PREFIXED. */
export const SINGLE: (OpInfo | undefined)[] = new Array(256);

function single(code: number, info: OpInfo): void {
  SINGLE[code] = info;
}

// Fixed stack effects (OpInfo.stack).
const NONE = { stack: [0, 0] } as const, PUSH = { stack: [0, 1] } as const, POP = { stack: [1, 0] } as const;
const UNARY = { stack: [1, 1] } as const, BINARY = { stack: [2, 1] } as const, STORE = { stack: [2, 0] } as const;
const CONSUME3 = { stack: [3, 0] } as const;

single(0x00, op("unreachable"));
single(0x01, op("nop", "none", NONE));
single(0x02, op("block", "blocktype", { control: "open" }));
single(0x03, op("loop", "blocktype", { control: "open" }));
single(0x04, op("if", "blocktype", { control: "open" }));
single(0x05, op("else", "none", { control: "else" }));
single(0x06, op("try", "blocktype", { control: "open", feature: "exception-handling" }));
single(0x07, op("catch", "tag", { control: "catch", feature: "exception-handling" }));
single(0x08, op("throw", "tag", { feature: "exception-handling" }));
single(0x09, op("rethrow", "label", { feature: "exception-handling" }));
single(0x0a, op("throw_ref", "none", { feature: "exception-handling" }));
single(0x0b, op("end", "none", { control: "end", constant: true }));
single(0x0c, op("br", "label"));
single(0x0d, op("br_if", "label"));
single(0x0e, op("br_table", "br_table"));
single(0x0f, op("return"));
single(0x10, op("call", "func"));
single(0x11, op("call_indirect", "call_indirect"));
single(0x12, op("return_call", "func", { feature: "tail-call" }));
single(0x13, op("return_call_indirect", "call_indirect", { feature: "tail-call" }));
single(0x14, op("call_ref", "type", { feature: "function-references" }));
single(0x15, op("return_call_ref", "type", { feature: "tail-call" }));
single(0x18, op("delegate", "label", { control: "delegate", feature: "exception-handling" }));
single(0x19, op("catch_all", "none", { control: "catch", feature: "exception-handling" }));
single(0x1a, op("drop", "none", POP));
single(0x1b, op("select", "none", { stack: [3, 1] }));
single(0x1c, op("select", "select_t", { feature: "reference-types" }));
single(0x1f, op("try_table", "try_table", { control: "open", feature: "exception-handling" }));
single(0x20, op("local.get", "local", PUSH));
single(0x21, op("local.set", "local", POP));
single(0x22, op("local.tee", "local", UNARY));
single(0x23, op("global.get", "global", { constant: true, ...PUSH }));
single(0x24, op("global.set", "global", POP));
single(0x25, op("table.get", "table", { feature: "reference-types" }));
single(0x26, op("table.set", "table", { feature: "reference-types" }));

const MEMORY_OPS = [
  "i32.load", "i64.load", "f32.load", "f64.load",
  "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u",
  "i64.load8_s", "i64.load8_u", "i64.load16_s", "i64.load16_u", "i64.load32_s", "i64.load32_u",
  "i32.store", "i64.store", "f32.store", "f64.store",
  "i32.store8", "i32.store16", "i64.store8", "i64.store16", "i64.store32",
];
MEMORY_OPS.forEach((name, i) => single(0x28 + i, op(name, "memarg", name.includes(".load") ? UNARY : STORE)));
single(0x3f, op("memory.size", "mem", PUSH));
single(0x40, op("memory.grow", "mem", UNARY));
single(0x41, op("i32.const", "i32", { constant: true, ...PUSH }));
single(0x42, op("i64.const", "i64", { constant: true, ...PUSH }));
single(0x43, op("f32.const", "f32", { constant: true, ...PUSH }));
single(0x44, op("f64.const", "f64", { constant: true, ...PUSH }));

// 0x45–0xbf: MVP numeric instructions without immediates, in opcode order.
const INT_CMP = ["eqz", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
const FLOAT_CMP = ["eq", "ne", "lt", "gt", "le", "ge"];
const INT_ARITH = ["clz", "ctz", "popcnt", "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"];
const FLOAT_ARITH = ["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt", "add", "sub", "mul", "div", "min", "max", "copysign"];
const CONVERSIONS = [
  "i32.wrap_i64", "i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u",
  "i64.extend_i32_s", "i64.extend_i32_u", "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
  "f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u", "f32.demote_f64",
  "f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s", "f64.convert_i64_u", "f64.promote_f32",
  "i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64",
];
const NUMERIC_OPS = [
  ...INT_CMP.map((n) => `i32.${n}`), ...INT_CMP.map((n) => `i64.${n}`),
  ...FLOAT_CMP.map((n) => `f32.${n}`), ...FLOAT_CMP.map((n) => `f64.${n}`),
  ...INT_ARITH.map((n) => `i32.${n}`), ...INT_ARITH.map((n) => `i64.${n}`),
  ...FLOAT_ARITH.map((n) => `f32.${n}`), ...FLOAT_ARITH.map((n) => `f64.${n}`),
  ...CONVERSIONS,
];
// Extended constant expressions allow integer add/sub/mul; they are post-MVP and wasm3 rejects them.
const EXTENDED_CONST = new Set(["i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"]);
// One operand: tests, bit counts, float rounding and sign, every conversion; the rest take two.
const UNARY_NUMERIC = new Set(["eqz", "clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"]);
const arity = (name: string) => (CONVERSIONS.includes(name) || UNARY_NUMERIC.has(name.slice(4)) ? UNARY : BINARY);
NUMERIC_OPS.forEach((name, i) => single(0x45 + i, op(name, "none", { ...arity(name), ...(EXTENDED_CONST.has(name) ? { constant: true } : {}) })));
["i32.extend8_s", "i32.extend16_s", "i64.extend8_s", "i64.extend16_s", "i64.extend32_s"]
  .forEach((name, i) => single(0xc0 + i, op(name, "none", { feature: "sign-extension", ...UNARY })));

single(0xd0, op("ref.null", "heaptype", { feature: "reference-types", constant: true }));
single(0xd1, op("ref.is_null", "none", { feature: "reference-types" }));
single(0xd2, op("ref.func", "func", { feature: "reference-types", constant: true }));
single(0xd3, op("ref.eq", "none", { feature: "gc" }));
single(0xd4, op("ref.as_non_null", "none", { feature: "function-references" }));
single(0xd5, op("br_on_null", "label", { feature: "function-references" }));
single(0xd6, op("br_on_non_null", "label", { feature: "function-references" }));

/** Names of the extended-constant arithmetic instructions (for constant-expression checks). */
export function isExtendedConst(name: string): boolean {
  return EXTENDED_CONST.has(name);
}

// ---- 0xfc: saturating truncation, bulk memory, table instructions ----
const MISC = new Map<number, OpInfo>();
["i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
  "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u"]
  .forEach((name, i) => MISC.set(i, op(name, "none", { feature: "nontrapping-f2i", ...UNARY })));
MISC.set(8, op("memory.init", "data_mem", { feature: "bulk-memory-segments" }));
MISC.set(9, op("data.drop", "data", { feature: "bulk-memory-segments" }));
MISC.set(10, op("memory.copy", "mem_mem", { feature: "bulk-memory", ...CONSUME3 }));
MISC.set(11, op("memory.fill", "mem", { feature: "bulk-memory", ...CONSUME3 }));
MISC.set(12, op("table.init", "elem_table", { feature: "bulk-memory-segments" }));
MISC.set(13, op("elem.drop", "elem", { feature: "bulk-memory-segments" }));
MISC.set(14, op("table.copy", "table_table", { feature: "bulk-memory-segments" }));
MISC.set(15, op("table.grow", "table", { feature: "reference-types" }));
MISC.set(16, op("table.size", "table", { feature: "reference-types" }));
MISC.set(17, op("table.fill", "table", { feature: "reference-types" }));

// ---- 0xfd: SIMD. Only the immediates matter for decoding; names are kept for the common ones. ----
const SIMD = new Map<number, OpInfo>();
const simd = (code: number, name: string, imm: Immediate = "none") => SIMD.set(code, op(name, imm, { feature: "simd" }));
["v128.load", "v128.load8x8_s", "v128.load8x8_u", "v128.load16x4_s", "v128.load16x4_u", "v128.load32x2_s",
  "v128.load32x2_u", "v128.load8_splat", "v128.load16_splat", "v128.load32_splat", "v128.load64_splat", "v128.store"]
  .forEach((name, i) => simd(i, name, "memarg"));
simd(0x0c, "v128.const", "bytes16");
simd(0x0d, "i8x16.shuffle", "bytes16");
["i8x16.extract_lane_s", "i8x16.extract_lane_u", "i8x16.replace_lane", "i16x8.extract_lane_s", "i16x8.extract_lane_u",
  "i16x8.replace_lane", "i32x4.extract_lane", "i32x4.replace_lane", "i64x2.extract_lane", "i64x2.replace_lane",
  "f32x4.extract_lane", "f32x4.replace_lane", "f64x2.extract_lane", "f64x2.replace_lane"]
  .forEach((name, i) => simd(0x15 + i, name, "lane"));
["v128.load8_lane", "v128.load16_lane", "v128.load32_lane", "v128.load64_lane",
  "v128.store8_lane", "v128.store16_lane", "v128.store32_lane", "v128.store64_lane"]
  .forEach((name, i) => simd(0x54 + i, name, "memarg_lane"));
simd(0x5c, "v128.load32_zero", "memarg");
simd(0x5d, "v128.load64_zero", "memarg");
["i8x16.swizzle", "i8x16.splat", "i16x8.splat", "i32x4.splat", "i64x2.splat", "f32x4.splat", "f64x2.splat"]
  .forEach((name, i) => simd(0x0e + i, name));
// Everything else up to 0xff, and relaxed SIMD (0x100–0x113), takes no immediates.
for (let code = 0; code <= 0x113; code++) if (!SIMD.has(code)) simd(code, `SIMD instruction 0xfd 0x${code.toString(16)}`);

// ---- 0xfe: threads and atomics ----
const ATOMIC = new Map<number, OpInfo>();
ATOMIC.set(0x00, op("memory.atomic.notify", "memarg", { feature: "threads" }));
ATOMIC.set(0x01, op("memory.atomic.wait32", "memarg", { feature: "threads" }));
ATOMIC.set(0x02, op("memory.atomic.wait64", "memarg", { feature: "threads" }));
ATOMIC.set(0x03, op("atomic.fence", "fence", { feature: "threads" }));
// 0x10–0x4e: atomic loads, stores, read-modify-write and cmpxchg, all with a memarg.
const ATOMIC_ACCESS = [
  "i32.atomic.load", "i64.atomic.load", "i32.atomic.load8_u", "i32.atomic.load16_u",
  "i64.atomic.load8_u", "i64.atomic.load16_u", "i64.atomic.load32_u",
  "i32.atomic.store", "i64.atomic.store", "i32.atomic.store8", "i32.atomic.store16",
  "i64.atomic.store8", "i64.atomic.store16", "i64.atomic.store32",
];
const RMW_WIDTHS = ["i32.atomic.rmw.", "i64.atomic.rmw.", "i32.atomic.rmw8.", "i32.atomic.rmw16.", "i64.atomic.rmw8.", "i64.atomic.rmw16.", "i64.atomic.rmw32."];
const ATOMIC_NAMES = [
  ...ATOMIC_ACCESS,
  ...["add", "sub", "and", "or", "xor", "xchg", "cmpxchg"].flatMap((rmw) => RMW_WIDTHS.map((w, i) => `${w}${rmw}${i < 2 ? "" : "_u"}`)),
];
ATOMIC_NAMES.forEach((name, i) => ATOMIC.set(0x10 + i, op(name, "memarg", { feature: "threads" })));

// ---- 0xfb: GC ----
const GC = new Map<number, OpInfo>();
const gc = (code: number, name: string, imm: Immediate) => GC.set(code, op(name, imm, { feature: "gc" }));
gc(0, "struct.new", "type"); gc(1, "struct.new_default", "type");
gc(2, "struct.get", "type_field"); gc(3, "struct.get_s", "type_field"); gc(4, "struct.get_u", "type_field"); gc(5, "struct.set", "type_field");
gc(6, "array.new", "type"); gc(7, "array.new_default", "type"); gc(8, "array.new_fixed", "type_u32");
gc(9, "array.new_data", "type_data"); gc(10, "array.new_elem", "type_elem");
gc(11, "array.get", "type"); gc(12, "array.get_s", "type"); gc(13, "array.get_u", "type"); gc(14, "array.set", "type");
gc(15, "array.len", "none"); gc(16, "array.fill", "type"); gc(17, "array.copy", "type_type");
gc(18, "array.init_data", "type_data"); gc(19, "array.init_elem", "type_elem");
gc(20, "ref.test", "heaptype"); gc(21, "ref.test null", "heaptype"); gc(22, "ref.cast", "heaptype"); gc(23, "ref.cast null", "heaptype");
gc(24, "br_on_cast", "br_on_cast"); gc(25, "br_on_cast_fail", "br_on_cast");
gc(26, "any.convert_extern", "none"); gc(27, "extern.convert_any", "none");
gc(28, "ref.i31", "none"); gc(29, "i31.get_s", "none"); gc(30, "i31.get_u", "none");

export const PREFIXED: Record<number, { group: string; ops: Map<number, OpInfo> }> = {
  0xfb: { group: "GC", ops: GC },
  0xfc: { group: "misc", ops: MISC },
  0xfd: { group: "SIMD", ops: SIMD },
  0xfe: { group: "atomic", ops: ATOMIC },
};
