// Fault containment: every way a module can misbehave ends as a fault of that
// module with a named reason, while the agent and a well-behaved neighbour
// keep running.

import { describe, expect, it } from "vitest";
import { testAgent, spec, seconds } from "./helpers.js";
import { abortModule, hostile, hostilePointerModule, misbehaveOnTimer, tickerModule, callOnInit, I32 } from "../fixtures/hostile/modules.js";
import { op } from "../fixtures/hostile/builder.js";
import type { Agent } from "../../src/agent/runtime.js";

async function runWithNeighbour(bad: Uint8Array, opts: { fuel?: bigint; watchdogMs?: number; ramBudgetBytes?: number } = {}) {
  const agent = testAgent({ watchdogMs: opts.watchdogMs ?? 0, restart: { backoffBaseMs: 60_000 } });
  await agent.addModule(spec("good", tickerModule(500)));
  await agent.addModule(spec("bad", bad, { fuel: opts.fuel ?? 200_000n, ...(opts.ramBudgetBytes ? { ramBudgetBytes: opts.ramBudgetBytes } : {}) }));
  const summary = await agent.run(seconds(2.2));
  return { agent, summary };
}

function expectNeighbourKeptRunning(agent: Agent): void {
  const ticks = agent.log.events.filter((e) => e.module === "good" && e.kind === "log").map((e) => e.tUs);
  expect(ticks).toEqual([500_000n, 1_000_000n, 1_500_000n, 2_000_000n]);
}

describe("fault containment", () => {
  it("a call-free infinite loop runs out of fuel", async () => {
    const { agent, summary } = await runWithNeighbour(hostile.infiniteLoop());
    expect(summary.faults.map((f) => f.reason)).toEqual(["fuel-exhausted"]);
    expect(summary.faults[0]!.fuelUsed).toBe(200_000);
    expectNeighbourKeptRunning(agent);
  });

  it("without fuel, the wall-clock watchdog stops an infinite loop", async () => {
    // Fuel far beyond what the watchdog allows, so the watchdog fires first. 500 ms, not less: a frame's
    // timer that fires while a starved CI machine has the agent between callbacks is a host error by design.
    const { agent, summary } = await runWithNeighbour(hostile.infiniteLoop(), { fuel: 1n << 60n, watchdogMs: 500 });
    expect(summary.faults.map((f) => f.reason)).toEqual(["watchdog"]);
    expectNeighbourKeptRunning(agent);
  });

  it("unbounded recursion is a stack overflow", async () => {
    const { agent, summary } = await runWithNeighbour(hostile.recursion(), { fuel: 1n << 40n });
    expect(summary.faults.map((f) => f.reason)).toEqual(["stack-overflow"]);
    expect(summary.faults[0]!.frames[0]!.funcName).toBe("culprit");
    expectNeighbourKeptRunning(agent);
  });

  it("a memory-growth bomb hits the RAM budget", async () => {
    const { agent, summary } = await runWithNeighbour(hostile.memoryBomb(), { ramBudgetBytes: 4 * 65536 });
    expect(summary.faults.map((f) => f.reason)).toEqual(["memory-limit"]);
    expect(summary.faults[0]!.memoryHighWaterBytes).toBe(4 * 65536);
    expect(summary.faults[0]!.memoryLimitBytes).toBe(4 * 65536);
    expectNeighbourKeptRunning(agent);
  });

  it("unreachable is reported with the function it was in", async () => {
    const { agent, summary } = await runWithNeighbour(hostile.unreachable());
    expect(summary.faults.map((f) => f.reason)).toEqual(["unreachable"]);
    expect(summary.faults[0]!.frames.map((f) => f.funcName)).toEqual(["culprit", "fwx_on_timer"]);
    expectNeighbourKeptRunning(agent);
  });

  it("core.abort carries the message and source position", async () => {
    const { agent, summary } = await runWithNeighbour(abortModule());
    expect(summary.faults[0]!.reason).toBe("abort");
    expect(summary.faults[0]!.detail).toBe("sensor out of range at assembly/index.ts:42:7");
    expectNeighbourKeptRunning(agent);
  });

  it("core.abort with a site id and no file names the site for the debug map to resolve", async () => {
    const { agent, summary } = await runWithNeighbour(abortModule(12));
    expect(summary.faults[0]!.reason).toBe("abort");
    expect(summary.faults[0]!.detail).toBe("at abort site 12");
    expectNeighbourKeptRunning(agent);
  });

  it("a host call with a pointer past the end of memory is out-of-bounds", async () => {
    const { agent, summary } = await runWithNeighbour(hostilePointerModule(65530, 16));
    expect(summary.faults[0]!.reason).toBe("out-of-bounds");
    expect(summary.faults[0]!.detail).toContain("core.log: message [65530, +16)");
    expectNeighbourKeptRunning(agent);
  });

  it("a host call whose length wraps around 2^32 is out-of-bounds", async () => {
    const { agent, summary } = await runWithNeighbour(hostilePointerModule(16, -8));
    expect(summary.faults[0]!.reason).toBe("out-of-bounds");
    expect(summary.faults[0]!.detail).toContain("+4294967288");
    expectNeighbourKeptRunning(agent);
  });

  it("using a handle the module does not own is a foreign-handle fault", async () => {
    const bad = callOnInit([{ module: "fwx:gpio@1", name: "write", params: [I32, I32], results: [I32] }], ([write]) => [...op.i32(77), ...op.i32(1), ...op.call(write!), ...op.drop]);
    const { agent, summary } = await runWithNeighbour(bad);
    expect(summary.faults[0]!.reason).toBe("foreign-handle");
    expect(summary.faults[0]!.callback).toBe("fwx_init");
    expectNeighbourKeptRunning(agent);
  });

  it("an out-of-bounds load inside the module is out-of-bounds", async () => {
    const { summary } = await runWithNeighbour(misbehaveOnTimer([...op.i32(70000), ...op.i32Load(), ...op.drop]));
    expect(summary.faults[0]!.reason).toBe("out-of-bounds");
  });
});
