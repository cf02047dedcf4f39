/** Why a module could not be fuel-instrumented. `code` is stable for callers and tests. */
export type FuelErrorCode =
  | "invalid-module" // not a valid WebAssembly binary
  | "already-instrumented" // carries fwx.fuel or exports in the reserved __fwx_ namespace
  | "bad-fuel-import" // imports fwx:core@1 fuel_exhausted with a signature other than () -> ()
  | "unsupported-feature" // uses something wasm3 cannot run (SIMD, atomics, references, ...)
  | "internal"; // the instrumented output failed validation: a bug in the instrumenter

export class FuelError extends Error {
  constructor(
    readonly code: FuelErrorCode,
    message: string,
    /** Function (by name from the name section, else its index) where the problem is, if any. */
    readonly func?: string,
  ) {
    super(func === undefined ? `fuel instrumentation: ${message}` : `fuel instrumentation: function ${func}: ${message}`);
    this.name = "FuelError";
  }
}
