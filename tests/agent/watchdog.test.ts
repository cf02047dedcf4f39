// The wall-clock watchdog behind fuel: a callback that runs too long ends as
// a `watchdog` fault whether it had a timer of its own (an instance used
// alone) or ran inside one of the agent's shared watchdog frames, and the run
// goes on with the right outcome reported for the callback that was cut off.

import { describe, expect, it } from "vitest";
import type { CallOutcome } from "../../src/agent/instance.js";
import type { DeliveryKind } from "../../src/agent/runtime.js";
import { replayRecording } from "../../src/agent/replay.js";
import { runSimulation } from "../../src/agent/simulate.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { frameIsFresh, insideFrame, isWatchdogTimeout, runFrame } from "../../src/agent/watchdog.js";
import { hostile, tickerModule } from "../fixtures/hostile/modules.js";
import { seconds, spec, standaloneInstance, testAgent, testBoard } from "./helpers.js";

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe("watchdog frames", () => {
  it("a frame reports itself; outside one, every callback may start", () => {
    expect(insideFrame()).toBe(false);
    expect(frameIsFresh()).toBe(true);
    const seen = runFrame(1000, () => [insideFrame(), frameIsFresh()]);
    expect(seen).toEqual([true, true]);
    expect(insideFrame()).toBe(false);
  });

  it("a frame goes stale after its fresh fraction, so no callback starts late in it", () => {
    // 100 ms limit: fresh for the first 5 ms.
    expect(runFrame(100, () => { spin(10); return frameIsFresh(); })).toBe(false);
  });

  it("frames do not nest", () => {
    expect(() => runFrame(1000, () => runFrame(1000, () => 0))).toThrow(/do not nest/);
    expect(insideFrame()).toBe(false);
  });

  it("a body that overruns the limit is interrupted and the frame closes", () => {
    let err: unknown;
    try {
      runFrame(30, () => { for (;;) spin(1); });
    } catch (e) {
      err = e;
    }
    expect(isWatchdogTimeout(err)).toBe(true);
    expect(insideFrame()).toBe(false);
  });
});

describe("watchdog faults", () => {
  it("an instance used alone gets its own timer", () => {
    const inst = standaloneInstance(hostile.infiniteLoop(), { fuel: 1n << 60n, watchdogMs: 50 });
    const outcome = inst.call("fwx_on_timer", [1]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.report).toMatchObject({ reason: "watchdog", callback: "fwx_on_timer(1)" });
    expect(outcome.report.fuelUsed).toBeGreaterThan(0);
    expect(inst.callInFlight).toBe(false);
  });

  it("inside Agent.run, the cut-off callback's outcome is reported, the module restarts and faults again, its neighbour runs on", async () => {
    const log: [number, DeliveryKind | "outcome", string][] = [];
    const agent = testAgent({
      // Not less: a starved machine can hold the agent between callbacks past a shorter frame (a host error by design).
      watchdogMs: 500,
      restart: { backoffBaseMs: 500 },
      observer: {
        delivery: (i, _t, kind) => log.push([i, kind, ""]),
        outcome: (i, o: CallOutcome) => log.push([i, "outcome", o.ok ? "ok" : o.report.reason]),
      },
    });
    await agent.addModule(spec("good", tickerModule(500)));
    await agent.addModule(spec("bad", hostile.infiniteLoop(), { fuel: 1n << 60n }));
    const summary = await agent.run(seconds(1.2));
    expect(summary.faults.map((f) => [f.module, f.reason, f.callback])).toEqual([["bad", "watchdog", "fwx_on_timer(1)"], ["bad", "watchdog", "fwx_on_timer(1)"]]);
    expect(summary.modules.find((m) => m.id === "bad")).toMatchObject({ restarts: 1, faults: 2 });
    // Every delivery to the bad module is followed by its outcome, in order.
    const bad = log.filter(([i]) => i === 1).map(([, k, r]) => (k === "outcome" ? r : k));
    expect(bad).toEqual(["init", "ok", "timer", "watchdog", "init", "ok", "timer", "watchdog"]);
    const ticks = agent.log.events.filter((e) => e.module === "good" && e.kind === "log").map((e) => e.tUs);
    expect(ticks).toEqual([500_000n, 1_000_000n]);
  });

  it("the agent's own work overrunning a frame is an error of the agent, not a module fault", async () => {
    let due: bigint | null = 50_000n;
    const board = {
      ...testBoard(),
      nextEventAt: () => due,
      advanceTo: (t: bigint) => {
        if (due !== null && t >= due) {
          due = null;
          spin(300);
        }
      },
    };
    const agent = testAgent({ board, watchdogMs: 100 });
    await agent.addModule(spec("good", tickerModule(500)));
    await expect(agent.run(seconds(1))).rejects.toThrow(/agent's own work, outside any module callback, ran past the 100 ms watchdog/);
  });

  it("replay runs callbacks in frames too: a recorded watchdog fault replays as the same fault", async () => {
    const bytes = hostile.infiniteLoop();
    const { recording, faults } = await runSimulation({
      board: loadBoardFile(defaultBoardPath()), durationUs: seconds(1.5), record: true, watchdogMs: 500, restart: { backoffBaseMs: 60_000 },
      modules: [{ id: "spin", bytes, source: "spin.wasm", requested: { timers: 1 }, fuel: 1n << 60n }],
    });
    expect(faults.map((f) => f.reason)).toEqual(["watchdog"]);
    const replayed = replayRecording(recording!, bytes, "spin", { watchdogMs: 500 });
    expect(replayed).toMatchObject({ callbacks: 2, divergence: null });
  });
});
