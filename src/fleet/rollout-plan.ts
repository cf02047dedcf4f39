// The parts of a rollout that are plain data: which devices (--target), how
// they are split into waves (--waves, --min-per-wave), and how many failures
// a wave may have (--max-failures). Parsed here once, for the CLI and the
// HTTP API alike, with errors that name the option and the bad part.

import { DEVICE_ID } from "../ota/protocol.js";
import type { DeviceFilter } from "./store.js";

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

export const TARGET_HELP = `comma-separated key=value: customer=<c>, group=<g>, board=<b>,
                          version=<module>@<version> (devices running it), module=<m>,
                          devices=<id>+<id>+… (an explicit list); "all" for every device`;

/** Parses --target into a device filter. */
export function parseTarget(text: string): DeviceFilter {
  const t = text.trim();
  if (t === "all") return {};
  if (!t) throw new PlanError(`--target is empty (${TARGET_HELP.replace(/\s+/g, " ")})`);
  const f: DeviceFilter = {};
  for (const part of t.split(",")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (!value) throw new PlanError(`--target "${text}": "${part}" is not key=value`);
    if (key === "customer" || key === "group" || key === "board" || key === "module") {
      if (f[key] !== undefined) throw new PlanError(`--target "${text}": ${key} given twice`);
      f[key] = value;
    } else if (key === "version") {
      const at = value.lastIndexOf("@");
      if (at <= 0 || at === value.length - 1) throw new PlanError(`--target "${text}": version=${value} must be <module>@<version>, e.g. version=com.acme.alarm@1.2.0`);
      f.module = value.slice(0, at);
      f.version = value.slice(at + 1);
    } else if (key === "devices") {
      const ids = value.split("+");
      const bad = ids.find((id) => !DEVICE_ID.test(id));
      if (bad !== undefined) throw new PlanError(`--target "${text}": device id "${bad}" is not 1-64 letters, digits, . _ -`);
      f.ids = [...(f.ids ?? []), ...ids];
    } else {
      throw new PlanError(`--target "${text}": unknown key "${key}" (customer, group, board, version, module, devices)`);
    }
  }
  return f;
}

/** A filter written back as `--target` takes it (the inverse of parseTarget), for messages. */
export function targetText(f: DeviceFilter): string {
  const parts: string[] = [];
  for (const key of ["customer", "group", "board"] as const) if (f[key] !== undefined) parts.push(`${key}=${f[key]}`);
  if (f.version !== undefined && f.module !== undefined) parts.push(`version=${f.module}@${f.version}`);
  else if (f.module !== undefined) parts.push(`module=${f.module}`);
  if (f.ids?.length) parts.push(`devices=${f.ids.join("+")}`);
  return parts.join(",") || "all";
}

/** One --waves entry: a device count, or a percentage of all targeted devices. Waves are cumulative. */
export type WaveStep = { count: number } | { percent: number };

export function parseWaves(text: string): WaveStep[] {
  const steps = text.split(",").map((s) => s.trim());
  if (!steps.length || steps.some((s) => !s)) throw new PlanError(`--waves "${text}": expected a comma-separated list such as 1,5%,25%,100%`);
  const out: WaveStep[] = [];
  for (const s of steps) {
    const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(s);
    const n = m ? Number(m[1]) : NaN;
    if (!m || !(n > 0) || (m[2] && n > 100) || (!m[2] && !Number.isInteger(n))) {
      throw new PlanError(`--waves "${text}": "${s}" is neither a device count (a positive integer) nor a percentage in (0, 100]`);
    }
    // The steps are where the rollout stands after each wave, so they grow: "50%,10%" is a slip (sizes per
    // wave, or a typo), which waveSizes would otherwise quietly turn into 50% then everything. Counts and
    // percentages compare only with their own kind (the fleet's size is not known here).
    const before = [...out].reverse().find((o) => ("percent" in o) === !!m[2]);
    if (before && n <= ("percent" in before ? before.percent : before.count)) {
      throw new PlanError(`--waves "${text}": "${s}" does not go past the earlier "${"percent" in before ? `${before.percent}%` : before.count}": each step is where the rollout stands after that wave (cumulative), so they grow`);
    }
    if (out.some((o) => "percent" in o && o.percent === 100)) throw new PlanError(`--waves "${text}": "${s}" follows 100%, which is every targeted device`);
    out.push(m[2] ? { percent: n } : { count: n });
  }
  return out;
}

/**
 * Splits `total` targeted devices into wave sizes: each step is where the rollout stands after that wave
 * (cumulative), every wave gets at least `minPerWave` devices, and the last wave takes whatever remains.
 */
export function waveSizes(steps: WaveStep[], total: number, minPerWave = 1): number[] {
  const sizes: number[] = [];
  let done = 0;
  for (const [i, s] of steps.entries()) {
    if (done >= total) break;
    const want = "count" in s ? s.count : Math.ceil((s.percent * total) / 100);
    let upTo = Math.min(total, Math.max(want, done + minPerWave));
    if (i === steps.length - 1) upTo = total;
    if (upTo > done) sizes.push(upTo - done);
    done = upTo;
  }
  return sizes;
}

/** --max-failures: a count, or a percentage of each wave. */
export type FailureLimit = { count: number } | { percent: number };

export function parseMaxFailures(text: string): FailureLimit {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n >= 0) || (m[2] && n > 100) || (!m[2] && !Number.isInteger(n))) {
    throw new PlanError(`--max-failures "${text}": expected a count of devices (e.g. 2) or a percentage of each wave (e.g. 2%)`);
  }
  return m[2] ? { percent: n } : { count: n };
}

/** Failures (reverted, failed, refused, timed out) a wave of `size` devices may have without halting the rollout. */
export function allowedFailures(limit: FailureLimit, size: number): number {
  return "count" in limit ? limit.count : Math.floor((limit.percent * size) / 100);
}

export function formatFailureLimit(limit: FailureLimit): string {
  return "count" in limit ? String(limit.count) : `${limit.percent}%`;
}

/** --rate N/min: new transfers started per minute. */
/** The largest --min-per-wave, --max-concurrent and --rate (per minute) a rollout takes. */
export const MAX_PLAN_NUMBER = 1_000_000;

export function parseRate(text: string): number {
  const m = /^(\d+)\s*\/\s*min$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[1]) > MAX_PLAN_NUMBER) throw new PlanError(`--rate "${text}": expected <n>/min with 1 ≤ n ≤ ${MAX_PLAN_NUMBER}, e.g. 30/min`);
  return Number(m[1]);
}

/** When a rollout waits for a person's approval (`fwx rollout resume`): never, before its first wave, or before each wave. */
export const APPROVE_MODES = ["none", "first", "every"] as const;
export type ApproveMode = (typeof APPROVE_MODES)[number];
