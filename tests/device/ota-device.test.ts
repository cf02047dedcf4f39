// The C reference device (fwx-device, built against the wasm3 test double)
// against a real Mosquitto, with the real CLI as the peer: `fwx flash`,
// `fwx devices`, `fwx logs`, `fwx rollback`, `fwx remove`, `fwx config`
// unchanged. Every process runs under a time limit.

import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli, writeRootKey } from "../ota/child-agent.js";
import { mosquittoBinary, mosquittoBroker, type TestBroker } from "../ota/brokers.js";
import { makeTrust, tempDir, MODULE, type Trust } from "../ota/fixtures.js";
import { buildTestDevice, cli, mcuPackage, startDevice, writePackage, root, type ChildDevice } from "./device-fixtures.js";

let exe = "";
let cliPath = "";
let broker: TestBroker;
let trust: Trust;
let dir: { path: string; cleanup(): void };
let rootFile = "";
const devices: ChildDevice[] = [];
let n = 0;

beforeAll(async () => {
  dir = tempDir("c-device");
  const bin = mosquittoBinary();
  if (!bin) throw new Error("mosquitto is not installed (scripts/ensure-mosquitto.mjs could not install it)");
  broker = await mosquittoBroker(bin, dir.path);
  mkdirSync(join(root, "tests/c/build"), { recursive: true });
  exe = buildTestDevice(join(root, "tests/c/build/fwx-device-fake"));
  cliPath = await bundleCli();
  trust = makeTrust();
  rootFile = writeRootKey(dir.path, trust);
}, 240_000);

afterAll(async () => {
  for (const d of devices) await d.stop();
  await broker?.close();
  dir?.cleanup();
});

async function device(opts: { customer?: string; stateDir?: string; env?: Record<string, string> } = {}) {
  const id = `cdev-${process.pid}-${++n}`;
  const stateDir = opts.stateDir ?? join(dir.path, id);
  const d = startDevice(exe, { deviceId: id, broker: broker.url, stateDir, rootFile, ...opts });
  devices.push(d);
  await d.online;
  return { id, stateDir, d };
}

function flashArgs(pkg: string, id: string, extra: string[] = []) {
  return ["flash", pkg, "--device", id, "--broker", broker.url, "--json", "--timeout", "20", "--cache", join(dir.path, "cache"), ...extra];
}

describe("fwx-device (C) with fwx flash over Mosquitto", () => {
  it("installs a full transfer and confirms it after the health window", async () => {
    const { id, stateDir } = await device();
    const pkg = writePackage(dir.path, "v1.fwx", mcuPackage(trust, { version: "1.0.0", sequence: 1 }));
    const r = await cli(cliPath, flashArgs(pkg, id));
    expect(r.json?.verdict, r.stdout + r.stderr).toBe("confirmed");
    expect(r.status).toBe(0);
    const state = JSON.parse(readFileSync(join(stateDir, "device.json"), "utf8"));
    expect(state.modules[0]).toMatchObject({ id: MODULE, confirmed: "A", trial: null, installedSeq: 1 });
    expect(existsSync(join(stateDir, "slots", MODULE, "A.fwx"))).toBe(true);
    const devs = await cli(cliPath, ["devices", "--broker", broker.url, "--json"], 20_000);
    expect(devs.stdout).toContain(id);
    expect(devs.stdout).toContain("1.0.0");
  }, 90_000);
});
