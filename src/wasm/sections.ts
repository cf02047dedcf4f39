// The module header and the section framing: ids, the order the spec
// requires, and a shallow walk that only reads section headers. The walk is
// what appendCustomSection and the full parser share.

import { ByteReader, WasmParseError } from "./byte-reader.js";
import { encodeU32 } from "./leb128.js";

export const SECTION = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6,
  export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13,
} as const;

const NAMES: Record<number, string> = {
  0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
  7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag",
};

// Position of each known section in the required order. The tag section sits
// between memory and global, data count between element and code.
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export function sectionName(id: number): string {
  return NAMES[id] ?? `unknown (id ${id})`;
}

export interface SectionInfo {
  id: number;
  /** "type", "code", … or, for custom sections, the custom section's own name. */
  name: string;
  /** Offset of the section id byte. */
  offset: number;
  /** Offset of the first payload byte (after the size, and for custom sections after the name). */
  payloadOffset: number;
  /** Offset one past the section's last byte. */
  end: number;
}

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function checkHeader(bytes: Uint8Array): void {
  if (bytes.length < 8) {
    throw new WasmParseError(`file is ${bytes.length} bytes, shorter than the 8-byte wasm header`, bytes.length);
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== WASM_MAGIC[i]) throw new WasmParseError("not a WebAssembly module (magic bytes \\0asm missing)", i);
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version === 0x1000d) throw new WasmParseError("this is a WebAssembly component, not a core module", 4);
  if (version !== 1) throw new WasmParseError(`unsupported wasm binary version ${version >>> 0} (expected 1)`, 4);
}

/**
 * Reads every section header, checking sizes against the file, known ids,
 * duplicates and order. Custom sections may appear anywhere.
 */
export function walkSections(bytes: Uint8Array): SectionInfo[] {
  checkHeader(bytes);
  const r = new ByteReader(bytes, 8, bytes.length, "the module");
  const out: SectionInfo[] = [];
  let lastRank = 0;
  let lastId = -1;
  while (!r.atEnd()) {
    const offset = r.pos;
    const id = r.u8("section id");
    const sizeAt = r.pos;
    const size = r.u32("section size");
    const start = r.pos;
    if (size > r.remaining) {
      r.fail(`${sectionName(id)} section size ${size} runs past the end of the file (${r.remaining} bytes left)`, sizeAt);
    }
    const end = start + size;
    let name = sectionName(id);
    let payloadOffset = start;
    if (id === SECTION.custom) {
      const sub = new ByteReader(bytes, start, end, "the custom section");
      name = sub.name("custom section name");
      payloadOffset = sub.pos;
    } else {
      const rank = ORDER[id] ?? r.fail(`unknown section id ${id}`, offset);
      if (id === lastId) r.fail(`duplicate ${name} section`, offset);
      if (rank < lastRank) r.fail(`${name} section is out of order (it must come before the ${sectionName(lastId)} section)`, offset);
      lastRank = rank;
      lastId = id;
    }
    out.push({ id, name, offset, payloadOffset, end });
    r.pos = end;
  }
  return out;
}

function encodeName(name: string): number[] {
  const raw = new TextEncoder().encode(name);
  return [...encodeU32(raw.length), ...raw];
}

/** Encodes one custom section: id 0, size, name, payload. */
export function encodeCustomSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = encodeName(name);
  const size = encodeU32(nameBytes.length + payload.length);
  const out = new Uint8Array(1 + size.length + nameBytes.length + payload.length);
  out[0] = SECTION.custom;
  out.set(size, 1);
  out.set(nameBytes, 1 + size.length);
  out.set(payload, 1 + size.length + nameBytes.length);
  return out;
}

/**
 * Returns a copy of the module with every custom section called `name`
 * removed and one new section with `payload` appended at the end. Throws
 * WasmParseError when the module's section framing is broken.
 */
export function appendCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const sections = walkSections(bytes);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    if (s.id === SECTION.custom && s.name === name) continue;
    kept.push(bytes.subarray(s.offset, s.end));
  }
  kept.push(encodeCustomSection(name, payload));
  return concatBytes(kept);
}

/** The parts one after another in a new array: how a rewritten module is put back together. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
