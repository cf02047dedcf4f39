// The fleet service's JSON API (src/fleet/api.ts), as the console calls it.

import type { CrashView } from "../../src/fleet/crash-view.js";

export interface DeviceRow {
  id: string;
  customer: string;
  group: string;
  board: string;
  online: boolean;
  lastSeen: number;
  modules: { module: string; slot: "A" | "B"; version: string; role: string; state: string }[];
  lastVerdict: { module: string; version: string | null; phase: string; reason: string | null; ts: number } | null;
}

export interface DeviceDetail extends DeviceRow {
  verdicts: { module_id: string; version: string | null; phase: string; reason: string | null; ts: number }[];
  logs: { ts: number; module: string | null; line: string }[];
  crashes: CrashView[];
}

/** A crash report the device sent, named through its module's debug map when the fleet has it. */
export type { CrashView } from "../../src/fleet/crash-view.js";

export interface WaveView {
  index: number;
  size: number;
  state: string;
  allowedFailures: number;
  counts: Record<string, number>;
}

export interface RolloutView {
  id: string;
  module: string;
  version: string;
  state: string;
  haltReason: string | null;
  maxFailures: string;
  devices: number;
  createdAt: number;
  waves: WaveView[];
  approve: "none" | "first" | "every";
  /** While awaiting approval: the wave that starts once approved. */
  awaitingWave: number | null;
}

/** What a device signed for a rollback or a config change from the console. */
export interface DeviceActionResult { device: string; module: string; phase: string; version?: string; reason?: string }

export interface HealthPoint { t: number; installs: number; faults: number }

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}) });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(json.error ?? `HTTP ${res.status}`);
  return json;
}

export function failures(c: Record<string, number>): number {
  return (c.reverted ?? 0) + (c.failed ?? 0) + (c.refused ?? 0) + (c["timed-out"] ?? 0);
}
