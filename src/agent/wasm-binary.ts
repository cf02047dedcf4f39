// The few facts the agent needs straight from a module's bytes: its function
// imports with signatures (for the link report), function names (for crash
// reports) and its memory declaration (to cap it). Full validation is the
// validator's job; this reads only what linking and sandboxing depend on.

import { ByteReader, WasmParseError } from "../wasm/byte-reader.js";

export interface SectionSpan {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Payload range. */
  payloadStart: number;
  end: number;
  /** Custom sections only. */
  name?: string;
}

export interface Limits { min: number; max: number | null }

export type ImportDesc =
  | { kind: "func"; typeIndex: number; signature: string }
  | { kind: "memory"; limits: Limits }
  | { kind: "table" | "global" };

export interface ImportEntry { module: string; name: string; desc: ImportDesc; offset: number }

const VALTYPE: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };

export function readSections(bytes: Uint8Array): SectionSpan[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmParseError("not a WebAssembly module (missing \\0asm magic)", 0);
  }
  const r = new ByteReader(bytes, 8, bytes.length, "module");
  const out: SectionSpan[] = [];
  while (!r.atEnd()) {
    const start = r.pos;
    const id = r.u8("section id");
    const size = r.u32("section size");
    const payloadStart = r.pos;
    r.skip(size, `section ${id}`);
    const span: SectionSpan = { id, start, payloadStart, end: r.pos };
    if (id === 0) span.name = new ByteReader(bytes, payloadStart, r.pos, "custom section").name("custom section name");
    out.push(span);
  }
  return out;
}

function readLimits(r: ByteReader): Limits {
  const at = r.pos;
  const flags = r.u8("limits flags");
  if (flags === 0x00) return { min: r.u32("limits min"), max: null };
  if (flags === 0x01) return { min: r.u32("limits min"), max: r.u32("limits max") };
  return r.fail(`limits flags 0x${flags.toString(16)} (shared or 64-bit memory) are not supported by the agent`, at);
}

export function signatureString(params: readonly string[], results: readonly string[]): string {
  const res = results.length === 0 ? "()" : results.length === 1 ? results[0]! : `(${results.join(", ")})`;
  return `(${params.join(", ")}) -> ${res}`;
}

function readTypes(bytes: Uint8Array, s: SectionSpan): string[] {
  const r = new ByteReader(bytes, s.payloadStart, s.end, "type section");
  const n = r.u32("type count");
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const form = r.u8("type form");
    if (form !== 0x60) {
      out.push(`(non-function type 0x${form.toString(16)})`);
      // Non-function types (GC proposal) cannot be skipped without decoding them; stop here.
      break;
    }
    const vals = () => {
      const k = r.u32("value count");
      return Array.from({ length: k }, () => {
        const b = r.u8("value type");
        return VALTYPE[b] ?? `0x${b.toString(16)}`;
      });
    };
    const params = vals();
    out.push(signatureString(params, vals()));
  }
  return out;
}

export interface ModuleFacts {
  sections: SectionSpan[];
  imports: ImportEntry[];
  /** Function import count: defined functions are numbered after them. */
  funcImports: number;
  /** The module's own memory declaration (memory section), if any. */
  definedMemory: Limits | null;
  functionNames: Map<number, string>;
}

export function readModuleFacts(bytes: Uint8Array): ModuleFacts {
  const sections = readSections(bytes);
  const typeSec = sections.find((s) => s.id === 1);
  const types = typeSec ? readTypes(bytes, typeSec) : [];
  const imports: ImportEntry[] = [];
  const importSec = sections.find((s) => s.id === 2);
  if (importSec) {
    const r = new ByteReader(bytes, importSec.payloadStart, importSec.end, "import section");
    const n = r.u32("import count");
    for (let i = 0; i < n; i++) {
      const offset = r.pos;
      const module = r.name("import module");
      const name = r.name("import name");
      const kind = r.u8("import kind");
      let desc: ImportDesc;
      if (kind === 0x00) {
        const typeIndex = r.u32("type index");
        desc = { kind: "func", typeIndex, signature: types[typeIndex] ?? `(type ${typeIndex} missing)` };
      } else if (kind === 0x01) {
        r.u8("table element type");
        readLimits(r);
        desc = { kind: "table" };
      } else if (kind === 0x02) {
        desc = { kind: "memory", limits: readLimits(r) };
      } else if (kind === 0x03) {
        r.u8("global type");
        r.u8("global mutability");
        desc = { kind: "global" };
      } else {
        return r.fail(`import kind 0x${kind.toString(16)} is not supported`, offset);
      }
      imports.push({ module, name, desc, offset });
    }
  }
  let definedMemory: Limits | null = null;
  const memSec = sections.find((s) => s.id === 5);
  if (memSec) {
    const r = new ByteReader(bytes, memSec.payloadStart, memSec.end, "memory section");
    const n = r.u32("memory count");
    if (n > 1) r.fail(`${n} memories declared; the agent runs single-memory modules only`, memSec.payloadStart);
    if (n === 1) definedMemory = readLimits(r);
  }
  return {
    sections,
    imports,
    funcImports: imports.filter((i) => i.desc.kind === "func").length,
    definedMemory,
    functionNames: readFunctionNames(bytes, sections),
  };
}

/** Function names from the `name` section (subsection 1). A malformed name section yields no names rather than an error: it is debug info. */
export function readFunctionNames(bytes: Uint8Array, sections = readSections(bytes)): Map<number, string> {
  const names = new Map<number, string>();
  const sec = sections.find((s) => s.id === 0 && s.name === "name");
  if (!sec) return names;
  try {
    const r = new ByteReader(bytes, sec.payloadStart, sec.end, "name section");
    r.name("section name");
    while (!r.atEnd()) {
      const sub = r.u8("subsection id");
      const size = r.u32("subsection size");
      const end = r.pos + size;
      if (sub === 1) {
        const n = r.u32("name count");
        for (let i = 0; i < n; i++) names.set(r.u32("function index"), r.name("function name"));
      }
      r.pos = end;
    }
  } catch (e) {
    if (!(e instanceof WasmParseError)) throw e;
  }
  return names;
}
