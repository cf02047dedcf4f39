// Child access for binaryen expressions, kind by kind. binaryen.js has no
// generic child walker, so every kind the instrumenter accepts is listed here
// with its children in evaluation order; any other kind is refused by name,
// which is also how features wasm3 cannot run (SIMD, atomics, reference types,
// exceptions, GC, tail calls, memory.init/data.drop) are kept out of the output.

import binaryen from "binaryen";

export type Expr = binaryen.ExpressionRef;

export interface ChildSlot {
  get(): Expr;
  set(value: Expr): void;
}

type Get = (e: Expr) => Expr;
type Set = (e: Expr, v: Expr) => void;
type GetAt = (e: Expr, i: number) => Expr;
type SetAt = (e: Expr, i: number, v: Expr) => void;
type Count = (e: Expr) => number;
type Flag = (e: Expr) => boolean;

/**
 * The static accessors binaryen.js has at run time (binaryen.Block.getChildAt,
 * binaryen.Function.getLocalName, ...) but its index.d.ts does not declare;
 * only the ones used here.
 */
interface ExpressionAccessors {
  Block: { getNumChildren: Count; getChildAt: GetAt; setChildAt: SetAt };
  If: { getCondition: Get; setCondition: Set; getIfTrue: Get; setIfTrue: Set; getIfFalse: Get; setIfFalse: Set };
  Loop: { getBody: Get; setBody: Set };
  Break: { getValue: Get; setValue: Set; getCondition: Get; setCondition: Set };
  Switch: { getValue: Get; setValue: Set; getCondition: Get; setCondition: Set };
  Call: { getTarget: (e: Expr) => string; isReturn: Flag; getNumOperands: Count; getOperandAt: GetAt; setOperandAt: SetAt };
  CallIndirect: { isReturn: Flag; getNumOperands: Count; getOperandAt: GetAt; setOperandAt: SetAt; getTarget: Get; setTarget: Set };
  LocalSet: { getValue: Get; setValue: Set };
  GlobalSet: { getValue: Get; setValue: Set };
  Load: { isAtomic: Flag; getPtr: Get; setPtr: Set; getOffset: Count; getBytes: Count };
  Store: { isAtomic: Flag; getPtr: Get; setPtr: Set; getValue: Get; setValue: Set; getOffset: Count; getBytes: Count };
  Unary: { getValue: Get; setValue: Set };
  Binary: { getLeft: Get; setLeft: Set; getRight: Get; setRight: Set };
  Select: { getIfTrue: Get; setIfTrue: Set; getIfFalse: Get; setIfFalse: Set; getCondition: Get; setCondition: Set };
  Drop: { getValue: Get; setValue: Set };
  Return: { getValue: Get; setValue: Set };
  MemoryGrow: { getDelta: Get; setDelta: Set };
  MemoryCopy: { getDest: Get; setDest: Set; getSource: Get; setSource: Set; getSize: Get; setSize: Set };
  MemoryFill: { getDest: Get; setDest: Set; getValue: Get; setValue: Set; getSize: Get; setSize: Set };
  TupleMake: { getNumOperands: Count; getOperandAt: GetAt; setOperandAt: SetAt };
  TupleExtract: { getTuple: Get; setTuple: Set };
  Function: {
    getBody(f: binaryen.FunctionRef): Expr;
    setBody(f: binaryen.FunctionRef, body: Expr): void;
    hasLocalName(f: binaryen.FunctionRef, index: number): boolean;
    getLocalName(f: binaryen.FunctionRef, index: number): string;
    setLocalName(f: binaryen.FunctionRef, index: number, name: string): void;
  };
}

/**
 * What the walkers read from binaryen for every expression they visit, read once: the accessor
 * objects, the expression ids and types, and the two per-expression functions. binaryen's module
 * object has some 2,000 properties, so V8 keeps it as a dictionary: reading binaryen.BlockId costs
 * a hash lookup, and a switch over 30 kinds did up to 30 of them per expression visited (42 ns
 * against 4 ns per switch of 9 cases, measured). Small frozen objects keep fast properties.
 */
const ACCESSOR_KINDS = ["Block", "If", "Loop", "Break", "Switch", "Call", "CallIndirect", "LocalSet", "GlobalSet", "Load", "Store", "Unary", "Binary", "Select", "Drop", "Return", "MemoryGrow", "MemoryCopy", "MemoryFill", "TupleMake", "TupleExtract", "Function"] as const satisfies readonly (keyof ExpressionAccessors)[];
const binaryenByName = binaryen as unknown as Record<string, unknown>;
export const X = Object.freeze(Object.fromEntries(ACCESSOR_KINDS.map((k) => [k, binaryenByName[k]]))) as unknown as ExpressionAccessors;

/** binaryen.getExpressionId and getExpressionType (neither uses `this`). */
export const getExpressionId: (expr: Expr) => number = binaryen.getExpressionId;
export const getExpressionType: (expr: Expr) => binaryen.Type = binaryen.getExpressionType;

/** The types the walkers compare against and build with (auto: a block takes its last child's type). */
export const TYPE = Object.freeze({ none: binaryen.none, unreachable: binaryen.unreachable, auto: binaryen.auto, i32: binaryen.i32, i64: binaryen.i64, f32: binaryen.f32, f64: binaryen.f64 });

export const ID = Object.freeze({
  Binary: binaryen.BinaryId,
  Block: binaryen.BlockId,
  Break: binaryen.BreakId,
  Call: binaryen.CallId,
  CallIndirect: binaryen.CallIndirectId,
  Const: binaryen.ConstId,
  Drop: binaryen.DropId,
  GlobalGet: binaryen.GlobalGetId,
  GlobalSet: binaryen.GlobalSetId,
  If: binaryen.IfId,
  Load: binaryen.LoadId,
  LocalGet: binaryen.LocalGetId,
  LocalSet: binaryen.LocalSetId,
  Loop: binaryen.LoopId,
  MemoryCopy: binaryen.MemoryCopyId,
  MemoryFill: binaryen.MemoryFillId,
  MemoryGrow: binaryen.MemoryGrowId,
  MemorySize: binaryen.MemorySizeId,
  Nop: binaryen.NopId,
  Return: binaryen.ReturnId,
  Select: binaryen.SelectId,
  Store: binaryen.StoreId,
  Switch: binaryen.SwitchId,
  TupleExtract: binaryen.TupleExtractId,
  TupleMake: binaryen.TupleMakeId,
  Unary: binaryen.UnaryId,
  Unreachable: binaryen.UnreachableId,
});

const slot = (get: () => Expr, set: (v: Expr) => void): ChildSlot => ({ get, set });

/** Expression id → readable kind name ("Call", "SIMDShuffle", ...), for error messages. */
const kindNames = new Map<number, string>();
for (const [key, value] of Object.entries(binaryen)) {
  if (key.endsWith("Id") && typeof value === "number" && key !== "InvalidId") kindNames.set(value, key.slice(0, -2));
}

export function kindName(expr: Expr): string {
  const id = getExpressionId(expr);
  return kindNames.get(id) ?? `expression id ${id}`;
}

/** Why a kind is refused, in words a module author can act on. */
const refusedReasons: Record<string, string> = {
  MemoryInit: "memory.init (passive data segments) is not supported by wasm3 v0.5",
  DataDrop: "data.drop (passive data segments) is not supported by wasm3 v0.5",
  Pop: "exception handling is not supported by wasm3",
  Try: "exception handling is not supported by wasm3",
  Throw: "exception handling is not supported by wasm3",
  Rethrow: "exception handling is not supported by wasm3",
};

export class UnsupportedExpression extends Error {
  constructor(readonly kind: string, reason: string) {
    super(reason);
  }
}

/** Which proposal a refused kind belongs to, by its name prefix. */
const proposalByPrefix: [RegExp, string][] = [
  [/^Atomic/, "atomics (threads)"],
  [/^SIMD/, "SIMD"],
  [/^(Ref|Table|CallRef|BrOn)/, "reference types"],
  [/^(I31|Struct|Array|Rtt|String)/, "GC"],
];

function refuse(expr: Expr, detail?: string): never {
  const kind = kindName(expr);
  const proposal = proposalByPrefix.find(([re]) => re.test(kind))?.[1];
  const reason =
    detail ??
    refusedReasons[kind] ??
    (proposal
      ? `${kind} belongs to ${proposal}, which wasm3 does not run`
      : `${kind} is not an instruction the fuel instrumenter knows; refusing rather than leaving it unmetered`);
  throw new UnsupportedExpression(kind, reason);
}

/** The children of `expr` in the order wasm evaluates them; absent optional children are omitted. */
export function childSlots(expr: Expr): ChildSlot[] {
  const id = getExpressionId(expr);
  switch (id) {
    case ID.Block: {
      const n = X.Block.getNumChildren(expr);
      const out: ChildSlot[] = [];
      for (let i = 0; i < n; i++) out.push(slot(() => X.Block.getChildAt(expr, i), (v) => X.Block.setChildAt(expr, i, v)));
      return out;
    }
    case ID.If: {
      const out = [
        slot(() => X.If.getCondition(expr), (v) => X.If.setCondition(expr, v)),
        slot(() => X.If.getIfTrue(expr), (v) => X.If.setIfTrue(expr, v)),
      ];
      if (X.If.getIfFalse(expr)) out.push(slot(() => X.If.getIfFalse(expr), (v) => X.If.setIfFalse(expr, v)));
      return out;
    }
    case ID.Loop:
      return [slot(() => X.Loop.getBody(expr), (v) => X.Loop.setBody(expr, v))];
    case ID.Break: {
      const out: ChildSlot[] = [];
      if (X.Break.getValue(expr)) out.push(slot(() => X.Break.getValue(expr), (v) => X.Break.setValue(expr, v)));
      if (X.Break.getCondition(expr)) out.push(slot(() => X.Break.getCondition(expr), (v) => X.Break.setCondition(expr, v)));
      return out;
    }
    case ID.Switch: {
      const out: ChildSlot[] = [];
      if (X.Switch.getValue(expr)) out.push(slot(() => X.Switch.getValue(expr), (v) => X.Switch.setValue(expr, v)));
      out.push(slot(() => X.Switch.getCondition(expr), (v) => X.Switch.setCondition(expr, v)));
      return out;
    }
    case ID.Call: {
      if (X.Call.isReturn(expr)) refuse(expr, "return_call (tail calls) is not supported by wasm3");
      const n = X.Call.getNumOperands(expr);
      const out: ChildSlot[] = [];
      for (let i = 0; i < n; i++) out.push(slot(() => X.Call.getOperandAt(expr, i), (v) => X.Call.setOperandAt(expr, i, v)));
      return out;
    }
    case ID.CallIndirect: {
      if (X.CallIndirect.isReturn(expr)) refuse(expr, "return_call_indirect (tail calls) is not supported by wasm3");
      const n = X.CallIndirect.getNumOperands(expr);
      const out: ChildSlot[] = [];
      for (let i = 0; i < n; i++) {
        out.push(slot(() => X.CallIndirect.getOperandAt(expr, i), (v) => X.CallIndirect.setOperandAt(expr, i, v)));
      }
      // The table index is evaluated after the arguments.
      out.push(slot(() => X.CallIndirect.getTarget(expr), (v) => X.CallIndirect.setTarget(expr, v)));
      return out;
    }
    case ID.LocalGet:
    case ID.GlobalGet:
    case ID.Const:
    case ID.Nop:
    case ID.Unreachable:
    case ID.MemorySize:
      return [];
    case ID.LocalSet:
      return [slot(() => X.LocalSet.getValue(expr), (v) => X.LocalSet.setValue(expr, v))];
    case ID.GlobalSet:
      return [slot(() => X.GlobalSet.getValue(expr), (v) => X.GlobalSet.setValue(expr, v))];
    case ID.Load:
      if (X.Load.isAtomic(expr)) refuse(expr, "atomic loads (threads) are not supported by wasm3");
      return [slot(() => X.Load.getPtr(expr), (v) => X.Load.setPtr(expr, v))];
    case ID.Store:
      if (X.Store.isAtomic(expr)) refuse(expr, "atomic stores (threads) are not supported by wasm3");
      return [
        slot(() => X.Store.getPtr(expr), (v) => X.Store.setPtr(expr, v)),
        slot(() => X.Store.getValue(expr), (v) => X.Store.setValue(expr, v)),
      ];
    case ID.Unary:
      return [slot(() => X.Unary.getValue(expr), (v) => X.Unary.setValue(expr, v))];
    case ID.Binary:
      return [
        slot(() => X.Binary.getLeft(expr), (v) => X.Binary.setLeft(expr, v)),
        slot(() => X.Binary.getRight(expr), (v) => X.Binary.setRight(expr, v)),
      ];
    case ID.Select:
      return [
        slot(() => X.Select.getIfTrue(expr), (v) => X.Select.setIfTrue(expr, v)),
        slot(() => X.Select.getIfFalse(expr), (v) => X.Select.setIfFalse(expr, v)),
        slot(() => X.Select.getCondition(expr), (v) => X.Select.setCondition(expr, v)),
      ];
    case ID.Drop:
      return [slot(() => X.Drop.getValue(expr), (v) => X.Drop.setValue(expr, v))];
    case ID.Return:
      return X.Return.getValue(expr) ? [slot(() => X.Return.getValue(expr), (v) => X.Return.setValue(expr, v))] : [];
    case ID.MemoryGrow:
      return [slot(() => X.MemoryGrow.getDelta(expr), (v) => X.MemoryGrow.setDelta(expr, v))];
    case ID.MemoryCopy:
      return [
        slot(() => X.MemoryCopy.getDest(expr), (v) => X.MemoryCopy.setDest(expr, v)),
        slot(() => X.MemoryCopy.getSource(expr), (v) => X.MemoryCopy.setSource(expr, v)),
        slot(() => X.MemoryCopy.getSize(expr), (v) => X.MemoryCopy.setSize(expr, v)),
      ];
    case ID.MemoryFill:
      return [
        slot(() => X.MemoryFill.getDest(expr), (v) => X.MemoryFill.setDest(expr, v)),
        slot(() => X.MemoryFill.getValue(expr), (v) => X.MemoryFill.setValue(expr, v)),
        slot(() => X.MemoryFill.getSize(expr), (v) => X.MemoryFill.setSize(expr, v)),
      ];
    case ID.TupleMake: {
      const n = X.TupleMake.getNumOperands(expr);
      const out: ChildSlot[] = [];
      for (let i = 0; i < n; i++) out.push(slot(() => X.TupleMake.getOperandAt(expr, i), (v) => X.TupleMake.setOperandAt(expr, i, v)));
      return out;
    }
    case ID.TupleExtract:
      return [slot(() => X.TupleExtract.getTuple(expr), (v) => X.TupleExtract.setTuple(expr, v))];
    default:
      return refuse(expr);
  }
}

const plainValueTypes = new Set<binaryen.Type>([TYPE.i32, TYPE.i64, TYPE.f32, TYPE.f64]);

/** True for none, unreachable, i32/i64/f32/f64 and tuples of those: the value types wasm3 runs. */
export function isWasm3Type(type: binaryen.Type): boolean {
  if (type === TYPE.none || type === TYPE.unreachable || plainValueTypes.has(type)) return true;
  const parts = binaryen.expandType(type);
  return parts.length > 1 && parts.every((t) => plainValueTypes.has(t));
}

export function typeName(type: binaryen.Type): string {
  if (type === binaryen.v128) return "v128";
  if (type === binaryen.funcref) return "funcref";
  if (type === binaryen.externref) return "externref";
  return `type #${type}`;
}
