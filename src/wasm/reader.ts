// parseModule: a complete, defensive decoder of a core wasm module. It reads
// every section and every function body, and records each post-MVP feature at
// the byte where it is used, so the validator can say exactly what wasm3
// cannot run. Malformed input (truncation, bad LEB128, sizes past the end,
// impossible counts, misordered sections) throws WasmParseError with the
// offset; nothing here allocates in proportion to an unchecked count.

import { ByteReader, WasmParseError } from "./byte-reader.js";
import { decodeInstructions, type CodeContext, type ConstValue, type FeatureSink } from "./code.js";
import { ShapeTracker, type ShapeBounds } from "./code-shape.js";
import type { FeatureUse, WasmFeature } from "./features.js";
import type { ParsedModule } from "./module.js";
import {
  elementFlagsFeature, readExportSection, readFunctionSection, readGlobalSection, readImportSection,
  readMemorySection, readStartSection, readTableSection, readTagSection, readTypeSection,
} from "./module-sections.js";
import { SECTION, walkSections, type SectionInfo } from "./sections.js";
import { isNumeric, readRefType, readValType } from "./valtypes.js";

export { WasmParseError } from "./byte-reader.js";
export { appendCustomSection } from "./sections.js";
export type * from "./module.js";
export { formatSignature } from "./module.js";

/** wasm engines refuse more locals than this; it also bounds the decoder's work. */
const MAX_LOCALS = 50_000;

class FeatureLog {
  readonly uses: FeatureUse[] = [];
  private readonly seen = new Set<string>();

  /** Keeps the first use of each feature per function, or per section outside function bodies. */
  sink(scope: string, funcIndex?: number): FeatureSink {
    return (feature: WasmFeature, offset: number, detail: string) => {
      const key = `${feature}\0${scope}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
      this.uses.push(funcIndex === undefined ? { feature, offset, detail } : { feature, offset, detail, funcIndex });
    };
  }
}

function emptyModule(size: number, sections: SectionInfo[]): ParsedModule {
  return {
    size, sections, types: [], imports: [], functions: [], tables: [], memories: [], globals: [], tagCount: 0,
    exports: [], start: null, elementCount: 0, elementEntryCount: 0, dataCount: null, data: [], customSections: [],
    functionNames: new Map(), globalNames: new Map(), features: [], warnings: [],
  };
}

function codeContext(m: ParsedModule, elementCount: number): CodeContext {
  return {
    types: m.types,
    functions: m.functions,
    funcCount: m.functions.length,
    tableCount: m.tables.length,
    memoryCount: m.memories.length,
    globalCount: m.globals.length,
    tagCount: m.tagCount,
    elemCount: elementCount,
    dataCount: m.dataCount,
  };
}

export interface ParseOptions {
  /**
   * false: read function bodies' sizes, locals and offsets but not their
   * instructions (no feature uses from code). For callers that need only the
   * module's structure and have the module fully checked elsewhere (the
   * device agent, which runs the validator too).
   */
  decodeCode?: boolean;
  /**
   * Operand-stack and nesting bounds: each body's `shape` then also says
   * where it first goes past them (the validator passes its limits).
   */
  shapeBounds?: ShapeBounds;
}

export function parseModule(bytes: Uint8Array, options: ParseOptions = {}): ParsedModule {
  const sections = walkSections(bytes);
  const m = emptyModule(bytes.length, sections);
  const log = new FeatureLog();
  let declaredFunctions: number | null = null;
  let sawCode = false;
  // Element segments are counted before the code section so that table.init
  // and elem.drop can be bounds-checked; the count is known once its section is read.
  let elementCount = 0;

  for (const s of sections) {
    const label = s.id === SECTION.custom ? `the "${s.name}" custom section` : `the ${s.name} section`;
    const r = new ByteReader(bytes, s.payloadOffset, s.end, label);
    const note = log.sink(`section ${s.id}`);
    const constExpr = (what: string, kinds: "any" | "offset" = "any"): ConstValue => {
      const at = r.pos;
      const v = decodeInstructions(r, codeContext(m, elementCount), 0, "const", note);
      if (kinds === "offset" && v.kind !== "i32" && v.kind !== "global" && v.kind !== "i64" && v.kind !== "expr") {
        r.fail(`${what} must be an integer constant`, at);
      }
      return v;
    };
    switch (s.id) {
      case SECTION.custom: readCustom(bytes, s, m); continue;
      case SECTION.type: readTypeSection(r, m, note); break;
      case SECTION.import: readImportSection(r, m, note); break;
      case SECTION.function: declaredFunctions = readFunctionSection(r, m); break;
      case SECTION.table: readTableSection(r, m, note, constExpr); break;
      case SECTION.memory: readMemorySection(r, m, note); break;
      case SECTION.tag: readTagSection(r, m, note); break;
      case SECTION.global: readGlobalSection(r, m, note, constExpr); break;
      case SECTION.export: readExportSection(r, m, note); break;
      case SECTION.start: readStartSection(r, m); break;
      case SECTION.element: elementCount = readElementSection(r, m, note, (w) => constExpr(w, "offset")); break;
      case SECTION.dataCount: m.dataCount = r.u32("data count"); break;
      case SECTION.code: readCodeSection(r, m, log, declaredFunctions ?? 0, codeContext(m, elementCount), options); sawCode = true; break;
      case SECTION.data: readDataSection(r, m, note, (w) => constExpr(w, "offset")); break;
    }
    if (!r.atEnd()) r.fail(`${r.remaining} unexpected bytes at the end of ${label}`);
  }
  m.elementCount = elementCount;
  if (!sawCode && (declaredFunctions ?? 0) > 0) {
    throw new WasmParseError(`the function section declares ${declaredFunctions} functions but there is no code section`, bytes.length);
  }
  if (m.dataCount !== null && m.dataCount !== m.data.length) {
    const ds = sections.find((s) => s.id === SECTION.dataCount)!;
    throw new WasmParseError(`the data count section says ${m.dataCount} segments, the data section has ${m.data.length}`, ds.payloadOffset);
  }
  m.features = log.uses;
  return m;
}

function readElementSection(r: ByteReader, m: ParsedModule, note: FeatureSink, offsetExpr: (what: string) => ConstValue): number {
  const n = r.count("element segment", 2);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const flags = r.u32("element segment flags");
    if (flags > 7) r.fail(`unknown element segment flags ${flags}`, at);
    const feature = elementFlagsFeature(flags);
    if (feature) note(feature, at, `element segment ${i} encoding ${flags}`);
    const active = (flags & 0x01) === 0;
    const explicitTable = (flags & 0x02) !== 0;
    const expressions = (flags & 0x04) !== 0;
    if (active) {
      const tableAt = r.pos;
      const table = explicitTable ? r.u32("table index") : 0;
      if (table >= m.tables.length) r.fail(`element segment ${i} targets table ${table}, but the module has ${m.tables.length}`, tableAt);
      offsetExpr(`element segment ${i} offset`);
    }
    if (!active || explicitTable) {
      // elemkind (0x00 = funcref) for index lists, a reference type for expression lists.
      if (expressions) readRefType(r, m.types.length);
      else if (r.u8("element kind") !== 0) r.fail(`element segment ${i} has an unknown element kind`, r.pos - 1);
    }
    const count = r.count(`element segment ${i} entry`);
    m.elementEntryCount += count;
    for (let j = 0; j < count; j++) {
      if (expressions) {
        decodeInstructions(r, codeContext(m, n), 0, "const", note);
      } else {
        const fAt = r.pos;
        const f = r.u32("function index");
        if (f >= m.functions.length) r.fail(`element segment ${i} lists function ${f}, but the module has ${m.functions.length}`, fAt);
      }
    }
  }
  return n;
}

function readCodeSection(r: ByteReader, m: ParsedModule, log: FeatureLog, declared: number, ctx: CodeContext, options: ParseOptions): void {
  const countAt = r.pos;
  const n = r.count("function body", 2);
  if (n !== declared) r.fail(`the code section has ${n} bodies, but the function section declares ${declared} functions`, countAt);
  const firstDefined = m.functions.length - declared;
  for (let i = 0; i < n; i++) {
    const f = m.functions[firstDefined + i]!;
    const bodyOffset = r.pos;
    const size = r.u32(`size of function ${f.index}`);
    if (size > r.remaining) r.fail(`body of function ${f.index} (${size} bytes) runs past the end of the code section`, bodyOffset);
    const end = r.pos + size;
    const body = new ByteReader(r.bytes, r.pos, end, `the body of function ${f.index}`);
    const note = log.sink(`function ${f.index}`, f.index);
    for (const [j, p] of f.signature.params.entries()) {
      if (!isNumeric(p)) note(featureOfValue(p), m.types[f.typeIndex]!.offset, `${p} parameter ${j} of function ${f.index}`);
    }
    let locals = f.signature.params.length;
    const groups = body.count("local declaration", 2);
    for (let g = 0; g < groups; g++) {
      const gAt = body.pos;
      const count = body.u32("local count");
      locals += count;
      if (locals > MAX_LOCALS) body.fail(`function ${f.index} declares more than ${MAX_LOCALS} locals`, gAt);
      const tAt = body.pos;
      const t = readValType(body, m.types.length);
      if (t.feature) note(t.feature, tAt, `${t.name} local in function ${f.index}`);
    }
    f.bodyOffset = bodyOffset;
    f.localCount = locals;
    f.bodySize = size;
    f.codeOffset = body.pos;
    f.bodyEnd = end;
    if (options.decodeCode === false) {
      r.pos = end;
      continue;
    }
    const tracker = new ShapeTracker({ params: f.signature.params.length, results: f.signature.results.length }, options.shapeBounds);
    decodeInstructions(body, ctx, locals, "body", note, tracker);
    const shape = tracker.result();
    if (shape) f.shape = shape;
    if (!body.atEnd()) body.fail(`${body.remaining} bytes after the final end of function ${f.index}`);
    r.pos = end;
  }
}

function featureOfValue(t: string): WasmFeature {
  if (t === "v128") return "simd";
  if (t === "funcref" || t === "externref") return "reference-types";
  return "gc";
}

function readDataSection(r: ByteReader, m: ParsedModule, note: FeatureSink, offsetExpr: (what: string) => ConstValue): void {
  const n = r.count("data segment", 2);
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const flags = r.u32("data segment flags");
    let memory = 0;
    let expr: ConstValue | null = null;
    if (flags === 1) {
      note("bulk-memory-segments", offset, `passive data segment ${i}`);
    } else if (flags === 0 || flags === 2) {
      if (flags === 2) {
        const memAt = r.pos;
        memory = r.u32("memory index");
        note("multi-memory", offset, `data segment ${i} with an explicit memory index`);
        if (memory >= m.memories.length) r.fail(`data segment ${i} targets memory ${memory}, but the module has ${m.memories.length}`, memAt);
      } else if (m.memories.length === 0) {
        r.fail(`data segment ${i} is active but the module has no memory`, offset);
      }
      expr = offsetExpr(`data segment ${i} offset`);
    } else {
      r.fail(`unknown data segment flags ${flags}`, offset);
    }
    const size = r.u32(`data segment ${i} size`);
    const bytesOffset = r.pos;
    r.skip(size, `data segment ${i}`);
    m.data.push({ index: i, mode: flags === 1 ? "passive" : "active", memory, offsetExpr: expr, size, offset, bytesOffset });
  }
}

function readCustom(bytes: Uint8Array, s: SectionInfo, m: ParsedModule): void {
  m.customSections.push({ name: s.name, offset: s.offset, payloadOffset: s.payloadOffset, payload: bytes.subarray(s.payloadOffset, s.end) });
  if (s.name !== "name") return;
  // Engines ignore a malformed name section, so it is a warning, not an error.
  try {
    readNameSection(new ByteReader(bytes, s.payloadOffset, s.end, 'the "name" section'), m);
  } catch (e) {
    if (!(e instanceof WasmParseError)) throw e;
    m.functionNames.clear();
    m.globalNames.clear();
    m.warnings.push({ message: `name section ignored: ${e.reason}`, offset: e.offset });
  }
}

function readNameSection(r: ByteReader, m: ParsedModule): void {
  while (!r.atEnd()) {
    const id = r.u8("name subsection id");
    const size = r.u32("name subsection size");
    const sub = new ByteReader(r.bytes, r.pos, r.pos + Math.min(size, r.remaining), "a name subsection");
    if (size > r.remaining) r.fail(`name subsection ${id} runs past the end of the section`);
    const target = id === 1 ? m.functionNames : id === 7 ? m.globalNames : null;
    if (target) {
      const n = sub.count("name map entry", 2);
      for (let i = 0; i < n; i++) target.set(sub.u32("index"), sub.name("name"));
    }
    r.pos += size;
  }
}

/** One instruction of a function body: its name and the offset of its opcode in the module. */
export interface InstructionAt {
  name: string;
  at: number;
}

/**
 * The instructions of one defined function, in order, decoded by the same
 * decoder as parseModule. `m` must come from parseModule(bytes) (structure only is enough).
 */
export function functionInstructions(bytes: Uint8Array, m: ParsedModule, funcIndex: number): InstructionAt[] {
  const f = m.functions[funcIndex];
  if (!f || f.imported || f.codeOffset === undefined || f.bodyEnd === undefined) return [];
  const out: InstructionAt[] = [];
  const r = new ByteReader(bytes, f.codeOffset, f.bodyEnd, `the body of function ${f.index}`);
  decodeInstructions(r, codeContext(m, m.elementCount), f.localCount ?? 0, "body", () => {}, { step: (info, at) => { out.push({ name: info.name, at }); } });
  return out;
}
