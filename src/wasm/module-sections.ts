// Decoders for the declaration sections (type, import, function, table,
// memory, tag, global, export, start). Each takes a ByteReader bounded to the
// section payload and appends to the module being built.

import type { ByteReader } from "./byte-reader.js";
import type { ConstValue, FeatureSink } from "./code.js";
import type { WasmFeature } from "./features.js";
import type { ExternalKind, FuncSignature, Limits, MemoryType, ParsedModule, TableType, TypeEntry } from "./module.js";
import { readRefType, readValType } from "./valtypes.js";

/** Type indices can refer forward inside a rec group, so the type section checks against this bound. */
const ANY_TYPE_INDEX = 0xffffffff;

function readFieldType(r: ByteReader): void {
  const b = r.peek();
  if (b === 0x78 || b === 0x77) r.pos++; // packed i8 / i16 storage
  else readValType(r, ANY_TYPE_INDEX);
  const mAt = r.pos;
  if (r.u8("field mutability") > 1) r.fail("field mutability must be 0 or 1", mAt);
}

function readCompositeType(r: ByteReader, note: FeatureSink, typeIndex: number): TypeEntry {
  const offset = r.pos;
  const form = r.u8("type form");
  if (form === 0x60) {
    const sig: FuncSignature = { params: [], results: [] };
    for (const list of ["params", "results"] as const) {
      const n = r.count(`type ${typeIndex} ${list}`);
      for (let i = 0; i < n; i++) {
        const at = r.pos;
        const t = readValType(r, ANY_TYPE_INDEX);
        if (t.feature) note(t.feature, at, `${t.name} in the ${list} of type ${typeIndex}`);
        sig[list].push(t.name);
      }
    }
    if (sig.results.length > 1) note("multi-value", offset, `type ${typeIndex} returns ${sig.results.length} values`);
    return { kind: "func", ...sig, offset };
  }
  if (form === 0x5f) {
    note("gc", offset, `struct type ${typeIndex}`);
    const n = r.count("struct field", 2);
    for (let i = 0; i < n; i++) readFieldType(r);
    return { kind: "struct", params: [], results: [], offset };
  }
  if (form === 0x5e) {
    note("gc", offset, `array type ${typeIndex}`);
    readFieldType(r);
    return { kind: "array", params: [], results: [], offset };
  }
  return r.fail(`unknown type form 0x${form.toString(16)} (expected 0x60 for a function type)`, offset);
}

function readSubType(r: ByteReader, note: FeatureSink, typeIndex: number): TypeEntry {
  const b = r.peek();
  if (b === 0x50 || b === 0x4f) {
    note("gc", r.pos, `subtype declaration for type ${typeIndex}`);
    r.pos++;
    const n = r.count("supertype");
    for (let i = 0; i < n; i++) r.u32("supertype index");
  }
  return readCompositeType(r, note, typeIndex);
}

export function readTypeSection(r: ByteReader, m: ParsedModule, note: FeatureSink): void {
  const n = r.count("type");
  for (let i = 0; i < n; i++) {
    if (r.peek() === 0x4e) {
      note("gc", r.pos, `recursive type group at type ${m.types.length}`);
      r.pos++;
      const k = r.count("rec group member");
      for (let j = 0; j < k; j++) m.types.push(readSubType(r, note, m.types.length));
    } else {
      m.types.push(readSubType(r, note, m.types.length));
    }
  }
  // Now that the count is known, check the forward references GC allowed above.
  for (const t of m.types) {
    for (const v of [...t.params, ...t.results]) {
      const idx = /^\(ref (?:null )?(\d+)\)$/.exec(v)?.[1];
      if (idx !== undefined && Number(idx) >= m.types.length) r.fail(`type reference ${idx} is out of range (the module has ${m.types.length} types)`, t.offset);
    }
  }
}

function funcType(r: ByteReader, m: ParsedModule, what: string): { typeIndex: number; signature: FuncSignature } {
  const at = r.pos;
  const typeIndex = r.u32(`${what} type index`);
  const t = m.types[typeIndex];
  if (!t) r.fail(`${what} uses type ${typeIndex}, but the module has ${m.types.length} types`, at);
  if (t.kind !== "func") r.fail(`${what} uses type ${typeIndex}, which is a ${t.kind} type, not a function type`, at);
  return { typeIndex, signature: { params: t.params, results: t.results } };
}

function readLimits(r: ByteReader, flags: number, is64: boolean): Limits {
  const read = (what: string) => (is64 ? r.u64(what) : r.u32(what));
  const initial = read("initial size");
  const maximum = flags & 0x01 ? read("maximum size") : null;
  if (maximum !== null && maximum < initial) r.fail(`maximum size ${maximum} is below the initial size ${initial}`);
  return { initial, maximum };
}

export function readMemoryType(r: ByteReader, imported: boolean, note: FeatureSink): MemoryType {
  const offset = r.pos;
  const flags = r.u8("memory flags");
  if (flags > 0x0f) r.fail(`unknown memory flags 0x${flags.toString(16)}`, offset);
  const shared = (flags & 0x02) !== 0;
  const memory64 = (flags & 0x04) !== 0;
  if (shared) note("threads", offset, "shared memory");
  if (memory64) note("memory64", offset, "64-bit memory");
  const limits = readLimits(r, flags, memory64);
  let pageSize = 65536;
  if (flags & 0x08) {
    const log2At = r.pos;
    const log2 = r.u32("page size");
    if (log2 > 16) r.fail(`page size 2^${log2} is larger than 64 KiB`, log2At);
    pageSize = 2 ** log2;
    note("custom-page-sizes", offset, `page size ${pageSize}`);
  }
  if (!memory64 && limits.initial > 65536) r.fail(`initial size of ${limits.initial} pages exceeds 4 GiB`, offset);
  return { ...limits, shared, memory64, pageSize, imported, offset };
}

export function readTableType(r: ByteReader, m: ParsedModule, imported: boolean, note: FeatureSink): TableType {
  const offset = r.pos;
  const element = readRefType(r, m.types.length);
  if (element.feature) note(element.feature, offset, `table of ${element.name}`);
  const flagsAt = r.pos;
  const flags = r.u8("table flags");
  if (flags !== 0 && flags !== 1 && flags !== 4 && flags !== 5) r.fail(`unknown table flags 0x${flags.toString(16)}`, flagsAt);
  if (flags & 0x04) note("memory64", offset, "64-bit table");
  return { ...readLimits(r, flags, (flags & 0x04) !== 0), element: element.name, imported, offset };
}

function readGlobalType(r: ByteReader, m: ParsedModule, note: FeatureSink, what: string): { type: string; mutable: boolean } {
  const at = r.pos;
  const t = readValType(r, m.types.length);
  if (t.feature) note(t.feature, at, `${t.name} ${what}`);
  const mAt = r.pos;
  const mut = r.u8("global mutability");
  if (mut > 1) r.fail(`global mutability must be 0 or 1, found ${mut}`, mAt);
  return { type: t.name, mutable: mut === 1 };
}

const KINDS: ExternalKind[] = ["func", "table", "memory", "global", "tag"];

function externalKind(r: ByteReader): ExternalKind {
  const at = r.pos;
  const k = r.u8("external kind");
  const kind = KINDS[k];
  if (!kind) r.fail(`unknown external kind 0x${k.toString(16)}`, at);
  return kind;
}

export function readImportSection(r: ByteReader, m: ParsedModule, note: FeatureSink): void {
  const n = r.count("import", 4);
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const module = r.name("import module name");
    const name = r.name("import name");
    const kind = externalKind(r);
    const imp: ParsedModule["imports"][number] = { index: i, module, name, kind, offset };
    switch (kind) {
      case "func": {
        const { typeIndex, signature } = funcType(r, m, `import ${i} "${module}.${name}"`);
        imp.typeIndex = typeIndex;
        imp.signature = signature;
        imp.funcIndex = m.functions.length;
        m.functions.push({ index: m.functions.length, typeIndex, signature, imported: true });
        break;
      }
      case "table": m.tables.push(readTableType(r, m, true, note)); break;
      case "memory": m.memories.push(readMemoryType(r, true, note)); break;
      case "global": {
        const g = readGlobalType(r, m, note, "global import");
        if (g.mutable) note("mutable-globals", offset, `mutable global import "${module}.${name}"`);
        m.globals.push({ index: m.globals.length, ...g, imported: true, init: null, offset });
        break;
      }
      case "tag": readTag(r, m, note, offset); break;
    }
    m.imports.push(imp);
  }
}

function readTag(r: ByteReader, m: ParsedModule, note: FeatureSink, offset: number): void {
  note("exception-handling", offset, `tag ${m.tagCount}`);
  const aAt = r.pos;
  if (r.u8("tag attribute") !== 0) r.fail("tag attribute must be 0", aAt);
  funcType(r, m, `tag ${m.tagCount}`);
  m.tagCount++;
}

export function readFunctionSection(r: ByteReader, m: ParsedModule): number {
  const n = r.count("function");
  for (let i = 0; i < n; i++) {
    const index = m.functions.length;
    const { typeIndex, signature } = funcType(r, m, `function ${index}`);
    m.functions.push({ index, typeIndex, signature, imported: false });
  }
  return n;
}

export function readTableSection(r: ByteReader, m: ParsedModule, note: FeatureSink, constExpr: (what: string) => ConstValue): void {
  const n = r.count("table", 3);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    if (r.peek() === 0x40) {
      // Table with an explicit initialiser (typed function references).
      r.pos++;
      if (r.u8("reserved byte") !== 0) r.fail("reserved byte after 0x40 must be 0", at + 1);
      note("function-references", at, "table with an initialiser expression");
      m.tables.push(readTableType(r, m, false, note));
      constExpr(`table ${m.tables.length - 1} initialiser`);
    } else {
      m.tables.push(readTableType(r, m, false, note));
    }
    if (m.tables.length > 1) note("reference-types", at, `table ${m.tables.length - 1} (more than one table)`);
  }
}

export function readMemorySection(r: ByteReader, m: ParsedModule, note: FeatureSink): void {
  const n = r.count("memory", 2);
  for (let i = 0; i < n; i++) {
    const mem = readMemoryType(r, false, note);
    m.memories.push(mem);
    if (m.memories.length > 1) note("multi-memory", mem.offset, `memory ${m.memories.length - 1} (more than one memory)`);
  }
}

export function readTagSection(r: ByteReader, m: ParsedModule, note: FeatureSink): void {
  const n = r.count("tag", 2);
  for (let i = 0; i < n; i++) readTag(r, m, note, r.pos);
}

export function readGlobalSection(r: ByteReader, m: ParsedModule, note: FeatureSink, constExpr: (what: string) => ConstValue): void {
  const n = r.count("global", 3);
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const index = m.globals.length;
    const g = readGlobalType(r, m, note, `global ${index}`);
    const init = constExpr(`global ${index} initialiser`);
    m.globals.push({ index, ...g, imported: false, init, offset });
  }
}

export function readExportSection(r: ByteReader, m: ParsedModule, note: FeatureSink): void {
  const n = r.count("export", 3);
  const seen = new Set<string>();
  const limits: Record<ExternalKind, number> = {
    func: m.functions.length, table: m.tables.length, memory: m.memories.length, global: m.globals.length, tag: m.tagCount,
  };
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const name = r.name("export name");
    if (seen.has(name)) r.fail(`duplicate export name "${name}"`, offset);
    seen.add(name);
    const kind = externalKind(r);
    const idxAt = r.pos;
    const index = r.u32("export index");
    if (index >= limits[kind]) r.fail(`export "${name}" refers to ${kind} ${index}, but the module has ${limits[kind]}`, idxAt);
    if (kind === "global" && m.globals[index]!.mutable) note("mutable-globals", offset, `mutable global export "${name}"`);
    if (kind === "tag") note("exception-handling", offset, `tag export "${name}"`);
    m.exports.push({ name, kind, index, offset });
  }
}

export function readStartSection(r: ByteReader, m: ParsedModule): void {
  const at = r.pos;
  const index = r.u32("start function index");
  const f = m.functions[index];
  if (!f) r.fail(`start function ${index} does not exist (the module has ${m.functions.length} functions)`, at);
  if (f.signature.params.length || f.signature.results.length) r.fail(`start function ${index} must take and return nothing`, at);
  m.start = index;
}

/**
 * The feature an element segment's encoding flags imply. Only flags 0 (active,
 * table 0, function indices) is MVP; wasm3 0.5 reads the other encodings'
 * first field as a table index and fails.
 */
export function elementFlagsFeature(flags: number): WasmFeature | null {
  if (flags === 0) return null;
  if (flags === 1 || flags === 5) return "bulk-memory-segments"; // passive
  return "reference-types"; // explicit table index, declarative, or expression elements
}
