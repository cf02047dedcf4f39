// A module's real RAM need, measured by running it on the simulated board
// (issue 14): static data, then the heap's high-water mark, then the stack.
// `fwx ram` reports it and writes the manifest's budget from it; `npm run
// bench` (bench/ram.ts) checks budget / need. One implementation for both.
//
// How the heap is read: AssemblyScript's stub runtime (fwx build's default)
// lays its blocks contiguously from the aligned __heap_base, each a u32
// payload size then the payload, and never frees, so the end of the last
// block after a run is the high-water mark. AssemblyScript keeps no stack in
// linear memory here (its shadow stack exists only with other runtimes).
// LLVM modules (C, Rust) keep their stack below __heap_base, so it is inside
// "static" for them; their heap is not walked, and the report says so.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectModule } from "../agent/load.js";
import { preparedCacheDir } from "../agent/prepared-cache.js";
import { Agent } from "../agent/runtime.js";
import { createDeviceHost } from "../agent/host/index.js";
import { VirtualClock } from "../agent/scheduler.js";
import { defaultBoardPath, loadBoardFile, type Board } from "../sim/board.js";
import { parseTraceCsv } from "../sim/trace.js";
import { validateModule } from "../validate/validate.js";
import type { ModuleManifest } from "./manifest.js";

/** Budget = need × this, rounded up to 16 bytes: room for inputs the simulator run did not reach. */
export const DEFAULT_RAM_MARGIN = 1.2;
/** Device time simulated when the project has no trace.csv to set it. */
export const DEFAULT_RUN_SECONDS = 600;

export interface RamNeed {
  /** Static data and, for LLVM modules, the stack: everything below __heap_base. */
  staticBytes: number;
  /** Bytes the heap reached above __heap_base (null: not a stub heap, not walked). */
  heapBytes: number | null;
  /** Stack in linear memory beyond staticBytes (0 for AssemblyScript, which keeps none there). */
  stackBytes: number;
  /** staticBytes + heap + stack: the highest address the run used. */
  needBytes: number;
  /** What was run: seconds of device time and the trace, if any. */
  seconds: number;
  trace: string | null;
}

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

/** The budget for a measured need: need × margin, rounded up to 16 bytes. */
export function budgetFor(needBytes: number, margin = DEFAULT_RAM_MARGIN): number {
  return Math.ceil((needBytes * margin) / 16) * 16;
}

/**
 * Runs `bytes` (the build of the project in `dir`, with the grants, config
 * and fuel its `manifest` gives: the caller's build, never a second one) on
 * the default simulated board, fed by the project's trace.csv when it has
 * one, for `seconds` of device time (default: to the trace's last row, else
 * DEFAULT_RUN_SECONDS), and returns what it used.
 */
export async function measureRamNeed(dir: string, bytes: Uint8Array, manifest: ModuleManifest, opts: { seconds?: number } = {}): Promise<RamNeed> {
  const report = validateModule(bytes).report.ram;
  const heapBase = report.heapBase;
  if (heapBase === null) throw new Error(`${dir}: the build exports no __heap_base and has no data, so its heap cannot be located`);
  const tracePath = join(dir, "trace.csv");
  const trace = existsSync(tracePath) ? parseTraceCsv(readFileSync(tracePath, "utf8"), tracePath) : null;
  const seconds = opts.seconds ?? (trace ? Math.max(1, Math.ceil(Number(trace.endUs) / 1e6)) : DEFAULT_RUN_SECONDS);
  const board = loadBoardFile(defaultBoardPath(), trace ? { trace } : {});
  const memories: WebAssembly.Memory[] = [];
  const agent = new Agent<Board>({
    board, clock: new VirtualClock(), stateDir: null, watchdogMs: 0,
    // A build that did not change runs again from the prepared cache, as fwx run would: no preparation worker, nothing instrumented again.
    preparedCacheDir: preparedCacheDir(),
    createHost: (ctx, services) => {
      memories.push(ctx.memory);
      return createDeviceHost(ctx, services);
    },
  });
  const loaded = projectModule(dir, manifest, bytes);
  // With the fuel its package will have (loadModule's): a module that needs more faults here, not on a device.
  await agent.addModule({ id: loaded.id, bytes, source: loaded.source, requested: loaded.requested ?? {}, config: loaded.config, ...(loaded.fuel ? { fuel: loaded.fuel } : {}) });
  const summary = await agent.run(BigInt(seconds) * 1_000_000n);
  if (summary.faults.length) throw new Error(`${dir}: the module faulted during the RAM run, so its need is unknown: ${summary.faults[0]!.reason}`);
  if (!memories.length) throw new Error(`${dir}: the module was never instantiated during the RAM run`);
  // No LLVM stack pointer: an AssemblyScript build, which fwx ram and the bench build with the stub runtime.
  const stub = report.stackBytes === null;
  const top = stub ? Math.max(...memories.map((m) => stubHeapTop(new Uint8Array(m.buffer), heapBase))) : heapBase;
  return {
    staticBytes: heapBase,
    heapBytes: stub ? top - heapBase : null,
    stackBytes: 0,
    needBytes: top,
    seconds,
    trace: trace ? tracePath : null,
  };
}
