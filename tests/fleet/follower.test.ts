// Following the fleet through a real Mosquitto: two instances in one shared
// subscription group split the messages (each is written once), and an
// instance that starts later still learns every device from the retained
// status and presence.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openFleetDb, type FleetDb } from "../../src/fleet/db/open.js";
import { Follower, followFilters } from "../../src/fleet/follower.js";
import { FleetStore } from "../../src/fleet/store.js";
import { mosquittoBinary, mosquittoBroker, type TestBroker } from "../ota/brokers.js";
import { status } from "./fixtures.js";

const bin = mosquittoBinary();
if (!bin) throw new Error("mosquitto is not available (scripts/ensure-mosquitto.mjs could not install it)");

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("fleet follower on Mosquitto", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "fwx-fleet-follow-"));
  let broker: TestBroker;
  const dbs: FleetDb[] = [];
  const followers: Follower[] = [];
  let pub: mqtt.MqttClient;
  beforeAll(async () => {
    broker = await mosquittoBroker(bin, dir);
    pub = mqtt.connect(broker.url, { clientId: "fake-devices" });
    await new Promise((r) => pub.once("connect", r));
  });
  afterAll(async () => {
    for (const f of followers) await f.close();
    for (const d of dbs) await d.close();
    await pub?.endAsync();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("subscribes $share/<group>/fwx/v2/+/<kind>", () => {
    expect(followFilters("g1")).toEqual(["$share/g1/fwx/v2/+/status", "$share/g1/fwx/v2/+/presence", "$share/g1/fwx/v2/+/event", "$share/g1/fwx/v2/+/log"]);
    expect(followFilters(null)[0]).toBe("fwx/v2/+/status");
  });

  it("splits the load between two instances of a group and reads retained state at start", async () => {
    const db = await openFleetDb(join(dir, "fleet.db"));
    dbs.push(db);
    const store = new FleetStore(db.db);
    const errors: string[] = [];
    for (let i = 0; i < 2; i++) followers.push(await Follower.start({ brokerUrl: broker.url, shareGroup: "fleet", store, onError: (e) => errors.push(e.message) }));
    const N = 40;
    for (let i = 0; i < N; i++) {
      const id = `gw-${String(i).padStart(2, "0")}`;
      await pub.publishAsync(`fwx/v2/${id}/status`, JSON.stringify(status(id, { ts: 1000 + i })), { qos: 1, retain: true });
      await pub.publishAsync(`fwx/v2/${id}/log`, JSON.stringify({ ts: 2000 + i, module: "m", kind: "log", message: `hello ${i}` }), { qos: 1 });
    }
    // A status whose body names another device is refused, named, and not stored.
    await pub.publishAsync("fwx/v2/liar/status", JSON.stringify(status("gw-00")), { qos: 1 });
    await until("every message written", async () => followers[0]!.messages + followers[1]!.messages === 2 * N + 1);
    for (const f of followers) await f.settled();
    expect(followers[0]!.messages).toBeGreaterThan(0);
    expect(followers[1]!.messages).toBeGreaterThan(0);
    expect((await store.deviceIds({})).length).toBe(N);
    expect((await store.device("gw-07"))!.logs).toHaveLength(1);
    expect(errors).toEqual([`status on liar's topic names device "gw-00"`]);

    // A third instance, with a database of its own, learns every device from the retained messages alone.
    const db2 = await openFleetDb(join(dir, "fleet2.db"));
    dbs.push(db2);
    const store2 = new FleetStore(db2.db);
    const late = await Follower.start({ brokerUrl: broker.url, shareGroup: "fleet", store: store2 });
    followers.push(late);
    await late.settled();
    expect((await store2.deviceIds({})).length).toBe(N);
    expect((await store2.devices({ ids: ["gw-39"] }))[0]!.lastSeen).toBe(1039);
  });
});
