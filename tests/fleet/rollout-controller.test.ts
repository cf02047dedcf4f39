// The rollout controller's decisions — waves, thresholds, concurrency, rate,
// pause/resume/cancel, approval — with a flash function the test answers by
// hand (the real one, through a broker and agents, is rollout-e2e.test.ts).
import type { KyselyPlugin } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { parseMaxFailures, parseRate, parseTarget, parseWaves, PlanError, waveSizes, allowedFailures } from "../../src/fleet/rollout-plan.js";
import { RolloutController, RolloutStateError, type DeviceOutcome } from "../../src/fleet/rollouts.js";
import { FleetStore } from "../../src/fleet/store.js";
import { makePackage, makeTrust } from "../ota/fixtures.js";
import { testDatabases } from "./db-matrix.js";
import { status } from "./fixtures.js";

describe("rollout plans", () => {
  it("splits devices into cumulative waves with a minimum per wave", () => {
    const w = parseWaves("1,5%,25%,100%");
    expect(waveSizes(w, 1000)).toEqual([1, 49, 200, 750]);
    expect(waveSizes(w, 10)).toEqual([1, 1, 1, 7]); // a step that adds no device still gets --min-per-wave (1)
    expect(waveSizes(w, 10, 3)).toEqual([3, 3, 3, 1]);
    expect(waveSizes(parseWaves("2,50%"), 10)).toEqual([2, 8]); // the last wave takes the rest
    expect(waveSizes(w, 1)).toEqual([1]);
  });

  it("computes allowed failures per wave", () => {
    expect(allowedFailures(parseMaxFailures("2%"), 200)).toBe(4);
    expect(allowedFailures(parseMaxFailures("2%"), 1)).toBe(0);
    expect(allowedFailures(parseMaxFailures("3"), 1)).toBe(3);
  });

  it("parses targets and names what is wrong", () => {
    expect(parseTarget("customer=acme,group=line-1,board=b")).toEqual({ customer: "acme", group: "line-1", board: "b" });
    expect(parseTarget("version=com.acme.alarm@1.2.0")).toEqual({ module: "com.acme.alarm", version: "1.2.0" });
    expect(parseTarget("devices=gw-1+gw-2")).toEqual({ ids: ["gw-1", "gw-2"] });
    expect(parseTarget("all")).toEqual({});
    expect(() => parseTarget("colour=red")).toThrow(/unknown key "colour"/);
    expect(() => parseTarget("version=1.2.0")).toThrow(/<module>@<version>/);
    expect(() => parseTarget("devices=gw/1")).toThrow(/device id "gw\/1"/);
    expect(() => parseWaves("1,,5%")).toThrow(PlanError);
    expect(() => parseWaves("150%")).toThrow(/"150%" is neither/);
    // Cumulative steps grow; one that does not is a slip, refused rather than turned into "then everything".
    expect(() => parseWaves("50%,10%")).toThrow('--waves "50%,10%": "10%" does not go past the earlier "50%": each step is where the rollout stands after that wave (cumulative), so they grow');
    expect(() => parseWaves("5,25%,5")).toThrow(/"5" does not go past the earlier "5"/);
    expect(() => parseWaves("100%,5")).toThrow('--waves "100%,5": "5" follows 100%, which is every targeted device');
    expect(parseWaves("1,5%,25%,100%")).toHaveLength(4);
    expect(parseWaves("10,5%,20,50%")).toHaveLength(4); // a count and a percentage do not compare without the fleet's size
    expect(() => parseMaxFailures("two")).toThrow(/--max-failures "two"/);
    expect(() => parseRate("5/s")).toThrow(/--rate "5\/s"/);
    expect(parseRate("30/min")).toBe(30);
  });
});

/** A flash the test decides: each call waits until the test answers it. */
function manualFlash() {
  const waiting = new Map<string, (o: DeviceOutcome) => void>();
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    calls, waiting,
    get maxInFlight() { return maxInFlight; },
    flash: (device: string, _pkg: Uint8Array, signal: AbortSignal) => new Promise<DeviceOutcome>((resolve) => {
      calls.push(device);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const done = (o: DeviceOutcome) => { inFlight--; waiting.delete(device); resolve(o); };
      waiting.set(device, done);
      signal.addEventListener("abort", () => done({ state: "timed-out", reason: "stopped" }), { once: true });
    }),
    answer(device: string, state: DeviceOutcome["state"], reason = "") {
      const f = waiting.get(device);
      if (!f) throw new Error(`${device} is not being flashed (being flashed: ${[...waiting.keys()].join(", ") || "none"})`);
      f({ state, reason });
    },
  };
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const trust = makeTrust();
const pkg = makePackage(trust, { version: "1.0.0", sequence: 1 });

for (const tdb of await testDatabases()) {
  describe(`rollout controller on ${tdb.name}`, { timeout: 60_000 }, () => {
    afterAll(() => tdb.cleanup());

    async function setup(n: number, opts: { now?: () => number } = {}) {
      const f = await tdb.open(await tdb.fresh());
      const store = new FleetStore(f.db);
      for (let i = 1; i <= n; i++) await store.recordStatus(status(`gw-${String(i).padStart(2, "0")}`, { group: i % 2 ? "odd" : "even" }));
      const m = manualFlash();
      const c = new RolloutController({ db: f.db, store, flashDevice: m.flash, tickMs: 20, ...opts });
      c.start();
      return { f, store, m, c, async close() { await c.stop(); await f.close(); } };
    }

    it("keeps to --max-concurrent and starts the next wave only after the previous one succeeded", async () => {
      const s = await setup(8);
      const r = await s.c.create({ package: pkg, target: {}, waves: parseWaves("2,100%"), maxFailures: parseMaxFailures("50%"), maxConcurrent: 3 });
      expect(r.waves.map((w) => w.size)).toEqual([2, 6]);
      await until("wave 1 started", () => s.m.waiting.size === 2);
      expect(s.m.calls).toEqual(["gw-01", "gw-02"]);
      s.m.answer("gw-01", "confirmed");
      s.m.answer("gw-02", "reverted", "trap"); // 1 of 2 failed: 50% allows 1
      await until("wave 2 at the concurrency limit", () => s.m.waiting.size === 3);
      for (let k = 0; k < 6; k++) {
        const d = [...s.m.waiting.keys()][0]!;
        s.m.answer(d, k < 3 ? "confirmed" : k === 3 ? "timed-out" : "confirmed", "no answer");
        await until("the next transfer", () => s.m.waiting.size === Math.min(3, 5 - k) || k === 5);
      }
      await until("done", async () => (await s.c.get(r.id))!.state === "done");
      expect(s.m.maxInFlight).toBe(3);
      expect(new Set(s.m.calls).size).toBe(8);
      expect(s.m.calls).toHaveLength(8);
      const v = (await s.c.get(r.id))!;
      expect(v.waves.map((w) => [w.state, w.counts.confirmed, w.allowedFailures])).toEqual([["succeeded", 1, 1], ["succeeded", 5, 3]]);
      await s.close();
    });

    it("halts when a wave's failures pass the limit and never starts the next wave", async () => {
      const s = await setup(6);
      const r = await s.c.create({ package: pkg, target: { group: "odd" }, waves: parseWaves("1,100%"), maxFailures: parseMaxFailures("0") });
      expect(r.devices).toBe(3);
      await until("wave 1", () => s.m.waiting.size === 1);
      s.m.answer("gw-01", "refused", "package-scope: not for this customer");
      await until("halted", async () => (await s.c.get(r.id))!.state === "halted");
      const v = (await s.c.get(r.id))!;
      expect(v.haltReason).toBe("wave 1 of 2: 1 of 1 devices failed, more than --max-failures 0 allows (0): gw-01 refused: package-scope: not for this customer");
      await new Promise((res) => setTimeout(res, 150));
      expect(s.m.calls).toEqual(["gw-01"]);
      await expect(s.c.resume(r.id)).rejects.toThrow(RolloutStateError);
      await s.close();
    });

    it("waits for approval, pauses, resumes and cancels; cancelled devices are never flashed", async () => {
      const s = await setup(4);
      const r = await s.c.create({ package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0"), maxConcurrent: 1, approve: "first" });
      expect(r.state).toBe("awaiting-approval");
      expect(r.awaitingWave).toBe(0);
      await new Promise((res) => setTimeout(res, 150));
      expect(s.m.calls).toEqual([]);
      await s.c.resume(r.id);
      await until("first transfer", () => s.m.waiting.size === 1);
      await s.c.pause(r.id);
      s.m.answer("gw-01", "confirmed"); // a transfer under way finishes while paused
      await until("gw-01's verdict recorded", async () => (await s.c.get(r.id))!.waves[0]!.counts.confirmed === 1);
      await new Promise((res) => setTimeout(res, 150));
      expect(s.m.calls).toEqual(["gw-01"]);
      await s.c.resume(r.id);
      await until("second transfer", () => s.m.waiting.size === 1);
      const cancelled = await s.c.cancel(r.id);
      expect(cancelled.state).toBe("cancelled");
      expect(cancelled.waves[0]!.counts.cancelled).toBe(2);
      expect(cancelled.waves.map((w) => [w.state, w.finishedAt !== null])).toEqual([["cancelled", true]]); // not left "running"
      s.m.answer("gw-02", "confirmed"); // under way when cancelled: it finishes and is recorded
      await until("gw-02's verdict recorded", async () => (await s.c.get(r.id))!.waves[0]!.counts.confirmed === 2);
      await new Promise((res) => setTimeout(res, 150));
      expect(s.m.calls).toEqual(["gw-01", "gw-02"]);
      expect((await s.c.targets(r.id)).map((t) => t.state)).toEqual(["confirmed", "confirmed", "cancelled", "cancelled"]);
      expect((await s.c.get(r.id))!.waves.map((w) => w.state)).toEqual(["cancelled"]);
      await expect(s.c.pause("ro-nope")).rejects.toThrow(/no rollout "ro-nope"/);
      await s.close();
    });

    it("--approve every waits for an approval before each wave, after the one before it succeeded; --approve first only before the first", async () => {
      const s = await setup(3);
      const r = await s.c.create({ package: pkg, target: {}, waves: parseWaves("1,2,100%"), maxFailures: parseMaxFailures("0"), approve: "every" });
      expect([r.state, r.awaitingWave, r.approve]).toEqual(["awaiting-approval", 0, "every"]);
      await new Promise((res) => setTimeout(res, 150));
      expect(s.m.calls).toEqual([]);
      for (const [wave, device] of [[0, "gw-01"], [1, "gw-02"], [2, "gw-03"]] as const) {
        await s.c.resume(r.id);
        await until(`${device} flashed`, () => s.m.waiting.has(device));
        s.m.answer(device, "confirmed");
        if (wave < 2) {
          await until(`approval asked for wave ${wave + 2}`, async () => (await s.c.get(r.id))!.state === "awaiting-approval");
          const v = (await s.c.get(r.id))!;
          expect(v.awaitingWave).toBe(wave + 1);
          expect(v.waves[wave]!.state).toBe("succeeded");
          // Nothing of the next wave starts while it waits.
          await new Promise((res) => setTimeout(res, 150));
          expect(s.m.calls).toHaveLength(wave + 1);
        }
      }
      await until("done", async () => (await s.c.get(r.id))!.state === "done");
      expect((await s.c.get(r.id))!.awaitingWave).toBeNull();

      const first = await s.c.create({ package: pkg, target: {}, waves: parseWaves("1,100%"), maxFailures: parseMaxFailures("0"), approve: "first" });
      expect(first.state).toBe("awaiting-approval");
      await s.c.resume(first.id);
      await until("gw-01 flashed again", () => s.m.waiting.has("gw-01"));
      s.m.answer("gw-01", "confirmed");
      // The second wave starts by itself.
      await until("wave 2 under way", () => s.m.waiting.has("gw-02") && s.m.waiting.has("gw-03"));
      expect((await s.c.get(first.id))!.state).toBe("running");
      for (const d of ["gw-02", "gw-03"]) s.m.answer(d, "confirmed");
      await until("done", async () => (await s.c.get(first.id))!.state === "done");
      await s.close();
    });

    it("starts at most --rate transfers a minute", async () => {
      let now = 1_000_000;
      const s = await setup(3, { now: () => now });
      const r = await s.c.create({ package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0"), ratePerMin: 2 });
      await until("first transfer", () => s.m.calls.length === 1);
      await new Promise((res) => setTimeout(res, 150));
      expect(s.m.calls).toHaveLength(1);
      now += 30_000;
      await until("second transfer", () => s.m.calls.length === 2);
      for (const d of s.m.calls) s.m.answer(d, "confirmed");
      await until("both verdicts recorded", async () => (await s.c.get(r.id))!.waves[0]!.counts.confirmed === 2);
      await new Promise((res) => setTimeout(res, 100));
      expect(s.m.calls).toHaveLength(2);
      expect((await s.c.get(r.id))!.state).toBe("running");
      await s.close();
    });

    it("flashes each device once when verdicts land while a tick is reading the transfers under way", async () => {
      // Every read answers late, so transfers finish while a tick's list of `sending` targets is in flight: a tick
      // must not take a target that finished meanwhile for one a previous run left behind, and flash it again.
      const f = await tdb.open(await tdb.fresh());
      const store = new FleetStore(f.db);
      for (let i = 1; i <= 12; i++) await store.recordStatus(status(`gw-${String(i).padStart(2, "0")}`));
      const slowReads: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => {
          const row = a.result.rows[0] as Record<string, unknown> | undefined;
          if (row && Object.keys(row).join() === "device_id") await new Promise((r) => setTimeout(r, 30));
          return a.result;
        },
      };
      const calls = new Map<string, number>();
      const c = new RolloutController({
        db: f.db.withPlugin(slowReads), store, tickMs: 5,
        flashDevice: async (device) => {
          calls.set(device, (calls.get(device) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 20));
          return { state: "confirmed", reason: "" };
        },
      });
      c.start();
      const r = await c.create({ package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0"), maxConcurrent: 4 });
      await until("done", async () => (await c.get(r.id))!.state === "done");
      await c.stop();
      await f.close();
      expect([...calls].filter(([, n]) => n !== 1), "devices flashed more than once").toEqual([]);
      expect(calls.size).toBe(12);
    });

    it("starts no transfer once a pause has answered, though the tick read the rollout as running before it", async () => {
      // The pause lands while the controller is counting the wave's targets, after it read the rollout as running;
      // it comes through a second connection (as from the API while the controller holds its own).
      const location = await tdb.fresh();
      const f = await tdb.open(location);
      const other = await tdb.open(location);
      const store = new FleetStore(f.db);
      for (let i = 1; i <= 4; i++) await store.recordStatus(status(`gw-0${i}`));
      let pauseDuringRead: (() => Promise<unknown>) | null = null;
      let paused = false;
      const pauseMidTick: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => {
          const row = a.result.rows[0] as Record<string, unknown> | undefined;
          if (row && Object.keys(row).join() === "state,n" && pauseDuringRead) {
            const p = pauseDuringRead;
            pauseDuringRead = null;
            await p();
            paused = true;
          }
          return a.result;
        },
      };
      const m = manualFlash();
      const c = new RolloutController({ db: f.db.withPlugin(pauseMidTick), store, flashDevice: m.flash, tickMs: 20 });
      const r = await c.create({ package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0"), maxConcurrent: 4, approve: "first" });
      c.start();
      const api = new RolloutController({ db: other.db, store: new FleetStore(other.db), flashDevice: m.flash });
      pauseDuringRead = () => api.pause(r.id);
      await c.resume(r.id);
      await until("the pause answered", () => paused);
      await new Promise((res) => setTimeout(res, 150));
      await c.stop();
      expect(m.calls, "devices flashed after the pause answered").toEqual([]);
      expect((await c.get(r.id))!.state).toBe("paused");
      expect((await c.targets(r.id)).map((t) => t.state)).toEqual(["pending", "pending", "pending", "pending"]);
      await other.close();
      await f.close();
    });

    it("refuses a resume whose rollout was cancelled after the resume read its state, instead of answering with a cancelled rollout", async () => {
      const location = await tdb.fresh();
      const f = await tdb.open(location);
      const other = await tdb.open(location);
      const store = new FleetStore(f.db);
      for (let i = 1; i <= 2; i++) await store.recordStatus(status(`gw-0${i}`));
      let cancelDuringRead: (() => Promise<unknown>) | null = null;
      const cancelAfterRead: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => {
          const row = a.result.rows[0] as Record<string, unknown> | undefined;
          if (row && Object.keys(row).join() === "state" && cancelDuringRead) {
            const p = cancelDuringRead;
            cancelDuringRead = null;
            await p();
          }
          return a.result;
        },
      };
      const m = manualFlash();
      const c = new RolloutController({ db: f.db.withPlugin(cancelAfterRead), store, flashDevice: m.flash });
      const r = await c.create({ package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0"), approve: "first" });
      const api = new RolloutController({ db: other.db, store: new FleetStore(other.db), flashDevice: m.flash });
      cancelDuringRead = () => api.cancel(r.id);
      await expect(c.resume(r.id)).rejects.toThrow(new RolloutStateError(`cannot resume rollout ${r.id}: it is cancelled`));
      expect((await c.get(r.id))!.state).toBe("cancelled");
      await other.close();
      await f.close();
    });

    it("lists any number of rollouts in three queries, without reading their packages", async () => {
      const f = await tdb.open(await tdb.fresh());
      const store = new FleetStore(f.db);
      for (let i = 1; i <= 3; i++) await store.recordStatus(status(`gw-0${i}`));
      let queries = 0;
      let blobs = 0;
      const counting: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => {
          queries++;
          blobs += a.result.rows.filter((row) => "package" in (row as object)).length;
          return a.result;
        },
      };
      const m = manualFlash();
      const c = new RolloutController({ db: f.db.withPlugin(counting), store, flashDevice: m.flash });
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await c.create({ package: pkg, target: {}, waves: parseWaves("1,100%"), maxFailures: parseMaxFailures("0"), approve: "first" })).id);
      await c.cancel(ids[2]!);
      queries = blobs = 0;
      const list = await c.list();
      expect([queries, blobs]).toEqual([3, 0]);
      expect(new Set(list.map((r) => r.id))).toEqual(new Set(ids));
      for (const r of list) expect(r).toEqual(await c.get(r.id));
      const cancelled = list.find((r) => r.id === ids[2])!;
      expect([cancelled.state, cancelled.devices, cancelled.waves.map((w) => w.counts)]).toEqual(["cancelled", 3, [{ cancelled: 1 }, { cancelled: 2 }]]);
      await f.close();
    });

    it("decides a wave of 200 devices from counts: no read of the controller returns a row per device of the wave", async () => {
      const f = await tdb.open(await tdb.fresh());
      const store = new FleetStore(f.db);
      const json = JSON.stringify(status("x"));
      await f.db.insertInto("devices").values(Array.from({ length: 200 }, (_, i) => ({
        id: `gw-${String(i).padStart(3, "0")}`, customer: "acme", group_name: "g", board: "b", agent: "a", online: 1, last_seen: 1, status_json: json,
      }))).execute();
      let counting = false;
      let maxRows = 0;
      const rowsPerRead: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => { if (counting) maxRows = Math.max(maxRows, a.result.rows.length); return a.result; },
      };
      const m = manualFlash();
      const c = new RolloutController({ db: f.db.withPlugin(rowsPerRead), store, flashDevice: m.flash, tickMs: 10 });
      const r = await c.create({ package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("1"), maxConcurrent: 2 });
      counting = true;
      c.start();
      for (let k = 0; k < 10; k++) {
        await until("two transfers under way", () => m.waiting.size === 2);
        const [a, b] = [...m.waiting.keys()];
        m.answer(a!, "confirmed");
        m.answer(b!, k === 4 ? "failed" : "confirmed", "bad flash");
      }
      await until("two transfers under way", () => m.waiting.size === 2);
      m.answer([...m.waiting.keys()][0]!, "reverted", "trap"); // a second failure: more than 1 allowed
      await until("halted", async () => (await f.db.selectFrom("rollouts").select("state").where("id", "=", r.id).executeTakeFirstOrThrow()).state === "halted");
      counting = false;
      await c.stop();
      expect(maxRows, "rows of the largest read").toBeLessThanOrEqual(5);
      const v = (await c.get(r.id))!;
      expect(v.haltReason).toBe("wave 1 of 1: 2 of 200 devices failed, more than --max-failures 1 allows (1): gw-009 failed: bad flash; gw-020 reverted: trap");
      expect(m.calls).toEqual(Array.from({ length: 22 }, (_, i) => `gw-${String(i).padStart(3, "0")}`));
      await f.close();
    });

    it("refuses a target that selects nothing and bytes that are not a package", async () => {
      const s = await setup(1);
      // Named as it was typed, not as the service's JSON.
      await expect(s.c.create({ package: pkg, target: parseTarget("customer=nobody,version=com.acme.x@1.0.0"), waves: parseWaves("100%"), maxFailures: parseMaxFailures("0") }))
        .rejects.toThrow("--target customer=nobody,version=com.acme.x@1.0.0 selects no device the fleet service knows");
      await expect(s.c.create({ package: new Uint8Array([1, 2, 3]), target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0") })).rejects.toThrow(/not a package/);
      // Numbers past what the database columns hold are refused by name, on SQLite as on PostgreSQL (which failed the insert).
      const plan = { package: pkg, target: {}, waves: parseWaves("100%"), maxFailures: parseMaxFailures("0") };
      await expect(s.c.create({ ...plan, maxConcurrent: 3_000_000_000 })).rejects.toThrow(new PlanError("--max-concurrent 3000000000: expected a positive integer up to 1000000"));
      await expect(s.c.create({ ...plan, minPerWave: 1e20 })).rejects.toThrow(new PlanError("--min-per-wave 100000000000000000000: expected a positive integer up to 1000000"));
      await expect(s.c.create({ ...plan, ratePerMin: 99_999_999_999 })).rejects.toThrow(new PlanError("--rate 99999999999/min: expected up to 1000000/min"));
      expect(() => parseRate("99999999999/min")).toThrow('--rate "99999999999/min": expected <n>/min with 1 ≤ n ≤ 1000000, e.g. 30/min');
      expect(await s.c.list()).toEqual([]);
      await s.close();
    });
  });
}
