// A module polling a bus cannot push real warnings out of the device's log:
// peripheral traffic is rate-limited per module and kind (with a count of
// what was dropped), and the device log keeps it out of its ring and MQTT
// link unless asked (`fwx agent --bus-traffic`).

import { describe, expect, it } from "vitest";
import { runSimulation } from "../../src/agent/simulate.js";
import { BusEventLimiter, DEFAULT_BUS_EVENT_RATE } from "../../src/agent/bus-events.js";
import type { LoggedEvent } from "../../src/agent/event-log.js";
import { DeviceLog, LOG_RING } from "../../src/ota/device-log.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { seconds } from "./helpers.js";

/** Reads the TMP102's temperature register every `periodMs`. */
function i2cPoller(periodMs: number): Uint8Array {
  const b = new ModuleBuilder();
  const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
  const writeRead = b.import("fwx:i2c@1", "write_read", ["i32", "i32", "i32", "i32", "i32", "i32"], ["i32"]);
  b.mem(1);
  b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(periodMs), ...op.i32(1), ...op.call(start)], { export: true });
  b.func("fwx_on_timer", { params: ["i32"], results: [] }, [
    ...op.i32(1), ...op.i32(0x48), ...op.i32(16), ...op.i32(1), ...op.i32(32), ...op.i32(2), ...op.call(writeRead), ...op.drop,
  ], { export: true });
  return b.build();
}

/** Logs a warning every `periodMs`. */
function warner(periodMs: number): Uint8Array {
  const b = new ModuleBuilder();
  const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
  const log = b.import("fwx:core@1", "log", ["i32", "i32", "i32"], ["i32"]);
  b.mem(1).dataAt(16, "door open too long");
  b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(periodMs), ...op.i32(1), ...op.call(start)], { export: true });
  b.func("fwx_on_timer", { params: ["i32"], results: [] }, [...op.i32(2), ...op.i32(16), ...op.i32(18), ...op.call(log), ...op.drop], { export: true });
  return b.build();
}

async function pollingRun(durationS: number, board = loadBoardFile(defaultBoardPath())) {
  const logged: LoggedEvent[] = [];
  await runSimulation({
    board,
    modules: [
      { id: "poller", bytes: i2cPoller(10), source: "poller.wasm", requested: { timers: 1, i2c: [{ bus: 1, address: 0x48 }] } },
      { id: "warner", bytes: warner(10_000), source: "warner.wasm", requested: { timers: 1 } },
    ],
    durationUs: seconds(durationS), watchdogMs: 0, onEvent: (e) => logged.push(e),
  });
  return logged;
}

const lineOf = (e: LoggedEvent) => ({ ...e, ts: 0, tUs: Number(e.tUs) });

describe("peripheral traffic events", () => {
  it("a module polling a bus at 100 Hz leaves every warning in the device log", async () => {
    const events = await pollingRun(120);
    const warnings = events.filter((e) => e.kind === "log" && e.module === "warner");
    expect(warnings).toHaveLength(12);
    const log = new DeviceLog();
    let published = 0;
    for (const e of events) if (log.record(lineOf(e))) published++;
    const kept = log.lines(undefined, LOG_RING);
    expect(kept.filter((l) => l.kind === "log").map((l) => l.tUs)).toEqual(warnings.map((w) => Number(w.tUs)));
    expect(kept.some((l) => l.kind === "i2c")).toBe(false);
    // Nothing of the bus traffic goes on the MQTT link either.
    expect(published).toBe(kept.length);
  });

  it("are rate-limited per module and kind, and count what they dropped", async () => {
    const events = await pollingRun(20);
    const i2c = events.filter((e) => e.kind === "i2c");
    // 100 transactions a second for 20 s: at most the burst plus the rate.
    expect(i2c.length).toBeLessThanOrEqual(DEFAULT_BUS_EVENT_RATE.burst + 20 * DEFAULT_BUS_EVENT_RATE.perSecond);
    expect(i2c.length).toBeGreaterThanOrEqual(20 * DEFAULT_BUS_EVENT_RATE.perSecond);
    const suppressed = i2c.reduce((n, e) => n + ((e.suppressed as number | undefined) ?? 0), 0);
    // Every transaction is either shown or counted (the last few dropped ones have no line after them yet).
    expect(i2c.length + suppressed).toBeGreaterThan(1990 - 10);
    expect(i2c.length + suppressed).toBeLessThanOrEqual(2000);
    expect(i2c[0]).toMatchObject({ module: "poller", device: "cold_room_tmp102", op: "write_read", tx: "00" });
  });

  it("are kept in the ring and on the link when asked for", () => {
    const log = new DeviceLog({ busTraffic: true });
    expect(log.record({ ts: 0, tUs: 1, module: "m", kind: "i2c", op: "read" })).toBe(true);
    expect(log.record({ ts: 0, tUs: 2, module: "m", kind: "log", message: "w" })).toBe(true);
    expect(log.lines().map((l) => l.kind)).toEqual(["i2c", "log"]);
    const quiet = new DeviceLog();
    for (const kind of ["i2c", "spi", "uart", "gpio", "pwm"]) expect(quiet.record({ ts: 0, tUs: 1, module: "m", kind }), kind).toBe(false);
    for (const kind of ["log", "fault", "lifecycle", "telemetry"]) expect(quiet.record({ ts: 0, tUs: 1, module: "m", kind }), kind).toBe(true);
  });

  it("a logs request's limit and module are read as the C device reads them (fwx_ota.c), whatever their type", () => {
    const log = new DeviceLog();
    for (let i = 0; i < 300; i++) log.record({ ts: i, tUs: i, module: i % 2 ? "a" : "b", kind: "log", message: String(i) });
    const count = (module: unknown, limit: unknown) => log.lines(module, limit).length;
    // Not a 32-bit integer, or 0: the default 100 (before: "abc" gave all 300, 1.5 gave 1, 1e12 gave 500).
    for (const limit of [undefined, 0, "abc", 1.5, 1e12, null, {}]) expect(count(undefined, limit), String(limit)).toBe(100);
    expect(count(undefined, -5)).toBe(1);
    expect(count(undefined, 7)).toBe(7);
    expect(count(undefined, 2 ** 31 - 1)).toBe(300);
    // A module that is not a string, or empty: every module (before: an object matched none).
    for (const module of [{ x: 1 }, 5, "", null]) expect(count(module, 500), String(module)).toBe(300);
    expect(count("a", 500)).toBe(150);
  });

  it("a line the limit drops is never described: its bytes are not formatted, its device not looked up", async () => {
    const board = loadBoardFile(defaultBoardPath());
    // The simulated bus's device lookup: the transaction itself does not use it, only a line naming the device.
    const bus = board.i2c(1)!;
    let lookups = 0;
    const device = bus.device.bind(bus);
    bus.device = (address: number) => {
      lookups++;
      return device(address);
    };
    const i2c = (await pollingRun(20, board)).filter((e) => e.kind === "i2c");
    // About 2,000 transactions, of which only the lines logged were described.
    expect(i2c.length).toBeLessThan(500);
    expect(lookups).toBe(i2c.length);
  });

  it("take() drops a line with null and hands the next line through the count dropped before it", () => {
    const lim = new BusEventLimiter({ perSecond: 1, burst: 1 });
    expect(lim.take("a", "i2c", 0n)).toBe(0);
    expect([lim.take("a", "i2c", 0n), lim.take("a", "i2c", 0n)]).toEqual([null, null]);
    expect(lim.take("a", "uart", 0n)).toBe(0);
    expect(lim.take("a", "i2c", 1_000_000n)).toBe(2);
    expect(lim.take("a", "i2c", 2_000_000n)).toBe(0);
    // Not bus traffic: never limited, however often.
    for (let i = 0; i < 10; i++) expect(lim.take("a", "log", 2_000_000n)).toBe(0);
  });

  it("the limiter keeps modules and kinds apart and lets other events through untouched", () => {
    const lim = new BusEventLimiter({ perSecond: 1, burst: 2 });
    const ev = { kind: "spi" };
    expect([lim.admit("a", ev, 0n), lim.admit("a", ev, 0n), lim.admit("a", ev, 0n)]).toEqual([ev, ev, null]);
    expect(lim.admit("b", ev, 0n)).toBe(ev);
    expect(lim.admit("a", { kind: "gpio" }, 0n)).toEqual({ kind: "gpio" });
    const log = { kind: "log", message: "x" };
    for (let i = 0; i < 10; i++) expect(lim.admit("a", log, 0n)).toBe(log);
    expect(lim.admit("a", ev, 1_000_000n)).toEqual({ kind: "spi", suppressed: 1 });
  });
});
