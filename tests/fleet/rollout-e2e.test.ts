// End to end, on a real Mosquitto: simulated gateways (the real agent), the
// fleet service following them through shared subscriptions, and rollouts
// through its HTTP API — a good version in waves, a faulty one that reverts
// on the first wave and halts the rollout without touching anyone else, and
// a service restart mid-rollout that installs on no device twice. Runs on
// the embedded SQLite and on PostgreSQL.

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleetService, type FleetService } from "../../src/fleet/service.js";
import { startFleetSim, type FleetSim } from "../../src/fleet/sim.js";
import type { RolloutView } from "../../src/fleet/rollouts.js";
import { CUSTOMER, GROUP, makePackage, makeTrust, tickerWasm } from "../ota/fixtures.js";
import { mosquittoBinary, mosquittoBroker, type TestBroker } from "../ota/brokers.js";
import { testDatabases } from "./db-matrix.js";

const COUNT = 6;
const HEALTH = { callbacks: 3, seconds: 0.3, timeoutSeconds: 5, maxTrialBoots: 2 };

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api<T>(svc: FleetService, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(svc.url + path, { method, ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}) });
  return { status: res.status, json: (await res.json()) as T };
}

const bin = mosquittoBinary();
if (!bin) throw new Error("mosquitto is not available (scripts/ensure-mosquitto.mjs could not install it)");

for (const tdb of await testDatabases()) {
  describe(`rollouts end to end on Mosquitto, ${tdb.name} database`, { timeout: 120_000 }, () => {
    const trust = makeTrust();
    const dir = mkdtempSync(join(tmpdir(), "fwx-fleet-e2e-"));
    let broker: TestBroker;
    let sim: FleetSim;
    let dbUrl: string;
    let svc: FleetService;
    /** Commands (begin, …) sent to each device, seen by an independent subscriber. */
    const commands: { device: string; payload: Buffer }[] = [];
    let spy: mqtt.MqttClient;
    const start = () => startFleetService({
      db: dbUrl, brokerUrl: broker.url, shareGroup: "fwx-fleet", port: 0, auth: trust.auth, cacheDir: join(dir, "cache"), deviceTimeoutMs: 20_000, tickMs: 100,
    });
    const trials = (device: string, version: string) =>
      sim.timeline(device).filter((e) => e.kind === "install" && e.event.phase === "trial" && e.event.version === version).length;
    const waitRollout = (id: string, states: string[]) => until(`rollout ${id} in ${states.join("/")}`, async () => {
      const r = (await api<RolloutView>(svc, "GET", `/api/rollouts/${id}`)).json;
      return states.includes(r.state) ? r : null;
    }, 60_000);

    beforeAll(async () => {
      broker = await mosquittoBroker(bin, dir);
      dbUrl = await tdb.fresh();
      spy = mqtt.connect(broker.url, { clientId: "spy" });
      await new Promise((r) => spy.once("connect", r));
      spy.on("message", (topic, payload) => commands.push({ device: topic.split("/")[2]!, payload }));
      await spy.subscribeAsync("fwx/v2/+/cmd", { qos: 1 });
      sim = await startFleetSim({ count: COUNT, brokerUrl: broker.url, rootKey: trust.rootKey, dir: join(dir, "devices"), customers: [CUSTOMER], groups: [GROUP], speed: 1, health: HEALTH });
      svc = await start();
    });
    afterAll(async () => {
      await svc?.close();
      await sim?.stop();
      await spy?.endAsync();
      await broker?.close();
      await tdb.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it("knows every device from the broker, with its customer, group and board", async () => {
      const devices = await until("all devices in the fleet database", async () => {
        const r = await api<{ id: string; customer: string; group: string; online: boolean; board: string }[]>(svc, "GET", "/api/devices");
        return r.json.length === COUNT && r.json.every((d) => d.online) ? r.json : null;
      });
      expect(devices.map((d) => d.id)).toEqual(sim.devices.map((d) => d.id));
      expect(new Set(devices.map((d) => `${d.customer}/${d.group}`))).toEqual(new Set([`${CUSTOMER}/${GROUP}`]));
      expect((await api<unknown[]>(svc, "GET", `/api/devices?group=nope`)).json).toEqual([]);
      const bad = await api<{ error: string }>(svc, "GET", "/api/devices?online=maybe");
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/online=maybe/);
    });

    it("rolls a good version out wave by wave; every device confirms it once", async () => {
      const pkg = makePackage(trust, { version: "1.0.0", sequence: 1 });
      const created = await api<RolloutView>(svc, "POST", "/api/rollouts", {
        package: Buffer.from(pkg).toString("base64"), target: `customer=${CUSTOMER}`, waves: "1,50%,100%", maxFailures: "0", maxConcurrent: 3,
      });
      expect(created.status).toBe(200);
      expect(created.json.waves.map((w) => w.size)).toEqual([1, 2, 3]);
      const done = await waitRollout(created.json.id, ["done", "halted"]);
      expect(done.state).toBe("done");
      expect(done.waves.map((w) => w.counts.confirmed)).toEqual([1, 2, 3]);
      // Waves ran in order: each started after the one before it finished.
      for (let i = 1; i < done.waves.length; i++) expect(done.waves[i]!.startedAt!).toBeGreaterThanOrEqual(done.waves[i - 1]!.finishedAt!);
      for (const d of sim.devices) expect(trials(d.id, "1.0.0")).toBe(1);
      await until("the new version in the database", async () => (await svc.store.deviceIds({ module: "com.acme.ticker", version: "1.0.0" })).length === COUNT);
    });

    it("halts when a faulty version reverts on the first wave; devices outside it are never sent anything", async () => {
      const bad = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ behaviour: "fault-on-timer" }) });
      const created = await api<RolloutView>(svc, "POST", "/api/rollouts", {
        package: Buffer.from(bad).toString("base64"), target: "version=com.acme.ticker@1.0.0", waves: "1,50%,100%", maxFailures: "0",
      });
      const halted = await waitRollout(created.json.id, ["done", "halted"]);
      expect(halted.state).toBe("halted");
      expect(halted.haltReason).toMatch(/^wave 1 of 3: 1 of 1 devices failed.*sim-1 reverted/);
      expect(halted.waves.map((w) => w.state)).toEqual(["halted", "pending", "pending"]);
      const first = sim.devices[0]!.id;
      const badSha = createHash("sha256").update(bad).digest();
      expect(commands.filter((c) => c.device === first && c.payload.includes(badSha)).length).toBeGreaterThan(0);
      expect(sim.timeline(first).some((e) => e.kind === "install" && e.event.phase === "reverted" && e.event.version === "2.0.0")).toBe(true);
      for (const d of sim.devices.slice(1)) {
        // A signed begin carries the package's SHA-256: no command to this device names the faulty package.
        expect(commands.filter((c) => c.device === d.id && c.payload.includes(badSha)), `${d.id} was sent the faulty package's begin`).toEqual([]);
        expect(sim.timeline(d.id).some((e) => e.kind === "install" && e.event.version === "2.0.0")).toBe(false);
        expect(d.agent.status().modules[0]!.version).toBe("1.0.0");
      }
      // The verdict history has the revert (from the device's event), and a halted rollout cannot be resumed.
      await until("the revert in the verdict history", async () => ((await svc.store.device(first))!.lastVerdict?.phase === "reverted"));
      expect((await api<{ error: string }>(svc, "POST", `/api/rollouts/${created.json.id}/resume`)).status).toBe(409);
    });

    it("resumes after a service restart mid-rollout without installing on any device twice; one delta per base", async () => {
      const pkg = makePackage(trust, { version: "3.0.0", sequence: 3, wasm: tickerWasm({ constant: 9 }) });
      const created = await api<RolloutView>(svc, "POST", "/api/rollouts", {
        package: Buffer.from(pkg).toString("base64"), target: `customer=${CUSTOMER}`, waves: "100%", maxFailures: "0", maxConcurrent: 2,
      });
      const id = created.json.id;
      // Stop the service while two devices are done, one is under way and others are not yet started.
      await until("two devices confirmed and one under way", async () => {
        const c = (await svc.rollouts!.get(id))!.waves[0]!.counts;
        return (c.confirmed ?? 0) >= 2 && (c.sending ?? 0) >= 1;
      }, 60_000);
      const computedBefore = svc.deltas.computed;
      await svc.close();
      const look = await tdb.open(dbUrl);
      const mid = await look.db.selectFrom("rollout_targets").select("state").where("rollout_id", "=", id).execute();
      await look.close();
      expect(mid.some((t) => t.state === "sending")).toBe(true);
      expect(mid.some((t) => t.state === "pending")).toBe(true);
      svc = await start();
      const done = await waitRollout(id, ["done", "halted"]);
      expect(done.state).toBe("done");
      expect(done.waves[0]!.counts.confirmed).toBe(COUNT);
      for (const d of sim.devices) expect(trials(d.id, "3.0.0"), `${d.id} trials of 3.0.0`).toBe(1);
      // The bases were 1.0.0 on every device: one delta, computed before the restart and read back after it.
      expect(computedBefore).toBeGreaterThanOrEqual(1);
      expect(svc.deltas.computed).toBe(0);
      const rows = await svc.db.db.selectFrom("deltas").selectAll().execute();
      expect(rows.filter((r) => r.target_sha256 === done.packageSha256)).toHaveLength(1);
    });
  });
}
