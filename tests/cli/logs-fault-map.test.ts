// Issue 13 item 6, from a device: a module built without --debug-names
// faults on a device agent reached over a real broker; the device knows no
// names or lines and sends function indices and module offsets. `fwx logs`
// names the integrator's function and line from the build's debug map, found
// in the project's build output by the module's hash or given with --map.
// The field commands are runCli in this process, each under a time limit
// (tests/support/cli-in-process.ts).

import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildModule } from "../../src/build/build.js";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { flash } from "../../src/ota/flasher.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import { CUSTOMER, FAST_HEALTH, GROUP, makePackage, makeTrust, tempDir } from "../ota/fixtures.js";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { FAULT_LINE, faultyProject } from "../build/faulty-project.js";
import { runCliInProcessAsNode } from "../support/cli-in-process.js";

const fwx = (args: string[], cwd: string, timeoutMs = 30_000) => runCliInProcessAsNode(args, { cwd, timeoutMs });

describe("fwx logs names a device's fault through the build's debug map", () => {
  let broker: RunningBroker;
  const trust = makeTrust();
  const work = tempDir("logs-fault-map");
  beforeAll(async () => { broker = await startBroker(); }, 30_000);
  afterAll(async () => {
    await broker.close();
    work.cleanup();
  });

  it("finds the map in build/ by the module's hash, or takes --map; without one, shows positions", async () => {
    const project = faultyProject(join(work.path, "faulty"));
    const built = await buildModule(project);
    expect(built.ok).toBe(true);
    expect(built.debugMapFile).toBe(join(project, "build", "com.example.faulty.fwxmap.json"));
    const deviceId = "map-gw";
    const agent = await startSimDevice({
      deviceId, brokerUrl: broker.url, stateDir: join(work.path, "state"), rootPublicKey: trust.rootPub, ...trust.identity(deviceId),
      customer: CUSTOMER, group: GROUP, health: FAST_HEALTH,
    });
    try {
      const pkg = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: built.bytes!, capabilities: { timers: 1 }, config: [] });
      const r = await flash({ brokerUrl: broker.url, device: deviceId, pkg, cache: null, auth: trust.auth, connectTimeoutMs: 10_000, replyTimeoutMs: 20_000 });
      // The module faults at its first timer, during its trial: the device reverts it and keeps the fault in its log.
      expect(r.verdict).toBe("reverted");

      const args = ["logs", deviceId, "--broker", broker.url, "--module", "com.acme.ticker", "--lines", "50"];
      const found = await fwx(args, project);
      expect(found.code, found.err).toBe(0);
      expect(found.out).toMatch(/FAULT abort in fwx_on_timer\(1\): Index out of range at ~lib\/typedarray\.ts/);
      expect(found.out).toContain(`  at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
      expect(found.out).not.toMatch(/function\[\d+\]/);

      mkdirSync(join(work.path, "maps"));
      renameSync(built.debugMapFile!, join(work.path, "maps", "faulty.fwxmap.json"));
      const bare = await fwx(args, project);
      expect(bare.code, bare.err).toBe(0);
      expect(bare.out).toMatch(/function\[\d+\] \(function \d+\) at module byte 0x[0-9a-f]+/);
      expect(bare.out).toContain("no debug map for this module");

      const given = await fwx([...args, "--map", join(work.path, "maps", "faulty.fwxmap.json")], project);
      expect(given.code, given.err).toBe(0);
      expect(given.out).toContain(`  at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
    } finally {
      await agent.stop();
    }
  }, 120_000);
  it("after `fwx flash <project>` (no fwx build first), fwx logs in the project names the device's fault by file and line", async () => {
    // The integrator's loop on a device: flash the project straight from its sources (as `fwx flash . --watch`
    // does); the package is built in memory, so its debug map must be kept where fwx logs looks for it.
    const project = faultyProject(join(work.path, "flashed"));
    const manifest = join(project, "fwx.json");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace("com.example.faulty", "com.acme.faulty"));
    const files = join(work.path, "flash-files");
    mkdirSync(files);
    const file = (name: string, data: string | Uint8Array) => { writeFileSync(join(files, name), data); return join(files, name); };
    const deviceId = "flash-map-gw";
    const agent = await startSimDevice({
      deviceId, brokerUrl: broker.url, stateDir: join(work.path, "flash-state"), rootPublicKey: trust.rootPub, ...trust.identity(deviceId),
      customer: CUSTOMER, group: GROUP, health: FAST_HEALTH,
    });
    try {
      const flashed = await fwx(["flash", ".", "--device", deviceId, "--broker", broker.url, "--no-delta", "--timeout", "20",
        "--integrator-key", file("acme.key", privateKeyPem(trust.integratorKey)), "--integrator-cert", file("acme.cert", trust.certBytes),
        "--operator-key", file("ops.key", privateKeyPem(trust.auth.operator.key)), "--operator-cert", file("ops.opcert", trust.auth.operator.cert),
        "--root", file("root.pub", Buffer.from(trust.rootPub).toString("hex"))], project, 60_000);
      // The module faults at its first timer, during its trial: the device reverts it and keeps the fault in its log.
      expect(flashed.code, flashed.out + flashed.err).toBe(3);
      expect(flashed.out).toMatch(/reverted/);
      expect(readdirSync(join(project, "build"))).toEqual(["com.acme.faulty-0.1.0.flashed.fwxmap.json"]);

      const logs = await fwx(["logs", deviceId, "--broker", broker.url, "--module", "com.acme.faulty", "--lines", "50"], project);
      expect(logs.code, logs.err).toBe(0);
      expect(logs.out).toMatch(/FAULT abort in fwx_on_timer\(1\): Index out of range at ~lib\/typedarray\.ts/);
      expect(logs.out).toContain(`  at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
      expect(logs.out).not.toMatch(/function\[\d+\]/);
    } finally {
      await agent.stop();
    }
  }, 120_000);
});
