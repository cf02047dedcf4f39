// Integration of examples + simulator + device agent: each example runs on
// the demo board against its own trace, and what it publishes must match
// the scenario the trace describes.
import { describe, expect, test } from "vitest";
import { runExample, seconds } from "./helpers.js";

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
