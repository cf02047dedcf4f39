// A trace given for a run (fwx run --trace) replaces the profile's own trace
// column by column: a file with only the columns the run is about is enough,
// and every other column keeps the profile's rows.

import { describe, expect, it } from "vitest";
import { defaultBoardPath, loadBoardFile, overlayTrace } from "../../src/sim/board.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { DEMO_TRACE_TEXT } from "./helpers.js";

const partial = () => parseTraceCsv("time,sensor,value\n0,cold_room,4.0\n60,cold_room,9.5\n", "mine.csv");

describe("a partial --trace over the profile's own", () => {
  it("takes its columns and keeps the profile's rows for the others", () => {
    const own = parseTraceCsv(DEMO_TRACE_TEXT, "boards/traces/demo-day.csv");
    const t = overlayTrace(partial(), own);
    expect(t.source).toBe("mine.csv");
    expect(t.series.get("cold_room")!.map((r) => r.value)).toEqual([4, 9.5]);
    expect(t.series.get("pump_vibration")).toBe(own.series.get("pump_vibration"));
    expect([...t.series.keys()].sort()).toEqual([...own.series.keys()].sort());
    expect(t.endUs).toBe(own.endUs);
  });

  it("loads the demo board with a trace holding one column (it needed every column before)", () => {
    const board = loadBoardFile(defaultBoardPath(), { trace: partial(), source: "boards/demo.json" });
    expect(board.trace!.series.get("cold_room")!.length).toBe(2);
    expect(board.trace!.series.get("pump_vibration")!.length).toBeGreaterThan(2);
  });
});
