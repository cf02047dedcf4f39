// Child process of host-call-flood.test.ts: runs modules that flood host
// calls on the simulated demo board with the agent's default fuel budget and
// watchdog, and prints one JSON line: each flood's fault reason, fuel used
// and wall time. Run apart from vitest so that a flood the watchdog cannot
// stop either (a regression) is ended by the parent's time limit.
//   node scripts/run-ts.mjs tests/agent/host-call-flood.child.ts [--wait]

import { runSimulation } from "../../src/agent/simulate.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";

type V = "i32" | "i64";
interface Flood { name: string; module: string; fn: string; params: V[]; results: V[]; args: number[]; setup?: number[] }

/** fwx_init starts a 100 ms one-shot timer; its callback calls module.fn(args) in a loop forever. */
function floodModule(f: Flood): Uint8Array {
  const b = new ModuleBuilder();
  const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
  const target = b.import(f.module, f.fn, f.params, f.results);
  b.mem(1).dataAt(16, "flooding the log!").dataAt(64, "key");
  b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(100), ...op.i32(0), ...op.call(start)], { export: true });
  b.func("fwx_on_timer", { params: ["i32"], results: [] }, op.loop([
    ...f.args.flatMap((a) => op.i32(a)), ...op.call(target), ...(f.results.length ? op.drop : []), ...op.br(0),
  ]), { export: true });
  return b.build();
}

export const FLOODS: Flood[] = [
  { name: "core.now_us", module: "fwx:core@1", fn: "now_us", params: [], results: ["i64"], args: [] },
  { name: "core.log (rate-limited)", module: "fwx:core@1", fn: "log", params: ["i32", "i32", "i32"], results: ["i32"], args: [2, 16, 17] },
  { name: "kv.get (not found)", module: "fwx:kv@1", fn: "get", params: ["i32", "i32", "i32", "i32", "i32"], results: ["i32"], args: [64, 3, 1024, 64, 8] },
  { name: "i2c.write_read (TMP102)", module: "fwx:i2c@1", fn: "write_read", params: ["i32", "i32", "i32", "i32", "i32", "i32"], results: ["i32"], args: [1, 0x48, 16, 1, 1024, 2] },
  { name: "i2c.read 4 KiB (EEPROM)", module: "fwx:i2c@1", fn: "read", params: ["i32", "i32", "i32", "i32"], results: ["i32"], args: [1, 0x50, 4096, 4096] },
];

// With --wait, say so and wait for a line on stdin: the parent loads the CPU
// only for the floods themselves, not while this bundle is built and loaded.
if (process.argv.includes("--wait")) {
  console.log("ready");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();
}

const out: { name: string; reasons: string[]; fuelUsed: number | null; ms: number }[] = [];
for (const f of FLOODS) {
  const t0 = performance.now();
  const { faults } = await runSimulation({
    board: loadBoardFile(defaultBoardPath()),
    modules: [{ id: "flood", bytes: floodModule(f), source: "flood.wasm", requested: { timers: 1, kv: 1024, i2c: [{ bus: 1, address: 0x48 }, { bus: 1, address: 0x50 }] } }],
    durationUs: 500_000n,
    restart: { backoffBaseMs: 60_000 },
  });
  out.push({ name: f.name, reasons: faults.map((x) => x.reason), fuelUsed: faults[0]?.fuelUsed ?? null, ms: Math.round(performance.now() - t0) });
}
console.log(JSON.stringify(out));
