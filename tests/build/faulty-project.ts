// A project whose module faults inside AssemblyScript's standard library,
// called from a line of its own (debug-map.test.ts, tests/cli/logs-fault-map.test.ts).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A module whose timer reads past the end of a typed array: AssemblyScript aborts inside ~lib/typedarray.ts. */
export const FAULTY_SOURCE = `import { Timer } from "fwx";

const samples = new Uint8Array(4);
let cursor: i32 = 2;

function nextSample(): i32 {
  cursor += 3;
  return samples[cursor];
}

export function fwx_init(): i32 {
  return Timer.every(1, 1000) == 0 ? 0 : 1;
}

export function fwx_on_timer(id: u32): void {
  samples[0] = <u8>nextSample();
}
`;
/** Where the out-of-range read is in FAULTY_SOURCE: line 8, column 10 (`samples[cursor]`). */
export const FAULT_LINE = "assembly/index.ts:8:10";

export function faultyProject(dir: string): string {
  mkdirSync(join(dir, "assembly"), { recursive: true });
  writeFileSync(join(dir, "fwx.json"), JSON.stringify({ format: 1, id: "com.example.faulty", version: "0.1.0", entry: "assembly/index.ts", capabilities: { timers: 1 }, ramBudget: "64k" }));
  writeFileSync(join(dir, "assembly", "index.ts"), FAULTY_SOURCE);
  return dir;
}

