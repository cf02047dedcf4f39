// The batch runtime (fwx run, the demo, tests): modules on one board, one
// event loop on the device clock; what a module sees is decided by the one
// module supervisor (module-supervisor.ts), which the device agent's
// real-clock host (src/ota/live-host.ts) drives too. Each step advances the
// clock to the next thing due (a scheduled callback or a board event), lets
// the board catch up, then runs everything due in (time, module order, sequence) order. Callbacks run one at
// a time, so a module's callbacks never overlap and nothing depends on wall time.

import type { DebugMap } from "../build/debug-map.js";
import type { HostImpl } from "../abi/host.generated.js";
import { capabilityExcess, type Capabilities } from "../caps/capabilities.js";
import type { AgentEvent } from "./host-context.js";
import { EventLog } from "./event-log.js";
import type { CrashReport } from "./faults.js";
import type { CallOutcome, InstanceContext } from "./instance.js";
import { ModuleRefused, type PreparedModule } from "./refusal.js";
import { prepareOffThreadCached } from "./prepare-pool.js";
import type { DeviceClass, ModuleLimits } from "../validate/limits.js";
import { VirtualClock, type DeviceClock } from "./scheduler.js";
import { frameIsFresh, isWatchdogTimeout, runFrame } from "./watchdog.js";
import type { KvStore } from "./host/kv.js";
import { DEFAULT_WATCHDOG_MS, ModuleSupervisor, supervisionPolicy, type SupervisionPolicy } from "./module-supervisor.js";
import { TelemetryQueue, type TelemetryMessage, type TelemetrySink } from "./host/telemetry.js";
import type { CoreServices } from "./host/core.js";
import type { TimerServices } from "./host/timer.js";

/** What the runtime needs of a board (src/sim/board.ts Board satisfies it). */
export interface BoardLike {
  /** deviceClass and moduleLimits: whose resource limits modules are validated against (default: the gateway's). */
  readonly profile: { name?: string; grantable: Capabilities; deviceClass?: DeviceClass; moduleLimits?: ModuleLimits };
  nextEventAt(): bigint | null;
  advanceTo(nowUs: bigint): void;
  /** The board's own time; while advanceTo runs, the instant of the event being fired. */
  readonly nowUs?: bigint;
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
  /** The build's debug map: crash reports name functions and source lines through it. */
  debugMap?: DebugMap | null;
}

/** Sees every delivery and every outcome (the recorder). */
export interface RunObserver {
  delivery(moduleIndex: number, tUs: bigint, callback: DeliveryKind, args: number[]): void;
  outcome(moduleIndex: number, outcome: CallOutcome): void;
  /** May wrap the host an instance gets (to record its calls). */
  wrapHost?(moduleIndex: number, host: HostImpl): HostImpl;
}

export type DeliveryKind = "init" | "timer" | "event" | "deinit";

/** The supervision policy (restart, watchdog, rates: module-supervisor.ts) plus what a batch run needs. */
export interface AgentOptions<B extends BoardLike> extends SupervisionPolicy {
  board: B;
  createHost: HostFactory<B>;
  clock?: DeviceClock;
  stateDir?: string | null;
  telemetryQueueLength?: number;
  /** Where accepted telemetry goes; default: the event log. */
  telemetrySink?: TelemetrySink;
  observer?: RunObserver;
  /** Keep every event in memory (default true); streaming callers may turn it off. */
  keepEvents?: boolean;
  /** Wall-clock limit on preparing one module on the preparation worker; default PREPARE_TIME_LIMIT_MS (20 s). */
  prepareTimeLimitMs?: number;
  /** Where prepared modules are kept between runs (prepared-cache.ts); default null, none. */
  preparedCacheDir?: string | null;
}

export type ModuleState = "idle" | "running" | "backoff" | "quarantined" | "faulted" | "stopped";

export const DEFAULT_FUEL = 10_000_000n;
/** The fuel counter is an i64: a larger budget would wrap negative and end every callback at once. */
export const MAX_FUEL = (1n << 63n) - 1n;
export const DEFAULT_RAM_BUDGET = 65536;
export { DEFAULT_WATCHDOG_MS };

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

/**
 * A batch run: modules on one board from device time 0 to a given instant,
 * on a virtual (or paced) device clock. The module supervisor
 * (module-supervisor.ts) does everything a module sees; this class owns the
 * loop and the clock.
 */
export class Agent<B extends BoardLike = BoardLike> {
  readonly log: EventLog;
  readonly clock: DeviceClock;
  private readonly supervisor: ModuleSupervisor<B>;
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
    this.log.on(() => this.eventCount++);
    const sink: TelemetrySink = opts.telemetrySink ?? { accept: (m) => (this.emitTelemetry(m), true) };
    this.telemetry = new TelemetryQueue(opts.telemetryQueueLength ?? 64, sink);
    this.supervisor = new ModuleSupervisor<B>({
      board: opts.board, createHost: opts.createHost, stateDir: opts.stateDir ?? null,
      nowUs: () => this.clock.nowUs(),
      emit: (tUs, module, event) => this.log.append(tUs, module, event),
      telemetry: this.telemetry,
      ...supervisionPolicy(opts),
      ...(opts.observer ? { observer: opts.observer } : {}),
      // On a real-time clock, a hardware event schedules work while the loop sleeps: wake it.
      onScheduled: () => this.clock.wake?.(),
    });
  }

  get claims() {
    return this.supervisor.claims;
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
    if (this.supervisor.slots.some((s) => s.spec.id === spec.id) || this.preparing.has(spec.id)) throw new ModuleRefused(spec.id, "manifest", `two modules are named "${spec.id}"; module ids must be unique on a device`);
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
      prepared = await prepareOffThreadCached(spec.bytes, {
        moduleId: spec.id, source: spec.source, ramBudgetBytes: spec.ramBudgetBytes ?? DEFAULT_RAM_BUDGET,
        ...(profile.deviceClass ? { deviceClass: profile.deviceClass } : {}),
        ...(profile.moduleLimits ? { limits: profile.moduleLimits } : {}),
      }, { cacheDir: this.opts.preparedCacheDir ?? null, ...(this.opts.prepareTimeLimitMs === undefined ? {} : { timeLimitMs: this.opts.prepareTimeLimitMs }) });
    } finally {
      this.preparing.delete(spec.id);
    }
    this.supervisor.add({
      id: spec.id, source: spec.source, prepared,
      // granted = requested ∩ grantable, and requested ⊆ grantable was just checked.
      caps: spec.requested,
      config: spec.config ?? new Map(),
      fuel: spec.fuel ?? DEFAULT_FUEL,
      restartOnFault: true,
      debugMap: spec.debugMap ?? null,
    }, order);
  }

  get modules(): readonly { id: string; state: ModuleState }[] {
    return this.supervisor.slots.map((s) => ({ id: s.spec.id, state: s.state }));
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
    for (const slot of this.supervisor.slots) this.supervisor.start(slot);
    for (;;) {
      const r = this.inWatchdogFrame(() => this.runSteps(untilUs));
      if (r === "done") break;
      if (r !== "renew") await r;
    }
    await this.clock.advanceTo(untilUs);
    this.opts.board.advanceTo(untilUs);
    for (const slot of this.supervisor.slots) this.supervisor.stop(slot, "end of run");
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
    const scheduler = this.supervisor.scheduler;
    for (;;) {
      let step = this.step;
      // A real-time clock's wait ended early (a hardware event scheduled work): look again for what is due.
      if (step !== null && !step.boardAdvanced && this.clock.realTime && this.clock.nowUs() < step.t) step = this.step = null;
      if (step === null) {
        const tq = scheduler.nextAt();
        const tb = board.nextEventAt();
        let t = tq === null ? tb : tb === null ? tq : tq < tb ? tq : tb;
        if (t === null || t > untilUs) {
          // Real hardware may still send something before the end: sleep until then, waking for it.
          if (!this.clock.realTime || this.clock.nowUs() >= untilUs) return "done";
          t = untilUs;
        }
        // Wall time moves on by itself, so a real-time run may reach a board event late.
        if (!this.clock.realTime && tb !== null && tb < this.clock.nowUs()) throw new Error(`board reported an event at ${tb} µs, before the current time ${this.clock.nowUs()} µs`);
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
        const task = scheduler.popDue(step.t);
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
      const slot = this.supervisor.slots.find((s) => s.instance?.callInFlight);
      const outcome = slot?.instance?.abandonCall(err);
      if (!slot || !outcome) throw new Error(`the agent's own work, outside any module callback, ran past the ${limitMs} ms watchdog`, { cause: err });
      this.opts.observer?.outcome(slot.index, outcome);
      this.supervisor.fault(slot, outcome.report);
      return "renew";
    }
  }

  summary(): RunSummary {
    const slots = this.supervisor.slots;
    return {
      endUs: this.clock.nowUs(),
      modules: slots.map((s) => ({
        id: s.spec.id, state: s.state, faults: s.faults.length, restarts: s.restarts,
        fuelUsedLast: s.instance?.lastFuelUsed != null ? Number(s.instance.lastFuelUsed) : null,
        fuelUsedTotal: Number(s.retired.fuelUsed + (s.instance?.fuelUsedTotal ?? 0n)),
        memoryHighWaterBytes: Math.max(s.retired.memoryHighWaterBytes, s.instance?.highWaterBytes ?? 0),
      })),
      faults: slots.flatMap((s) => s.faults).sort((a, b) => (a.tUs < b.tUs ? -1 : a.tUs > b.tUs ? 1 : 0)),
      events: this.eventCount,
    };
  }
}
