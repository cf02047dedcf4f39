// RAM the examples really use, against the budget their fwx.json declares
// (issue 14: budget within 1.25x of measured need). The need is measured by
// src/build/ram-need.ts, the same run `fwx ram` does (on the demo board, fed
// by the example's trace.csv to its last row), so the bench checks exactly
// what `fwx ram --write` set the budget from.
import { join, resolve } from "node:path";
import { readManifest } from "../src/build/manifest.js";
import { measureRamNeed } from "../src/build/ram-need.js";
import { buildExampleBytes } from "./c-ports.js";
import type { BenchRow } from "./row.js";

const EXAMPLES_DIR = resolve(import.meta.dirname, "../examples");
/** The goal for budget / need. */
const BUDGET_OVER_NEED_GOAL = 1.25;
const EXAMPLES = ["cold-chain-alarm", "modbus-energy-meter", "pump-vibration"];

export async function benchRam(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const example of EXAMPLES) {
    const dir = join(EXAMPLES_DIR, example);
    const manifest = readManifest(dir);
    const need = await measureRamNeed(dir, await buildExampleBytes(example), manifest);
    const budget = manifest.ramBudgetBytes;
    rows.push(
      { name: `${example}: static data (heap base)`, value: need.staticBytes, unit: "B" },
      { name: `${example}: measured need (heap top after ${need.seconds} s on the demo board)`, value: need.needBytes, unit: "B" },
      { name: `${example}: RAM budget (fwx.json) / need`, value: budget / need.needBytes, unit: "x", goal: `≤ ${BUDGET_OVER_NEED_GOAL}x`, met: budget / need.needBytes <= BUDGET_OVER_NEED_GOAL },
    );
  }
  return rows;
}
