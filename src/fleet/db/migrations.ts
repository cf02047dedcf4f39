// The fleet database's migrations, run by Kysely's Migrator on SQLite and on
// PostgreSQL alike. Migrations are code in this file (not files found on
// disk at run time) so the bundled CLI carries them. Never edit a migration
// that has shipped: add the next one.

import type { Kysely, Migration, MigrationProvider } from "kysely";

export type DialectKind = "sqlite" | "postgres";

function migrations(kind: DialectKind): Record<string, Migration> {
  // The one type that differs: SQLite's blob is PostgreSQL's bytea.
  const binary = kind === "sqlite" ? "blob" : "bytea";
  return {
    "0001-fleet": {
      async up(db: Kysely<any>) {
        await db.schema.createTable("devices")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("customer", "text", (c) => c.notNull())
          .addColumn("group_name", "text", (c) => c.notNull())
          .addColumn("board", "text", (c) => c.notNull())
          .addColumn("agent", "text", (c) => c.notNull())
          .addColumn("online", "integer", (c) => c.notNull())
          .addColumn("last_seen", "bigint", (c) => c.notNull())
          .addColumn("status_json", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("devices_customer_group").on("devices").columns(["customer", "group_name"]).execute();
        await db.schema.createTable("installed_modules")
          .addColumn("device_id", "text", (c) => c.notNull().references("devices.id").onDelete("cascade"))
          .addColumn("module_id", "text", (c) => c.notNull())
          .addColumn("slot", "text", (c) => c.notNull())
          .addColumn("version", "text", (c) => c.notNull())
          .addColumn("sequence", "integer", (c) => c.notNull())
          .addColumn("package_sha256", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull())
          .addColumn("state", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("installed_modules_pk", ["device_id", "module_id", "slot"])
          .execute();
        await db.schema.createIndex("installed_modules_version").on("installed_modules").columns(["module_id", "version"]).execute();
        await db.schema.createTable("verdicts")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("device_id", "text", (c) => c.notNull())
          .addColumn("module_id", "text", (c) => c.notNull())
          .addColumn("version", "text")
          .addColumn("phase", "text", (c) => c.notNull())
          .addColumn("reason", "text")
          .addColumn("code", "text")
          .addColumn("package_sha256", "text")
          .addColumn("ts", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("verdicts_device_ts").on("verdicts").columns(["device_id", "ts"]).execute();
        await db.schema.createIndex("verdicts_ts").on("verdicts").column("ts").execute();
        await db.schema.createTable("logs")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("device_id", "text", (c) => c.notNull())
          .addColumn("ts", "bigint", (c) => c.notNull())
          .addColumn("module", "text")
          .addColumn("line", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("logs_device_ts").on("logs").columns(["device_id", "ts"]).execute();
        await db.schema.createTable("rollouts")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("module_id", "text", (c) => c.notNull())
          .addColumn("version", "text", (c) => c.notNull())
          .addColumn("package_sha256", "text", (c) => c.notNull())
          .addColumn("package", binary, (c) => c.notNull())
          .addColumn("target_json", "text", (c) => c.notNull())
          .addColumn("waves_json", "text", (c) => c.notNull())
          .addColumn("max_failures", "text", (c) => c.notNull())
          .addColumn("min_per_wave", "integer", (c) => c.notNull())
          .addColumn("rate_per_min", "integer")
          .addColumn("max_concurrent", "integer", (c) => c.notNull())
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("halt_reason", "text")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createTable("waves")
          .addColumn("rollout_id", "text", (c) => c.notNull().references("rollouts.id").onDelete("cascade"))
          .addColumn("idx", "integer", (c) => c.notNull())
          .addColumn("size", "integer", (c) => c.notNull())
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("started_at", "bigint")
          .addColumn("finished_at", "bigint")
          .addPrimaryKeyConstraint("waves_pk", ["rollout_id", "idx"])
          .execute();
        await db.schema.createTable("rollout_targets")
          .addColumn("rollout_id", "text", (c) => c.notNull().references("rollouts.id").onDelete("cascade"))
          .addColumn("device_id", "text", (c) => c.notNull())
          .addColumn("wave", "integer", (c) => c.notNull())
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("reason", "text")
          .addColumn("attempts", "integer", (c) => c.notNull())
          .addColumn("started_at", "bigint")
          .addColumn("finished_at", "bigint")
          .addPrimaryKeyConstraint("rollout_targets_pk", ["rollout_id", "device_id"])
          .execute();
        await db.schema.createIndex("rollout_targets_wave").on("rollout_targets").columns(["rollout_id", "wave", "state"]).execute();
        await db.schema.createTable("deltas")
          .addColumn("base_sha256", "text", (c) => c.notNull())
          .addColumn("target_sha256", "text", (c) => c.notNull())
          .addColumn("delta", binary, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("deltas_pk", ["base_sha256", "target_sha256"])
          .execute();
      },
      async down(db: Kysely<any>) {
        for (const t of ["deltas", "rollout_targets", "waves", "rollouts", "logs", "verdicts", "installed_modules", "devices"]) await db.schema.dropTable(t).execute();
      },
    },
    // Crash reports as devices publish them (a fault log line: reason, callback, wasm hash, frames by function
    // index and module offset) and the debug maps that name them, keyed by the module's SHA-256. Kept apart from
    // the pruned log tail, and symbolized when read, so a map uploaded after the crash still names it.
    // Rollouts gain their approval mode: none, before the first wave, or before every wave.
    "0002-crash-reports": {
      async up(db: Kysely<any>) {
        await db.schema.createTable("debug_maps")
          .addColumn("wasm_sha256", "text", (c) => c.primaryKey())
          .addColumn("module_id", "text")
          .addColumn("version", "text")
          .addColumn("map_json", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createTable("crash_reports")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("device_id", "text", (c) => c.notNull())
          .addColumn("module_id", "text", (c) => c.notNull())
          .addColumn("ts", "bigint", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("detail", "text")
          .addColumn("callback", "text")
          .addColumn("wasm_sha256", "text")
          .addColumn("frames_json", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("crash_reports_device_ts").on("crash_reports").columns(["device_id", "ts"]).execute();
        await db.schema.alterTable("rollouts").addColumn("approve", "text", (c) => c.notNull().defaultTo("none")).execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.alterTable("rollouts").dropColumn("approve").execute();
        for (const t of ["crash_reports", "debug_maps"]) await db.schema.dropTable(t).execute();
      },
    },
  };
}

/** Kysely's MigrationProvider for the migrations above. */
export class FleetMigrations implements MigrationProvider {
  constructor(private readonly kind: DialectKind) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.kind);
  }
}
