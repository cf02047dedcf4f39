// RAM the examples really use, against the budget their fwx.json declares
// (issue 14: budget within 1.25x of measured need). Need = the bytes below the
// top of the AssemblyScript heap at the end of a run on the demo board: static
// data, then the stub runtime's blocks, walked from __heap_base (the stub
// never frees, so its top is the high-water mark). AssemblyScript keeps no
// stack in linear memory here, so there is nothing to add for one.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadModule } from "../src/agent/load.js";
import { Agent } from "../src/agent/runtime.js";
import { createDeviceHost } from "../src/agent/host/index.js";
import { VirtualClock } from "../src/agent/scheduler.js";
import { readManifest } from "../src/build/manifest.js";
import { defaultBoardPath, loadBoardFile, type Board } from "../src/sim/board.js";
import { parseTraceCsv } from "../src/sim/trace.js";
import { validateModule } from "../src/validate/validate.js";
import { buildExampleBytes } from "./c-ports.js";
import type { BenchRow } from "./row.js";

const EXAMPLES_DIR = resolve(import.meta.dirname, "../examples");
/** The goal for budget / need. */
const BUDGET_OVER_NEED_GOAL = 1.25;
/** Device time each example runs: its trace's scenario. */
const RUN_SECONDS: Record<string, number> = { "cold-chain-alarm": 7200, "modbus-energy-meter": 600, "pump-vibration": 600 };

/** Top of the stub runtime's heap: blocks are contiguous from the aligned heap base, each a u32 size then its payload. */
export function stubHeapTop(memory: Uint8Array, heapBase: number): number {
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  // rt/stub.ts: startOffset = ((__heap_base + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD, with 4 and 15.
  let block = ((heapBase + 4 + 15) & ~15) - 4;
  for (;;) {
    if (block + 4 > memory.length) return memory.length;
    const payload = view.getUint32(block, true);
    if (payload === 0) return block;
    block += 4 + payload;
  }
}

export async function benchRam(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const example of Object.keys(RUN_SECONDS)) {
    const dir = join(EXAMPLES_DIR, example);
    const bytes = await buildExampleBytes(example);
    const heapBase = validateModule(bytes).report.ram.heapBase;
    if (heapBase === null) throw new Error(`${example}: no __heap_base in the build, so the heap cannot be walked`);
    const tracePath = join(dir, "trace.csv");
    const board = loadBoardFile(defaultBoardPath(), { trace: parseTraceCsv(readFileSync(tracePath, "utf8"), tracePath) });
    const memories: WebAssembly.Memory[] = [];
    const agent = new Agent<Board>({
      board, clock: new VirtualClock(), stateDir: null, watchdogMs: 0,
      createHost: (ctx, services) => {
        memories.push(ctx.memory);
        return createDeviceHost(ctx, services);
      },
    });
    const loaded = await loadModule(dir);
    await agent.addModule({ id: loaded.id, bytes, source: loaded.source, requested: loaded.requested ?? {}, config: loaded.config });
    const summary = await agent.run(BigInt(RUN_SECONDS[example]!) * 1_000_000n);
    if (summary.faults.length) throw new Error(`${example} faulted during the RAM run: ${summary.faults[0]!.reason}`);
    const need = Math.max(...memories.map((m) => stubHeapTop(new Uint8Array(m.buffer), heapBase)));
    const budget = readManifest(dir).ramBudgetBytes;
    rows.push(
      { name: `${example}: static data (heap base)`, value: heapBase, unit: "B" },
      { name: `${example}: measured need (heap top after ${RUN_SECONDS[example]} s on the demo board)`, value: need, unit: "B" },
      { name: `${example}: RAM budget (fwx.json) / need`, value: budget / need, unit: "x", goal: `≤ ${BUDGET_OVER_NEED_GOAL}x`, met: budget / need <= BUDGET_OVER_NEED_GOAL },
    );
  }
  return rows;
}
