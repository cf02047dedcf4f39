// Integration of examples + simulator + device agent: each example runs on
// the demo board against its own trace, and what it publishes must match
// the scenario the trace describes.
import { describe, expect, test } from "vitest";
import { runExample, seconds, type ExampleRun } from "./helpers.js";

describe("cold-chain-alarm on the demo board", () => {
  // A reading is due every 6th sample of a 10 s timer: once a minute, on the
  // minute. Two at one instant (reported at 00:15:00, where the board's
  // trace steps at the same time as the sample timer fires) or a gap would
  // mean a timer delivered twice or lost between the SDK, the agent's
  // scheduler and the board's event stepping.
  const readingTimes = (run: ExampleRun) =>
    run.events.filter((e) => e.kind === "telemetry" && e.topic === "cold-chain/reading").map((e) => Number(e.tUs) / 1e6);
  const everyMinute = (minutes: number) => Array.from({ length: minutes }, (_, i) => 60 * (i + 1));

  test("`fwx run examples/cold-chain-alarm --duration 30m`: one reading per minute, on the minute", async () => {
    const run = await runExample("cold-chain-alarm", seconds(1800), {}, { trace: "board" });
    expect(run.result.faults).toEqual([]);
    expect(readingTimes(run)).toEqual(everyMinute(30));
    for (const r of run.telemetry("cold-chain/reading")) expect(r).toMatchObject({ state: 0, door_open: false, alarms: 0 });
  });

  test("2-hour scenario: brief door opening quiet, door left open buzzes, then one temperature alarm and its clear", async () => {
    const run = await runExample("cold-chain-alarm", seconds(7200));
    expect(run.result.faults).toEqual([]);
    expect(readingTimes(run)).toEqual(everyMinute(120));

    // Door open 600-645 s (inside the 120 s grace) and 1800-2160 s.
    expect(run.telemetry("cold-chain/door").map((d) => d.event)).toEqual(["open_too_long", "closed"]);
    const doorAt = run.events.filter((e) => e.kind === "telemetry" && e.topic === "cold-chain/door").map((e) => Number(e.tUs) / 1e6);
    expect(doorAt).toEqual([1920, 2160]);

    // Warm time counts only with the door closed: from 2160 s, 300 s of it.
    const alarms = run.telemetry("cold-chain/alarm");
    expect(alarms.map((a) => a.state)).toEqual(["alarm", "clear"]);
    expect(alarms[0]).toMatchObject({ warm_s: 300, count: 1 });
    const alarmAt = run.events.filter((e) => e.kind === "telemetry" && e.topic === "cold-chain/alarm").map((e) => Number(e.tUs) / 1e6);
    expect(alarmAt[0]).toBe(2460);
    // Cleared below threshold - hysteresis (7 °C), which the trace crosses near 3250 s.
    expect(Number(alarms[1]!.temp_c)).toBeLessThan(7);
    expect(alarmAt[1]).toBeGreaterThan(3200);
    expect(alarmAt[1]).toBeLessThan(3300);

    const relay = run.events.filter((e) => e.kind === "gpio" && e.pin === 5 && e.level !== undefined && e.mode === undefined).map((e) => e.level);
    expect(relay).toEqual([1, 0]);
  });
});

describe("modbus-energy-meter on the demo board", () => {
  test("10-minute scenario: readings every poll, limit alarms and the comm alarm at the right times", async () => {
    const run = await runExample("modbus-energy-meter", seconds(600));
    expect(run.result.faults).toEqual([]);

    const info = run.telemetry("energy-meter/info");
    expect(info).toEqual([{ unit_id: 1, demand_period_min: 15, ct_ratio: 1 }]);

    // Polls at 0, 10, ..., 590 s; the four polls of 06:00-06:30 fail (exception 04).
    const readings = run.telemetry("energy-meter/reading");
    expect(readings.length).toBe(60 - 4);
    for (const r of readings) {
      expect(r.voltage_v).toBeGreaterThan(195);
      expect(r.voltage_v).toBeLessThan(245);
      expect(r.frequency_hz).toBeGreaterThan(49.9);
      expect(r.frequency_hz).toBeLessThan(50.1);
      // Active power is V·I·cos φ with a power factor near 1.
      const pf = Number(r.power_w) / (Number(r.voltage_v) * Number(r.current_a));
      expect(pf).toBeGreaterThan(0.8);
      expect(pf).toBeLessThanOrEqual(1.01);
    }
    const energy = readings.map((r) => Number(r.energy_kwh));
    for (let i = 1; i < energy.length; i++) expect(energy[i]).toBeGreaterThanOrEqual(energy[i - 1]!);
    expect(energy[0]).toBeCloseTo(18342.5, 2);

    const alarms = run.telemetry("energy-meter/alarm").map((a) => `${a.alarm}:${a.active}`);
    expect(alarms).toEqual([
      "over_current:true", "over_current:false",
      "under_voltage:true", "under_voltage:false",
      "meter_comm:true", "meter_comm:false",
    ]);
    const comm = run.telemetry("energy-meter/alarm").find((a) => a.alarm === "meter_comm" && a.active === true)!;
    expect(comm.reason).toBe("slave device failure");
    expect(run.logs("error").some((l) => l.includes("meter poll failed"))).toBe(true);
  });

  test("a wrong baud rate in the configuration: no answers, retries, one comm alarm, no fault", async () => {
    const run = await runExample("modbus-energy-meter", seconds(35), { baud: "19200" });
    expect(run.result.faults).toEqual([]);
    expect(run.telemetry("energy-meter/reading")).toEqual([]);
    expect(run.telemetry("energy-meter/alarm")).toEqual([{ alarm: "meter_comm", active: true, reason: "no response", failed_polls: 1 }]);
    // 4 polls (0, 10, 20, 30 s) × 3 attempts.
    const sent = run.events.filter((e) => e.kind === "uart" && e.dir === "tx");
    expect(sent.length).toBe(12);
    expect(run.logs("warn").filter((l) => l.includes("no response (attempt")).length).toBe(3);
  });
});

describe("pump-vibration on the demo board", () => {
  test("15-minute scenario: zone B while healthy, one alert as the bearing degrades, cleared after the repair", async () => {
    const run = await runExample("pump-vibration", seconds(900), { report_every: "1" });
    expect(run.result.faults).toEqual([]);

    const readings = run.telemetry("pump/vibration");
    // Blocks every 10 s while running and past the 20 s run-up: 00:50..11:50 and 13:20..14:50.
    expect(readings.length).toBe(67 + 10);
    for (const r of readings) {
      // The ADXL345 shakes at the pump's 24.75 Hz shaft frequency.
      expect(Math.abs(Number(r.peak_hz) - 24.75)).toBeLessThan(0.5);
      expect(Number(r.band1_g)).toBeGreaterThan(Number(r.band2_g));
    }
    const first = readings[0]!;
    expect(first.zone).toBe("B");
    expect(Number(first.v_rms_mm_s)).toBeCloseTo(2.1 * Math.sqrt(1 + 0.15 ** 2), 0);

    const alerts = run.telemetry("pump/alert");
    expect(alerts.map((a) => a.active)).toEqual([true, false]);
    expect(Number(alerts[0]!.v_rms_mm_s)).toBeGreaterThanOrEqual(4.5);
    expect(alerts[0]!.alerts_total).toBe(1);
    expect(Number(alerts[1]!.v_rms_mm_s)).toBeLessThan(4.0);

    const led = run.events.filter((e) => e.kind === "gpio" && e.pin === 7 && e.level !== undefined && e.mode === undefined).map((e) => e.level);
    expect(led).toEqual([1, 0]);
    const raisedAt = Number(run.events.find((e) => e.kind === "telemetry" && e.topic === "pump/alert")!.tUs);
    // The trace crosses 4.5 mm/s between 05:00 and 06:00.
    expect(raisedAt).toBeGreaterThan(300e6);
    expect(raisedAt).toBeLessThan(360e6);
  });
});
