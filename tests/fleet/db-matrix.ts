// Which databases the fleet suites run on: the embedded SQLite and a real
// PostgreSQL server started for the test file by scripts/ensure-postgres.mjs.
import pg from "pg";
import { startPostgres } from "../../scripts/ensure-postgres.mjs";
import { openFleetDb } from "../../src/fleet/db/open.js";
import { sqliteDatabase, type TestDatabase } from "./databases.js";

export function postgresDatabase(): TestDatabase {
  let server: Awaited<ReturnType<typeof startPostgres>> | null = null;
  let n = 0;
  return {
    name: "postgres",
    async fresh() {
      server ??= await startPostgres();
      const name = `fleet_${process.pid}_${++n}`;
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      return server.url.replace(/\/postgres$/, `/${name}`);
    },
    open: (l) => openFleetDb(l),
    async cleanup() {
      await server?.stop();
      server = null;
    },
  };
}

export async function testDatabases(): Promise<TestDatabase[]> {
  return [sqliteDatabase(), postgresDatabase()];
}
