// LiveModuleHost: the device agent's modules on the one module supervisor
// (src/agent/module-supervisor.ts) driven by a real-time clock, optionally
// accelerated. The batch Agent (src/agent/runtime.ts) drives the same
// supervisor over a fixed span of virtual time; a device runs open-ended and
// adds, replaces and removes modules while running, so this driver sleeps on
// a wall-clock timer until the next scheduled callback or board event.

import { createHash } from "node:crypto";
import type { HostImpl } from "../abi/host.generated.js";
import { capabilityExcess } from "../caps/capabilities.js";
import type { AgentEvent } from "../agent/host-context.js";
import type { InstanceContext } from "../agent/instance.js";
import { ModuleRefused, type PreparedModule, type PrepareOptions } from "../agent/refusal.js";
import { prepareOffThread, prepareOffThreadSync } from "../agent/prepare-pool.js";
import type { BoardLike, HostServices } from "../agent/runtime.js";
import { ModuleSupervisor, supervisionPolicy, type SupervisedSlot, type SupervisionPolicy } from "../agent/module-supervisor.js";
import { TelemetryQueue, type TelemetrySink } from "../agent/host/telemetry.js";
import { KvStoreError } from "../agent/host/kv.js";
import { ModuleStartError, type HostedEvents, type HostedModule, type HostedSpec, type HostedState } from "./module-host.js";
import type { ModuleHost } from "./module-host.js";
import type { PreparedStore } from "./prepared-store.js";
import type { SlotName } from "./state-store.js";

/** Where what is prepared of a slot's payload is kept, and its key there (PreparedStore). */
interface KeptAs { store: PreparedStore; slot: SlotName; key: string }

export type LiveHostFactory<B extends BoardLike> = (ctx: InstanceContext, services: HostServices<B>) => HostImpl;

export interface LiveHostOptions<B extends BoardLike> extends SupervisionPolicy {
  board: B;
  createHost: LiveHostFactory<B>;
  stateDir: string | null;
  /** Device-time speed-up over wall time (1 = real time). */
  speed?: number;
  /** Module events (logs, lifecycle, faults with crash reports, peripherals) for the device's log stream. */
  onEvent(tUs: bigint, module: string, event: AgentEvent): void;
  telemetry: TelemetrySink;
  /** Wall-clock limit on preparing an installed module; default PREPARE_TIME_LIMIT_MS. */
  prepareTimeLimitMs?: number;
  /** Where what was prepared of each slot is kept between runs; without it every start of a fresh agent prepares. */
  preparedStore?: PreparedStore;
}

class LiveHostedModule implements HostedModule {
  constructor(private readonly supervisor: ModuleSupervisor<BoardLike>, readonly slot: SupervisedSlot) {}
  get state(): HostedState {
    const s = this.slot.state;
    return s === "idle" ? "stopped" : s;
  }
  get callbacks(): number {
    return this.slot.callbacks;
  }
  get faults(): number {
    return this.slot.faults.length;
  }
  get restarts(): number {
    return this.slot.restarts;
  }
  get lastFault(): string | null {
    const f = this.slot.faults.at(-1);
    return f ? `${f.reason} in ${f.callback}: ${f.detail}` : null;
  }
  healthVeto(): string | null {
    return this.supervisor.healthVeto(this.slot);
  }
  promote(): void {
    this.slot.spec = { ...this.slot.spec, restartOnFault: true };
  }
  stop(why: string): void {
    this.supervisor.stop(this.slot, why);
    this.supervisor.remove(this.slot);
  }
}

export class LiveModuleHost<B extends BoardLike> implements ModuleHost {
  private readonly supervisor: ModuleSupervisor<B>;
  private readonly telemetry: TelemetryQueue;
  private readonly t0 = performance.now();
  private readonly speed: number;
  private timer: NodeJS.Timeout | null = null;
  private armedFor: bigint | null = null;
  private nextOrder = 0;
  private closed = false;
  /** True while pump() advances the board: events then carry the board's time. */
  private advancing = false;

  constructor(private readonly opts: LiveHostOptions<B>) {
    this.speed = opts.speed ?? 1;
    this.telemetry = new TelemetryQueue(64, opts.telemetry);
    this.supervisor = new ModuleSupervisor<B>({
      board: opts.board, createHost: opts.createHost, stateDir: opts.stateDir,
      nowUs: () => this.nowUs(),
      eventTimeUs: () => (this.advancing ? opts.board.nowUs ?? this.nowUs() : this.nowUs()),
      emit: (tUs, module, event) => opts.onEvent(tUs, module, event),
      telemetry: this.telemetry,
      ...supervisionPolicy(opts),
      onScheduled: () => this.kick(),
      afterCall: () => this.telemetry.flush(),
      announceIdleStops: true,
    });
  }

  nowUs(): bigint {
    return BigInt(Math.floor((performance.now() - this.t0) * 1000 * this.speed));
  }

  nowMs(): number {
    return Number(this.nowUs() / 1000n);
  }

  after(ms: number, fn: () => void): { cancel(): void } {
    const scheduler = this.supervisor.scheduler;
    const task = scheduler.schedule(this.nowUs() + BigInt(Math.round(ms * 1000)), -1, fn);
    this.kick();
    return { cancel: () => scheduler.cancel(task) };
  }

  private prepareOptions(spec: HostedSpec): PrepareOptions {
    const profile = this.opts.board.profile;
    return {
      moduleId: spec.id, source: spec.source, ramBudgetBytes: spec.manifest.budgets.ramBytes,
      ...(profile.deviceClass ? { deviceClass: profile.deviceClass } : {}),
      ...(profile.moduleLimits ? { limits: profile.moduleLimits } : {}),
    };
  }

  /**
   * Payloads prepared before, by module and payload hash: a revert, a
   * rollback to a slot prepared at its install, or a restart after a config
   * change then prepares nothing on this thread. At most two per module (the
   * running one and the one before it).
   */
  private readonly preparedCache = new Map<string, PreparedModule>();
  /**
   * Preparations the agent's thread waited for (boot, or a payload not prepared before): they hold
   * running modules up. The work is the preparation worker's even then, so this thread never loads
   * the validator and the instrumenter.
   */
  preparedInThread = 0;

  private cacheKey(spec: HostedSpec): string {
    return `${spec.id}\0${spec.manifest.budgets.ramBytes}\0${createHash("sha256").update(spec.payload).digest("hex")}`;
  }

  private cached(spec: HostedSpec): PreparedModule | undefined {
    const key = this.cacheKey(spec);
    const hit = this.preparedCache.get(key);
    if (hit) {
      // Most recently used last, so pruning drops the oldest.
      this.preparedCache.delete(key);
      this.preparedCache.set(key, hit);
    }
    return hit;
  }

  private remember(spec: HostedSpec, prepared: PreparedModule): PreparedModule {
    const key = this.cacheKey(spec);
    this.preparedCache.delete(key);
    this.preparedCache.set(key, prepared);
    const mine = [...this.preparedCache.keys()].filter((k) => k.startsWith(`${spec.id}\0`));
    for (const old of mine.slice(0, Math.max(0, mine.length - 2))) this.preparedCache.delete(old);
    return prepared;
  }

  /** Entries known to be in the state directory, as "module\0slot\0key": restarting a module does not write its entry again. */
  private readonly kept = new Set<string>();

  /** Where and under which key what is prepared of `spec` is kept (preparedStore); null when it is not kept. */
  private keptAs(spec: HostedSpec): KeptAs | null {
    const store = this.opts.preparedStore;
    if (!store || !spec.slot) return null;
    return { store, slot: spec.slot, key: store.key(spec.payload, this.prepareOptions(spec)) };
  }

  /** The slot's payload as this agent prepared it before it last restarted, if that is still good. */
  private fromStore(spec: HostedSpec, at: KeptAs): PreparedModule | undefined {
    const hit = at.store.lookup(spec.id, at.slot, at.key, spec.payload, this.prepareOptions(spec));
    if (!hit) return undefined;
    this.kept.add(`${spec.id}\0${at.slot}\0${at.key}`);
    return this.remember(spec, hit);
  }

  /** Keeps what was prepared of the slot's payload for the next start of the agent. */
  private keep(spec: HostedSpec, at: KeptAs, prepared: PreparedModule): void {
    const slot = `${spec.id}\0${at.slot}\0`;
    if (this.kept.has(slot + at.key)) return;
    at.store.keep(spec.id, at.slot, at.key, prepared);
    for (const k of this.kept) if (k.startsWith(slot)) this.kept.delete(k);
    this.kept.add(slot + at.key);
  }

  private timeLimit(): { timeLimitMs?: number } {
    return this.opts.prepareTimeLimitMs === undefined ? {} : { timeLimitMs: this.opts.prepareTimeLimitMs };
  }

  private prepareWaiting(spec: HostedSpec): PreparedModule {
    this.preparedInThread++;
    return prepareOffThreadSync(spec.payload, this.prepareOptions(spec), this.timeLimit());
  }

  /** Prepares a payload on the preparation worker, so the running modules are not held up (installs use this). */
  async prepare(spec: HostedSpec): Promise<PreparedModule> {
    const hit = this.cached(spec);
    if (hit) return hit;
    try {
      return this.remember(spec, await prepareOffThread(spec.payload, this.prepareOptions(spec), this.timeLimit()));
    } catch (e) {
      if (e instanceof ModuleRefused) throw new ModuleStartError(spec.id, e.step, e.report);
      throw e;
    }
  }

  start(spec: HostedSpec, events: HostedEvents): HostedModule {
    if (this.closed) throw new Error("module host is closed");
    const existing = this.supervisor.slots.find((s) => s.spec.id === spec.id);
    if (existing) {
      this.supervisor.stop(existing, "replaced");
      this.supervisor.remove(existing);
    }
    const excess = capabilityExcess(spec.manifest.capabilities, this.opts.board.profile.grantable);
    if (excess.length) throw new ModuleStartError(spec.id, "capabilities", `${spec.source}: the board cannot grant ${excess.join("; ")}`);
    // Its key is the payload's digest: made once per start, for the lookup and for keeping.
    const keptAs = this.keptAs(spec);
    let prepared: PreparedModule;
    try {
      prepared = spec.prepared ?? this.cached(spec) ?? (keptAs ? this.fromStore(spec, keptAs) : undefined) ?? this.remember(spec, this.prepareWaiting(spec));
    } catch (e) {
      if (e instanceof ModuleRefused) throw new ModuleStartError(spec.id, e.step, e.report);
      throw e;
    }
    let slot;
    try {
      slot = this.supervisor.add({
        id: spec.id, source: spec.source, prepared,
        caps: spec.manifest.capabilities, config: spec.config,
        fuel: BigInt(spec.manifest.budgets.fuelPerCallback),
        restartOnFault: spec.restartOnFault,
      }, this.nextOrder++, {
        callback: () => events.callback(),
        fault: (report) => events.fault(report.reason, report.detail),
      });
    } catch (e) {
      // The module's own kv file is damaged: that module does not start (named, with the file); the agent and
      // the other modules go on, so the device stays reachable for a remove or a new flash.
      if (e instanceof KvStoreError) throw new ModuleStartError(spec.id, "kv", e.message);
      throw e;
    }
    const handle = new LiveHostedModule(this.supervisor as unknown as ModuleSupervisor<BoardLike>, slot);
    this.supervisor.start(slot);
    if (keptAs) this.keep(spec, keptAs, prepared);
    return handle;
  }

  /** Re-arms the wall-clock timer for the earliest due task or board event. */
  private kick(): void {
    if (this.closed) return;
    const tq = this.supervisor.scheduler.nextAt();
    const tb = this.opts.board.nextEventAt();
    const due = tq === null ? tb : tb === null ? tq : tq < tb ? tq : tb;
    if (due === null) return;
    if (this.timer && this.armedFor !== null && this.armedFor <= due) return;
    if (this.timer) clearTimeout(this.timer);
    const waitMs = Math.max(0, Number(due - this.nowUs()) / 1000 / this.speed);
    this.armedFor = due;
    this.timer = setTimeout(() => this.pump(), Math.min(waitMs, 2 ** 31 - 1));
  }

  private pump(): void {
    this.timer = null;
    this.armedFor = null;
    const now = this.nowUs();
    this.advancing = true;
    try {
      this.opts.board.advanceTo(now);
    } finally {
      this.advancing = false;
    }
    // Bounded so a module re-arming a zero-period stream of events cannot starve MQTT.
    for (let n = 0; n < 1000; n++) {
      const task = this.supervisor.scheduler.popDue(now);
      if (!task) break;
      task.run();
    }
    this.telemetry.flush();
    this.kick();
  }

  close(): void {
    for (const slot of [...this.supervisor.slots]) this.supervisor.stop(slot, "agent shutting down");
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
