// Determinism on the simulated demo board, and record/replay.

import { describe, expect, it } from "vitest";
import { loadBoardFile, defaultBoardPath } from "../../src/sim/board.js";
import { runSimulation } from "../../src/agent/simulate.js";
import { eventToJson } from "../../src/agent/event-log.js";
import { replayRecording } from "../../src/agent/replay.js";
import { readRecording } from "../../src/agent/record.js";
import { sensorReporter, tickerModule, hostile } from "../fixtures/hostile/modules.js";
import type { ModuleSpec } from "../../src/agent/runtime.js";
import { seconds } from "./helpers.js";

const caps = { timers: 2, sensors: ["cold_room"], telemetry: ["room", "other"] };
const mod = (id: string, bytes: Uint8Array): ModuleSpec => ({ id, bytes, source: `${id}.wasm`, requested: caps });

async function run(modules: ModuleSpec[], record = false, duration = 30) {
  return runSimulation({ board: loadBoardFile(defaultBoardPath()), modules, durationUs: seconds(duration), record, watchdogMs: 0 });
}

describe("determinism", () => {
  it("the same modules, board and trace give a byte-identical event log", async () => {
    const mods = () => [mod("reporter", sensorReporter()), mod("ticker", tickerModule(700)), mod("crashy", hostile.unreachable())];
    const a = (await run(mods())).events.map(eventToJson).join("\n");
    const b = (await run(mods())).events.map(eventToJson).join("\n");
    expect(a.length).toBeGreaterThan(1000);
    expect(a).toBe(b);
    expect(a).toContain('"kind":"telemetry"');
    expect(a).toContain('"kind":"fault"');
  });
});

describe("record and replay", () => {
  it("replaying the recorded module reproduces every call", async () => {
    const bytes = sensorReporter();
    const { recording } = await run([mod("reporter", bytes), mod("ticker", tickerModule(700))], true);
    const { header, entries } = readRecording(recording!);
    expect(header.modules.map((m) => m.id)).toEqual(["reporter", "ticker"]);
    expect(entries.filter((e) => e.tag === "call" && e.module === 0)).toHaveLength(2 + 30 * 2);
    const result = replayRecording(recording!, bytes, "reporter");
    expect(result).toMatchObject({ module: "reporter", sameBinary: true, divergence: null, callbacks: 31, calls: 62 });
  });

  it("replays faults and restarts too", async () => {
    const bytes = hostile.unreachable();
    const { recording, faults } = await run([mod("crashy", bytes)], true, 10);
    expect(faults.length).toBeGreaterThan(1);
    expect(replayRecording(recording!, bytes).divergence).toBeNull();
  });

  it("reports the first divergence of a changed module", async () => {
    const { recording } = await run([mod("reporter", sensorReporter())], true);
    const changed = replayRecording(recording!, sensorReporter("cold_room", "other"));
    expect(changed.sameBinary).toBe(false);
    expect(changed.divergence).toMatchObject({
      callIndex: 3,
      function: "telemetry.publish",
      callback: "fwx_on_timer(1) at 1.000 s",
    });
    expect(changed.divergence!.expected).toMatch(/^telemetry\.publish\(topic="room", payload=/);
    expect(changed.divergence!.actual).toMatch(/^telemetry\.publish\(topic="other", payload=/);
    const slower = replayRecording(recording!, sensorReporter("cold_room", "room", 2000));
    expect(slower.divergence).toMatchObject({ callIndex: 1, function: "timer.start" });
    expect(slower.divergence!.expected).toBe("timer.start(id=1, period_ms=1000, periodic=true)");
    expect(slower.divergence!.actual).toBe("timer.start(id=1, period_ms=2000, periodic=true)");
  });

  it("rejects a file that is not a recording", () => {
    expect(() => readRecording(new TextEncoder().encode("FWXREX\x01"))).toThrow(/not a recording/);
    expect(() => readRecording(Uint8Array.from([...new TextEncoder().encode("FWXREC"), 9]))).toThrow(/format version 9/);
  });
});
