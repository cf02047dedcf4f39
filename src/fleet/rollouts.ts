// Staged rollouts: the intent (package, targets, waves, thresholds) and every
// device's progress are rows in the fleet database, written before each step
// is taken, so a restarted service carries on where it stopped and never
// starts a second install on a device: a target is marked `sending` before
// its flash begins, and a `sending` target found after a restart is flashed
// again with the same package, which the device answers from its own durable
// state (resume the transfer, or the verdict it already reached; it never
// installs one package twice, docs/ota-protocol.md).
//
// A wave starts only when the previous one succeeded: all its devices reached
// a verdict and no more than --max-failures of them failed. A wave whose
// failures (reverted, failed, refused, timed out) pass the limit halts the
// rollout with the reason recorded; devices of later waves are never touched.

import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { ExpressionBuilder, Kysely, Transaction } from "kysely";
import { readPackageUnverified } from "../pkg/index.js";
import { sha256Hex } from "../ota/state-store.js";
import type { FleetSchema } from "./db/schema.js";
import { allowedFailures, formatFailureLimit, MAX_PLAN_NUMBER, PlanError, targetText, waveSizes, type ApproveMode, type FailureLimit, type WaveStep } from "./rollout-plan.js";
import type { DeviceFilter, FleetStore } from "./store.js";

export const FAILED_STATES = ["reverted", "failed", "refused", "timed-out"] as const;
const FINAL_STATES = ["confirmed", ...FAILED_STATES, "cancelled"];

export interface RolloutSpec {
  package: Uint8Array;
  target: DeviceFilter;
  waves: WaveStep[];
  maxFailures: FailureLimit;
  minPerWave?: number;
  ratePerMin?: number | null;
  maxConcurrent?: number;
  /** Wait for an approval (resume) before the first wave only, or before every wave (default none). */
  approve?: ApproveMode;
}

/** What one device's flash ended in. */
export interface DeviceOutcome {
  state: "confirmed" | (typeof FAILED_STATES)[number];
  reason: string;
}

/** Flashes one device with the rollout's package through the signed operator commands `fwx flash` sends; never throws. */
export type FlashDevice = (device: string, pkg: Uint8Array, signal: AbortSignal) => Promise<DeviceOutcome>;

export interface WaveView {
  index: number;
  size: number;
  state: string;
  allowedFailures: number;
  counts: Record<string, number>;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface RolloutView {
  id: string;
  module: string;
  version: string;
  packageSha256: string;
  target: DeviceFilter;
  waves: WaveView[];
  maxFailures: string;
  minPerWave: number;
  ratePerMin: number | null;
  maxConcurrent: number;
  state: string;
  haltReason: string | null;
  createdAt: number;
  updatedAt: number;
  devices: number;
  approve: ApproveMode;
  /** While awaiting approval: the index of the wave that starts once approved. */
  awaitingWave: number | null;
}

/** A condition for an update: rollout `id` is (still) running, checked in the same statement. */
function stillRunning(id: string) {
  return (eb: ExpressionBuilder<FleetSchema, keyof FleetSchema>) => eb.exists(eb.selectFrom("rollouts as r").select("r.id").where("r.id", "=", id).where("r.state", "=", "running"));
}

export class RolloutNotFound extends Error {
  constructor(id: string) {
    super(`no rollout "${id}"`);
    this.name = "RolloutNotFound";
  }
}

/** An action the rollout's state does not allow (resume a cancelled rollout, …). */
export class RolloutStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RolloutStateError";
  }
}

export interface RolloutControllerOptions {
  db: Kysely<FleetSchema>;
  store: FleetStore;
  flashDevice: FlashDevice;
  /** How often the controller looks at running rollouts (default 250 ms); it also looks after every verdict. */
  tickMs?: number;
  now?: () => number;
  onChange?(rolloutId: string): void;
}

export class RolloutController {
  private readonly inFlight = new Map<string, Promise<void>>(); // key: rollout/device
  /**
   * Targets to flash again although they are `sending`: those a previous run left (read once, at the first tick) and
   * those whose outcome this run could not record. Never "every `sending` target not in flight": a tick's list of
   * them can be older than a transfer that finished while the list was read, and its device would be flashed twice.
   */
  private readonly toResume = new Set<string>();
  private leftBehindRead = false;
  private readonly lastStart = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly opts: RolloutControllerOptions) {
    this.now = opts.now ?? Date.now;
    // Every transfer under way listens for the stop: as many listeners as --max-concurrent allows.
    setMaxListeners(0, this.abort.signal);
  }

  private get db() {
    return this.opts.db;
  }

  /** Validates the package, selects the devices, splits them into waves and records it all in one transaction. */
  async create(spec: RolloutSpec): Promise<RolloutView> {
    let peek;
    try {
      peek = readPackageUnverified(spec.package);
    } catch (e) {
      throw new PlanError(`not a package: ${(e as Error).message}`);
    }
    if ("error" in peek.manifest) throw new PlanError(`package manifest is unreadable: ${peek.manifest.error}`);
    const manifest = peek.manifest;
    const devices = await this.opts.store.deviceIds(spec.target);
    if (!devices.length) throw new PlanError(`--target ${targetText(spec.target)} selects no device the fleet service knows`);
    const minPerWave = spec.minPerWave ?? 1;
    const maxConcurrent = spec.maxConcurrent ?? 50;
    // Bounded: the columns are 32-bit integers on PostgreSQL, where a larger number failed the insert as an internal error.
    if (!Number.isInteger(minPerWave) || minPerWave < 1 || minPerWave > MAX_PLAN_NUMBER) throw new PlanError(`--min-per-wave ${minPerWave}: expected a positive integer up to ${MAX_PLAN_NUMBER}`);
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_PLAN_NUMBER) throw new PlanError(`--max-concurrent ${maxConcurrent}: expected a positive integer up to ${MAX_PLAN_NUMBER}`);
    if (spec.ratePerMin != null && !(Number.isInteger(spec.ratePerMin) && spec.ratePerMin >= 1 && spec.ratePerMin <= MAX_PLAN_NUMBER)) throw new PlanError(`--rate ${spec.ratePerMin}/min: expected up to ${MAX_PLAN_NUMBER}/min`);
    const sizes = waveSizes(spec.waves, devices.length, minPerWave);
    const id = `ro-${randomBytes(4).toString("hex")}`;
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto("rollouts").values({
        id, module_id: manifest.id, version: manifest.version, package_sha256: sha256Hex(spec.package), package: spec.package,
        target_json: JSON.stringify(spec.target), waves_json: JSON.stringify(spec.waves), max_failures: JSON.stringify(spec.maxFailures),
        min_per_wave: minPerWave, rate_per_min: spec.ratePerMin ?? null, max_concurrent: maxConcurrent,
        state: (spec.approve ?? "none") !== "none" ? "awaiting-approval" : "running", halt_reason: null, created_at: t, updated_at: t,
        approve: spec.approve ?? "none",
      }).execute();
      await tx.insertInto("waves").values(sizes.map((size, idx) => ({ rollout_id: id, idx, size, state: "pending", started_at: null, finished_at: null }))).execute();
      // Devices in id order: wave 0 is the first `sizes[0]` of them, and so on (the order is recorded, not recomputed).
      let i = 0;
      const rows = sizes.flatMap((size, wave) => devices.slice(i, (i += size)).map((device_id) => ({
        rollout_id: id, device_id, wave, state: "pending", reason: null, attempts: 0, started_at: null, finished_at: null,
      })));
      for (let k = 0; k < rows.length; k += 500) await tx.insertInto("rollout_targets").values(rows.slice(k, k + 500)).execute();
    });
    this.kick();
    return (await this.get(id))!;
  }

  /** Every rollout, newest first: three queries for any number of them (the console polls this every second). */
  async list(): Promise<RolloutView[]> {
    return this.views(null);
  }

  async get(id: string): Promise<RolloutView | null> {
    return (await this.views(id))[0] ?? null;
  }

  /** The views of one rollout or of all, without reading their packages (a blob each, needed only to flash). */
  private async views(only: string | null): Promise<RolloutView[]> {
    const rs = await this.db.selectFrom("rollouts")
      .select(["id", "module_id", "version", "package_sha256", "target_json", "max_failures", "min_per_wave", "rate_per_min", "max_concurrent", "state", "halt_reason", "created_at", "updated_at", "approve"])
      .$if(only !== null, (q) => q.where("id", "=", only!)).orderBy("created_at", "desc").orderBy("id").execute();
    if (!rs.length) return [];
    const allWaves = await this.db.selectFrom("waves").selectAll().$if(only !== null, (q) => q.where("rollout_id", "=", only!)).orderBy("rollout_id").orderBy("idx").execute();
    const allCounts = await this.db.selectFrom("rollout_targets").select(["rollout_id", "wave", "state"]).select((eb) => eb.fn.countAll<number>().as("n"))
      .$if(only !== null, (q) => q.where("rollout_id", "=", only!)).groupBy(["rollout_id", "wave", "state"]).execute();
    return rs.map((r) => {
      const id = r.id;
      const waves = allWaves.filter((w) => w.rollout_id === id);
      const counts = allCounts.filter((c) => c.rollout_id === id);
      const limit = JSON.parse(r.max_failures) as FailureLimit;
      return {
        id: r.id, module: r.module_id, version: r.version, packageSha256: r.package_sha256, target: JSON.parse(r.target_json) as DeviceFilter,
        waves: waves.map((w) => ({
          index: w.idx, size: w.size, state: w.state, allowedFailures: allowedFailures(limit, w.size),
          counts: Object.fromEntries(counts.filter((c) => c.wave === w.idx).map((c) => [c.state, Number(c.n)])),
          startedAt: w.started_at === null ? null : Number(w.started_at), finishedAt: w.finished_at === null ? null : Number(w.finished_at),
        })),
        maxFailures: formatFailureLimit(limit), minPerWave: r.min_per_wave, ratePerMin: r.rate_per_min, maxConcurrent: r.max_concurrent,
        state: r.state, haltReason: r.halt_reason, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
        devices: waves.reduce((a, w) => a + w.size, 0),
        approve: r.approve as ApproveMode,
        awaitingWave: r.state === "awaiting-approval" ? waves.find((w) => w.state === "pending")?.idx ?? null : null,
      };
    });
  }

  /** Per-device rows of a rollout. */
  async targets(id: string) {
    return this.db.selectFrom("rollout_targets").select(["device_id", "wave", "state", "reason", "attempts", "started_at", "finished_at"])
      .where("rollout_id", "=", id).orderBy("wave").orderBy("device_id").execute();
  }

  private async transition(id: string, from: string[], to: string, verb: string): Promise<RolloutView> {
    const r = await this.db.selectFrom("rollouts").select("state").where("id", "=", id).executeTakeFirst();
    if (!r) throw new RolloutNotFound(id);
    if (!from.includes(r.state)) throw new RolloutStateError(`cannot ${verb} rollout ${id}: it is ${r.state}`);
    await this.db.transaction().execute(async (tx) => {
      const res = await tx.updateTable("rollouts").set({ state: to, updated_at: this.now() }).where("id", "=", id).where("state", "in", from).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) {
        // Its state changed since it was read (the controller halted or finished it, another request): refuse as above.
        const now = await tx.selectFrom("rollouts").select("state").where("id", "=", id).executeTakeFirst();
        throw new RolloutStateError(`cannot ${verb} rollout ${id}: it is ${now?.state ?? "gone"}`);
      }
      // A cancelled rollout's waves that had not ended end now: the console and status show none "running" or "pending".
      if (to === "cancelled") await tx.updateTable("waves").set({ state: "cancelled", finished_at: this.now() }).where("rollout_id", "=", id).where("state", "in", ["pending", "running"]).execute();
      if (to === "cancelled") await tx.updateTable("rollout_targets").set({ state: "cancelled", finished_at: this.now() }).where("rollout_id", "=", id).where("state", "=", "pending").execute();
    });
    this.opts.onChange?.(id);
    this.kick();
    return (await this.get(id))!;
  }

  /** No new transfers start; those under way finish and are recorded. */
  pause(id: string) {
    return this.transition(id, ["running"], "paused", "pause");
  }

  /** Continues a paused rollout, or approves the next wave of one waiting for approval. */
  resume(id: string) {
    return this.transition(id, ["paused", "awaiting-approval"], "running", "resume");
  }

  /** Devices not yet started are never touched; transfers under way finish. */
  cancel(id: string) {
    return this.transition(id, ["running", "paused", "awaiting-approval", "halted"], "cancelled", "cancel");
  }

  /** Starts looking at rollouts: resumes every `sending` target of the database (a restart), then ticks. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), this.opts.tickMs ?? 250);
    this.kick();
  }

  /** Stops starting transfers and abandons those under way (their targets stay `sending`, resumed by the next start). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.ticking;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Resolves when no transfer is under way and no tick is running. */
  async idle(): Promise<void> {
    while (this.ticking || this.inFlight.size) {
      await this.ticking;
      await Promise.allSettled([...this.inFlight.values()]);
    }
  }

  /** Looks at the rollouts now (a verdict arrived). */
  nudge(): void {
    this.kick();
  }

  private kick(): void {
    if (this.abort.signal.aborted) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick().catch(() => { /* a database hiccup: the next tick retries */ }).finally(() => {
      this.ticking = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async tick(): Promise<void> {
    const active = await this.db.selectFrom("rollouts").select(["id", "state"]).where("state", "in", ["running", "paused", "halted", "cancelled"]).execute();
    if (!this.leftBehindRead) {
      // Transfers started before a restart, in whatever state the rollout is now: their devices may be installing.
      for (const r of active) {
        const sending = await this.db.selectFrom("rollout_targets").select("device_id").where("rollout_id", "=", r.id).where("state", "=", "sending").execute();
        for (const t of sending) this.toResume.add(`${r.id}/${t.device_id}`);
      }
      this.leftBehindRead = true;
    }
    for (const key of [...this.toResume]) {
      if (this.abort.signal.aborted) return;
      const slash = key.indexOf("/");
      this.toResume.delete(key);
      try {
        await this.launch(key.slice(0, slash), key.slice(slash + 1), false);
      } catch (e) {
        this.toResume.add(key); // a database hiccup before the transfer started: the next tick tries again
        throw e;
      }
    }
    for (const r of active) {
      if (this.abort.signal.aborted) return;
      if (r.state === "running") await this.advance(r.id);
    }
  }

  /** Decides the running wave of rollout `id`: halt, succeed (and start the next), or start more transfers. */
  private async advance(id: string): Promise<void> {
    const r = await this.db.selectFrom("rollouts").select(["state", "max_failures", "max_concurrent", "rate_per_min", "approve"]).where("id", "=", id).executeTakeFirstOrThrow();
    if (r.state !== "running") return; // paused, cancelled or halted since the tick listed it
    const wave = await this.db.selectFrom("waves").selectAll().where("rollout_id", "=", id).where("state", "in", ["pending", "running"]).orderBy("idx").executeTakeFirst();
    if (!wave) {
      await this.finish(id, "done", null);
      return;
    }
    // Each wave change below holds only while the rollout is running: a cancel that answered meanwhile has closed its waves.
    if (wave.state === "pending") await this.db.updateTable("waves").set({ state: "running", started_at: this.now() }).where("rollout_id", "=", id).where("idx", "=", wave.idx).where(stillRunning(id)).execute();
    // The wave's devices counted per state, then only the rows needed (the failures a halt names, the pending devices
    // there is room for): every tick and every verdict comes here, and a wave can be most of the fleet.
    const byState = new Map((await this.db.selectFrom("rollout_targets").select("state").select((eb) => eb.fn.countAll<number>().as("n"))
      .where("rollout_id", "=", id).where("wave", "=", wave.idx).groupBy("state").execute()).map((c) => [c.state, Number(c.n)]));
    const count = (states: readonly string[]) => states.reduce((a, st) => a + (byState.get(st) ?? 0), 0);
    const limit = JSON.parse(r.max_failures) as FailureLimit;
    const allowed = allowedFailures(limit, wave.size);
    const failed = count(FAILED_STATES);
    const waveName = `wave ${wave.idx + 1} of ${(await this.db.selectFrom("waves").select("idx").where("rollout_id", "=", id).execute()).length}`;
    if (failed > allowed) {
      const named = await this.db.selectFrom("rollout_targets").select(["device_id", "state", "reason"]).where("rollout_id", "=", id).where("wave", "=", wave.idx)
        .where("state", "in", [...FAILED_STATES]).orderBy("device_id").limit(3).execute();
      const why = named.map((t) => `${t.device_id} ${t.state}${t.reason ? `: ${t.reason}` : ""}`).join("; ");
      const reason = `${waveName}: ${failed} of ${wave.size} devices failed, more than --max-failures ${formatFailureLimit(limit)} allows (${allowed}): ${why}${failed > 3 ? "; …" : ""}`;
      await this.db.transaction().execute(async (tx) => {
        await tx.updateTable("waves").set({ state: "halted", finished_at: this.now() }).where("rollout_id", "=", id).where("idx", "=", wave.idx).where(stillRunning(id)).execute();
        await this.setState(tx, id, "halted", reason);
      });
      return;
    }
    if (count(FINAL_STATES) === count([...byState.keys()])) {
      const next = await this.db.selectFrom("waves").select("idx").where("rollout_id", "=", id).where("idx", ">", wave.idx).executeTakeFirst();
      await this.db.transaction().execute(async (tx) => {
        await tx.updateTable("waves").set({ state: "succeeded", finished_at: this.now() }).where("rollout_id", "=", id).where("idx", "=", wave.idx).where(stillRunning(id)).execute();
        // --approve every: a person looks at the wave that just succeeded before the next one starts.
        if (next && r.approve === "every") await this.setState(tx, id, "awaiting-approval", null);
      });
      this.opts.onChange?.(id);
      this.kick();
      return;
    }
    // Start transfers: the concurrency limit counts this rollout's devices under way, the rate the starts per minute.
    let room = r.max_concurrent - (byState.get("sending") ?? 0);
    if (room <= 0) return;
    const pending = await this.db.selectFrom("rollout_targets").select("device_id").where("rollout_id", "=", id).where("wave", "=", wave.idx)
      .where("state", "=", "pending").orderBy("device_id").limit(room).execute();
    for (const t of pending) {
      if (room <= 0 || this.abort.signal.aborted) break;
      if (r.rate_per_min) {
        const last = this.lastStart.get(id) ?? -Infinity;
        if (this.now() - last < 60_000 / r.rate_per_min) break;
        this.lastStart.set(id, this.now());
      }
      if (await this.launch(id, t.device_id, true)) room--;
    }
  }

  private async finish(id: string, state: string, reason: string | null): Promise<void> {
    await this.db.transaction().execute((tx) => this.setState(tx, id, state, reason));
  }

  private async setState(tx: Transaction<FleetSchema>, id: string, state: string, reason: string | null): Promise<void> {
    await tx.updateTable("rollouts").set({ state, halt_reason: reason, updated_at: this.now() }).where("id", "=", id).where("state", "=", "running").execute();
    this.opts.onChange?.(id);
  }

  /**
   * Flashes one target. `fresh`: take a pending target (marked `sending` first, in the database, so a restart
   * finds it); otherwise carry on with one a previous run left `sending`.
   */
  private async launch(id: string, device: string, fresh: boolean): Promise<boolean> {
    const key = `${id}/${device}`;
    if (this.inFlight.has(key)) return false;
    if (fresh) {
      const res = await this.db.updateTable("rollout_targets").set((eb) => ({ state: "sending", started_at: this.now(), attempts: eb("attempts", "+", 1) }))
        .where("rollout_id", "=", id).where("device_id", "=", device).where("state", "=", "pending")
        // In the same statement: a pause (or halt, or approval wait) that answered after this tick read the rollout
        // as running starts no transfer, though the tick goes on through its list of pending targets.
        .where(stillRunning(id))
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false; // taken meanwhile (cancelled, paused, another instance)
    }
    const pkg = await this.db.selectFrom("rollouts").select("package").where("id", "=", id).executeTakeFirstOrThrow();
    const run = (async () => {
      const outcome = await this.opts.flashDevice(device, new Uint8Array(pkg.package), this.abort.signal);
      if (this.abort.signal.aborted) return; // stopped: the target stays `sending` for the next start
      await this.db.updateTable("rollout_targets").set({ state: outcome.state, reason: outcome.reason || null, finished_at: this.now() })
        .where("rollout_id", "=", id).where("device_id", "=", device).where("state", "=", "sending").execute();
      this.opts.onChange?.(id);
    })().catch(() => {
      this.toResume.add(key); // the outcome was not recorded: the target is still `sending`, and the next tick flashes it again
    }).finally(() => {
      this.inFlight.delete(key);
      this.kick();
    });
    this.inFlight.set(key, run);
    return true;
  }
}
