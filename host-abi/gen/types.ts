// Parsing of the rich type expressions used in spec files.

export type WasmType = "i32" | "i64" | "f32" | "f64";

export type Scalar = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64";

export type RichType =
  | { kind: "scalar"; scalar: Scalar }
  | { kind: "bool" }
  | { kind: "enum"; name: string }
  | { kind: "flags"; name: string }
  | { kind: "handle"; name: string }
  | { kind: "string" }
  | { kind: "buffer" }
  | { kind: "mut-buffer" };

const SCALARS: readonly Scalar[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64"];

/** Parses a TypeExpr; returns an error message instead of throwing. */
export function parseType(expr: string): RichType | string {
  if ((SCALARS as readonly string[]).includes(expr)) return { kind: "scalar", scalar: expr as Scalar };
  if (expr === "bool") return { kind: "bool" };
  if (expr === "string" || expr === "buffer" || expr === "mut-buffer") return { kind: expr };
  const m = /^(enum|flags|handle)<([a-z][a-z0-9-]*)>$/.exec(expr);
  if (m) return { kind: m[1] as "enum" | "flags" | "handle", name: m[2]! };
  return `unknown type "${expr}" (expected a scalar, bool, string, buffer, mut-buffer, enum<NAME>, flags<NAME> or handle<NAME>)`;
}

export function typeToString(t: RichType): string {
  switch (t.kind) {
    case "scalar": return t.scalar;
    case "enum": case "flags": case "handle": return `${t.kind}<${t.name}>`;
    default: return t.kind;
  }
}

/** The single wasm value type of a type that lowers to one value. */
export function wasmTypeOf(t: RichType): WasmType | null {
  switch (t.kind) {
    case "scalar":
      if (t.scalar === "u64" || t.scalar === "i64") return "i64";
      if (t.scalar === "f32" || t.scalar === "f64") return t.scalar;
      return "i32";
    case "bool": case "enum": case "flags": case "handle": return "i32";
    default: return null;
  }
}

/** One char per wasm value type, as wasm3 signatures and the C import tables spell them. */
export const WASM_TYPE_CHAR: Readonly<Record<WasmType, string>> = { i32: "i", i64: "I", f32: "f", f64: "F" };

/** Inclusive range a narrow integer must be in, checked by the host. */
export function integerRange(s: Scalar): [number, number] | null {
  switch (s) {
    case "u8": return [0, 0xff];
    case "u16": return [0, 0xffff];
    case "i8": return [-0x80, 0x7f];
    case "i16": return [-0x8000, 0x7fff];
    default: return null;
  }
}

/**
 * Whether the host checks a parameter's value and answers a bad one with
 * `invalid-arg`: narrow integers (range), bool (0 or 1), enums (declared
 * values), flags (declared bits) and strings (UTF-8). Handles and memory
 * ranges are checked too, but a violation traps instead.
 */
export function isValueChecked(t: RichType): boolean {
  switch (t.kind) {
    case "scalar": return integerRange(t.scalar) !== null;
    case "bool": case "enum": case "flags": case "string": return true;
    default: return false;
  }
}
