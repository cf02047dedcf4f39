// `fwx agent --board boards/raspberry-pi-4.json --dev serial0=<pty>`: the
// device agent (a child process, against the embedded broker) installs the
// modbus-energy-meter example over OTA and runs it against libmodbus on a
// socat pseudo-terminal. Its readings reach MQTT with the values the slave
// serves; a slave that stops answering raises meter_comm. Every wait has a
// deadline and every child is killed in afterAll.

import { join, resolve } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModule } from "../../src/agent/load.js";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { flash } from "../../src/ota/flasher.js";
import { topicsFor } from "../../src/ota/protocol.js";
import { cliBundle, startChildAgent, writeRootKey, type ChildAgent } from "../ota/child-agent.js";
import { makePackage, makeTrust, tempDir } from "../ota/fixtures.js";
import { floatRegisters, PtyLab, waitFor } from "./pty-modbus.js";

const root = resolve(import.meta.dirname, "../..");
const lab = new PtyLab("fwx-linux-agent-");
const work = tempDir("linux-agent");
// The integrator may ship modules using a UART (the default test certificate grants none).
const trust = makeTrust({ capabilities: { timers: 4, telemetry: ["#"], kv: 1024, uart: [1] } });
const SERVED = { voltage_v: 228.5, current_a: 7.25, power_w: 1650, energy_kwh: 4321.25, frequency_hz: 50.25 };
/** Under the test certificate's module prefix (com.acme.). */
const MODULE_ID = "com.acme.modbus-energy-meter";
let broker: RunningBroker;
let cli = "";
let agent: ChildAgent | null = null;

beforeAll(async () => {
  lab.setUp();
  broker = await startBroker();
  cli = cliBundle();
}, 600_000);
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  lab.close();
  work.cleanup();
});

describe("fwx agent on a Linux board profile with --dev", () => {
  it("installs the Modbus meter over OTA and publishes what libmodbus serves on the Pi profile's UART; meter_comm when the slave stops", async () => {
    const { ours, theirs } = await lab.ptyPair();
    const slave = await lab.startSlave(theirs, floatRegisters(Object.values(SERVED)));
    const meter = await loadModule(join(root, "examples/modbus-energy-meter"));
    // Poll every second, so the health window and the test are short.
    const config = meter.configFields!.map((f) => (f.name === "poll_period_s" ? { ...f, default: 1 } : f));
    const pkg = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: meter.bytes, id: MODULE_ID, config, capabilities: meter.requested! });
    const device = "pi-gw";
    agent = startChildAgent(cli, {
      deviceId: device, broker: broker.url, stateDir: join(work.path, "state"), rootFile: writeRootKey(work.path, trust), trust,
      board: join(root, "boards/raspberry-pi-4.json"), extraArgs: ["--dev", `serial0=${ours}`], healthSeconds: 2,
    });
    await agent.online;
    const client = mqtt.connect(broker.url);
    const got: { topic: string; body: any }[] = [];
    try {
      await new Promise<void>((ok, fail) => client.once("connect", () => ok()).once("error", fail));
      await client.subscribeAsync(topicsFor(device).telemetry(MODULE_ID, "#"));
      client.on("message", (topic, payload) => got.push({ topic: topic.split("/").slice(-1)[0]!, body: JSON.parse(payload.toString()) }));
      const r = await flash({ brokerUrl: broker.url, device, pkg, cache: null, auth: trust.auth, connectTimeoutMs: 20_000, replyTimeoutMs: 30_000 });
      expect(r.verdict, `${r.reason}\n${agent.stderr()}`).toBe("confirmed");
      await waitFor(`two readings over MQTT (agent said: ${agent.stderr()})`, 20_000, () => got.filter((m) => m.topic === "reading").length >= 2);
      for (const m of got.filter((x) => x.topic === "reading")) expect(m.body).toEqual(SERVED);
      slave.kill("SIGSTOP");
      await waitFor(`the meter_comm alarm (agent said: ${agent.stderr()})`, 20_000, () => got.some((m) => m.topic === "alarm" && m.body.alarm === "meter_comm"));
      expect(got.find((m) => m.topic === "alarm")!.body).toMatchObject({ alarm: "meter_comm", active: true, reason: "no response" });
      expect(agent.stderr()).toMatch(/meter poll failed after all attempts: no response; meter_comm alarm raised/);
    } finally {
      await client.endAsync();
    }
  }, 180_000);

  it("refuses to start when a --dev device file is missing, naming the connector and the path", async () => {
    const missing = join(lab.dir, "ttyAMA9");
    const refused = startChildAgent(cli, {
      deviceId: "pi-missing", broker: broker.url, stateDir: join(work.path, "state-missing"), rootFile: writeRootKey(work.path, trust), trust,
      board: join(root, "boards/raspberry-pi-4.json"), extraArgs: ["--dev", `uart1=${missing}`],
    });
    const killer = setTimeout(() => refused.proc.kill("SIGKILL"), 30_000);
    const end = await refused.exited;
    clearTimeout(killer);
    expect(end).toEqual({ code: 2, signal: null });
    // Named by the option that gave the path, not by the profile file, which does not hold it.
    expect(refused.stderr()).toContain(`fwx: agent: --dev uart1=${missing}: serial device ${missing} does not exist (is the device connected and its driver loaded?)`);
  }, 60_000);
  it("the 40-pin header profile with --dev: refused at start naming the first missing device file and its connector (this machine has no /dev/gpiochip0)", async () => {
    const refused = startChildAgent(cli, {
      deviceId: "pi-header", broker: broker.url, stateDir: join(work.path, "state-header"), rootFile: writeRootKey(work.path, trust), trust,
      board: join(root, "boards/raspberry-pi-4-header.json"), extraArgs: ["--dev", "i2c1=/dev/i2c-9"],
    });
    const killer = setTimeout(() => refused.proc.kill("SIGKILL"), 30_000);
    const end = await refused.exited;
    clearTimeout(killer);
    expect(end).toEqual({ code: 2, signal: null });
    expect(refused.stderr()).toContain(`${join(root, "boards/raspberry-pi-4-header.json")}: gpio[0]: GPIO chip /dev/gpiochip0 does not exist`);
  }, 60_000);
});
