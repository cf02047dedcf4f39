// The `fwx.fuel` custom section marks a module as fuel-instrumented:
//   u8      format version (1)
//   varu32  cost-model version (see cost-model.ts)
// It is written by instrumentFuel and read by the validator, packager and
// agent; it is a label, not a proof (see instrument.ts on why input carrying it
// is refused). The header walk here also finds the start function, which
// binaryen.js cannot report.

import { decodeU32, encodeU32 } from "../wasm/leb128.js";

export const FUEL_SECTION_NAME = "fwx.fuel";
export const FUEL_SECTION_FORMAT = 1;

export interface FuelSection {
  format: number;
  costModelVersion: number;
}

export function encodeFuelSection(costModelVersion: number): Uint8Array {
  return Uint8Array.from([FUEL_SECTION_FORMAT, ...encodeU32(costModelVersion)]);
}

export function decodeFuelSection(payload: Uint8Array): FuelSection {
  if (payload.length < 1) throw new RangeError(`${FUEL_SECTION_NAME} section is empty`);
  const format = payload[0]!;
  if (format !== FUEL_SECTION_FORMAT) {
    throw new RangeError(`${FUEL_SECTION_NAME} section, byte 0: unknown format version ${format} (expected ${FUEL_SECTION_FORMAT})`);
  }
  const [costModelVersion, n] = decodeU32(payload, 1);
  if (1 + n !== payload.length) throw new RangeError(`${FUEL_SECTION_NAME} section, byte ${1 + n}: ${payload.length - 1 - n} trailing bytes`);
  return { format, costModelVersion };
}

export interface CustomSectionRef {
  name: string;
  /** Byte offset of the section id in the module. */
  offset: number;
  payload: Uint8Array;
}

/**
 * Calls `visit` for every section of a module, walking the section headers
 * only. Kept local to the instrumenter so that it can refuse pre-instrumented
 * input before handing bytes to binaryen. Throws RangeError on a malformed header.
 */
function walkSections(bytes: Uint8Array, visit: (id: number, headerOffset: number, payloadStart: number, end: number) => void): void {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new RangeError("not a WebAssembly binary (bad magic)");
  }
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++]!;
    const [size, n] = decodeU32(bytes, pos);
    pos += n;
    const end = pos + size;
    if (end > bytes.length) throw new RangeError(`section ${id} at byte ${start} runs past the end of the module`);
    visit(id, start, pos, end);
    pos = end;
  }
}

/** Lists the custom sections of a module. Throws RangeError on a malformed header. */
export function listCustomSections(bytes: Uint8Array): CustomSectionRef[] {
  const out: CustomSectionRef[] = [];
  walkSections(bytes, (id, start, pos, end) => {
    if (id !== 0) return;
    const [nameLen, m] = decodeU32(bytes, pos);
    const nameStart = pos + m;
    if (nameStart + nameLen > end) throw new RangeError(`custom section name at byte ${pos} runs past its section`);
    const name = new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLen));
    out.push({ name, offset: start, payload: bytes.subarray(nameStart + nameLen, end) });
  });
  return out;
}

const START_SECTION_ID = 8;

/**
 * The function index named by the start section, or null without one.
 * binaryen.js can set the start function but has no getter, and the
 * instrumenter must know it: the engine calls it, so no caller can pay for it.
 */
export function readStartFunctionIndex(bytes: Uint8Array): number | null {
  let index: number | null = null;
  walkSections(bytes, (id, _start, pos) => {
    if (id === START_SECTION_ID) index = decodeU32(bytes, pos)[0];
  });
  return index;
}

/** The decoded `fwx.fuel` section of a module, or null when it has none. */
export function readFuelSection(bytes: Uint8Array): FuelSection | null {
  const section = listCustomSections(bytes).find((s) => s.name === FUEL_SECTION_NAME);
  return section ? decodeFuelSection(section.payload) : null;
}
