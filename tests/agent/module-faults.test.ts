// The host never falls with a module: whatever a module makes go wrong at
// any stage (compile, instantiate, link, start function, fwx_init, timer and
// event callbacks, fwx_health) ends as a named fault or a refusal of that
// module, never as an exception out of the agent, and a well-behaved module
// beside it keeps running.

import { describe, expect, it } from "vitest";
import { Status, type HostImpl } from "../../src/abi/host.generated.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { ModuleInstance, type InstanceContext } from "../../src/agent/instance.js";
import { ModuleRefused, prepareModule } from "../../src/agent/prepare.js";
import type { HostServices } from "../../src/agent/runtime.js";
import { createCoreHost } from "../../src/agent/host/core.js";
import { LiveModuleHost } from "../../src/ota/live-host.js";
import type { Manifest } from "../../src/pkg/manifest.js";
import { misbehaveOnTimer, tickerModule } from "../fixtures/hostile/modules.js";
import { I32, WasmBuilder, op } from "../fixtures/wasm-builder.js";
import { seconds, spec, testAgent, testBoard, testHost } from "./helpers.js";

const i32 = (v: number) => [op.i32_const, ...(v < 64 ? [v] : [v & 0x7f | 0x80, v >> 7])];

/** fwx_init returning 0 plus whatever `extend` adds. */
function module(extend: (b: WasmBuilder, timerStart: number) => void, initBody?: (timerStart: number) => number[]): Uint8Array {
  const b = new WasmBuilder();
  // Only a module that starts a timer imports timer.start (the validator wants fwx_on_timer then).
  const start = initBody ? b.importFunc("fwx:timer@1", "start", [I32, I32, I32], [I32]) : -1;
  b.memory(1);
  b.export("memory", 2, 0);
  b.func([], [I32], initBody ? initBody(start) : [op.i32_const, 0], { export: "fwx_init" });
  extend(b, start);
  return b.build().bytes;
}

const startsTimer = (s: number) => [...i32(1), ...i32(100), ...i32(0), op.call, s];

const BAD = {
  "start function": module((b) => b.start(b.func([], [], [op.unreachable]))),
  "fwx_init": module((b) => b.func([I32], [], [], { export: "fwx_on_timer" }), () => [op.unreachable]),
  "a timer callback": misbehaveOnTimer([op.unreachable]),
  "an event callback": module((b) => {
    b.func([I32], [], [], { export: "fwx_on_timer" });
    b.func([I32, I32, I32], [], [op.unreachable], { export: "fwx_on_event" });
  }, startsTimer),
};

async function runBeside(bad: Uint8Array, host = testHost) {
  const agent = testAgent({ createHost: host, restart: { backoffBaseMs: 60_000 } });
  await agent.addModule(spec("good", tickerModule(500)));
  await agent.addModule(spec("bad", bad));
  const summary = await agent.run(seconds(2.2));
  const ticks = agent.log.events.filter((e) => e.module === "good" && e.kind === "log").length;
  return { summary, ticks };
}

/** A host whose timer.start also posts an event, so fwx_on_event runs. */
function postingHost(ctx: InstanceContext, s: HostServices): HostImpl {
  const h = testHost(ctx, s);
  return { ...h, timer: { ...h.timer, start: (...a: Parameters<HostImpl["timer"]["start"]>) => { ctx.postEvent(1, 0, 0); return h.timer.start(...a); } } };
}

describe("a module's fault is never the host's", () => {
  for (const [stage, bytes] of Object.entries(BAD)) {
    it(`a trap in ${stage} is a fault of that module; its neighbour keeps running`, async () => {
      const { summary, ticks } = await runBeside(bytes, stage === "an event callback" ? postingHost : testHost);
      expect(summary.faults.map((f) => [f.module, f.reason])).toEqual([["bad", "unreachable"]]);
      expect(ticks).toBe(4);
    });
  }

  it("an error a host implementation throws during a callback is a host-error fault, not an agent crash", async () => {
    const throwing = (ctx: InstanceContext, s: HostServices): HostImpl => {
      const h = testHost(ctx, s);
      if (ctx.moduleId !== "bad") return h;
      return { ...h, core: { ...h.core, log: () => { throw new TypeError("cannot read properties of undefined"); } } };
    };
    const { summary, ticks } = await runBeside(tickerModule(300), throwing);
    expect(summary.faults[0]).toMatchObject({ module: "bad", reason: "host-error", callback: "fwx_on_timer(1)" });
    expect(summary.faults[0]!.detail).toMatch(/TypeError: cannot read properties of undefined/);
    expect(ticks).toBe(4);
  });

  it("a host factory that throws while the module is instantiated is a fault", async () => {
    const broken = (ctx: InstanceContext, s: HostServices): HostImpl => {
      if (ctx.moduleId === "bad") throw new Error("no such bus");
      return testHost(ctx, s);
    };
    const { summary, ticks } = await runBeside(tickerModule(300), broken);
    expect(summary.faults[0]).toMatchObject({ module: "bad", reason: "host-error", callback: "instantiate" });
    expect(ticks).toBe(4);
  });

  it("a module the engine cannot compile is refused, and the agent runs the others", async () => {
    const agent = testAgent();
    await agent.addModule(spec("good", tickerModule(500)));
    // i32.add with nothing on the stack: structurally fine, rejected by the engine's type check.
    const bad = module((b) => b.func([], [I32], [op.i32_add], { export: "broken" }));
    await expect(agent.addModule(spec("bad", bad))).rejects.toBeInstanceOf(ModuleRefused);
    const summary = await agent.run(seconds(1.2));
    expect(summary.modules.map((m) => m.id)).toEqual(["good"]);
    expect(agent.log.events.filter((e) => e.module === "good" && e.kind === "log")).toHaveLength(2);
  });

  it("an export named \\uFEFFfwx_init is not fwx_init: refused with the byte offset, never started", async () => {
    const b = new WasmBuilder();
    b.memory(1);
    b.export("memory", 2, 0);
    b.func([], [I32], [op.i32_const, 0], { export: "\uFEFFfwx_init" });
    const e = await testAgent().addModule(spec("bom", b.build().bytes)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleRefused);
    expect((e as ModuleRefused).report).toMatch(/does not export fwx_init/);
  });
});

describe("instantiation and linking, on an instance of its own", () => {
  const env = (createHost: (ctx: InstanceContext) => HostImpl) => ({
    caps: { timers: 1 }, config: new Map<string, string>(), claims: new DeviceClaimRegistry(), nowUs: () => 0n,
    emit: () => {}, postEvent: () => {}, fuel: 1_000_000n, watchdogMs: 0, createHost,
  });
  const host = (ctx: InstanceContext) => ({
    core: createCoreHost(ctx, { lastErrorDetail: () => "", minLogLevel: 0, logRate: { perSecond: 9, burst: 9 } }),
    timer: { start: () => Status.ok, cancel: () => Status.ok },
  }) as unknown as HostImpl;

  it("a LinkError from the engine is a link-error fault", () => {
    const prepared = prepareModule(tickerModule(), { moduleId: "m", source: "m.wasm", ramBudgetBytes: 65536 });
    // The memory import the engine expects is missing from what the agent hands it.
    const broken = { ...prepared, memory: { ...prepared.memory, importName: "not-the-memory" } };
    const outcome = new ModuleInstance(broken, env(host)).start();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.report, outcome.report.detail).toMatchObject({ reason: "link-error", callback: "instantiate" });
  });

  it("memory the engine cannot allocate is a resource-limit fault at start, not an exception from the constructor", () => {
    const prepared = prepareModule(tickerModule(), { moduleId: "m", source: "m.wasm", ramBudgetBytes: 65536 });
    const huge = { ...prepared, memory: { ...prepared.memory, initialPages: 70_000, maxPages: 70_000 } };
    const instance = new ModuleInstance(huge, env(host));
    const outcome = instance.start();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.report).toMatchObject({ reason: "resource-limit", callback: "instantiate" });
  });

  it("calling an export the engine does not have is a fault, not a throw", () => {
    const prepared = prepareModule(tickerModule(), { moduleId: "m", source: "m.wasm", ramBudgetBytes: 65536 });
    const instance = new ModuleInstance(prepared, env(host));
    const started = instance.start();
    expect(started.ok, started.ok ? "" : started.report.detail).toBe(true);
    const outcome = instance.call("fwx_missing", []);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.report).toMatchObject({ reason: "link-error", callback: "fwx_missing" });
  });
});

describe("fwx_health on the device agent's live host", () => {
  it("a trap in fwx_health vetoes and faults that module; the other keeps running", async () => {
    const events: { module: string; kind: string }[] = [];
    const live = new LiveModuleHost({
      board: testBoard(), createHost: testHost, stateDir: null, speed: 50,
      onEvent: (_t, module, event) => events.push({ module, kind: event.kind }), telemetry: { accept: () => true },
    });
    const manifest = (id: string) => ({ id, capabilities: { timers: 2, kv: 1024, telemetry: ["#"] }, budgets: { ramBytes: 65536, fuelPerCallback: 1_000_000 } }) as unknown as Manifest;
    const hosted = (id: string, payload: Uint8Array) => live.start(
      { id, payload, manifest: manifest(id), config: new Map(), source: `${id}.wasm`, restartOnFault: false },
      { callback() {}, fault() {} });
    try {
      const good = hosted("good", tickerModule(100));
      const sick = hosted("sick", module((b) => b.func([], [I32], [op.unreachable], { export: "fwx_health" })));
      expect(sick.healthVeto()).toMatch(/^fwx_health faulted: unreachable/);
      expect(sick.state).toBe("faulted");
      const before = good.callbacks;
      await new Promise((r) => setTimeout(r, 100));
      expect(good.callbacks).toBeGreaterThan(before);
      expect(good.healthVeto()).toBeNull();
    } finally {
      live.close();
    }
  });
});
