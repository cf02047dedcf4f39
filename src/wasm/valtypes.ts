// Value, reference and heap types, decoded in full (including GC and typed
// references) so a module using them is reported at the exact type, rather
// than failing as an unreadable byte.

import type { ByteReader } from "./byte-reader.js";
import type { WasmFeature } from "./features.js";

export interface DecodedType {
  /** Text form: "i32", "v128", "funcref", "(ref null 3)", "anyref", … */
  name: string;
  /** The post-MVP feature a value of this type needs, if any. */
  feature: WasmFeature | null;
}

const NUMERIC: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };

// Abstract heap types, by their one-byte (negative s33) encoding.
const HEAP: Record<number, { name: string; feature: WasmFeature }> = {
  0x70: { name: "func", feature: "reference-types" },
  0x6f: { name: "extern", feature: "reference-types" },
  0x73: { name: "nofunc", feature: "gc" },
  0x72: { name: "noextern", feature: "gc" },
  0x71: { name: "none", feature: "gc" },
  0x6e: { name: "any", feature: "gc" },
  0x6d: { name: "eq", feature: "gc" },
  0x6c: { name: "i31", feature: "gc" },
  0x6b: { name: "struct", feature: "gc" },
  0x6a: { name: "array", feature: "gc" },
  0x69: { name: "exn", feature: "exception-handling" },
  0x74: { name: "noexn", feature: "exception-handling" },
};

export function isNumeric(name: string): boolean {
  return name === "i32" || name === "i64" || name === "f32" || name === "f64";
}

/** Whether `b` can start a value type (used to tell block types from type indices). */
export function startsValType(b: number): boolean {
  return b in NUMERIC || b === 0x7b || b in HEAP || b === 0x63 || b === 0x64;
}

/** A heap type: an abstract one (one byte) or a type index (non-negative s33). */
export function readHeapType(r: ByteReader, typeCount: number): DecodedType {
  const b = r.peek();
  if (b !== undefined && b in HEAP) {
    r.pos++;
    const h = HEAP[b]!;
    return { name: h.name, feature: h.feature };
  }
  const at = r.pos;
  const idx = r.signed(33, "heap type");
  if (idx < 0) r.fail(`unknown heap type 0x${(b ?? 0).toString(16)}`, at);
  if (idx >= typeCount) r.fail(`heap type refers to type ${idx}, but the module has ${typeCount} types`, at);
  return { name: String(idx), feature: "function-references" };
}

export function readValType(r: ByteReader, typeCount: number): DecodedType {
  const at = r.pos;
  const b = r.u8("value type");
  const num = NUMERIC[b];
  if (num) return { name: num, feature: null };
  if (b === 0x7b) return { name: "v128", feature: "simd" };
  const heap = HEAP[b];
  if (heap) return { name: `${heap.name}ref`, feature: heap.feature };
  if (b === 0x63 || b === 0x64) {
    const ht = readHeapType(r, typeCount);
    const feature = ht.feature === "reference-types" ? "function-references" : ht.feature;
    return { name: `(ref ${b === 0x63 ? "null " : ""}${ht.name})`, feature };
  }
  return r.fail(`unknown value type 0x${b.toString(16)}`, at);
}

/** Table element type. funcref is MVP here; everything else is not. */
export function readRefType(r: ByteReader, typeCount: number): DecodedType {
  const at = r.pos;
  const t = readValType(r, typeCount);
  if (t.name === "funcref") return { name: t.name, feature: null };
  if (t.feature === null || t.name === "v128") r.fail(`${t.name} is not a reference type`, at);
  return t;
}
