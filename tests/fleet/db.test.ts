// The fleet database: migrations, device records, bounded logs, queries.
import { afterAll, describe, expect, it } from "vitest";
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type KyselyPlugin } from "kysely";
import Database from "better-sqlite3";
import pg from "pg";
import { FleetMigrations } from "../../src/fleet/db/migrations.js";
import type { FleetSchema } from "../../src/fleet/db/schema.js";
import { FleetStore, LOGS_PER_DEVICE } from "../../src/fleet/store.js";
import { openFleetDb, FleetDbError } from "../../src/fleet/db/open.js";
import { testDatabases } from "./db-matrix.js";
import { status } from "./fixtures.js";
import { CrashStore, CRASHES_PER_DEVICE } from "../../src/fleet/crashes.js";
import { DEBUG_MAP_FORMAT, DEBUG_MAP_VERSION, DebugMapError, type DebugMap } from "../../src/build/debug-map.js";

const SHA = "c0".repeat(32);
/** A debug map as fwx build writes one: function 1 is the integrator's, which calls into the standard library at 0x7a. */
const MAP: DebugMap = {
  format: DEBUG_MAP_FORMAT, version: DEBUG_MAP_VERSION, module: { id: "com.acme.ticker", version: "2.0.0" }, wasmSha256: SHA,
  functions: ["fwx:core@1.log", "assembly/index/nextSample", "assembly/index/fwx_on_timer"],
  sources: ["assembly/index.ts", "~lib/typedarray.ts"],
  lines: [[0x60, 0, 7, 3], [0x70, 0, 8, 10], [0x7a, 1, 50, 5], [0x90, 0, 15, 3]],
  aborts: { "4": "~lib/typedarray.ts:167:45 Index out of range" },
};
/** A fault line as a device agent publishes it: positions only. */
const faultLine = (ts: number, sha: string | null = SHA) => ({
  ts, module: "com.acme.ticker", kind: "fault", reason: "abort", detail: "at abort site 4", callback: "fwx_on_timer(1)",
  ...(sha ? { wasmSha256: sha } : {}),
  frames: [{ funcIndex: 1, moduleOffset: 0x7c, moduleBody: { from: 0x5a, to: 0x88 } }, { funcIndex: 2, moduleOffset: 0x92, moduleBody: { from: 0x8a, to: 0xa0 } }],
});

for (const tdb of await testDatabases()) {
  describe(`fleet database on ${tdb.name}`, { timeout: 60_000 }, () => {
    afterAll(() => tdb.cleanup());

    it("creates every table through the migrator, and opening again migrates nothing twice", async () => {
      const where = await tdb.fresh();
      const a = await tdb.open(where);
      const store = new FleetStore(a.db);
      await store.recordStatus(status("gw-1"));
      await a.close();
      const b = await tdb.open(where);
      const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(b.db);
      expect(applied.rows.map((r) => r.name)).toEqual(["0001-fleet", "0002-crash-reports"]);
      for (const t of ["devices", "installed_modules", "verdicts", "logs", "rollouts", "waves", "rollout_targets", "deltas", "debug_maps", "crash_reports"] as const) {
        await b.db.selectFrom(t).selectAll().limit(1).execute();
      }
      expect(await new FleetStore(b.db).deviceIds({})).toEqual(["gw-1"]);
      await b.close();
    });

    it("migrates a database of the first schema: its rollouts keep their rows and wait for no approval", async () => {
      const where = await tdb.fresh();
      const kind = tdb.name;
      const old = new Kysely<FleetSchema>({ dialect: kind === "sqlite" ? new SqliteDialect({ database: new Database(where) }) : new PostgresDialect({ pool: new pg.Pool({ connectionString: where }) }) });
      expect((await new Migrator({ db: old, provider: new FleetMigrations(kind) }).migrateTo("0001-fleet")).error).toBeUndefined();
      await old.insertInto("rollouts").values({
        id: "ro-00000001", module_id: "m", version: "1.0.0", package_sha256: "aa".repeat(32), package: new Uint8Array([1]), target_json: "{}", waves_json: "[]",
        max_failures: "0", min_per_wave: 1, rate_per_min: null, max_concurrent: 1, state: "running", halt_reason: null, created_at: 1, updated_at: 1,
      }).execute();
      await old.destroy();
      const f = await tdb.open(where);
      expect(await f.db.selectFrom("rollouts").select(["id", "state", "approve"]).execute()).toEqual([{ id: "ro-00000001", state: "running", approve: "none" }]);
      await f.close();
    });

    it("records status per slot, presence, verdicts, and filters devices", async () => {
      const f = await tdb.open(await tdb.fresh());
      const s = new FleetStore(f.db);
      await s.recordStatus(status("gw-1", { customer: "acme", group: "line-1", board: "b1", version: "1.0.0" }));
      await s.recordStatus(status("gw-2", { customer: "acme", group: "line-2", board: "b2", version: "1.1.0" }));
      await s.recordStatus(status("gw-3", { customer: "other", group: "line-1", board: "b1", version: "1.0.0" }));
      // A later status replaces the modules rather than adding to them.
      await s.recordStatus(status("gw-1", { customer: "acme", group: "line-1", board: "b1", version: "1.0.1", ts: 2_000 }));
      await s.recordPresence("gw-2", false, 3_000);
      await s.recordEvent("gw-1", { session: 1, module: "com.acme.ticker", phase: "reverted", ts: 5_000, version: "1.0.1", reason: "trap: unreachable" });
      await s.recordEvent("gw-1", { session: 1, module: "com.acme.ticker", phase: "trial", ts: 4_000 });

      expect(await s.deviceIds({ customer: "acme" })).toEqual(["gw-1", "gw-2"]);
      expect(await s.deviceIds({ group: "line-1" })).toEqual(["gw-1", "gw-3"]);
      expect(await s.deviceIds({ board: "b2" })).toEqual(["gw-2"]);
      expect(await s.deviceIds({ module: "com.acme.ticker", version: "1.0.0" })).toEqual(["gw-3"]);
      expect(await s.deviceIds({ online: false })).toEqual(["gw-2"]);
      expect(await s.deviceIds({ ids: ["gw-3", "nope"] })).toEqual(["gw-3"]);
      expect(await s.deviceIds({ ids: [] })).toEqual([]);

      const [d1] = await s.devices({ ids: ["gw-1"] });
      expect(d1!.modules.map((m) => [m.slot, m.version, m.role])).toEqual([["A", "1.0.1", "active"], ["B", "0.9.0", "spare"]]);
      expect(d1!.lastSeen).toBe(2_000);
      expect(d1!.lastVerdict).toMatchObject({ phase: "reverted", reason: "trap: unreachable" });
      const one = await s.device("gw-1");
      expect(one!.verdicts).toHaveLength(1); // the trial step is progress, not history
      expect(await s.device("nope")).toBeNull();
      expect(await s.health(0, 10_000)).toEqual([{ t: 0, installs: 0, faults: 1 }]);
      await f.close();
    });

    it("stores a device's crash reports and names them through the module's debug map, also one uploaded after the crash", async () => {
      const f = await tdb.open(await tdb.fresh());
      const c = new CrashStore(f.db);
      expect(await c.recordFault("gw-1", { ts: 1, module: "m", kind: "log", level: "info", message: "hi" } as never)).toBe(false);
      expect(await c.recordFault("gw-1", faultLine(10))).toBe(true);
      expect(await c.recordFault("gw-1", faultLine(20, null))).toBe(true); // a device that sends no module hash (the C device today)
      const before = await c.crashes("gw-1");
      expect(before.map((x) => [x.ts, x.mapped, x.at])).toEqual([[20, false, null], [10, false, null]]);
      expect(before[1]!.stack).toEqual([
        "  wasm stack (innermost first):",
        "    function[1] (function 1) at module byte 0x7c",
        "    function[2] (function 2) at module byte 0x92",
      ]);

      expect(await c.addDebugMap(JSON.stringify(MAP), "ticker.fwxmap.json")).toMatchObject({ wasmSha256: SHA, module: "com.acme.ticker", version: "2.0.0" });
      await c.addDebugMap(JSON.stringify(MAP), "again"); // the same module again replaces, never duplicates
      expect((await c.debugMaps()).map((m) => m.wasmSha256)).toEqual([SHA]);
      const [noHash, named] = await c.crashes("gw-1");
      expect(noHash!.mapped).toBe(false);
      expect(noHash!.detail).toBe("at abort site 4"); // a compiler-made abort: only its site id, until a map names it
      expect(named!.detail).toBe("Index out of range at ~lib/typedarray.ts:167:45 (abort site 4)");
      // The innermost frame is library code inlined into nextSample: the integrator's line is the one before it.
      expect([named!.at, named!.function, named!.mapped, named!.reason, named!.callback]).toEqual(["assembly/index.ts:8:10", "assembly/index/nextSample", true, "abort", "fwx_on_timer(1)"]);
      expect(named!.stack[0]).toBe("  at assembly/index.ts:8:10 in assembly/index/nextSample");
      expect(named!.stack).toContain("    assembly/index/fwx_on_timer (function 2) at assembly/index.ts:15:3, module byte 0x92");

      await expect(c.addDebugMap("{}", "bad.fwxmap.json")).rejects.toThrow(DebugMapError);
      await expect(c.addDebugMap(JSON.stringify({ ...MAP, wasmSha256: "zz" }), "bad.fwxmap.json")).rejects.toThrow(/bad\.fwxmap\.json: wasmSha256 is not a SHA-256/);
      for (let i = 0; i < CRASHES_PER_DEVICE + 15; i++) await c.recordFault("gw-2", faultLine(100 + i));
      await c.prune("gw-2");
      const kept = await c.crashes("gw-2", 1000);
      expect(kept).toHaveLength(CRASHES_PER_DEVICE);
      expect(kept.at(-1)!.ts).toBe(115);
      await f.close();
    });

    it("reads a page of devices with queries bounded by the page, not the fleet or its verdict history", async () => {
      // Rows the database hands back per request: a console polls /api/devices every 2 s, so reading every device id
      // (or every verdict of the page's devices) to show one page grows with the fleet.
      const f = await tdb.open(await tdb.fresh());
      let rowsRead = 0;
      const counting: KyselyPlugin = { transformQuery: (a) => a.node, transformResult: async (a) => { rowsRead += a.result.rows.length; return a.result; } };
      const s = new FleetStore(f.db.withPlugin(counting));
      const st = status("gw-0000");
      const devices = Array.from({ length: 2000 }, (_, i) => ({
        id: `gw-${String(i).padStart(4, "0")}`, customer: "acme", group_name: "line-1", board: "demo-board", agent: "0.1.0", online: 1, last_seen: 1_000, status_json: JSON.stringify(st),
      }));
      for (let i = 0; i < devices.length; i += 500) await f.db.insertInto("devices").values(devices.slice(i, i + 500)).execute();
      // gw-0001 has a long history; its last word is a rollback, the others' a confirm.
      const history = Array.from({ length: 300 }, (_, k) => ({
        id: `v-${k}`, device_id: "gw-0001", module_id: "com.acme.ticker", version: `1.0.${k}`, phase: k === 299 ? "rolled-back" : "confirmed", reason: null, code: null, package_sha256: null, ts: 10_000 + k,
      }));
      await f.db.insertInto("verdicts").values(history).execute();
      await f.db.insertInto("verdicts").values({ id: "v-late-progress", device_id: "gw-0001", module_id: "com.acme.ticker", version: "1.0.300", phase: "trial", reason: null, code: null, package_sha256: null, ts: 99_999 }).execute();
      await s.recordStatus(status("gw-0002", { version: "2.0.0" }));
      rowsRead = 0;
      const page = await s.devices({ customer: "acme" }, 5, 1);
      expect(page.map((d) => d.id)).toEqual(["gw-0001", "gw-0002", "gw-0003", "gw-0004", "gw-0005"]);
      expect(page[0]!.lastVerdict).toEqual({ module: "com.acme.ticker", version: "1.0.299", phase: "rolled-back", reason: null, ts: 10_299 });
      expect(page[1]!.lastVerdict).toBeNull();
      expect(page[1]!.modules.map((m) => [m.slot, m.version])).toEqual([["A", "2.0.0"], ["B", "0.9.0"]]);
      expect(rowsRead, "rows read for a page of 5").toBeLessThanOrEqual(20);
      await f.close();
    });

    it("counts installs and faults per bucket in the database, a row per bucket", async () => {
      const f = await tdb.open(await tdb.fresh());
      let rowsRead = 0;
      const counting: KyselyPlugin = { transformQuery: (a) => a.node, transformResult: async (a) => { rowsRead += a.result.rows.length; return a.result; } };
      const s = new FleetStore(f.db.withPlugin(counting));
      // 1,200 devices' verdicts in three minutes: confirmed, with every tenth reverted and every 25th failed; progress steps and old ones not counted.
      const phase = (i: number) => (i % 25 === 0 ? "failed" : i % 10 === 0 ? "reverted" : "confirmed");
      const rows = Array.from({ length: 1200 }, (_, i) => ({
        id: `v-${i}`, device_id: `gw-${i}`, module_id: "m", version: "1", phase: phase(i), reason: null, code: null, package_sha256: null, ts: 1_000_000 + i * 150,
      }));
      rows.push({ ...rows[0]!, id: "v-trial", phase: "trial", ts: 1_000_001 }, { ...rows[0]!, id: "v-old", ts: 999_999 });
      for (let i = 0; i < rows.length; i += 300) await f.db.insertInto("verdicts").values(rows.slice(i, i + 300)).execute();
      rowsRead = 0;
      const points = await s.health(1_000_000, 60_000);
      const expected = [0, 1, 2].map((b) => {
        const inBucket = rows.slice(0, 1200).filter((r) => Math.floor((r.ts - 1_000_000) / 60_000) === b);
        return { t: 1_000_000 + b * 60_000, installs: inBucket.filter((r) => r.phase === "confirmed").length, faults: inBucket.filter((r) => r.phase !== "confirmed").length };
      });
      expect(points).toEqual(expected);
      expect(expected.map((p) => p.installs + p.faults)).toEqual([400, 400, 400]);
      expect(rowsRead).toBe(3);
      await f.close();
    });

    it("lists more devices in one page than a statement takes bound parameters (SQLite: 32,766)", async () => {
      const f = await tdb.open(await tdb.fresh());
      const s = new FleetStore(f.db);
      const json = JSON.stringify(status("x"));
      const n = 33_000;
      await f.db.transaction().execute(async (tx) => {
        for (let i = 0; i < n; i += 2000) {
          await tx.insertInto("devices").values(Array.from({ length: Math.min(2000, n - i) }, (_, k) => ({
            id: `gw-${String(i + k).padStart(5, "0")}`, customer: "acme", group_name: "g", board: "b", agent: "a", online: 1, last_seen: 1, status_json: json,
          }))).execute();
        }
      });
      const all = await s.devices({}, 100_000);
      expect(all).toHaveLength(n);
      expect(all[n - 1]!.id).toBe(`gw-${n - 1}`);
      // An explicit list as long (a rollout's --target devices=…), unsorted, with an unknown id and a repeat.
      const listed = [...all.map((d) => d.id).reverse(), "nope", "gw-00007"];
      const ids = await s.deviceIds({ ids: listed, customer: "acme" });
      expect(ids).toHaveLength(n);
      expect([ids[0], ids[1], ids[n - 1]]).toEqual(["gw-00000", "gw-00001", `gw-${n - 1}`]);
      await f.close();
    });

    it("keeps only the newest LOGS_PER_DEVICE log lines of a device", async () => {
      const f = await tdb.open(await tdb.fresh());
      const s = new FleetStore(f.db);
      await s.recordStatus(status("gw-1"));
      for (let i = 0; i < LOGS_PER_DEVICE + 60; i++) await s.recordLog("gw-1", i, "m", `line ${i}`);
      await s.pruneLogs("gw-1");
      const d = await s.device("gw-1");
      expect(d!.logs).toHaveLength(LOGS_PER_DEVICE);
      expect((d!.logs[0] as { line: string }).line).toBe("line 60");
      await f.close();
    });
  });
}

describe("fleet database errors", () => {
  it("names the location that cannot be opened", async () => {
    await expect(openFleetDb("/nonexistent-dir/fleet.db")).rejects.toThrow(FleetDbError);
    await expect(openFleetDb("/nonexistent-dir/fleet.db")).rejects.toThrow(/\/nonexistent-dir does not exist/);
    await expect(openFleetDb("/tmp")).rejects.toThrow(/is a directory/);
  });
});
