// Builds an example project and runs it on the bundled demo board, the way
// `fwx run examples/<name> [--trace examples/<name>/trace.csv]` does.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildModule, type BuildResult } from "../../src/build/build.js";
import { loadModule } from "../../src/agent/load.js";
import { runSimulation, type SimulationResult } from "../../src/agent/simulate.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import type { LoggedEvent } from "../../src/agent/event-log.js";

export const EXAMPLES_DIR = resolve(import.meta.dirname, "../../examples");

export function exampleDir(name: string): string {
  return join(EXAMPLES_DIR, name);
}

export function buildExample(name: string): Promise<BuildResult> {
  return buildModule(exampleDir(name), { write: false });
}

export interface ExampleRun {
  result: SimulationResult;
  events: LoggedEvent[];
  telemetry(topic: string): Record<string, unknown>[];
  logs(level?: string): string[];
}

/**
 * Runs an example on the demo board for `durationUs` of device time, against
 * the example's own trace or (`trace: "board"`) the board's day-long one, as
 * a plain `fwx run examples/<name>` does.
 */
export async function runExample(name: string, durationUs: bigint, config: Record<string, string> = {}, options: { trace?: "example" | "board" } = {}): Promise<ExampleRun> {
  const dir = exampleDir(name);
  const tracePath = join(dir, "trace.csv");
  const board = options.trace === "board"
    ? loadBoardFile(defaultBoardPath())
    : loadBoardFile(defaultBoardPath(), { trace: parseTraceCsv(readFileSync(tracePath, "utf8"), tracePath) });
  const loaded = await loadModule(dir);
  for (const [k, v] of Object.entries(config)) {
    if (loaded.configFields && !loaded.configFields.some((f) => f.name === k)) throw new Error(`${name} has no setting ${k}`);
    loaded.config.set(k, v);
  }
  const result = await runSimulation({
    board,
    modules: [{ id: loaded.id, bytes: loaded.bytes, source: loaded.source, requested: loaded.requested ?? {}, config: loaded.config }],
    durationUs,
  });
  const events = result.events;
  return {
    result,
    events,
    telemetry: (topic) => events.filter((e) => e.kind === "telemetry" && e.topic === topic).map((e) => JSON.parse(String(e.text)) as Record<string, unknown>),
    logs: (level) => events.filter((e) => e.kind === "log" && (level === undefined || e.level === level)).map((e) => String(e.message)),
  };
}

export const seconds = (s: number): bigint => BigInt(Math.round(s * 1e6));
