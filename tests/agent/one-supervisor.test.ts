// The device agent's live host runs modules on the same supervisor as the
// batch agent (src/agent/module-supervisor.ts). These pin the defects the
// two copies had drifted into: a module that waits only for board events got
// none after a (re)start, a fault on a device carried no crash report, and
// the live host's rates were fixed. Plus the live host's one timing rule: an
// event fired while the board catches up keeps the board's time.

import { afterEach, describe, expect, it } from "vitest";
import type { HostImpl } from "../../src/abi/host.generated.js";
import type { AgentEvent } from "../../src/agent/host-context.js";
import type { InstanceContext } from "../../src/agent/instance.js";
import type { BoardLike, HostServices } from "../../src/agent/runtime.js";
import { LiveModuleHost, type LiveHostOptions } from "../../src/ota/live-host.js";
import type { HostedModule } from "../../src/ota/module-host.js";
import type { Manifest } from "../../src/pkg/manifest.js";
import { misbehaveOnTimer, tickerModule } from "../fixtures/hostile/modules.js";
import { I32, WasmBuilder, op } from "../fixtures/wasm-builder.js";
import { testBoard, testHost } from "./helpers.js";

const i32 = (v: number) => [op.i32_const, ...(v < 64 ? [v] : [v & 0x7f | 0x80, v >> 7])];
const manifest = (id: string) => ({ id, capabilities: { timers: 2, kv: 1024, telemetry: ["#"] }, budgets: { ramBytes: 65536, fuelPerCallback: 1_000_000 } }) as unknown as Manifest;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A board with one event at `atUs` of its own time: advanceTo fires it through the module's context. */
function eventBoard(atUs: bigint) {
  let fired = false;
  const board: BoardLike & { ctx: InstanceContext | null; nowUs?: bigint } = {
    profile: testBoard().profile,
    ctx: null,
    nextEventAt: () => (fired ? null : atUs),
    advanceTo(now: bigint) {
      if (fired || now < atUs || !board.ctx) return;
      fired = true;
      board.nowUs = atUs;
      board.ctx.postEvent(1, 7, 0);
      board.nowUs = now;
    },
  };
  return board;
}

/** fwx_init returns 0 (after `init`); fwx_on_event runs `onEvent`; optionally fwx_on_timer runs `onTimer`. */
function eventModule(opts: { onEvent?: number[]; onTimer?: number[]; timerMs?: number; probes?: boolean }): Uint8Array {
  const b = new WasmBuilder();
  const start = opts.timerMs !== undefined ? b.importFunc("fwx:timer@1", "start", [I32, I32, I32], [I32]) : -1;
  const nowMs = opts.probes ? b.importFunc("fwx:core@1", "now_ms", [], [0x7e]) : -1;
  const nowUs = opts.probes ? b.importFunc("fwx:core@1", "now_us", [], [0x7e]) : -1;
  b.memory(1);
  b.export("memory", 2, 0);
  const init = opts.timerMs !== undefined ? [...i32(1), ...i32(opts.timerMs), ...i32(0), op.call, start, op.drop, op.i32_const, 0] : [op.i32_const, 0];
  b.func([], [I32], init, { export: "fwx_init" });
  if (opts.timerMs !== undefined) b.func([I32], [], opts.probes ? [op.call, nowMs, op.drop] : opts.onTimer ?? [], { export: "fwx_on_timer" });
  b.func([I32, I32, I32], [], opts.probes ? [op.call, nowUs, op.drop] : opts.onEvent ?? [], { export: "fwx_on_event" });
  return b.build().bytes;
}

let live: LiveModuleHost<BoardLike> | null = null;
afterEach(() => {
  live?.close();
  live = null;
});

function liveHost(extra: Partial<LiveHostOptions<BoardLike>> & { events?: { module: string; event: AgentEvent }[] } = {}) {
  const events = extra.events ?? [];
  live = new LiveModuleHost<BoardLike>({
    board: testBoard(), createHost: testHost, stateDir: null, speed: 1,
    onEvent: (_t, module, event) => events.push({ module, event }), telemetry: { accept: () => true },
    ...extra,
  });
  return live;
}

function startOn(host: LiveModuleHost<BoardLike>, id: string, payload: Uint8Array, restartOnFault = true): HostedModule {
  return host.start({ id, payload, manifest: manifest(id), config: new Map(), source: `${id}.wasm`, restartOnFault }, { callback() {}, fault() {} });
}

describe("one supervisor: the device's live host", () => {
  it("a module that waits only for a board event gets it after a start, with nothing else scheduled", async () => {
    const board = eventBoard(20_000n);
    const host = liveHost({
      board,
      createHost: (ctx: InstanceContext, s: HostServices) => ((board.ctx = ctx), testHost(ctx, s)),
    });
    const m = startOn(host, "listener", eventModule({}));
    expect(m.callbacks).toBe(1); // fwx_init
    for (let i = 0; i < 50 && m.callbacks < 2; i++) await sleep(20);
    expect(m.callbacks, "the board's event at 20 ms was never delivered").toBe(2);
  });

  it("a fault on the device carries the crash report: frames, last host calls, fuel, memory", async () => {
    const events: { module: string; event: AgentEvent }[] = [];
    const host = liveHost({ events });
    const m = startOn(host, "bad", misbehaveOnTimer([op.unreachable], { delayMs: 5 }), false);
    for (let i = 0; i < 50 && m.state === "running"; i++) await sleep(20);
    expect(m.state).toBe("faulted");
    const fault = events.find((e) => e.event.kind === "fault")?.event as (AgentEvent & { report?: string }) | undefined;
    expect(fault?.report, "no crash report on the fault event").toBeDefined();
    expect(fault!.report).toMatch(/wasm stack \(innermost first\)/);
    expect(fault!.report).toMatch(/fuel: at least \d+ of 1000000 \(counted up to the last host call\)/);
    expect(fault!.report).toMatch(/memory: 1 pages now/);
    expect(fault!.report).toMatch(/last \d+ host calls|no host calls before the fault/);
    expect(m.lastFault).toMatch(/^unreachable in fwx_on_timer/);
  });

  it("takes its log rate from its options, as the batch agent does", async () => {
    const count = async (logRate?: { perSecond: number; burst: number }) => {
      const events: { module: string; event: AgentEvent }[] = [];
      const host = liveHost({ events, ...(logRate ? { logRate } : {}) });
      startOn(host, "chatty", tickerModule(5));
      await sleep(300);
      host.close();
      live = null;
      return events.filter((e) => e.event.kind === "log").length;
    };
    const limited = await count({ perSecond: 1, burst: 2 });
    const free = await count();
    expect(limited).toBeLessThanOrEqual(3);
    expect(free).toBeGreaterThan(10);
  });

  it("an event fired while the board catches up keeps the board's time: it runs before a timer due after it", async () => {
    const board = eventBoard(10_000n);
    const order: string[] = [];
    const host = liveHost({
      board,
      createHost: (ctx: InstanceContext, s: HostServices): HostImpl => {
        board.ctx = ctx;
        const h = testHost(ctx, s);
        return { ...h, core: { ...h.core, nowMs: () => (order.push("timer at 30 ms"), h.core.nowMs()), nowUs: () => (order.push("event at 10 ms"), h.core.nowUs()) } };
      },
    });
    startOn(host, "late", eventModule({ timerMs: 30, probes: true }));
    // The loop is busy past both instants, so the host catches up on both in one step.
    const until = performance.now() + 80;
    while (performance.now() < until) { /* a loaded machine */ }
    for (let i = 0; i < 50 && order.length < 2; i++) await sleep(20);
    expect(order).toEqual(["event at 10 ms", "timer at 30 ms"]);
  });
});
