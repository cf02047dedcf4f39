// The `fwx.fuel` custom section marks a module as fuel-instrumented:
//   u8      format version (1)
//   varu32  cost-model version (see cost-model.ts)
// It is written by instrumentFuel and read by the validator, packager and
// agent; it is a label, not a proof (see instrument.ts on why input carrying it
// is refused).

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
 * Lists the custom sections of a module by walking the section headers only.
 * Kept local to the instrumenter so that it can refuse pre-instrumented input
 * before handing bytes to binaryen. Throws RangeError on a malformed header.
 */
export function listCustomSections(bytes: Uint8Array): CustomSectionRef[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new RangeError("not a WebAssembly binary (bad magic)");
  }
  const out: CustomSectionRef[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++]!;
    const [size, n] = decodeU32(bytes, pos);
    pos += n;
    const end = pos + size;
    if (end > bytes.length) throw new RangeError(`section ${id} at byte ${start} runs past the end of the module`);
    if (id === 0) {
      const [nameLen, m] = decodeU32(bytes, pos);
      const nameStart = pos + m;
      if (nameStart + nameLen > end) throw new RangeError(`custom section name at byte ${pos} runs past its section`);
      const name = new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLen));
      out.push({ name, offset: start, payload: bytes.subarray(nameStart + nameLen, end) });
    }
    pos = end;
  }
  return out;
}

/** The decoded `fwx.fuel` section of a module, or null when it has none. */
export function readFuelSection(bytes: Uint8Array): FuelSection | null {
  const section = listCustomSections(bytes).find((s) => s.name === FUEL_SECTION_NAME);
  return section ? decodeFuelSection(section.payload) : null;
}
