// The C ports in bench/c/ are what the AssemblyScript examples' size is
// measured against (npm run bench, "module size"), so they must do exactly
// what the examples do. In each scenario the port, run on the demo board
// beside the example, gives the same event log (every log line, telemetry
// message, pin change and timer, at the same device time), and where marked
// it also replays the example's recording call by call, argument by argument
// (strings and buffers by content), with the same callback outcomes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { C_PORTS, buildCPort, buildExampleBytes } from "../../bench/c-ports.js";
import { eventToJson } from "../../src/agent/event-log.js";
import { loadModule } from "../../src/agent/load.js";
import { replayRecording } from "../../src/agent/replay.js";
import { readRecording } from "../../src/agent/record.js";
import { runSimulation } from "../../src/agent/simulate.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { parseTraceCsv } from "../../src/sim/trace.js";

const EXAMPLES = join(import.meta.dirname, "../../examples");

/** Runs `bytes` as examples/<name> on the demo board (its own trace, or the board's day-long one), recording. */
async function run(example: string, bytes: Uint8Array, seconds: number, trace: "example" | "board", config: Record<string, string> = {}) {
  const dir = join(EXAMPLES, example);
  const tracePath = join(dir, "trace.csv");
  const board = trace === "board"
    ? loadBoardFile(defaultBoardPath())
    : loadBoardFile(defaultBoardPath(), { trace: parseTraceCsv(readFileSync(tracePath, "utf8"), tracePath) });
  const loaded = await loadModule(dir);
  for (const [k, v] of Object.entries(config)) loaded.config.set(k, v);
  const { recording, events, faults } = await runSimulation({
    board, durationUs: BigInt(seconds) * 1_000_000n, record: true, watchdogMs: 0,
    modules: [{ id: loaded.id, bytes, source: loaded.source, requested: loaded.requested ?? {}, config: loaded.config }],
  });
  return { recording: recording!, log: events.map(eventToJson), faults };
}

const SCENARIOS: Record<string, { seconds: number; trace: "example" | "board"; config?: Record<string, string>; replay: boolean }[]> = {
  // Door alarms, a temperature alarm and its clear; then a quiet day with readings.
  "cold-chain-alarm": [
    { seconds: 7200, trace: "example", replay: true },
    { seconds: 3600, trace: "board", config: { report_every: "1", threshold_c: "3.5" }, replay: true },
  ],
  // Pump start, start delay, blocks, alerts raised and cleared, reports; then another rate and period.
  "pump-vibration": [
    { seconds: 600, trace: "example", replay: true },
    { seconds: 300, trace: "example", config: { sample_rate_hz: "800", period_s: "5", report_every: "1" }, replay: true },
  ],
};

describe("C ports do what their examples do", () => {
  for (const { example, source } of C_PORTS) {
    it(`bench/c/${source} behaves as examples/${example}`, async () => {
      const port = buildCPort(source);
      const as = await buildExampleBytes(example);
      for (const scenario of SCENARIOS[example]!) {
        const original = await run(example, as, scenario.seconds, scenario.trace, scenario.config);
        const ported = await run(example, port, scenario.seconds, scenario.trace, scenario.config);
        expect(original.faults).toEqual([]);
        expect(original.log.length).toBeGreaterThan(50);
        expect(ported.log).toEqual(original.log);
        if (!scenario.replay) continue;
        const recording = original.recording;
        const { entries } = readRecording(recording);
        const calls = entries.filter((e) => e.tag === "call").length;
        // A recording with few calls would prove little.
        expect(calls).toBeGreaterThan(100);
        const result = replayRecording(recording, port);
        expect(result.sameBinary).toBe(false);
        expect(result.divergence).toBeNull();
        expect(result.calls).toBe(calls);
      }
    }, 120_000);
  }
});
