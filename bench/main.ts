// `npm run bench`: every benchmark suite in one process, one table per suite,
// then one line about the goals. Goals are reported, not asserted: speed
// targets never gate `npm test`. The exit code is 1 only when a suite fails to
// run (a missed goal is a figure, not a failure).
//   npm run bench                 all suites
//   npm run bench -- fuel         suites whose title contains "fuel"
//   npm run bench -- --wasm3 <dir> [--wasm3 <dir>]
//                                 opt-in, never in CI: the real-wasm3 suite
//                                 (bench/wasm3.ts) for each tree; add a filter
//                                 (e.g. "wasm3") to run only some suites with it
import { benchAgent } from "./agent.js";
import { benchCPorts } from "./c-ports.js";
import { benchExamples } from "./examples.js";
import { benchFleet } from "./fleet.js";
import { benchFootprint } from "./footprint.js";
import { benchFuel } from "./fuel.js";
import { benchOta } from "./ota.js";
import { benchPackage } from "./package.js";
import { benchRam } from "./ram.js";
import type { BenchRow } from "./row.js";
import { benchWasm3 } from "./wasm3.js";
import { benchWatch } from "./watch.js";

const suites: [string, () => Promise<BenchRow[]>][] = [
  ["host calls and cold start", benchAgent],
  ["fuel metering, synthetic kernels", benchFuel],
  ["fuel metering, example kernels", benchExamples],
  ["module size: AssemblyScript vs C ports", benchCPorts],
  ["module RAM: budget vs measured need", benchRam],
  ["signed packages", benchPackage],
  ["OTA delivery", benchOta],
  ["C runtime footprint", benchFootprint],
  ["fleet rollouts", benchFleet],
  ["the integrator's watch loop", benchWatch],
];

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

function printTable(rows: BenchRow[]): void {
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const valueWidth = Math.max(...rows.map((r) => fmt(r.value).length));
  const unitWidth = Math.max(...rows.map((r) => (r.goal ? r.unit.length : 0)));
  for (const r of rows) {
    const goal = r.goal ? `  goal ${r.goal}: ${r.met ? "met" : "MISSED"}` : "";
    console.log(`  ${r.name.padEnd(nameWidth)}  ${fmt(r.value).padStart(valueWidth)} ${goal ? r.unit.padEnd(unitWidth) : r.unit}${goal}`);
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const trees: string[] = [];
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--wasm3") only.push(args[i]!);
    else if (args[i + 1]) trees.push(args[++i]!);
    else {
      console.error("--wasm3 needs a wasm3 source directory");
      return 2;
    }
  }
  // With --wasm3 and no filter, only the real-wasm3 suites run (the others do not change with it).
  const wasm3Suites: [string, () => Promise<BenchRow[]>][] = trees.map((t) => [`real wasm3 at ${t}`, () => benchWasm3(t)]);
  const selected = trees.length && !only.length
    ? wasm3Suites
    : [...suites, ...wasm3Suites].filter(([title]) => !only.length || only.some((o) => title.includes(o)));
  if (!selected.length) {
    console.error(`no suite matches ${only.map((o) => JSON.stringify(o)).join(", ")}; suites: ${suites.map(([t]) => JSON.stringify(t)).join(", ")}`);
    return 2;
  }
  let goals = 0;
  const missed: string[] = [];
  const failed: string[] = [];
  for (const [title, run] of selected) {
    console.log(`\n## ${title}`);
    const t0 = performance.now();
    let rows: BenchRow[];
    try {
      rows = await run();
    } catch (e) {
      // One broken suite must not hide the others' figures.
      console.log(`  FAILED: ${(e as Error).stack ?? String(e)}`);
      failed.push(title);
      continue;
    }
    printTable(rows);
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    for (const r of rows) {
      if (!r.goal) continue;
      goals++;
      if (!r.met) missed.push(`${r.name} (${fmt(r.value)} ${r.unit}, goal ${r.goal})`);
    }
  }
  console.log("");
  if (missed.length) console.log(`${missed.length} of ${goals} goals missed:\n${missed.map((m) => `  ${m}`).join("\n")}`);
  else if (goals) console.log(`all ${goals} goals met`);
  else console.log("no goals among the suites that ran");
  if (failed.length) console.log(`${failed.length} suite(s) failed to run: ${failed.join(", ")}`);
  return failed.length ? 1 : 0;
}

// Every error is caught here: binaryen (loaded by the fuel suites) installs an
// uncaughtException handler that would print its whole bundled source.
try {
  process.exitCode = await main();
} catch (e) {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
}
