// The databases every fleet suite runs on: the embedded SQLite always, and a
// real PostgreSQL started by scripts/ensure-postgres.mjs (Debian's package),
// each test suite in a database of its own.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFleetDb, type FleetDb } from "../../src/fleet/db/open.js";

export interface TestDatabase {
  name: "sqlite" | "postgres";
  /** A fresh, empty database location (a file path or a postgres:// URL). */
  fresh(): Promise<string>;
  open(location: string): Promise<FleetDb>;
  cleanup(): Promise<void>;
}

export function sqliteDatabase(): TestDatabase {
  const dirs: string[] = [];
  let n = 0;
  return {
    name: "sqlite",
    async fresh() {
      const d = mkdtempSync(join(tmpdir(), "fwx-fleet-db-"));
      dirs.push(d);
      return join(d, `fleet-${++n}.db`);
    },
    open: (l) => openFleetDb(l),
    async cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
