// The decoded shape of a module, as parseModule returns it.

import type { ConstValue } from "./code.js";
import type { BodyShape } from "./code-shape.js";
import type { FeatureUse } from "./features.js";
import type { SectionInfo } from "./sections.js";

export type ExternalKind = "func" | "table" | "memory" | "global" | "tag";

export interface FuncSignature {
  params: string[];
  results: string[];
}

export interface TypeEntry {
  kind: "func" | "struct" | "array";
  /** Function types only (empty otherwise). */
  params: string[];
  results: string[];
  offset: number;
}

export interface Limits {
  initial: number;
  maximum: number | null;
}

export interface MemoryType extends Limits {
  shared: boolean;
  memory64: boolean;
  /** Bytes per page: 65536 unless the custom-page-sizes proposal is used. */
  pageSize: number;
  imported: boolean;
  offset: number;
}

export interface TableType extends Limits {
  element: string;
  imported: boolean;
  offset: number;
}

export interface Import {
  /** Position in the import section. */
  index: number;
  module: string;
  name: string;
  kind: ExternalKind;
  /** Offset of the import entry (its module name's length byte). */
  offset: number;
  /** For function imports: the type index, its signature and the function index it occupies. */
  typeIndex?: number;
  signature?: FuncSignature;
  funcIndex?: number;
}

export interface Export {
  name: string;
  kind: ExternalKind;
  index: number;
  offset: number;
}

export interface FunctionInfo {
  /** Function index: imports first, then the module's own functions. */
  index: number;
  typeIndex: number;
  signature: FuncSignature;
  imported: boolean;
  /** Defined functions: offset of the body's size field, of its first instruction, and one past its end. */
  bodyOffset?: number;
  codeOffset?: number;
  bodyEnd?: number;
  /** Defined functions: parameters plus declared locals. */
  localCount?: number;
  /** Defined functions: the body's size as its size field gives it (locals declarations included). */
  bodySize?: number;
  /**
   * Defined functions whose instructions were decoded: the operand-stack
   * height and block nesting the body needs (code-shape.ts). Absent when the
   * body uses an instruction wasm3 cannot run (refused for that).
   */
  shape?: BodyShape;
}

export interface GlobalInfo {
  index: number;
  type: string;
  mutable: boolean;
  imported: boolean;
  /** Initial value for defined globals; null for imports. */
  init: ConstValue | null;
  offset: number;
}

export interface DataSegment {
  index: number;
  mode: "active" | "passive";
  memory: number;
  /** Active segments: the offset expression's value. */
  offsetExpr: ConstValue | null;
  size: number;
  /** Offset of the segment entry, and of its first data byte. */
  offset: number;
  bytesOffset: number;
}

export interface CustomSection {
  name: string;
  offset: number;
  payloadOffset: number;
  payload: Uint8Array;
}

export interface ParseWarning {
  message: string;
  offset: number;
}

export interface ParsedModule {
  size: number;
  sections: SectionInfo[];
  types: TypeEntry[];
  imports: Import[];
  functions: FunctionInfo[];
  tables: TableType[];
  memories: MemoryType[];
  globals: GlobalInfo[];
  tagCount: number;
  exports: Export[];
  start: number | null;
  elementCount: number;
  /** Entries over all element segments. */
  elementEntryCount: number;
  /** From the DataCount section, null when there is none. */
  dataCount: number | null;
  data: DataSegment[];
  customSections: CustomSection[];
  /** From the "name" custom section, when present and readable. */
  functionNames: Map<number, string>;
  globalNames: Map<number, string>;
  /** Every post-MVP feature the module uses: first use per feature per function, and per section elsewhere. */
  features: FeatureUse[];
  /** Problems that do not make the module unreadable (e.g. a malformed name section, which engines ignore). */
  warnings: ParseWarning[];
}

export function formatSignature(sig: FuncSignature): string {
  const r = sig.results.length === 0 ? "()" : sig.results.length === 1 ? sig.results[0]! : `(${sig.results.join(", ")})`;
  return `(${sig.params.join(", ")}) -> ${r}`;
}
