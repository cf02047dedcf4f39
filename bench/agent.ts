// Device agent benchmarks: the cost of a host ABI call through the full path
// (generated glue + implementation + crash-report ring) against a bare JS
// import doing nothing, measured side by side in one run; module cold start;
// and what the wall-clock watchdog adds per callback.

import type { BenchRow } from "./row.js";
import { createHostImports, type HostImpl } from "../src/abi/host.generated.js";
import { InstanceContext, ModuleInstance, type InstanceEnv } from "../src/agent/instance.js";
import { DeviceClaimRegistry } from "../src/agent/handles.js";
import { createCoreHost } from "../src/agent/host/core.js";
import { createGpioHost } from "../src/agent/host/gpio.js";
import { prepareModule } from "../src/agent/prepare.js";
import { defaultBoardPath, loadBoardFile } from "../src/sim/board.js";
import { ModuleBuilder, op } from "../tests/fixtures/hostile/builder.js";
import { sensorReporter } from "../tests/fixtures/hostile/modules.js";

const CALLS = 2_000_000;

/** run(n): n host calls in a loop. `call` pushes the arguments and calls import 0. */
function loopModule(module: string, name: string, params: ("i32" | "i64")[], results: ("i32" | "i64")[], args: number[]): Uint8Array {
  const b = new ModuleBuilder();
  b.import(module, name, params, results);
  b.mem(1);
  b.func("run", { params: ["i32"], results: [] }, op.loop([
    ...args, ...op.call(0), ...(results.length ? op.drop : []),
    ...op.localGet(0), ...op.i32(1), ...op.i32Sub, ...op.localTee(0), ...op.brIf(0),
  ]), { export: true });
  return b.build();
}

function nsPerCall(run: (n: number) => void): number {
  run(CALLS / 10); // warm up: let both sides tier up before timing
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    run(CALLS);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / CALLS);
  }
  return best;
}

function context(memory: WebAssembly.Memory, caps = {}): InstanceContext {
  const env: InstanceEnv = {
    caps, config: new Map(), claims: new DeviceClaimRegistry(), nowUs: () => 123_456n, emit: () => {}, postEvent: () => {},
    fuel: 10_000_000n, watchdogMs: 0, createHost: () => { throw new Error("unused"); },
  };
  return new InstanceContext("bench", memory, env);
}

function instantiate(bytes: Uint8Array, imports: Record<string, unknown>): (n: number) => void {
  // Uninstrumented on both sides: the figure is the call's cost, not fuel metering's.
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports as WebAssembly.Imports);
  return inst.exports.run as (n: number) => void;
}

function hostCallRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  // core.now_us: glue + core implementation + ring vs () => 0n
  {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ctx = context(memory);
    const host = { core: createCoreHost(ctx, { lastErrorDetail: () => "", minLogLevel: 0, logRate: { perSecond: 1e9, burst: 1e9 } }) } as unknown as HostImpl;
    const bytes = loopModule("fwx:core@1", "now_us", [], ["i64"], []);
    const full = instantiate(bytes, createHostImports(host, ctx));
    const bare = instantiate(bytes, { "fwx:core@1": { now_us: () => 0n } });
    const f = nsPerCall(full), b = nsPerCall(bare);
    rows.push({ name: "core.now_us, full path", value: f, unit: "ns/call" });
    rows.push({ name: "core.now_us, bare JS import", value: b, unit: "ns/call" });
    rows.push({ name: "core.now_us full / bare", value: f / b, unit: "x", goal: "≤ 3x", met: f / b <= 3 });
  }
  // gpio.write on the demo board's relay pin: ownership check + bool check + simulated pin + ring
  {
    const board = loadBoardFile(defaultBoardPath());
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ctx = context(memory, { gpio: [{ pin: 5, modes: ["output"] }] });
    const gpio = createGpioHost(board, ctx);
    const out = { handle: 0 };
    if (gpio.claim(5, 3, out) !== 0) throw new Error("bench: cannot claim pin 5 on the demo board");
    const host = { gpio } as unknown as HostImpl;
    const bytes = loopModule("fwx:gpio@1", "write", ["i32", "i32"], ["i32"], [...op.i32(out.handle), ...op.i32(1)]);
    const full = instantiate(bytes, createHostImports(host, ctx));
    const bare = instantiate(bytes, { "fwx:gpio@1": { write: () => 0 } });
    const f = nsPerCall(full), b = nsPerCall(bare);
    rows.push({ name: "gpio.write, full path", value: f, unit: "ns/call" });
    rows.push({ name: "gpio.write, bare JS import", value: b, unit: "ns/call" });
    rows.push({ name: "gpio.write full / bare", value: f / b, unit: "x", goal: "≤ 3x", met: f / b <= 3 });
  }
  return rows;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function coldStartRows(): BenchRow[] {
  const bytes = sensorReporter();
  const env = (): InstanceEnv => ({
    caps: { timers: 1, sensors: ["cold_room"], telemetry: ["room"] }, config: new Map(), claims: new DeviceClaimRegistry(),
    nowUs: () => 0n, emit: () => {}, postEvent: () => {}, fuel: 10_000_000n, watchdogMs: 0,
    createHost: (ctx) => ({
      core: createCoreHost(ctx, { lastErrorDetail: () => "", minLogLevel: 0, logRate: { perSecond: 10, burst: 10 } }),
      timer: { start: () => 0, cancel: () => 0 },
      sensor: { find: (_n: string, o: { handle: number }) => { o.handle = 1; return 0; }, read: () => 0, info: () => 0 },
      telemetry: { publish: () => 0 },
    }) as unknown as HostImpl,
  });
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = process.hrtime.bigint();
    const prepared = prepareModule(bytes, { moduleId: "bench", source: "bench.wasm", ramBudgetBytes: 65536 });
    const outcome = new ModuleInstance(prepared, env()).start();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!outcome.ok) throw new Error(`bench: cold start failed: ${outcome.report.reason}`);
  }
  return [{ name: `cold start (validate+instrument+instantiate+init, ${bytes.length} B module), median`, value: median(times), unit: "ms" }];
}

function watchdogRows(): BenchRow[] {
  const b = new ModuleBuilder();
  b.mem(1);
  b.func("fwx_init", { params: [], results: ["i32"] }, op.i32(0), { export: true });
  b.func("fwx_on_timer", { params: ["i32"], results: [] }, [], { export: true });
  const prepared = prepareModule(b.build(), { moduleId: "wd", source: "wd.wasm", ramBudgetBytes: 65536 });
  const perCallback = (watchdogMs: number) => {
    const inst = new ModuleInstance(prepared, {
      caps: {}, config: new Map(), claims: new DeviceClaimRegistry(), nowUs: () => 0n, emit: () => {}, postEvent: () => {},
      fuel: 1000n, watchdogMs, createHost: (ctx) => ({ core: createCoreHost(ctx, { lastErrorDetail: () => "", minLogLevel: 0, logRate: { perSecond: 1, burst: 1 } }) }) as unknown as HostImpl,
    });
    inst.start();
    for (let i = 0; i < 2000; i++) inst.call("fwx_on_timer", [1]); // warm up
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) inst.call("fwx_on_timer", [1]);
    return Number(process.hrtime.bigint() - t0) / n / 1000;
  };
  const off = perCallback(0), on = perCallback(2000);
  return [
    { name: "callback dispatch (fuel set/get), no watchdog", value: off, unit: "µs" },
    { name: "callback dispatch with vm-timeout watchdog", value: on, unit: "µs" },
  ];
}

export async function benchAgent(): Promise<BenchRow[]> {
  return [...hostCallRows(), ...coldStartRows(), ...watchdogRows()];
}
