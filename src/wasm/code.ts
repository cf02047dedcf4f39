// Instruction decoding for function bodies and constant expressions. It checks
// structure (immediates, index bounds, block nesting, the final `end`) and
// reports every post-MVP feature at the offset of the instruction that uses
// it. Operand-stack typing is left to the engine: a module that passes here is
// additionally compiled by V8 in the validator. The operand-stack height and
// block nesting a body needs are measured on the same walk (code-shape.ts).

import type { ByteReader } from "./byte-reader.js";
import type { Arity, ShapeTracker } from "./code-shape.js";
import type { WasmFeature } from "./features.js";
import { PREFIXED, SINGLE, isExtendedConst, type Control, type OpInfo } from "./opcodes.js";
import { readHeapType, readValType, startsValType } from "./valtypes.js";

/** Index spaces an instruction's immediates are checked against. */
export interface CodeContext {
  /** The module's types so far, shared rather than copied so building a context costs nothing. */
  types: readonly { kind: "func" | "struct" | "array"; params: readonly string[]; results: readonly string[] }[];
  /** Every function, imports first (shared like `types`): a call's arity. */
  functions: readonly { signature: { params: readonly string[]; results: readonly string[] } }[];
  funcCount: number;
  tableCount: number;
  memoryCount: number;
  globalCount: number;
  tagCount: number;
  elemCount: number;
  /** From the DataCount section; null when absent (memory.init and data.drop then cannot be used). */
  dataCount: number | null;
}

export type FeatureSink = (feature: WasmFeature, offset: number, detail: string) => void;

export interface ConstValue {
  kind: "i32" | "i64" | "f32" | "f64" | "global" | "ref" | "expr";
  /** i32/i64 value (i64 rounded to a double), global index or function index. */
  value: number;
}

// Control frame kinds on the decoder's stack.
const FRAME_FUNC = 0, FRAME_BLOCK = 1, FRAME_IF = 2, FRAME_TRY = 3;

function index(r: ByteReader, limit: number, space: string): number {
  const at = r.pos;
  const i = r.u32(`${space} index`);
  if (i >= limit) r.fail(`${space} index ${i} is out of range (the module has ${limit})`, at);
  return i;
}

function typeIndex(r: ByteReader, ctx: CodeContext): number {
  return index(r, ctx.types.length, "type");
}

function memoryIndex(r: ByteReader, ctx: CodeContext, name: string, note: FeatureSink, at: number): void {
  const m = index(r, Math.max(ctx.memoryCount, 1), "memory");
  if (ctx.memoryCount === 0) r.fail(`${name} needs a linear memory, but the module has none`, at);
  if (m !== 0) note("multi-memory", at, `${name} on memory ${m}`);
}

function memarg(r: ByteReader, ctx: CodeContext, name: string, note: FeatureSink, at: number): void {
  const align = r.u32("alignment");
  if (align & 0x40) {
    const m = r.u32("memory index");
    if (m !== 0) note("multi-memory", at, `${name} on memory ${m}`);
    if (m >= ctx.memoryCount) r.fail(`${name} uses memory ${m}, but the module has ${ctx.memoryCount}`, at);
  } else if (ctx.memoryCount === 0) {
    r.fail(`${name} needs a linear memory, but the module has none`, at);
  }
  if ((align & ~0x40) >= 32) r.fail(`${name} alignment 2^${align & ~0x40} is not valid`, at);
  r.u64("memory offset");
}

const EMPTY: Arity = { params: 0, results: 0 };
const ONE_RESULT: Arity = { params: 0, results: 1 };

/** Reads a block type; returns the values the block takes and gives. */
function blockType(r: ByteReader, ctx: CodeContext, note: FeatureSink, at: number, name: string): Arity {
  const b = r.peek();
  if (b === 0x40) { r.pos++; return EMPTY; }
  if (b !== undefined && startsValType(b)) {
    const t = readValType(r, ctx.types.length);
    if (t.feature) note(t.feature, at, `${name} with ${t.name} result`);
    return ONE_RESULT;
  }
  const tAt = r.pos;
  const idx = r.signed(33, "block type");
  if (idx < 0 || idx >= ctx.types.length) r.fail(`block type ${idx} is not a type index of this module`, tAt);
  if (ctx.types[idx]!.kind !== "func") r.fail(`block type ${idx} is not a function type`, tAt);
  note("multi-value", at, `${name} with type-index block type`);
  const t = ctx.types[idx]!;
  return { params: t.params.length, results: t.results.length };
}

const arity = (t: { params: readonly unknown[]; results: readonly unknown[] }): Arity => ({ params: t.params.length, results: t.results.length });

/** What the shape tracker needs of an instruction's immediates; overwritten per instruction. */
interface ShapeImmediates { block: Arity; label: number; callee: Arity }

/**
 * Decodes instructions from r.pos up to and including the `end` that closes the
 * outermost frame. `localCount` bounds local indices. In constant mode only
 * constant instructions are accepted and the value of a single-instruction
 * expression is returned. A body's `shape` tracker, if given, sees every instruction.
 */
export function decodeInstructions(
  r: ByteReader, ctx: CodeContext, localCount: number, mode: "body" | "const", note: FeatureSink, shape?: Pick<ShapeTracker, "step">,
): ConstValue {
  const frames: number[] = [FRAME_FUNC];
  const imm: ShapeImmediates = { block: EMPTY, label: 0, callee: EMPTY };
  let instructions = 0;
  let first: ConstValue = { kind: "expr", value: 0 };
  for (;;) {
    const at = r.pos;
    const code = r.u8(mode === "const" ? "constant expression" : "instruction");
    let info: OpInfo | undefined;
    if (code in PREFIXED) {
      const group = PREFIXED[code]!;
      const sub = r.u32(`${group.group} opcode`);
      info = group.ops.get(sub);
      if (!info) r.fail(`unknown opcode 0x${code.toString(16)} 0x${sub.toString(16)} (${group.group} group)`, at);
    } else {
      info = SINGLE[code];
      if (!info) r.fail(`unknown opcode 0x${code.toString(16)}`, at);
    }
    instructions++;
    if (mode === "const" && !info.constant && code !== 0xfb) {
      r.fail(`${info.name} is not allowed in a constant expression`, at);
    }
    // GC allocation instructions are constant too; they are reported as GC through info.feature.
    if (mode === "const" && isExtendedConst(info.name)) note("extended-const", at, `${info.name} in a constant expression`);
    if (info.feature) note(info.feature, at, info.name);

    const value = immediates(r, ctx, info, localCount, frames.length, note, at, imm);
    if (instructions === 1) first = value;
    shape?.step(info, at, imm);

    if (info.control) {
      if (controlStep(r, frames, info.control, info.name, at)) {
        return instructions === 2 ? first : { kind: "expr", value: 0 };
      }
    }
  }
}

/** Applies a control instruction to the frame stack; true when the outermost frame closed. */
function controlStep(r: ByteReader, frames: number[], control: Control, name: string, at: number): boolean {
  const top = frames[frames.length - 1]!;
  switch (control) {
    case "open":
      frames.push(name === "if" ? FRAME_IF : name === "try" ? FRAME_TRY : FRAME_BLOCK);
      return false;
    case "else":
      if (top !== FRAME_IF) r.fail("else outside an if block", at);
      frames[frames.length - 1] = FRAME_BLOCK; // a second else is then an error
      return false;
    case "catch":
      if (top !== FRAME_TRY) r.fail(`${name} outside a try block`, at);
      return false;
    case "end":
    case "delegate":
      if (control === "delegate" && top !== FRAME_TRY) r.fail("delegate outside a try block", at);
      frames.pop();
      return frames.length === 0;
  }
}

function immediates(
  r: ByteReader, ctx: CodeContext, info: OpInfo, localCount: number, depth: number, note: FeatureSink, at: number, imm: ShapeImmediates,
): ConstValue {
  const label = () => {
    const lAt = r.pos;
    const l = r.u32("label");
    // `delegate` may name one past the innermost frames: that delegates to the caller.
    if (l >= depth) r.fail(`${info.name} targets label ${l}, but only ${depth} blocks are open`, lAt);
    return l;
  };
  switch (info.imm) {
    case "none": return { kind: "expr", value: 0 };
    case "blocktype": imm.block = blockType(r, ctx, note, at, info.name); break;
    case "label": imm.label = label(); break;
    case "br_table": {
      const n = r.count("br_table target");
      for (let i = 0; i <= n; i++) label();
      break;
    }
    case "func": {
      const f = index(r, ctx.funcCount, "function");
      imm.callee = arity(ctx.functions[f]!.signature);
      return { kind: "ref", value: f };
    }
    case "call_indirect": {
      const t = typeIndex(r, ctx);
      if (ctx.types[t]!.kind !== "func") r.fail(`${info.name} type ${t} is not a function type`, at);
      imm.callee = arity(ctx.types[t]!);
      const tableAt = r.pos;
      const table = r.u32("table index");
      if (table >= ctx.tableCount) r.fail(`${info.name} uses table ${table}, but the module has ${ctx.tableCount}`, tableAt);
      if (table !== 0) note("reference-types", at, `${info.name} through table ${table}`);
      break;
    }
    case "type": typeIndex(r, ctx); break;
    case "local": index(r, localCount, "local"); break;
    case "global": return { kind: "global", value: index(r, ctx.globalCount, "global") };
    case "table": index(r, ctx.tableCount, "table"); break;
    case "tag": index(r, ctx.tagCount, "tag"); break;
    case "memarg": memarg(r, ctx, info.name, note, at); break;
    case "mem": memoryIndex(r, ctx, info.name, note, at); break;
    case "mem_mem": memoryIndex(r, ctx, info.name, note, at); memoryIndex(r, ctx, info.name, note, at); break;
    case "data_mem":
      if (ctx.dataCount === null) r.fail(`${info.name} requires a DataCount section`, at);
      index(r, ctx.dataCount, "data segment");
      memoryIndex(r, ctx, info.name, note, at);
      break;
    case "data":
      if (ctx.dataCount === null) r.fail(`${info.name} requires a DataCount section`, at);
      index(r, ctx.dataCount, "data segment");
      break;
    case "elem_table": index(r, ctx.elemCount, "element segment"); index(r, ctx.tableCount, "table"); break;
    case "elem": index(r, ctx.elemCount, "element segment"); break;
    case "table_table": index(r, ctx.tableCount, "table"); index(r, ctx.tableCount, "table"); break;
    case "i32": return { kind: "i32", value: r.signed(32, "i32 constant") };
    case "i64": return { kind: "i64", value: r.signed(64, "i64 constant") };
    case "f32": r.skip(4, "f32 constant"); return { kind: "f32", value: 0 };
    case "f64": r.skip(8, "f64 constant"); return { kind: "f64", value: 0 };
    case "heaptype": {
      const h = readHeapType(r, ctx.types.length);
      if (h.feature && h.feature !== info.feature) note(h.feature, at, `${info.name} ${h.name}`);
      return { kind: "ref", value: -1 };
    }
    case "select_t": {
      const n = r.count("select type");
      if (n !== 1) r.fail(`typed select must have exactly one type, found ${n}`, at);
      const t = readValType(r, ctx.types.length);
      if (t.feature && t.feature !== "reference-types") note(t.feature, at, `select of ${t.name}`);
      break;
    }
    case "try_table": {
      blockType(r, ctx, note, at, info.name);
      const n = r.count("try_table catch clause", 2);
      for (let i = 0; i < n; i++) {
        const kindAt = r.pos;
        const kind = r.u8("catch kind");
        if (kind > 3) r.fail(`unknown catch kind ${kind}`, kindAt);
        if (kind < 2) index(r, ctx.tagCount, "tag");
        // Labels of try_table catches are relative to the enclosing frames.
        label();
      }
      break;
    }
    case "lane": r.u8("lane index"); break;
    case "memarg_lane": memarg(r, ctx, info.name, note, at); r.u8("lane index"); break;
    case "bytes16": r.skip(16, `${info.name} immediate`); break;
    case "fence": {
      const fAt = r.pos;
      if (r.u8("atomic.fence flags") !== 0) r.fail("atomic.fence flags must be 0", fAt);
      break;
    }
    case "type_field": typeIndex(r, ctx); r.u32("field index"); break;
    case "type_type": typeIndex(r, ctx); typeIndex(r, ctx); break;
    case "type_u32": typeIndex(r, ctx); r.u32("array length"); break;
    case "type_data":
      typeIndex(r, ctx);
      if (ctx.dataCount === null) r.fail(`${info.name} requires a DataCount section`, at);
      index(r, ctx.dataCount, "data segment");
      break;
    case "type_elem": typeIndex(r, ctx); index(r, ctx.elemCount, "element segment"); break;
    case "br_on_cast": {
      const fAt = r.pos;
      if (r.u8("br_on_cast flags") > 3) r.fail("br_on_cast flags must be 0–3", fAt);
      label();
      readHeapType(r, ctx.types.length);
      readHeapType(r, ctx.types.length);
      break;
    }
  }
  return { kind: "expr", value: 0 };
}
