// What the fleet service records about devices: their retained status and
// presence, installed modules per slot, verdict history and a bounded tail
// of recent logs; and the queries the HTTP API answers with. Everything the
// broker says is the device's claim (docs/ota-protocol.md, "Trust model"):
// the store shows it, the rollout controller decides only on proven verdicts.

import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { DeviceStatus, InstallEvent } from "../ota/protocol.js";
import { isVerdict } from "../ota/protocol.js";
import type { FleetSchema } from "./db/schema.js";

/** Recent log lines kept per device; older ones are pruned. */
export const LOGS_PER_DEVICE = 200;

/**
 * Values one statement binds, well under what either database takes (SQLite 32,766, PostgreSQL 65,535): longer
 * lists go in chunks (chunksOf).
 */
const BOUND_PER_STATEMENT = 1000;

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One log line of one device, as the follower hands it to the store. */
export interface DeviceLogLine { device: string; ts: number; module: string | null; line: string }

export interface DeviceFilter {
  customer?: string;
  group?: string;
  board?: string;
  /** Devices whose active slot of `module` runs `version` (both, or module alone: has the module). */
  module?: string;
  version?: string;
  online?: boolean;
  ids?: string[];
}

export interface DeviceRow {
  id: string;
  customer: string;
  group: string;
  board: string;
  agent: string;
  online: boolean;
  lastSeen: number;
  modules: { module: string; slot: "A" | "B"; version: string; sequence: number; sha256: string; role: string; state: string }[];
  lastVerdict: { module: string; version: string | null; phase: string; reason: string | null; ts: number } | null;
}

export interface HealthPoint {
  /** Bucket start, ms since the epoch. */
  t: number;
  installs: number;
  faults: number;
}

function roleOf(m: DeviceStatus["modules"][number], slot: "A" | "B"): string {
  if (m.active === slot) return m.state === "trial" ? "trial" : "active";
  return m.confirmed === slot ? "confirmed" : "spare";
}

export class FleetStore {
  /** Log inserts per device since its last prune (pruning every insert would double the writes). */
  private readonly sincePrune = new Map<string, number>();

  constructor(readonly db: Kysely<FleetSchema>) {}

  /** Records a device's retained status: the device row and its modules per slot, in one transaction. */
  async recordStatus(s: DeviceStatus, online?: boolean): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = {
        customer: s.customer, group_name: s.group, board: s.board, agent: s.agent, last_seen: s.ts, status_json: JSON.stringify(s),
      };
      await tx.insertInto("devices").values({ id: s.device, online: online === false ? 0 : 1, ...row })
        .onConflict((oc) => oc.column("id").doUpdateSet(online === undefined ? row : { ...row, online: online ? 1 : 0 }))
        .execute();
      await tx.deleteFrom("installed_modules").where("device_id", "=", s.device).execute();
      const mods = s.modules.flatMap((m) => (["A", "B"] as const).flatMap((slot) => {
        const x = m.slots[slot];
        return x ? [{ device_id: s.device, module_id: m.id, slot, version: x.version, sequence: x.sequence, package_sha256: x.sha256, role: roleOf(m, slot), state: m.state }] : [];
      }));
      if (mods.length) await tx.insertInto("installed_modules").values(mods).execute();
    });
  }

  /** Presence of a device already known (its status creates the row). */
  async recordPresence(device: string, online: boolean, ts: number): Promise<void> {
    // Offline keeps last_seen: it is when the device was last heard from, not when its last will arrived.
    if (!online) await this.db.updateTable("devices").set({ online: 0 }).where("id", "=", device).execute();
    else await this.db.updateTable("devices").set({ online: 1, last_seen: ts }).where("id", "=", device).execute();
  }

  /** Keeps verdicts (confirmed, reverted, refused, failed) and rollbacks/recoveries; progress steps are not history. */
  async recordEvent(device: string, e: InstallEvent): Promise<boolean> {
    if (!isVerdict(e.phase) && !["rolled-back", "removed", "recovered"].includes(e.phase)) return false;
    await this.db.insertInto("verdicts").values({
      id: randomUUID(), device_id: device, module_id: e.module, version: e.version ?? null, phase: e.phase,
      reason: e.reason ?? null, code: e.code ?? null, package_sha256: e.package ?? null, ts: typeof e.ts === "number" ? e.ts : Date.now(),
    }).execute();
    return true;
  }

  async recordLog(device: string, ts: number, module: string | null, line: string): Promise<void> {
    await this.recordLogs([{ device, ts, module, line }]);
  }

  /**
   * Writes log lines in one transaction, so a batch costs one sync to disk instead of one per line (a fleet's
   * devices log far faster than a disk syncs), and prunes each device that passed a quarter of its tail since.
   */
  async recordLogs(rows: readonly DeviceLogLine[]): Promise<void> {
    if (!rows.length) return;
    await this.db.transaction().execute(async (tx) => {
      // 5 values per row.
      for (const chunk of chunksOf(rows, BOUND_PER_STATEMENT / 5)) {
        await tx.insertInto("logs").values(chunk.map((r) => ({ id: randomUUID(), device_id: r.device, ts: r.ts, module: r.module, line: r.line }))).execute();
      }
      const added = new Map<string, number>();
      for (const r of rows) added.set(r.device, (added.get(r.device) ?? 0) + 1);
      for (const [device, n] of added) {
        const since = (this.sincePrune.get(device) ?? 0) + n;
        this.sincePrune.set(device, since);
        if (since >= LOGS_PER_DEVICE / 4) await this.pruneLogs(device, tx);
      }
    });
  }

  /** Deletes all but the newest LOGS_PER_DEVICE lines of `device`. */
  async pruneLogs(device: string, db: Kysely<FleetSchema> | Transaction<FleetSchema> = this.db): Promise<void> {
    this.sincePrune.set(device, 0);
    const keep = await db.selectFrom("logs").select("ts").where("device_id", "=", device).orderBy("ts", "desc").offset(LOGS_PER_DEVICE - 1).limit(1).executeTakeFirst();
    if (keep) await db.deleteFrom("logs").where("device_id", "=", device).where("ts", "<", keep.ts).execute();
  }

  /** The devices matching `f` (null: none can, an empty id list). */
  private matching(f: DeviceFilter) {
    let q = this.db.selectFrom("devices");
    if (f.customer !== undefined) q = q.where("customer", "=", f.customer);
    if (f.group !== undefined) q = q.where("group_name", "=", f.group);
    if (f.board !== undefined) q = q.where("board", "=", f.board);
    if (f.online !== undefined) q = q.where("online", "=", f.online ? 1 : 0);
    if (f.ids !== undefined && !f.ids.length) return null;
    if (f.ids !== undefined) q = q.where("devices.id", "in", f.ids);
    if (f.module !== undefined) {
      const mod = f.module, version = f.version;
      q = q.where((eb) => eb.exists(eb.selectFrom("installed_modules as im").select("im.device_id")
        .whereRef("im.device_id", "=", "devices.id").where("im.module_id", "=", mod).where("im.role", "in", ["active", "trial"])
        .$if(version !== undefined, (qq) => qq.where("im.version", "=", version!))));
    }
    return q;
  }

  /** Device ids matching `f`, sorted. */
  async deviceIds(f: DeviceFilter): Promise<string[]> {
    // An explicit list (a rollout's devices=a+b+…) can pass what one statement binds: in chunks.
    if (f.ids !== undefined && f.ids.length > BOUND_PER_STATEMENT) {
      const found: string[] = [];
      for (const ids of chunksOf(f.ids, BOUND_PER_STATEMENT)) found.push(...await this.deviceIds({ ...f, ids }));
      return [...new Set(found)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    const q = this.matching(f);
    if (!q) return [];
    return (await q.select("devices.id").orderBy("devices.id").execute()).map((r) => r.id);
  }

  /**
   * One page of the devices matching `f`. Every query is bounded by the page, not the fleet or its history: the page
   * is cut in the database, and each device's last verdict is one index probe (the console polls this every 2 s).
   */
  async devices(f: DeviceFilter = {}, limit = 1000, offset = 0): Promise<DeviceRow[]> {
    const q = this.matching(f);
    if (!q) return [];
    // A rollback is the last word on what runs: after one, "confirmed 1.1.0" would name the version just left.
    const rows = await q.selectAll("devices").select((eb) => eb.selectFrom("verdicts as v").select("v.id")
      .whereRef("v.device_id", "=", "devices.id").where("v.phase", "in", ["confirmed", "reverted", "refused", "failed", "rolled-back"])
      .orderBy("v.ts", "desc").limit(1).as("last_verdict_id"))
      .orderBy("devices.id").limit(limit).offset(offset).execute();
    const mods: FleetSchema["installed_modules"][] = [];
    const verdicts = new Map<string, FleetSchema["verdicts"]>();
    // A page of up to 100,000 goes in chunks.
    for (const chunk of chunksOf(rows, BOUND_PER_STATEMENT)) {
      mods.push(...await this.db.selectFrom("installed_modules").selectAll().where("device_id", "in", chunk.map((r) => r.id)).orderBy("module_id").orderBy("slot").execute());
      const vids = chunk.flatMap((r) => (r.last_verdict_id ? [r.last_verdict_id] : []));
      if (vids.length) for (const v of await this.db.selectFrom("verdicts").selectAll().where("id", "in", vids).execute()) verdicts.set(v.device_id, v);
    }
    const modsOf = new Map<string, FleetSchema["installed_modules"][]>();
    for (const m of mods) modsOf.set(m.device_id, [...(modsOf.get(m.device_id) ?? []), m]);
    return rows.map((r) => {
      const v = verdicts.get(r.id);
      return {
        id: r.id, customer: r.customer, group: r.group_name, board: r.board, agent: r.agent, online: r.online === 1, lastSeen: Number(r.last_seen),
        modules: (modsOf.get(r.id) ?? []).map((m) => ({ module: m.module_id, slot: m.slot as "A" | "B", version: m.version, sequence: m.sequence, sha256: m.package_sha256, role: m.role, state: m.state })),
        lastVerdict: v ? { module: v.module_id, version: v.version, phase: v.phase, reason: v.reason, ts: Number(v.ts) } : null,
      };
    });
  }

  /** One device with its status as published, verdict history and recent logs; null when unknown. */
  async device(id: string): Promise<(DeviceRow & { status: DeviceStatus; verdicts: unknown[]; logs: unknown[] }) | null> {
    const [row] = await this.devices({ ids: [id] });
    if (!row) return null;
    const st = await this.db.selectFrom("devices").select("status_json").where("id", "=", id).executeTakeFirstOrThrow();
    const verdicts = await this.db.selectFrom("verdicts").select(["module_id", "version", "phase", "reason", "code", "package_sha256", "ts"]).where("device_id", "=", id).orderBy("ts", "desc").limit(100).execute();
    const logs = await this.db.selectFrom("logs").select(["ts", "module", "line"]).where("device_id", "=", id).orderBy("ts", "desc").limit(LOGS_PER_DEVICE).execute();
    return { ...row, status: JSON.parse(st.status_json) as DeviceStatus, verdicts, logs: logs.reverse() };
  }

  /**
   * Installs (confirmed) and faults (reverted, failed) per `bucketMs` since `since`, counted in the database: a row per
   * bucket comes back, not a row per verdict (the console polls this every 5 s; a rollout adds a verdict per device).
   */
  async health(since: number, bucketMs: number): Promise<HealthPoint[]> {
    // ts ≥ since, so the truncated quotient is the bucket's index (SQLite is handed the numbers as reals: cast).
    const rows = await this.db.selectFrom("verdicts")
      .select(sql<number>`cast((ts - ${since}) / ${bucketMs} as bigint)`.as("b"))
      .select(sql<number>`sum(case when phase = 'confirmed' then 1 else 0 end)`.as("installs"))
      .select(sql<number>`sum(case when phase = 'confirmed' then 0 else 1 end)`.as("faults"))
      .where("ts", ">=", since).where("phase", "in", ["confirmed", "reverted", "failed"])
      .groupBy(sql`1`).orderBy(sql`1`).execute();
    return rows.map((r) => ({ t: since + Number(r.b) * bucketMs, installs: Number(r.installs), faults: Number(r.faults) }));
  }
}
