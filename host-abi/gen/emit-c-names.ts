// C names and C types for the lowered ABI, shared by the C emitters. Every
// identifier the C emitters print comes from here, so a spec name that would
// collide or hit a C keyword fails generation instead of compilation.

import type { LoweredFunction, LoweredOutput, LoweredParam } from "./lower.js";
import type { RichType, Scalar } from "./types.js";

const C_KEYWORDS = new Set([
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
  "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
  "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
  "bool", "true", "false", "_Bool", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
  "_Thread_local", "asm", "NULL",
]);

export const snake = (s: string): string => s.replace(/-/g, "_");
export const upper = (s: string): string => snake(s).toUpperCase();

export const statusMacro = (name: string): string => `FWX_${upper(name)}`;
export const capMacro = (name: string): string => `FWX_CAP_${upper(name)}`;
export const handleKindMacro = (iface: string, name: string): string => `FWX_HANDLE_${upper(iface)}_${upper(name)}`;
export const handleType = (iface: string, name: string): string => `fwx_${iface}_${snake(name)}_t`;
export const enumType = (iface: string, name: string): string => `fwx_${iface}_${snake(name)}_t`;
export const enumCaseMacro = (iface: string, e: string, c: string): string => `FWX_${upper(iface)}_${upper(e)}_${upper(c)}`;
export const flagsType = (iface: string, name: string): string => `fwx_${iface}_${snake(name)}_t`;
export const flagMacro = (iface: string, f: string, flag: string): string => `FWX_${upper(iface)}_${upper(f)}_${upper(flag)}`;
export const flagsMaskMacro = (iface: string, f: string): string => `FWX_${upper(iface)}_${upper(f)}_MASK`;
export const eventMacro = (iface: string, name: string): string => `FWX_EVENT_${upper(iface)}_${upper(name)}`;
export const halName = (f: LoweredFunction): string => `fwx_hal_${f.symbol}`;
export const rawName = (f: LoweredFunction): string => `fwx_raw_${f.symbol}`;
export const importIndexMacro = (f: LoweredFunction): string => `FWX_IMPORT_${upper(f.symbol)}`;

const SCALAR_C: Record<Scalar, string> = {
  u8: "uint8_t", u16: "uint16_t", u32: "uint32_t", u64: "uint64_t",
  i8: "int8_t", i16: "int16_t", i32: "int32_t", i64: "int64_t",
  f32: "float", f64: "double",
};

/** The natural C type of a by-value rich type (never string/buffer). */
export function cValueType(t: RichType, iface: string): string {
  switch (t.kind) {
    case "scalar": return SCALAR_C[t.scalar];
    case "bool": return "bool";
    case "enum": return enumType(iface, t.name);
    case "flags": return flagsType(iface, t.name);
    case "handle": return handleType(iface, t.name);
    default: throw new Error(`emit-c: ${t.kind} has no by-value C type`);
  }
}

/** A parameter name used verbatim in a HAL prototype. */
export function cParamName(name: string, where: string): string {
  const n = snake(name);
  if (!/^[a-z][a-z0-9_]*$/.test(n) || C_KEYWORDS.has(n)) throw new Error(`emit-c: ${where}: "${name}" is not usable as a C parameter name`);
  if (n === "m") throw new Error(`emit-c: ${where}: "m" is reserved for the module context parameter`);
  return n;
}

/** The C name of the length that goes with a string/buffer (`_len`) or mut-buffer (`_cap`, its capacity). */
export function lengthName(p: LoweredParam, where: string): string {
  return `${cParamName(p.spec.name, where)}${p.marshal.kind === "mut-buffer" ? "_cap" : "_len"}`;
}

/** The HAL prototype's parameter list after the module context, e.g. "const uint8_t *tx, uint32_t tx_len". */
export function halParams(f: LoweredFunction): string[] {
  const where = `${f.module} ${f.name}`;
  const out: string[] = [];
  const seen = new Set<string>(["m"]);
  const add = (decl: string, name: string) => {
    if (seen.has(name)) throw new Error(`emit-c: ${where}: C parameter "${name}" appears twice`);
    seen.add(name);
    out.push(decl);
  };
  for (const p of f.params) {
    const n = cParamName(p.spec.name, where);
    switch (p.marshal.kind) {
      case "string": add(`const char *${n}`, n); add(`uint32_t ${n}_len`, `${n}_len`); break;
      case "buffer": add(`const uint8_t *${n}`, n); add(`uint32_t ${n}_len`, `${n}_len`); break;
      case "mut-buffer": add(`uint8_t *${n}`, n); add(`uint32_t ${n}_cap`, `${n}_cap`); break;
      default: add(`${cValueType(p.type, f.iface)} ${n}`, n);
    }
  }
  for (const o of f.outputs) {
    const n = cParamName(o.spec.name, where);
    add(`${cValueType(o.type, f.iface)} *${n}`, n);
  }
  return out;
}

export function halReturnType(f: LoweredFunction): string {
  if (f.resultKind === "status") return "fwx_status_t";
  if (f.resultKind === "never") return "void";
  return cValueType(f.resultType!, f.iface);
}

/** Text safe inside a C block comment. */
export function commentText(s: string): string {
  return s.replace(/\*\//g, "* /").replace(/\/\*/g, "/ *");
}

/** Text safe inside a C string literal (the spec's names are ASCII). */
export function cString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`emit-c: ${JSON.stringify(s)} is not printable ASCII`);
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")}"`;
}

/** Word-wraps a doc string into comment lines with a prefix. */
export function wrapComment(text: string, prefix: string, width = 96): string[] {
  const words = commentText(text).split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && prefix.length + line.length + 1 + w.length > width) {
      lines.push(prefix + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(prefix + line);
  return lines;
}

/** How an output is decoded from / encoded to its 4- or 8-byte guest slot. */
export function outputCodec(o: LoweredOutput, iface: string): { ctype: string; load: (at: string) => string; encode: (v: string) => string } {
  const ctype = cValueType(o.type, iface);
  if (o.type.kind === "bool") return { ctype, load: (at) => `fwx_load_u32(${at}) != 0u`, encode: (v) => `(${v} ? 1u : 0u)` };
  switch (o.store) {
    case "u64": return { ctype, load: (at) => `fwx_load_u64(${at})`, encode: (v) => v };
    case "i64": return { ctype, load: (at) => `fwx_i64_of(fwx_load_u64(${at}))`, encode: (v) => `(uint64_t)${v}` };
    case "f64": return { ctype, load: (at) => `fwx_f64_of(fwx_load_u64(${at}))`, encode: (v) => `fwx_f64_bits(${v})` };
    case "f32": return { ctype, load: (at) => `fwx_f32_of(fwx_load_u32(${at}))`, encode: (v) => `fwx_f32_bits(${v})` };
    case "i32": return { ctype, load: (at) => `(${ctype})fwx_i32_of(fwx_load_u32(${at}))`, encode: (v) => `(uint32_t)(int32_t)${v}` };
    case "u32":
      if (ctype === "uint32_t") return { ctype, load: (at) => `fwx_load_u32(${at})`, encode: (v) => v };
      return { ctype, load: (at) => `(${ctype})fwx_load_u32(${at})`, encode: (v) => `(uint32_t)${v}` };
  }
}

/** Every identifier a C emitter defines at file scope, checked for collisions. */
export function assertUniqueIdentifiers(idents: Iterable<string>, file: string): void {
  const seen = new Set<string>();
  for (const id of idents) {
    if (seen.has(id)) throw new Error(`emit-c: ${file}: identifier ${id} would be defined twice`);
    seen.add(id);
  }
}

/** A block comment: one line when it fits, otherwise wrapped lines under "/*". */
export function blockComment(text: string, indent = "", width = 96): string[] {
  const one = `${indent}/* ${commentText(text).replace(/\s+/g, " ").trim()} */`;
  if (one.length <= width) return [one];
  return [`${indent}/*`, ...wrapComment(text, `${indent} * `, width), `${indent} */`];
}

/**
 * The opening of a generated C header: include guard, the standard headers
 * it uses, the project headers it needs, and `extern "C"` for C++ includers.
 * cHeaderClose ends it.
 */
export function cHeaderOpen(guard: string, system: readonly string[], local: readonly string[] = []): string[] {
  return [
    `#ifndef ${guard}`, `#define ${guard}`, "",
    ...system.map((h) => `#include <${h}>`), "",
    ...(local.length ? [...local.map((h) => `#include "${h}"`), ""] : []),
    "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
  ];
}

export function cHeaderClose(guard: string): string[] {
  return ["#ifdef __cplusplus", "}", "#endif", "", `#endif /* ${guard} */`, ""];
}
