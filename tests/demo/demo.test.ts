// `npm start` is the main job: it must keep working end to end.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isAlert, isNotable, tally } from "../../src/demo/story.js";
import type { LoggedEvent } from "../../src/agent/event-log.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

const ev = (kind: string, fields: Record<string, unknown> = {}): LoggedEvent => ({ tUs: 0n, module: "m", kind, ...fields });

describe("demo story", () => {
  it("keeps alarms, output changes, input edges, warnings, faults and lifecycle; drops routine traffic", () => {
    expect(isNotable(ev("telemetry", { topic: "cold-chain/alarm" }))).toBe(true);
    expect(isNotable(ev("telemetry", { topic: "cold-chain/reading" }))).toBe(false);
    expect(isNotable(ev("gpio", { pin: 5, level: 1 }))).toBe(true);
    expect(isNotable(ev("gpio", { pin: 2, level: 1, edge: "rising" }))).toBe(true);
    expect(isNotable(ev("gpio", { pin: 5, released: true }))).toBe(false);
    expect(isNotable(ev("log", { level: "info", message: "x" }))).toBe(false);
    expect(isNotable(ev("log", { level: "warn", message: "x" }))).toBe(true);
    expect(isNotable(ev("i2c", { bus: 1 }))).toBe(false);
    expect(isAlert(ev("telemetry", { topic: "pump/alerts" }))).toBe(true);
    expect(isAlert(ev("telemetry", { topic: "pump/alertness" }))).toBe(false);
  });

  it("tallies per module, counting claims and edges as no output switching", () => {
    const t = tally([
      ev("telemetry", { topic: "a/alarm" }), ev("telemetry", { topic: "a/reading" }),
      ev("gpio", { pin: 5, level: 1 }), ev("gpio", { pin: 5, mode: "output", level: 0 }), ev("gpio", { pin: 2, level: 1, edge: "rising" }),
      ev("pwm", { channel: 0, duty: 0.5 }), ev("pwm", { channel: 0, duty: 0, closed: true }), ev("fault", { reason: "abort" }),
    ]).get("m")!;
    expect(t).toEqual({ telemetry: 2, alerts: 1, outputsSwitched: 2, warnings: 0, faults: 1 });
  });
});

describe("fwx demo (npm start)", () => {
  it("signs the examples, flashes them over MQTT, and runs the confirmed modules on the demo board", () => {
    const out = execFileSync(process.execPath, [...CHILD_NODE_FLAGS, cli, "demo", "--duration", "16h"], { encoding: "utf8", timeout: 120_000 });
    const confirmed = out.split("\n").filter((l) => /^\s+confirmed /.test(l));
    expect(confirmed.map((l) => l.trim().split(/\s+/)[1])).toEqual(["cold-chain-alarm", "modbus-energy-meter", "pump-vibration"]);
    // The afternoon of the demo trace: the door is left open, the buzzer sounds, then the temperature alarm.
    expect(out).toMatch(/cold-chain-alarm\s+gpio\s+buzzer \(pin 6\) → high/);
    expect(out).toMatch(/cold-chain-alarm\s+telemetry\s+cold-chain\/alarm\s+\{"state":"alarm"/);
    expect(out).toMatch(/^summary: 16:00:00\.000 of device time/m);
    expect(out).not.toMatch(/\bfault\b.*:/);
  }, 150_000);
});
