// The device agent's runtime: modules on one board, one event loop on the
// device clock. Each step advances the clock to the next thing due (a
// scheduled callback or a board event), lets the board catch up, then runs
// everything due in (time, module order, sequence) order. Callbacks run one at
// a time, so a module's callbacks never overlap and nothing depends on wall time.

import type { HostImpl } from "../abi/host.generated.js";
import { capabilityExcess, type Capabilities } from "../caps/capabilities.js";
import type { AgentEvent } from "./host-context.js";
import { DeviceClaimRegistry } from "./handles.js";
import { EventLog } from "./event-log.js";
import { BusEventLimiter } from "./bus-events.js";
import { formatCrashReport, type CrashReport } from "./faults.js";
import { ModuleInstance, type CallOutcome, type InstanceContext } from "./instance.js";
import { ModuleRefused, type PreparedModule } from "./refusal.js";
import { prepareOffThread } from "./prepare-pool.js";
import type { DeviceClass, ModuleLimits } from "../validate/limits.js";
import { Scheduler, VirtualClock, type DeviceClock } from "./scheduler.js";
import { frameIsFresh, isWatchdogTimeout, runFrame } from "./watchdog.js";
import { DEFAULT_RESTART_POLICY, FaultHistory, type RestartPolicy } from "./supervisor.js";
import { KvStore } from "./host/kv.js";
import { TelemetryQueue, type TelemetryMessage, type TelemetrySink } from "./host/telemetry.js";
import type { CoreServices } from "./host/core.js";
import type { TimerServices } from "./host/timer.js";

/** What the runtime needs of a board (src/sim/board.ts Board satisfies it). */
export interface BoardLike {
  /** deviceClass and moduleLimits: whose resource limits modules are validated against (default: the gateway's). */
  readonly profile: { name?: string; grantable: Capabilities; deviceClass?: DeviceClass; moduleLimits?: ModuleLimits };
  nextEventAt(): bigint | null;
  advanceTo(nowUs: bigint): void;
}

export interface HostServices<B extends BoardLike = BoardLike> {
  board: B;
  core: CoreServices;
  timer: TimerServices;
  kv: KvStore;
  telemetry: { queue: TelemetryQueue; rate: { perSecond: number; burst: number } };
}

export type HostFactory<B extends BoardLike = BoardLike> = (ctx: InstanceContext, services: HostServices<B>) => HostImpl;

export interface ModuleSpec {
  id: string;
  bytes: Uint8Array;
  /** File name for reports. */
  source: string;
  /** What the module asks for (manifest and --grant); the board must be able to grant all of it. */
  requested: Capabilities;
  config?: ReadonlyMap<string, string>;
  /** Fuel per callback, 1 ..= MAX_FUEL. */
  fuel?: bigint;
  ramBudgetBytes?: number;
}

/** Sees every delivery and every outcome (the recorder). */
export interface RunObserver {
  delivery(moduleIndex: number, tUs: bigint, callback: DeliveryKind, args: number[]): void;
  outcome(moduleIndex: number, outcome: CallOutcome): void;
  /** May wrap the host an instance gets (to record its calls). */
  wrapHost?(moduleIndex: number, host: HostImpl): HostImpl;
}

export type DeliveryKind = "init" | "timer" | "event" | "deinit";

export interface AgentOptions<B extends BoardLike> {
  board: B;
  createHost: HostFactory<B>;
  clock?: DeviceClock;
  stateDir?: string | null;
  /** Wall-clock limit per callback (ms); the second line of defence behind fuel. 0 disables. */
  watchdogMs?: number;
  restart?: Partial<RestartPolicy>;
  /** 0 debug … 3 error. */
  minLogLevel?: number;
  logRate?: { perSecond: number; burst: number };
  /** Peripheral traffic events per module and kind (bus-events.ts); default DEFAULT_BUS_EVENT_RATE. */
  busEventRate?: { perSecond: number; burst: number };
  telemetryRate?: { perSecond: number; burst: number };
  telemetryQueueLength?: number;
  /** Where accepted telemetry goes; default: the event log. */
  telemetrySink?: TelemetrySink;
  observer?: RunObserver;
  /** Keep every event in memory (default true); streaming callers may turn it off. */
  keepEvents?: boolean;
  /** Wall-clock limit on preparing one module on the preparation worker; default PREPARE_TIME_LIMIT_MS (20 s). */
  prepareTimeLimitMs?: number;
}

export type ModuleState = "idle" | "running" | "backoff" | "quarantined" | "stopped";

export const DEFAULT_FUEL = 10_000_000n;
/** The fuel counter is an i64: a larger budget would wrap negative and end every callback at once. */
export const MAX_FUEL = (1n << 63n) - 1n;
export const DEFAULT_RAM_BUDGET = 65536;
export const DEFAULT_WATCHDOG_MS = 2000;

interface Slot {
  index: number;
  /** The order addModule was called in; slots are kept sorted by it. */
  order: number;
  spec: ModuleSpec;
  prepared: PreparedModule;
  caps: Capabilities;
  config: ReadonlyMap<string, string>;
  fuel: bigint;
  kv: KvStore;
  history: FaultHistory;
  state: ModuleState;
  instance: ModuleInstance | null;
  /** Bumped per instance, so events posted to a dead instance are dropped. */
  generation: number;
  faults: CrashReport[];
  restarts: number;
  /** What the instances before the current one used (a restart starts a fresh instance). */
  retired: { fuelUsed: bigint; memoryHighWaterBytes: number };
}

export interface ModuleSummary {
  id: string;
  state: ModuleState;
  faults: number;
  restarts: number;
  /** Fuel of the module's last completed callback (null before any). */
  fuelUsedLast: number | null;
  /** Fuel of every callback over the run, restarts and faulted callbacks included. */
  fuelUsedTotal: number;
  /** Largest linear memory over the run, restarts included: whole 64 KiB pages (wasm memory grows by pages; the heap use inside is not visible). */
  memoryHighWaterBytes: number;
}
export interface RunSummary { endUs: bigint; modules: ModuleSummary[]; faults: CrashReport[]; events: number }

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export class Agent<B extends BoardLike = BoardLike> {
  readonly log: EventLog;
  private readonly busEvents: BusEventLimiter;
  readonly clock: DeviceClock;
  readonly claims = new DeviceClaimRegistry();
  private readonly scheduler = new Scheduler();
  private readonly slots: Slot[] = [];
  private readonly policy: RestartPolicy;
  private readonly telemetry: TelemetryQueue;
  private eventCount = 0;
  private nextOrder = 0;
  /** addModule calls still preparing, and their module ids (for the duplicate check). */
  private readonly pending = new Set<Promise<void>>();
  private readonly preparing = new Set<string>();
  /** The loop step in progress: its time, the board's event time it was for, and whether the board has caught up to it. */
  private step: { t: bigint; tb: bigint | null; boardAdvanced: boolean } | null = null;

  constructor(private readonly opts: AgentOptions<B>) {
    this.clock = opts.clock ?? new VirtualClock();
    this.log = new EventLog(opts.keepEvents ?? true);
    this.busEvents = new BusEventLimiter(opts.busEventRate);
    this.log.on(() => this.eventCount++);
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.restart };
    const sink: TelemetrySink = opts.telemetrySink ?? { accept: (m) => (this.emitTelemetry(m), true) };
    this.telemetry = new TelemetryQueue(opts.telemetryQueueLength ?? 64, sink);
  }

  /**
   * Checks and prepares a module on the preparation worker (prepare-pool.ts);
   * rejects with ModuleRefused (capabilities, validation, limits, link,
   * memory, time limit, …). run() waits for modules still being prepared, so
   * modules keep the order they were added in.
   */
  async addModule(spec: ModuleSpec): Promise<void> {
    const order = this.nextOrder++;
    const adding = this.prepareSlot(spec, order);
    this.pending.add(adding);
    try {
      await adding;
    } finally {
      this.pending.delete(adding);
    }
  }

  private async prepareSlot(spec: ModuleSpec, order: number): Promise<void> {
    if (this.slots.some((s) => s.spec.id === spec.id) || this.preparing.has(spec.id)) throw new ModuleRefused(spec.id, "manifest", `two modules are named "${spec.id}"; module ids must be unique on a device`);
    if (spec.fuel !== undefined && (spec.fuel < 1n || spec.fuel > MAX_FUEL)) {
      throw new ModuleRefused(spec.id, "manifest", `${spec.source}: fuel per callback ${spec.fuel} is outside 1..${MAX_FUEL} (the fuel counter is a signed 64-bit integer)`);
    }
    const excess = capabilityExcess(spec.requested, this.opts.board.profile.grantable);
    if (excess.length) {
      throw new ModuleRefused(spec.id, "capabilities",
        `${spec.source}: the board${this.opts.board.profile.name ? ` "${this.opts.board.profile.name}"` : ""} cannot grant ${excess.length} requested capabilit${excess.length === 1 ? "y" : "ies"}:\n${excess.map((x) => `  - ${x}`).join("\n")}`,
        excess);
    }
    const profile = this.opts.board.profile;
    let prepared: PreparedModule;
    this.preparing.add(spec.id);
    try {
      prepared = await prepareOffThread(spec.bytes, {
        moduleId: spec.id, source: spec.source, ramBudgetBytes: spec.ramBudgetBytes ?? DEFAULT_RAM_BUDGET,
        ...(profile.deviceClass ? { deviceClass: profile.deviceClass } : {}),
        ...(profile.moduleLimits ? { limits: profile.moduleLimits } : {}),
      }, this.opts.prepareTimeLimitMs === undefined ? {} : { timeLimitMs: this.opts.prepareTimeLimitMs });
    } finally {
      this.preparing.delete(spec.id);
    }
    const at = this.slots.findIndex((s) => s.order > order);
    this.slots.splice(at < 0 ? this.slots.length : at, 0, {
      index: 0, order, spec, prepared,
      // granted = requested ∩ grantable, and requested ⊆ grantable was just checked.
      caps: spec.requested,
      config: spec.config ?? new Map(),
      fuel: spec.fuel ?? DEFAULT_FUEL,
      kv: new KvStore(spec.id, this.opts.stateDir ?? null),
      history: new FaultHistory(this.policy),
      state: "idle", instance: null, generation: 0, faults: [], restarts: 0, retired: { fuelUsed: 0n, memoryHighWaterBytes: 0 },
    });
    this.slots.forEach((s, i) => (s.index = i));
  }

  get modules(): readonly { id: string; state: ModuleState }[] {
    return this.slots.map((s) => ({ id: s.spec.id, state: s.state }));
  }

  private emit(module: string, event: AgentEvent): void {
    const now = this.clock.nowUs();
    const admitted = this.busEvents.admit(module, event, now);
    if (admitted) this.log.append(now, module, admitted);
  }

  private emitTelemetry(m: TelemetryMessage): void {
    let text: string | undefined;
    try {
      text = strictUtf8.decode(m.payload);
    } catch {
      text = undefined;
    }
    const printable = text !== undefined && !/[\x00-\x08\x0e-\x1f]/.test(text);
    this.log.append(m.tUs, m.module, { kind: "telemetry", topic: m.topic, bytes: m.payload.length, ...(printable ? { text } : { payloadHex: Buffer.from(m.payload).toString("hex") }) });
  }

  /** Runs every module from device time 0 until `untilUs`, then stops them. */
  async run(untilUs: bigint): Promise<RunSummary> {
    // A refused module rejected its own addModule; the run goes on with the others.
    await Promise.allSettled([...this.pending]);
    for (const slot of this.slots) this.startSlot(slot);
    for (;;) {
      const r = this.inWatchdogFrame(() => this.runSteps(untilUs));
      if (r === "done") break;
      if (r !== "renew") await r;
    }
    await this.clock.advanceTo(untilUs);
    this.opts.board.advanceTo(untilUs);
    for (const slot of this.slots) this.stopSlot(slot, "end of run");
    this.telemetry.flush();
    return this.summary();
  }

  /**
   * Steps of the run loop, each: advance the clock to the next thing due (a
   * scheduled callback or a board event), let the board catch up, run
   * everything due then, flush telemetry. Returns "done" at the end of the
   * run, "renew" when the watchdog frame is too old to start another
   * callback in, or the clock's promise when it must wait for wall time; the
   * step in progress is kept in `this.step`, so the next call resumes it.
   */
  private runSteps(untilUs: bigint): "done" | "renew" | Promise<void> {
    const board = this.opts.board;
    for (;;) {
      let step = this.step;
      if (step === null) {
        const tq = this.scheduler.nextAt();
        const tb = board.nextEventAt();
        const t = tq === null ? tb : tb === null ? tq : tq < tb ? tq : tb;
        if (t === null || t > untilUs) return "done";
        if (tb !== null && tb < this.clock.nowUs()) throw new Error(`board reported an event at ${tb} µs, before the current time ${this.clock.nowUs()} µs`);
        step = this.step = { t, tb, boardAdvanced: false };
        const waiting = this.clock.advanceTo(t);
        if (waiting) return waiting;
      }
      if (!step.boardAdvanced) {
        board.advanceTo(step.t);
        step.boardAdvanced = true;
      }
      for (;;) {
        if (!frameIsFresh()) return "renew";
        const task = this.scheduler.popDue(step.t);
        if (!task) break;
        task.run();
      }
      this.telemetry.flush();
      this.step = null;
      if (step.tb === step.t && board.nextEventAt() === step.t) throw new Error(`board did not advance past its event at ${step.t} µs`);
    }
  }

  /**
   * Runs a stretch of the loop inside one watchdog frame (see watchdog.ts).
   * When the frame's timer fires, the callback it interrupted ends as a
   * `watchdog` fault exactly as if it had had a timer of its own.
   */
  private inWatchdogFrame(body: () => "done" | "renew" | Promise<void>): "done" | "renew" | Promise<void> {
    const limitMs = this.opts.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    if (limitMs <= 0) return body();
    try {
      return runFrame(limitMs, body);
    } catch (err) {
      if (!isWatchdogTimeout(err)) throw err;
      const slot = this.slots.find((s) => s.instance?.callInFlight);
      const outcome = slot?.instance?.abandonCall(err);
      if (!slot || !outcome) throw new Error(`the agent's own work, outside any module callback, ran past the ${limitMs} ms watchdog`, { cause: err });
      this.opts.observer?.outcome(slot.index, outcome);
      this.onFault(slot, outcome.report);
      return "renew";
    }
  }

  summary(): RunSummary {
    return {
      endUs: this.clock.nowUs(),
      modules: this.slots.map((s) => ({
        id: s.spec.id, state: s.state, faults: s.faults.length, restarts: s.restarts,
        fuelUsedLast: s.instance?.lastFuelUsed != null ? Number(s.instance.lastFuelUsed) : null,
        fuelUsedTotal: Number(s.retired.fuelUsed + (s.instance?.fuelUsedTotal ?? 0n)),
        memoryHighWaterBytes: Math.max(s.retired.memoryHighWaterBytes, s.instance?.highWaterBytes ?? 0),
      })),
      faults: this.slots.flatMap((s) => s.faults).sort((a, b) => (a.tUs < b.tUs ? -1 : a.tUs > b.tUs ? 1 : 0)),
      events: this.eventCount,
    };
  }

  private services(slot: Slot, gen: number): HostServices<B> {
    return {
      board: this.opts.board,
      core: {
        lastErrorDetail: () => slot.instance?.ctx.lastErrorDetail ?? "",
        minLogLevel: this.opts.minLogLevel ?? 0,
        logRate: this.opts.logRate ?? { perSecond: 20, burst: 50 },
      },
      timer: {
        schedule: (atUs, fire) => {
          const task = this.scheduler.schedule(atUs, slot.index, fire);
          return { cancel: () => this.scheduler.cancel(task) };
        },
        deliver: (id) => this.deliver(slot, gen, "timer", "fwx_on_timer", [id]),
      },
      kv: slot.kv,
      telemetry: { queue: this.telemetry, rate: this.opts.telemetryRate ?? { perSecond: 2, burst: 10 } },
    };
  }

  private startSlot(slot: Slot): void {
    const old = slot.instance;
    if (old) {
      slot.retired.fuelUsed += old.fuelUsedTotal;
      slot.retired.memoryHighWaterBytes = Math.max(slot.retired.memoryHighWaterBytes, old.highWaterBytes);
    }
    const gen = ++slot.generation;
    const id = slot.spec.id;
    const instance = new ModuleInstance(slot.prepared, {
      caps: slot.caps,
      config: slot.config,
      claims: this.claims,
      nowUs: () => this.clock.nowUs(),
      emit: (e) => this.emit(id, e),
      postEvent: (kind, handle, arg) => {
        this.scheduler.schedule(this.clock.nowUs(), slot.index, () => this.deliver(slot, gen, "event", "fwx_on_event", [kind, handle, arg]));
      },
      fuel: slot.fuel,
      watchdogMs: this.opts.watchdogMs ?? DEFAULT_WATCHDOG_MS,
      createHost: (ctx) => {
        const host = this.opts.createHost(ctx, this.services(slot, gen));
        return this.opts.observer?.wrapHost?.(slot.index, host) ?? host;
      },
    });
    slot.instance = instance;
    slot.state = "running";
    this.opts.observer?.delivery(slot.index, this.clock.nowUs(), "init", []);
    const outcome = instance.start();
    this.opts.observer?.outcome(slot.index, outcome);
    if (outcome.ok) this.emit(id, { kind: "lifecycle", summary: slot.restarts ? `restarted (restart ${slot.restarts})` : "started", state: "running" });
    else this.onFault(slot, outcome.report);
  }

  private deliver(slot: Slot, gen: number, kind: DeliveryKind, exportName: string, args: number[]): void {
    if (slot.generation !== gen || slot.state !== "running" || !slot.instance) return;
    if (!slot.instance.has(exportName)) {
      this.emit(slot.spec.id, { kind: "lifecycle", summary: `dropped ${kind} (${args.join(", ")}): the module does not export ${exportName}` });
      return;
    }
    this.opts.observer?.delivery(slot.index, this.clock.nowUs(), kind, args);
    const outcome = slot.instance.call(exportName, args);
    this.opts.observer?.outcome(slot.index, outcome);
    if (!outcome.ok) this.onFault(slot, outcome.report);
  }

  private teardown(slot: Slot): void {
    slot.instance?.ctx.runCleanups();
    // Safety net: whatever an implementation forgot to release is released here.
    this.claims.releaseAll(slot.spec.id);
  }

  private onFault(slot: Slot, report: CrashReport): void {
    slot.faults.push(report);
    this.emit(slot.spec.id, { kind: "fault", reason: report.reason, detail: report.detail, callback: report.callback, report: formatCrashReport(report) });
    this.teardown(slot);
    slot.generation++;
    const decision = slot.history.onFault(this.clock.nowUs());
    if (decision.action === "quarantine") {
      slot.state = "quarantined";
      this.emit(slot.spec.id, { kind: "lifecycle", state: "quarantined", summary: `quarantined after ${decision.faultsInWindow} faults within ${this.policy.windowMs / 1000} s` });
      return;
    }
    slot.state = "backoff";
    this.emit(slot.spec.id, { kind: "lifecycle", state: "backoff", summary: `restarting in ${Number(decision.afterUs) / 1e6} s (fault ${decision.faultsInWindow} of ${this.policy.quarantineAfter} allowed within ${this.policy.windowMs / 1000} s)` });
    const gen = slot.generation;
    this.scheduler.schedule(this.clock.nowUs() + decision.afterUs, slot.index, () => {
      if (slot.generation !== gen || slot.state !== "backoff") return;
      slot.restarts++;
      this.startSlot(slot);
    });
  }

  private stopSlot(slot: Slot, why: string): void {
    if (slot.state !== "running" || !slot.instance) {
      if (slot.state === "backoff") slot.state = "stopped";
      return;
    }
    if (slot.instance.has("fwx_deinit")) {
      this.opts.observer?.delivery(slot.index, this.clock.nowUs(), "deinit", []);
      const outcome = slot.instance.call("fwx_deinit", []);
      this.opts.observer?.outcome(slot.index, outcome);
      if (!outcome.ok) {
        slot.faults.push(outcome.report);
        this.emit(slot.spec.id, { kind: "fault", reason: outcome.report.reason, detail: outcome.report.detail, callback: "fwx_deinit", report: formatCrashReport(outcome.report) });
      }
    }
    this.teardown(slot);
    slot.generation++;
    slot.state = "stopped";
    this.emit(slot.spec.id, { kind: "lifecycle", state: "stopped", summary: `stopped (${why})` });
  }
}
