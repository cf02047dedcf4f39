// Resource limits a module must stay within, per device class. Plain data in
// one table, so the C install check (firmware/fwx_module_check*) can mirror
// the "mcu" column number for number. Every limit is checked by the validator
// (src/validate/resource-limits.ts) before anything costly happens to the
// module: instrumentation, compilation, instantiation.
//
// Why these numbers (docs/board-profiles.md has the same table):
//   - The examples, built with AssemblyScript -O3s, are 9-19 KiB with 56-81
//     functions, 19-24 types, 11-30 globals, no table, 78-206 data segments
//     (AssemblyScript emits one per static object), bodies under 1 KiB and a
//     name section under 4 KiB. The mcu column leaves an order of magnitude
//     above that; the gateway column another order above the mcu one.
//   - mcu: wasm3 keeps per-function, per-global and per-table-entry records in
//     RAM (tens of bytes each) and interprets a frame with one slot per local,
//     so counts, not bytes, are what cost a microcontroller RAM; 1024
//     functions and 1024 table entries stay within a few KiB of bookkeeping.
//   - gateway: V8 instantiates a table eagerly (10 million entries took 10-20 s)
//     and the fuel instrumenter is linear in functions (100,000 took 31 s);
//     65,536 entries and 10,000 functions keep preparing a module within a
//     couple of seconds, under the preparation time limit.
//   - operandStack and blockDepth, per function: the fuel instrumenter
//     (src/fuel/rewrite.ts) walks binaryen's expression tree recursively, and
//     binaryen nests an expression per value left on the stack. On the main
//     thread (fwx pack --target mcu, the live host of fwx agent) it ran out of
//     JS stack at 1792 values (1280 passed, 1024 with 2048 blocks around them
//     too) and at 4096 nested blocks (3072 passed). So both classes stop at
//     1024 values, mcu at 512 blocks and gateway at 1024: every module within
//     the limits can be metered. On the C side these are the static tables of
//     the install check's type checker (1 byte per value, 8 per block).
//   - The module-size limits match what a slot holds: 256 KiB of flash per
//     slot on a microcontroller, 8 MiB on a gateway (OTA transfers stop at 16 MiB).

import { DEVICE_CLASSES, type DeviceClass } from "../pkg/manifest.js";

export { DEVICE_CLASSES, type DeviceClass };

export interface ModuleLimits {
  /** The whole module file. */
  moduleBytes: number;
  /** Payload of any one section (custom sections included). */
  sectionBytes: number;
  /** Payload of the "name" custom section. */
  nameSectionBytes: number;
  types: number;
  imports: number;
  /** Functions the module defines (the function section's count). */
  functions: number;
  /** One function body, its locals declarations included. */
  bodyBytes: number;
  /** Parameters plus declared locals of one function. */
  localsPerFunction: number;
  /** Values on the operand stack at once in one function (its parameters are locals, not counted). */
  operandStack: number;
  /** Blocks (block, loop, if) open at once in one function, the function body itself not counted. */
  blockDepth: number;
  globals: number;
  exports: number;
  /** Initial size of any one table, in entries. */
  tableEntries: number;
  elementSegments: number;
  /** Function references over all element segments. */
  elementEntries: number;
  dataSegments: number;
}

export const MODULE_LIMITS: Readonly<Record<DeviceClass, Readonly<ModuleLimits>>> = {
  mcu: {
    moduleBytes: 256 * 1024,
    sectionBytes: 256 * 1024,
    nameSectionBytes: 64 * 1024,
    types: 512,
    imports: 256,
    functions: 1024,
    bodyBytes: 64 * 1024,
    localsPerFunction: 512,
    operandStack: 1024,
    blockDepth: 512,
    globals: 256,
    exports: 128,
    tableEntries: 1024,
    elementSegments: 64,
    elementEntries: 1024,
    dataSegments: 2048,
  },
  gateway: {
    moduleBytes: 8 * 1024 * 1024,
    sectionBytes: 8 * 1024 * 1024,
    nameSectionBytes: 1024 * 1024,
    types: 8192,
    imports: 1024,
    functions: 10_000,
    bodyBytes: 1024 * 1024,
    localsPerFunction: 4096,
    operandStack: 1024,
    blockDepth: 1024,
    globals: 4096,
    exports: 1024,
    tableEntries: 65_536,
    elementSegments: 1024,
    elementEntries: 65_536,
    dataSegments: 16_384,
  },
};

/** The class a device is when nothing says otherwise: the agent in this repository is the gateway runtime. */
export const DEFAULT_DEVICE_CLASS: DeviceClass = "gateway";

/**
 * Wall-clock limit on preparing one module (validate, instrument, compile) in
 * the agent's preparation worker. Not a module property the C side checks: a
 * microcontroller does its (much smaller) install check synchronously.
 */
export const PREPARE_TIME_LIMIT_MS = 20_000;

export const isDeviceClass = (v: unknown): v is DeviceClass => (DEVICE_CLASSES as readonly unknown[]).includes(v);

/** Human names for messages: "table entries", "locals per function". */
export const LIMIT_NAMES: Readonly<Record<keyof ModuleLimits, string>> = {
  moduleBytes: "module size (bytes)",
  sectionBytes: "section size (bytes)",
  nameSectionBytes: "name section size (bytes)",
  types: "types",
  imports: "imports",
  functions: "functions",
  bodyBytes: "function body size (bytes)",
  localsPerFunction: "locals per function",
  operandStack: "operand stack (values)",
  blockDepth: "nested blocks",
  globals: "globals",
  exports: "exports",
  tableEntries: "table entries",
  elementSegments: "element segments",
  elementEntries: "element entries",
  dataSegments: "data segments",
};

/** Limits of a class with a board profile's overrides applied (each override must be a positive integer). */
export function resolveLimits(deviceClass: DeviceClass, overrides: Partial<ModuleLimits> = {}): ModuleLimits {
  return { ...MODULE_LIMITS[deviceClass], ...overrides };
}
