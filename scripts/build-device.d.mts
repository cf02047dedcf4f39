// Types for scripts/build-device.mjs, so tests and bench import it checked.
export const STRICT: string[];
export function ensureDeviceLibs(): void;
/** The slot-store layout of the device build; the device core refuses to compile with another. */
export const DEVICE_SLOTS_DEFINES: string[];
/** Builds fwx-device (against a wasm3 tree, or the test double with `fake`) and returns the executable's path. */
export function buildDevice(opts: { wasm3?: string; fake?: boolean; out: string; extra?: string[]; defines?: string[] }): string;
/** A digest of everything a device build reads (options, gcc, sources and headers): the build is reused while it is the same. */
export function deviceInputsKey(opts: { wasm3?: string; fake?: boolean; extra?: string[]; defines?: string[] }): string;
