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
import { Follower, followFilters, type LogRow } from "../../src/fleet/follower.js";
import { FleetStore, type DeviceLogLine } from "../../src/fleet/store.js";
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

  /**
   * A follower of its own database whose log writes can be held (`stall` returns the release), slowed and refused,
   * started once the retained messages of the tests before it are taken: a marker device's presence, published
   * after them, tells when. `writes` is the size of each log write; `errors` the messages, `located` with topics.
   */
  async function followerOnSlowDb(name: string, opts: { delayMs?: number; refuse?: (rows: readonly DeviceLogLine[]) => Error | null; maxLogBatch?: number } = {}) {
    const db = await openFleetDb(join(dir, `${name}.db`));
    dbs.push(db);
    const store = new FleetStore(db.db);
    let gate: Promise<void> = Promise.resolve();
    const writes: number[] = [];
    const recordLogs = store.recordLogs.bind(store);
    store.recordLogs = async (rows) => {
      writes.push(rows.length);
      await gate;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      const refused = opts.refuse?.(rows);
      if (refused) throw refused;
      return recordLogs(rows);
    };
    const errors: string[] = [];
    const located: string[] = [];
    let marker = false;
    const f = await Follower.start({
      brokerUrl: broker.url, shareGroup: null, store, ...(opts.maxLogBatch ? { maxLogBatch: opts.maxLogBatch } : {}),
      onError: (e, topic) => { errors.push(e.message); located.push(`${topic}: ${e.message}`); },
      onRecorded: (_kind, device) => { if (device === `${name}-marker`) marker = true; },
    });
    followers.push(f);
    await pub.publishAsync(`fwx/v2/${name}-marker/presence`, JSON.stringify({ online: true, ts: 1 }), { qos: 1 });
    await until("the marker", () => marker);
    await f.settled();
    writes.length = 0;
    const stall = (): (() => void) => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return release;
    };
    return { db, store, f, writes, errors, located, stall, seen: f.messages };
  }

  it("writes log lines in batches while the database is slow, in order with the other messages, and past its limit keeps the newest and every fault", async () => {
    // A database that takes 300 ms per log write, refuses a poison line, and can be stopped altogether.
    const { store, f, writes, errors, stall, seen } = await followerOnSlowDb("slow", {
      delayMs: 300, maxLogBatch: 50, refuse: (rows) => (rows.some((r) => r.line.includes("poison")) ? new Error("the database refuses the poison line") : null),
    });
    const N = 45; // under the limit of 50 held lines
    for (let i = 0; i < N; i++) await pub.publishAsync("fwx/v2/slow-1/log", JSON.stringify({ ts: 10_000 + i, module: "m", kind: "log", message: `line ${i}` }), { qos: 1 });
    await pub.publishAsync("fwx/v2/slow-1/status", JSON.stringify(status("slow-1", { ts: 5 })), { qos: 1 });
    await until("every message taken", () => f.messages === seen + N + 1);
    await f.settled();
    // One sync per batch, not per line: lines arriving during a 300 ms write land in the next one.
    expect(writes.reduce((a, b) => a + b, 0)).toBe(N);
    expect(writes.length).toBeLessThan(N / 3);
    // The status queued after the lines is written after them, and the tail holds the newest lines.
    const d = (await store.device("slow-1"))!;
    expect(d.lastSeen).toBe(5);
    expect((d.logs as LogRow[]).map((l) => (JSON.parse(l.line) as { message: string }).message).at(-1)).toBe(`line ${N - 1}`);
    expect(errors).toEqual([]);

    // A stalled database: 50 lines are held, the oldest non-fault lines give way, the fault is kept, and the drop is reported.
    const before = writes.length;
    let release = stall();
    await pub.publishAsync("fwx/v2/slow-1/log", JSON.stringify({ ts: 20_000, module: "m", kind: "log", message: "first" }), { qos: 1 });
    await until("the stalled write started", () => writes.length > before);
    await pub.publishAsync("fwx/v2/slow-1/log", JSON.stringify({ ts: 20_001, module: "m", kind: "fault", reason: "trap", callback: "fwx_on_timer" }), { qos: 1 });
    for (let i = 0; i < 99; i++) await pub.publishAsync("fwx/v2/slow-1/log", JSON.stringify({ ts: 20_002 + i, module: "m", kind: "log", message: `burst ${i}` }), { qos: 1 });
    await until("the burst taken", () => f.messages === seen + N + 2 + 100);
    release();
    await f.settled();
    expect(errors).toEqual(["50 log lines dropped: the database fell 50 lines behind (fault lines are always kept)"]);
    const lines = ((await store.device("slow-1"))!.logs as LogRow[]).map((l) => JSON.parse(l.line) as { kind: string; message?: string });
    expect(lines.filter((l) => l.kind === "fault")).toHaveLength(1);
    expect(lines.map((l) => l.message)).toContain("burst 98");
    expect(lines.map((l) => l.message)).not.toContain("burst 0");

    // A line the database refuses costs only itself: the batch it came in is written line by line.
    errors.length = 0;
    const beforePoison = writes.length;
    release = stall();
    await pub.publishAsync("fwx/v2/slow-1/log", JSON.stringify({ ts: 30_000, module: "m", kind: "log", message: "stalled" }), { qos: 1 });
    await until("the stalled write started", () => writes.length > beforePoison);
    for (const message of ["good 1", "poison", "good 2"]) await pub.publishAsync("fwx/v2/slow-1/log", JSON.stringify({ ts: 30_001, module: "m", kind: "log", message }), { qos: 1 });
    await until("the three taken", () => f.messages === seen + N + 2 + 100 + 4);
    release();
    await f.settled();
    expect(errors).toEqual(["the database refuses the poison line"]);
    const after = ((await store.device("slow-1"))!.logs as LogRow[]).map((l) => (JSON.parse(l.line) as { message?: string }).message);
    expect(after).toEqual(expect.arrayContaining(["stalled", "good 1", "good 2"]));
    expect(after).not.toContain("poison");
  });

  it("says once per batch that the database refused every line for one reason, instead of once per line", async () => {
    let down = false;
    const { f, writes, located, stall, seen } = await followerOnSlowDb("down", { refuse: () => (down ? new Error("connect ECONNREFUSED 127.0.0.1:5432") : null) });
    const release = stall();
    await pub.publishAsync("fwx/v2/dev-a/log", JSON.stringify({ ts: 1, module: "m", kind: "log", message: "a1" }), { qos: 1 });
    await until("the first write started", () => writes.length === 1);
    for (const [d, m] of [["dev-a", "a2"], ["dev-b", "b1"], ["dev-b", "b2"], ["dev-a", "a3"]]) {
      await pub.publishAsync(`fwx/v2/${d}/log`, JSON.stringify({ ts: 2, module: "m", kind: "log", message: m }), { qos: 1 });
    }
    try {
      await until("the lines taken", () => f.messages === seen + 5);
      down = true;
    } finally {
      release();
    }
    await f.settled();
    expect(located).toEqual([
      "fwx/v2/dev-a/log: connect ECONNREFUSED 127.0.0.1:5432",
      "fwx/v2/+/log: 4 log lines of 2 devices not stored: connect ECONNREFUSED 127.0.0.1:5432",
    ]);
  });

  it("holds a bounded number of fault lines while the database stalls: past twice the limit the oldest faults give way, reported", async () => {
    const { db, f, writes, errors, stall, seen } = await followerOnSlowDb("crashy", { maxLogBatch: 10 });
    const release = stall();
    await pub.publishAsync("fwx/v2/crashy/log", JSON.stringify({ ts: 1, module: "m", kind: "log", message: "first" }), { qos: 1 });
    await until("the stalled write started", () => writes.length === 1);
    // A crash-looping module floods faults while the first write hangs; a plain line among them.
    for (let i = 0; i < 40; i++) {
      await pub.publishAsync("fwx/v2/crashy/log", JSON.stringify({ ts: 10 + i, module: "m", kind: "fault", reason: "trap", callback: "fwx_on_timer", n: i }), { qos: 1 });
      if (i === 25) await pub.publishAsync("fwx/v2/crashy/log", JSON.stringify({ ts: 100, module: "m", kind: "log", message: "among faults" }), { qos: 1 });
    }
    try {
      await until("the flood taken", () => f.messages === seen + 42);
    } finally {
      release();
    }
    await f.settled();
    expect(writes).toEqual([1, 20]);
    expect(errors).toEqual(["21 log lines dropped: the database fell 10 lines behind (20 of them fault lines, past 20 faults held)"]);
    // The device published no status, so it has no device row: its lines are read from the table.
    const stored = await db.db.selectFrom("logs").select("line").where("device_id", "=", "crashy").orderBy("ts").execute();
    expect(stored.map((l) => (JSON.parse(l.line) as { n?: number; message?: string }).n ?? (JSON.parse(l.line) as { message: string }).message))
      .toEqual(["first", ...Array.from({ length: 20 }, (_, k) => 20 + k)]);
  });
});
