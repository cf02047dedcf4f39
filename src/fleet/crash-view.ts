// A crash report as the fleet service's API answers it. No imports: the
// console (console/src/api.ts, a browser build) takes the same type from here.

/** A crash report as the API answers it: the device's positions, named when the module's map is known. */
export interface CrashView {
  ts: number;
  module: string;
  reason: string;
  detail: string | null;
  callback: string | null;
  wasmSha256: string | null;
  /** The integrator's own file:line:column and function, or null (no map, or no frame in the project's sources). */
  at: string | null;
  function: string | null;
  /** Whether a debug map of exactly this module is in the database. */
  mapped: boolean;
  /** The stack as `fwx logs` prints it (names and lines with a map, module offsets without). */
  stack: string[];
}
