// Opens the fleet database and brings its schema up to date with Kysely's
// Migrator. A location is a file path (the embedded SQLite, the default:
// no server, nothing to set up) or a postgres:// URL (a fleet that outgrows
// one machine). Both take the same migrations and the same queries.

import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { FleetMigrations, type DialectKind } from "./migrations.js";
import type { FleetSchema } from "./schema.js";

export interface FleetDb {
  db: Kysely<FleetSchema>;
  kind: DialectKind;
  /** Where it is, for messages (a PostgreSQL URL without its password). */
  where: string;
  close(): Promise<void>;
}

/** A bad --db value or a database that cannot be opened or migrated; the message names the location. */
export class FleetDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FleetDbError";
  }
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** The SQLite file a location names, or null for a PostgreSQL URL. */
export function sqliteFileOf(location: string): string | null {
  return isPostgresUrl(location) ? null : resolve(location.replace(/^sqlite:/, ""));
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

const INT8_OID = 20;

function dialectFor(location: string): { kind: DialectKind; where: string; dialect: SqliteDialect | PostgresDialect } {
  if (isPostgresUrl(location)) {
    const pool = new pg.Pool({
      connectionString: location, max: 4,
      // bigint columns hold ms timestamps (well inside 2^53): numbers, as SQLite gives them, not strings.
      types: { getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text"))) as typeof pg.types.getTypeParser },
    });
    // An idle connection the server closes (a restart, an admin's shutdown) is dropped by the pool; queries report their own errors.
    pool.on("error", () => {});
    return { kind: "postgres", where: redact(location), dialect: new PostgresDialect({ pool }) };
  }
  const path = sqliteFileOf(location)!;
  if (existsSync(path) && statSync(path).isDirectory()) throw new FleetDbError(`database ${path}: is a directory, expected a SQLite file (or a postgres:// URL)`);
  if (!existsSync(dirname(path))) throw new FleetDbError(`database ${path}: directory ${dirname(path)} does not exist`);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (e) {
    throw new FleetDbError(`database ${path}: ${(e as Error).message}`);
  }
  // WAL with full sync: a committed rollout step survives a power cut; readers (the HTTP API) do not block the writer.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  return { kind: "sqlite", where: path, dialect: new SqliteDialect({ database: sqlite }) };
}

/** Opens the database at `location` and applies every pending migration. */
export async function openFleetDb(location: string): Promise<FleetDb> {
  const { kind, where, dialect } = dialectFor(location);
  const db = new Kysely<FleetSchema>({ dialect });
  const migrator = new Migrator({ db, provider: new FleetMigrations(kind) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new FleetDbError(`database ${where}: ${failed ? `migration ${failed} failed: ` : ""}${error instanceof Error ? error.message : String(error)}`);
  }
  return { db, kind, where, close: () => db.destroy() };
}
