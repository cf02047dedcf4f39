// The `fwx.fuel` custom section marks a module as fuel-instrumented:
//   u8      format version (1)
//   varu32  cost-model version (see cost-model.ts)
// It is written by instrumentFuel and read by the validator, packager and
// agent; it is a label, not a proof (see instrument.ts on why input carrying it
// is refused). The section headers also give the start function, which
// binaryen.js cannot report.

import { decodeU32, encodeU32 } from "../wasm/leb128.js";
import { SECTION, walkSections, type SectionInfo } from "../wasm/sections.js";

export const FUEL_SECTION_NAME = "fwx.fuel";
/** Export names the instrumentation adds; input exporting any is refused (here, so the validator can say so without loading binaryen). */
export const RESERVED_EXPORT_PREFIX = "__fwx_";
/** The exports instrumentation adds: the host sets the fuel before each callback and reads what is left after. */
export const FUEL_SET_EXPORT = "__fwx_fuel_set";
export const FUEL_GET_EXPORT = "__fwx_fuel_get";
/** () -> i32: 1 when a memory.grow was refused since the last __fwx_fuel_set. */
export const GROW_REFUSED_EXPORT = "__fwx_grow_refused";
/** The RAM bound's exports (ram-bound.ts): the host sets the budget, and reads the access it refused after a trap. */
export const RAM_LIMIT_EXPORT = "__fwx_ram_limit_set";
export const RAM_FAULT_EXPORT = "__fwx_ram_fault";
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
 * Lists the custom sections of a module from its section headers (no
 * binaryen: the instrumenter must refuse pre-instrumented input before
 * handing the bytes over). Pass `sections` when the caller walked them
 * already. Throws WasmParseError on broken framing.
 */
export function listCustomSections(bytes: Uint8Array, sections: readonly SectionInfo[] = walkSections(bytes)): CustomSectionRef[] {
  return sections.filter((s) => s.id === SECTION.custom).map((s) => ({ name: s.name, offset: s.offset, payload: bytes.subarray(s.payloadOffset, s.end) }));
}

/**
 * The function index named by the start section, or null without one.
 * binaryen.js can set the start function but has no getter, and the
 * instrumenter must know it: the engine calls it, so no caller can pay for it.
 */
export function readStartFunctionIndex(bytes: Uint8Array, sections: readonly SectionInfo[] = walkSections(bytes)): number | null {
  const start = sections.find((s) => s.id === SECTION.start);
  return start ? decodeU32(bytes, start.payloadOffset)[0] : null;
}

/** The decoded `fwx.fuel` section of a module, or null when it has none. */
export function readFuelSection(bytes: Uint8Array): FuelSection | null {
  const section = listCustomSections(bytes).find((s) => s.name === FUEL_SECTION_NAME);
  return section ? decodeFuelSection(section.payload) : null;
}
