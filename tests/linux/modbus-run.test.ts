// `fwx run --dev` end to end against real counterparts: the modbus-energy-meter
// example reads its registers through the built CLI (dist/cli.js) from
// libmodbus over a socat pseudo-terminal pair, on the wall clock. Its
// telemetry must carry what the slave serves; a slave that stops answering
// (SIGSTOP) must raise the module's meter_comm alarm, and the run's recording
// must replay without the hardware. The CLI runs as a child
// with a kill timer, so a hang is a named failure.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floatRegisters, PtyLab, waitFor } from "./pty-modbus.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = resolve(import.meta.dirname, "../..");
const CLI = join(root, "dist/cli.js");
const EXAMPLE = join(root, "examples/modbus-energy-meter");
const lab = new PtyLab("fwx-linux-run-");

// Exactly representable in float32 and within the digits the module prints (voltage 0.1 V, current 0.01 A, power 1 W, energy 0.001 kWh, frequency 0.01 Hz), and unlike the demo trace.
const SERVED = { voltage_v: 231.5, current_a: 3.5, power_w: 808, energy_kwh: 1234.5, frequency_hz: 49.75 };

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does)");
  lab.setUp();
}, 600_000);
afterAll(() => lab.close());

interface Event { kind: string; topic?: string; text?: string; message?: string; tUs: number }

/** Starts `fwx run` with these arguments, collecting its JSON events as they stream; killed after `limitMs`. */
function startRun(args: string[], limitMs: number) {
  const child = lab.track(spawn(process.execPath, [...CHILD_NODE_FLAGS, CLI, "run", EXAMPLE, "--json", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] }));
  const events: Event[] = [];
  let out = "", err = "";
  child.stdout!.on("data", (d) => {
    out += d;
    const lines = out.split("\n");
    out = lines.pop()!;
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
  });
  child.stderr!.on("data", (d) => (err += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) => child.on("close", (code, signal) => { clearTimeout(killer); done({ code, signal }); }));
  return { events, exited, stderr: () => err };
}

const readings = (events: Event[]) => events.filter((e) => e.kind === "telemetry" && e.topic === "energy-meter/reading").map((e) => JSON.parse(e.text!));
const commAlarms = (events: Event[]) => events.filter((e) => e.kind === "telemetry" && e.topic === "energy-meter/alarm").map((e) => JSON.parse(e.text!)).filter((a) => a.alarm === "meter_comm");

describe("fwx run --dev: the Modbus meter example on a serial device", () => {
  it("publishes the registers libmodbus serves, then raises meter_comm when the slave stops answering", async () => {
    const { ours, theirs } = await lab.ptyPair();
    const slave = await lab.startSlave(theirs, floatRegisters(Object.values(SERVED)));
    const recording = join(lab.dir, "meter.fwxrec");
    const run = startRun(["--dev", `uart1=${ours}`, "--duration", "8s", "--config", "poll_period_s=1", "--record", recording], 60_000);
    await waitFor(`a reading (stderr: ${run.stderr()})`, 30_000, () => readings(run.events).length >= 2);
    slave.kill("SIGSTOP");
    const stoppedAfter = run.events.length;
    await waitFor(`the meter_comm alarm (stderr: ${run.stderr()})`, 30_000, () => commAlarms(run.events).length > 0);
    const { code, signal } = await run.exited;
    expect(signal, run.stderr()).toBeNull();
    expect(code, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/stopped, 0 faults/);
    for (const r of readings(run.events.slice(0, stoppedAfter))) expect(r).toEqual(SERVED);
    expect(commAlarms(run.events)[0]).toMatchObject({ active: true, reason: "no response" });
    expect(commAlarms(run.events.slice(0, stoppedAfter))).toEqual([]);
    // On the wall clock: the 8 s run ends at 8 s of device time, polls about a second apart (not run
    // ahead as a simulation would). A reading is stamped when the slave's answer arrives, which on a
    // loaded machine can lag its poll by a good part of a second, so the bounds are wide.
    const end = run.events.at(-1)!;
    expect(end.tUs).toBeGreaterThanOrEqual(8_000_000);
    const t = run.events.filter((e) => e.kind === "telemetry" && e.topic === "energy-meter/reading").map((e) => e.tUs);
    expect(t[1]! - t[0]!).toBeGreaterThan(500_000);
    expect(t[1]! - t[0]!).toBeLessThan(1_500_000);
    // The recording replays without the hardware: what the meter answered is in it.
    const wasm = join(lab.dir, "meter.wasm");
    const built = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, CLI, "build", EXAMPLE, "-o", wasm], { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(built.status, built.stderr).toBe(0);
    const replay = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, CLI, "replay", recording, wasm], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/^same: com\.example\.modbus-energy-meter .*made all \d+ recorded host calls in \d+ callbacks, and every callback ended as recorded/m);
  }, 120_000);

  const refuse = (args: string[]) => spawnSync(process.execPath, [...CHILD_NODE_FLAGS, CLI, "run", EXAMPLE, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });

  it("refuses a missing device file, naming the connector and the path, before anything runs", () => {
    const missing = join(lab.dir, "ttyUSB9");
    const r = refuse(["--dev", `uart1=${missing}`]);
    expect(r.status).toBe(2);
    // Named by the option that gave the path, not by the profile file, which does not hold it.
    expect(r.stderr.trim()).toBe(`fwx: run: --dev uart1=${missing}: serial device ${missing} does not exist (is the device connected and its driver loaded?)`);
  });

  it("refuses a --speed other than 1x with hardware, and a connector the profile lacks", async () => {
    const { ours } = await lab.ptyPair();
    const fast = refuse(["--dev", `uart1=${ours}`, "--speed", "10x"]);
    expect(fast.status).toBe(2);
    expect(fast.stderr).toContain(`--speed 10x: the board serves uart[0] ${ours} from real hardware, which runs on the wall clock only`);
    const unknown = refuse(["--dev", `uart9=${ours}`]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(`--dev uart9=${ours}: ${join(root, "boards/demo.json")} has no connector "uart9" a device path can serve (known: uart1 (rs485), uart2 (rs232), i2c1 (i2c1), gpio`);
    const bad = refuse(["--dev", "uart1"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--dev uart1: expected <connector>=<absolute device path>");
  });
});
