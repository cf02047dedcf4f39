// Test helpers: build modules from WAT (via binaryen) or AssemblyScript (via
// asc), and run instrumented modules under Node's WebAssembly with a
// fuel_exhausted import that throws a recognisable error.

import binaryen from "binaryen";

export { compileKernel } from "../../bench/kernels/compile.js";

export class FuelExhausted extends Error {
  constructor() {
    super("fwx:core@1 fuel_exhausted called");
  }
}

/** Assembles WAT into a binary, with the name section, all features enabled so tests can build refused input too. */
export function wat(text: string, options: { names?: boolean } = {}): Uint8Array {
  const m = binaryen.parseText(text);
  const previous = binaryen.getDebugInfo();
  try {
    m.setFeatures(binaryen.Features.All);
    if (!m.validate()) throw new Error("test WAT does not validate");
    binaryen.setDebugInfo(options.names ?? true);
    return m.emitBinary();
  } finally {
    binaryen.setDebugInfo(previous);
    m.dispose();
  }
}

export interface Metered {
  exports: Record<string, (...args: never[]) => unknown>;
  memory?: WebAssembly.Memory;
  setFuel(fuel: bigint): void;
  getFuel(): bigint;
  /** Runs fn with `budget` fuel; returns its result and the fuel it used. */
  withFuel<T>(budget: bigint, fn: () => T): { result: T; used: bigint };
}

export function instantiate(bytes: Uint8Array, extraImports: WebAssembly.Imports = {}): Metered {
  const imports: WebAssembly.Imports = {
    env: {
      abort: () => {
        throw new Error("env.abort");
      },
    },
    ...extraImports,
    "fwx:core@1": {
      fuel_exhausted: () => {
        throw new FuelExhausted();
      },
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports);
  const exports = instance.exports as Record<string, unknown>;
  const setFuel = exports.__fwx_fuel_set as ((f: bigint) => void) | undefined;
  const getFuel = exports.__fwx_fuel_get as (() => bigint) | undefined;
  return {
    exports: exports as Metered["exports"],
    memory: exports.memory as WebAssembly.Memory | undefined,
    setFuel: (f) => setFuel!(f),
    getFuel: () => getFuel!(),
    withFuel(budget, fn) {
      setFuel!(budget);
      const result = fn();
      return { result, used: budget - getFuel!() };
    },
  };
}

/** Calls an export with plain JS numbers; the cast keeps test code short. */
export function call(m: Metered, name: string, ...args: (number | bigint)[]): unknown {
  const f = m.exports[name] as unknown as ((...a: (number | bigint)[]) => unknown) | undefined;
  if (!f) throw new Error(`no export ${name}`);
  return f(...args);
}

/** Function names as binaryen reads them (from the name section, or "0", "1", ... without one). */
export function functionNames(bytes: Uint8Array): string[] {
  const m = binaryen.readBinary(bytes);
  try {
    const names: string[] = [];
    for (let i = 0; i < m.getNumFunctions(); i++) names.push(binaryen.getFunctionInfo(m.getFunctionByIndex(i)).name);
    return names;
  } finally {
    m.dispose();
  }
}
