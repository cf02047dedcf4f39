// Shared fixtures for the simulator tests: the demo profile as JSON, a
// mutable copy of it, and a board built from a profile and inline trace.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultBoardPath, loadBoard, type Board } from "../../src/sim/board.js";
import { parseTraceCsv } from "../../src/sim/trace.js";

export const DEMO_PATH = defaultBoardPath();
export const DEMO_JSON: Record<string, unknown> = JSON.parse(readFileSync(DEMO_PATH, "utf8"));
export const DEMO_TRACE_TEXT = readFileSync(join(DEMO_PATH, "..", "traces", "demo-day.csv"), "utf8");
export const SCHEMA = JSON.parse(readFileSync(join(DEMO_PATH, "..", "schema.json"), "utf8"));

/** A deep copy of the demo profile to break in one place. */
export function demoCopy(): any {
  return structuredClone(DEMO_JSON);
}

export function demoBoard(seed?: number): Board {
  return loadBoard(DEMO_JSON, { source: "boards/demo.json", trace: parseTraceCsv(DEMO_TRACE_TEXT, "boards/traces/demo-day.csv"), ...(seed === undefined ? {} : { seed }) });
}

/** A board from a small profile; `trace` is CSV text without the header. */
export function boardFrom(profile: Record<string, unknown>, trace?: string, seed = 1): Board {
  const full = { name: "test", seed, grantable: {}, ...profile };
  return loadBoard(full, { source: "boards/test.json", ...(trace === undefined ? {} : { trace: parseTraceCsv("time,sensor,value\n" + trace, "test.csv") }) });
}

export const S = (seconds: number): bigint => BigInt(Math.round(seconds * 1e6));
