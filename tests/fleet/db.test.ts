// The fleet database: migrations, device records, bounded logs, queries.
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { FleetStore, LOGS_PER_DEVICE } from "../../src/fleet/store.js";
import { openFleetDb, FleetDbError } from "../../src/fleet/db/open.js";
import { testDatabases } from "./db-matrix.js";
import { status } from "./fixtures.js";

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
      expect(applied.rows.map((r) => r.name)).toEqual(["0001-fleet"]);
      for (const t of ["devices", "installed_modules", "verdicts", "logs", "rollouts", "waves", "rollout_targets", "deltas"] as const) {
        await b.db.selectFrom(t).selectAll().limit(1).execute();
      }
      expect(await new FleetStore(b.db).deviceIds({})).toEqual(["gw-1"]);
      await b.close();
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
