// Finishing a module for a device, whatever compiled it: AssemblyScript
// through `fwx build`, or clang, rustc or any other toolchain whose .wasm a
// manifest's entry names (docs/modules-c-rust.md). The same two steps for all:
//  - withAbiSection: the fwx.abi section that says which interfaces (and
//    minor versions) the module needs, read from its imports, so a device can
//    refuse it before linking; a module that has one keeps it, and the
//    validator checks it against the imports as a device would;
//  - deviceForm: for microcontrollers (wasm3), the fuel-metered form with an
//    explicit start export and a checked memory.grow (src/fuel/mcu.ts); the
//    gateway agent meters modules itself and takes them as they are.

import { instrumentFuel } from "../fuel/instrument.js";
import { adaptForMcu } from "../fuel/mcu.js";
import { FUEL_SECTION_NAME } from "../fuel/section.js";
import { appendCustomSection, SECTION, walkSections } from "../wasm/sections.js";
import type { DeviceClass } from "../pkg/manifest.js";
import { requiredInterfaces } from "../validate/validate.js";
import { ABI_SECTION_NAME, encodeAbiSection } from "../wasm/abi-section.js";

const hasSection = (bytes: Uint8Array, name: string): boolean => walkSections(bytes).some((s) => s.id === SECTION.custom && s.name === name);

/** `bytes` with an fwx.abi section: the module's own when it has one, else one read from its imports. */
export function withAbiSection(bytes: Uint8Array): Uint8Array {
  if (hasSection(bytes, ABI_SECTION_NAME)) return bytes;
  return appendCustomSection(bytes, ABI_SECTION_NAME, encodeAbiSection(requiredInterfaces(bytes)));
}

/** Whether the module already carries the fuel counter of instrumentFuel. */
export function isFuelInstrumented(bytes: Uint8Array): boolean {
  return hasSection(bytes, FUEL_SECTION_NAME);
}

/**
 * The payload a device of `target` runs. For mcu: instrumented for fuel and
 * adapted for wasm3, then given a fresh fwx.abi section (the counter imports
 * fwx:core@1 fuel_exhausted, which the interface list must then name). An
 * already instrumented module is returned as is. Throws FuelError (or a wasm
 * parse error) when the module cannot be instrumented.
 */
export function deviceForm(bytes: Uint8Array, target: DeviceClass): Uint8Array {
  if (target !== "mcu" || isFuelInstrumented(bytes)) return bytes;
  // wasm3 cannot cap a memory below a page: the runtime sets the byte budget the checks enforce (ram-bound.ts).
  const adapted = adaptForMcu(instrumentFuel(bytes, { ramBound: {} }).bytes).bytes;
  // appendCustomSection replaces the section the module had.
  return appendCustomSection(adapted, ABI_SECTION_NAME, encodeAbiSection(requiredInterfaces(adapted)));
}
