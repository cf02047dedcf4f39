// A project whose module faults inside AssemblyScript's standard library,
// called from a line of its own: tests/fixtures/faulty-project/, copied where
// a test builds it (debug-map.test.ts, tests/cli/logs-fault-map.test.ts, the
// console test, and scripts/test-wasm3.mjs on a real wasm3).
//
// Its timer reads past the end of a typed array: AssemblyScript aborts inside
// ~lib/typedarray.ts, inlined into fwx_on_timer.

import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "faulty-project");

export const FAULTY_SOURCE = readFileSync(join(FIXTURE, "assembly", "index.ts"), "utf8");
/** Where the out-of-range read is in FAULTY_SOURCE: line 8, column 10 (`samples[cursor]`). */
export const FAULT_LINE = "assembly/index.ts:8:10";

export function faultyProject(dir: string): string {
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}
