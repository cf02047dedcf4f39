import { describe, expect, it } from "vitest";
import { TraceError } from "../../src/sim/errors.js";
import { parseTraceCsv, traceEdges, traceValueAt } from "../../src/sim/trace.js";
import { boardFrom, DEMO_TRACE_TEXT, S } from "./helpers.js";

function traceError(text: string): TraceError {
  try {
    parseTraceCsv(text, "t.csv");
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    return e as TraceError;
  }
  throw new Error("trace was accepted");
}

describe("trace CSV parsing", () => {
  it("parses comments, the header and exact microsecond times", () => {
    const t = parseTraceCsv("# a comment\n\ntime,sensor,value\n0,a,1\n1.000001,a,2.5\n2,b,timeout\n", "t.csv");
    expect(t.series.get("a")).toEqual([{ timeUs: 0n, value: 1, line: 4 }, { timeUs: 1_000_001n, value: 2.5, line: 5 }]);
    expect(t.series.get("b")![0]!.value).toBe("timeout");
    expect(t.endUs).toBe(2_000_000n);
  });

  it("parses the bundled demo trace", () => {
    const t = parseTraceCsv(DEMO_TRACE_TEXT, "demo-day.csv");
    expect(t.endUs).toBe(86_400_000_000n);
    expect(t.series.get("cold_room")!.length).toBeGreaterThan(280);
  });

  const cases: [string, string, number, number, string][] = [
    ["missing header", "0,a,1\n", 1, 1, "header must be exactly \"time,sensor,value\""],
    ["no rows and no header", "# only a comment\n", 1, 1, "missing header"],
    ["bad time", "time,sensor,value\n0,a,1\n1:30,a,2\n", 3, 1, "time \"1:30\" is not seconds"],
    ["too many decimals", "time,sensor,value\n0.1234567,a,1\n", 2, 1, "time \"0.1234567\" is not seconds as a decimal number (e.g. 90 or 3600.25, at most 6 decimals)"],
    ["negative time", "time,sensor,value\n-1,a,1\n", 2, 1, "time \"-1\" is not seconds"],
    ["bad sensor name", "time,sensor,value\n0, 9a ,1\n", 2, 4, "sensor \"9a\" is not a name"],
    ["bad value", "time,sensor,value\n0,a,1\n5,a,warm\n", 3, 5, "value \"warm\" is not a number"],
    ["too few fields", "time,sensor,value\n0,a\n", 2, 4, "expected 3 fields"],
    ["too many fields", "time,sensor,value\n0,a,1,2\n", 2, 7, "expected 3 fields"],
    ["time going back", "time,sensor,value\n10,a,1\n5,b,1\n4,a,2\n", 4, 1, "time 4 s goes back before line 2 of sensor a"],
  ];
  for (const [what, text, line, column, message] of cases) {
    it(`reports ${what} at ${line}:${column}`, () => {
      const e = traceError(text);
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.message).toContain(`t.csv:${line}:${column}: ${message}`);
    });
  }
});

describe("trace values on the virtual clock", () => {
  const points = parseTraceCsv("time,sensor,value\n10,a,0\n20,a,10\n20,a,30\n30,a,fault\n40,a,40\n", "t.csv").series.get("a")!;

  it("linear interpolates between numeric rows", () => {
    expect(traceValueAt(points, S(15), "linear")).toBe(5);
    expect(traceValueAt(points, S(12.5), "linear")).toBe(2.5);
  });

  it("step holds the previous row", () => {
    expect(traceValueAt(points, S(15), "step")).toBe(0);
    expect(traceValueAt(points, S(19.999999), "step")).toBe(0);
  });

  it("holds the first value before the trace and the last after it", () => {
    expect(traceValueAt(points, 0n, "linear")).toBe(0);
    expect(traceValueAt(points, S(1000), "linear")).toBe(40);
  });

  it("jumps at two rows with the same time and steps around fault rows", () => {
    expect(traceValueAt(points, S(20), "linear")).toBe(30);
    expect(traceValueAt(points, S(25), "linear")).toBe(30);
    expect(traceValueAt(points, S(35), "linear")).toBe("fault");
  });

  it("derives pin edges at the exact row times", () => {
    const door = parseTraceCsv("time,sensor,value\n0,d,0\n5.5,d,1\n6,d,1\n7.25,d,0\n", "t.csv").series.get("d")!;
    expect(traceEdges(door)).toEqual([{ timeUs: 5_500_000n, level: true }, { timeUs: 7_250_000n, level: false }]);
  });

  it("a sensor follows its profile's interpolation", () => {
    const b = boardFrom({
      sensors: [
        { name: "lin", unit: "C", range: { min: -50, max: 50 }, source: { trace: "a" } },
        { name: "stp", unit: "C", range: { min: -50, max: 50 }, source: { trace: "a", interpolation: "step" } },
      ],
    }, "0,a,0\n10,a,10\n");
    expect(b.sensor("lin")!.read(S(2.5), "m")).toEqual({ ok: true, value: 2.5 });
    expect(b.sensor("stp")!.read(S(2.5), "m")).toEqual({ ok: true, value: 0 });
    expect(b.sensor("stp")!.read(S(10), "m")).toEqual({ ok: true, value: 10 });
  });
});
