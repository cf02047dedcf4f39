// The fleet database's tables as Kysely sees them. One schema for the
// embedded SQLite and for PostgreSQL: portable column types only (text,
// integer, bigint as a JS number, binary), booleans as 0/1 integers, ids as
// text (device ids, rollout ids, random UUIDs for history rows), so the same
// queries run unchanged on both.

import type { Generated } from "kysely";

export interface DevicesTable {
  id: string;
  customer: string;
  group_name: string;
  board: string;
  agent: string;
  online: number;
  /** ms since the epoch: the device's last status or presence. */
  last_seen: number;
  /** The device's retained status, as it published it (JSON). */
  status_json: string;
}

export interface InstalledModulesTable {
  device_id: string;
  module_id: string;
  slot: "A" | "B";
  version: string;
  sequence: number;
  package_sha256: string;
  /** active (running, confirmed) | trial | confirmed (not running) | spare. */
  role: string;
  state: string;
}

export interface VerdictsTable {
  id: string;
  device_id: string;
  module_id: string;
  version: string | null;
  phase: string;
  reason: string | null;
  code: string | null;
  package_sha256: string | null;
  ts: number;
}

export interface LogsTable {
  id: string;
  device_id: string;
  ts: number;
  module: string | null;
  line: string;
}

export interface RolloutsTable {
  id: string;
  module_id: string;
  version: string;
  package_sha256: string;
  package: Uint8Array;
  target_json: string;
  waves_json: string;
  max_failures: string;
  min_per_wave: number;
  rate_per_min: number | null;
  max_concurrent: number;
  /** awaiting-approval | running | paused | halted | cancelled | done */
  state: string;
  halt_reason: string | null;
  created_at: number;
  updated_at: number;
  /** none | first (before the first wave) | every (before each wave): migration 0002. */
  approve: Generated<string>;
}

export interface WavesTable {
  rollout_id: string;
  idx: number;
  size: number;
  /** pending | running | succeeded | halted */
  state: string;
  started_at: number | null;
  finished_at: number | null;
}

export interface RolloutTargetsTable {
  rollout_id: string;
  device_id: string;
  wave: number;
  /** pending | sending | confirmed | reverted | failed | refused | timed-out | cancelled */
  state: string;
  reason: string | null;
  /** Flash attempts started (a restart resumes the same one: the device decides a package once). */
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface DeltasTable {
  base_sha256: string;
  target_sha256: string;
  delta: Uint8Array;
  created_at: number;
}

/** A module's debug map (docs/debug-maps.md), uploaded by `fwx rollout create` or `fwx rollout map`. */
export interface DebugMapsTable {
  wasm_sha256: string;
  module_id: string | null;
  version: string | null;
  map_json: string;
  created_at: number;
}

/** A fault a device published on its log topic, as it sent it (positions, not names). */
export interface CrashReportsTable {
  id: string;
  device_id: string;
  module_id: string;
  ts: number;
  reason: string;
  detail: string | null;
  callback: string | null;
  wasm_sha256: string | null;
  /** [{funcIndex, moduleOffset, moduleBody?}], innermost first. */
  frames_json: string;
}

export interface FleetSchema {
  devices: DevicesTable;
  installed_modules: InstalledModulesTable;
  verdicts: VerdictsTable;
  logs: LogsTable;
  rollouts: RolloutsTable;
  waves: WavesTable;
  rollout_targets: RolloutTargetsTable;
  deltas: DeltasTable;
  debug_maps: DebugMapsTable;
  crash_reports: CrashReportsTable;
}

export type { Generated };
