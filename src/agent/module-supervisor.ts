// The one module supervisor: starts a module's instance with its services,
// delivers its callbacks, turns every fault into a crash report, restarts it
// with backoff or quarantines it, asks its fwx_health, and stops it. Two
// drivers run it: the batch Agent (runtime.ts, virtual device time, a fixed
// span) and the device agent's real-clock host (src/ota/live-host.ts, open
// ended, modules added, replaced and removed while running). The drivers own
// the loop and the clock; everything a module sees is decided here, so the
// simulator and a device cannot drift apart.

import type { HostImpl } from "../abi/host.generated.js";
import type { Capabilities } from "../caps/capabilities.js";
import type { AgentEvent } from "./host-context.js";
import { DeviceClaimRegistry } from "./handles.js";
import { BusEventLimiter, withSuppressed } from "./bus-events.js";
import { formatCrashReport, type CrashReport } from "./faults.js";
import { sha256Hex, type DebugMap } from "../build/debug-map.js";
import { ModuleInstance, type CallOutcome, type InstanceContext } from "./instance.js";
import type { PreparedModule } from "./refusal.js";
import { Scheduler } from "./scheduler.js";
import { DEFAULT_RESTART_POLICY, FaultHistory, type RestartPolicy } from "./supervisor.js";
import { KvStore } from "./host/kv.js";
import type { TelemetryQueue } from "./host/telemetry.js";
import type { BoardLike, DeliveryKind, HostServices, ModuleState, RunObserver } from "./runtime.js";

export const DEFAULT_WATCHDOG_MS = 2000;
export const DEFAULT_LOG_RATE = { perSecond: 20, burst: 50 } as const;
export const DEFAULT_TELEMETRY_RATE = { perSecond: 2, burst: 10 } as const;

export type SupervisedHostFactory<B extends BoardLike> = (ctx: InstanceContext, services: HostServices<B>) => HostImpl;

/** A module as the supervisor runs it. */
export interface SupervisedSpec {
  id: string;
  /** For reports. */
  source: string;
  prepared: PreparedModule;
  /** What the module may use (already checked against the board). */
  caps: Capabilities;
  config: ReadonlyMap<string, string>;
  fuel: bigint;
  /** Confirmed modules restart after a fault (with backoff); a trial reports its fault and stays down ("faulted"). */
  restartOnFault: boolean;
  /** Names and source lines for crash reports (the build's debug map; a device has none and reports positions only). */
  debugMap?: DebugMap | null;
}

/** What a driver learns about one module. */
export interface SlotHooks {
  /** A callback (fwx_init, a timer, an event) completed without a fault. */
  callback?(): void;
  fault?(report: CrashReport): void;
}

export interface SupervisedSlot {
  /** Position among the running modules (the recorder's module index). */
  index: number;
  /** The order modules were added in: their order within one instant. */
  readonly order: number;
  spec: SupervisedSpec;
  readonly kv: KvStore;
  readonly history: FaultHistory;
  readonly hooks: SlotHooks;
  state: ModuleState;
  instance: ModuleInstance | null;
  /** Bumped per instance, so events posted to a dead instance are dropped. */
  generation: number;
  faults: CrashReport[];
  restarts: number;
  callbacks: number;
  /** What the instances before the current one used (a restart starts a fresh instance). */
  retired: { fuelUsed: bigint; memoryHighWaterBytes: number };
}

/** How modules are supervised, whichever loop drives them: the batch Agent and the device agent take these alike. */
export interface SupervisionPolicy {
  restart?: Partial<RestartPolicy>;
  /** Wall-clock limit per callback (ms); the second line of defence behind fuel. 0 disables. */
  watchdogMs?: number;
  /** 0 debug … 3 error. */
  minLogLevel?: number;
  logRate?: { perSecond: number; burst: number };
  telemetryRate?: { perSecond: number; burst: number };
  /** Peripheral traffic events per module and kind (bus-events.ts); default DEFAULT_BUS_EVENT_RATE. */
  busEventRate?: { perSecond: number; burst: number };
}

/** Only the policy fields a driver's options carry (undefined ones left out, so the defaults apply). */
export function supervisionPolicy(o: SupervisionPolicy): SupervisionPolicy {
  const keys = ["restart", "watchdogMs", "minLogLevel", "logRate", "telemetryRate", "busEventRate"] as const;
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as SupervisionPolicy;
}

export interface SupervisorOptions<B extends BoardLike> extends SupervisionPolicy {
  board: B;
  createHost: SupervisedHostFactory<B>;
  stateDir: string | null;
  /** Device time. */
  nowUs(): bigint;
  /** When the board posts an event: the instant it happened (the driver may be catching up); default nowUs. */
  eventTimeUs?(): bigint;
  /** Every module event that passed the bus-event limiter. */
  emit(tUs: bigint, module: string, event: AgentEvent): void;
  telemetry: TelemetryQueue;
  observer?: RunObserver;
  /** Work was scheduled: a driver that sleeps until the next due instant re-arms its timer. */
  onScheduled?(): void;
  /** After every callback, faulted or not (the real-clock driver flushes telemetry there). */
  afterCall?(slot: SupervisedSlot): void;
  /**
   * Stopping a module that is not running (backoff, faulted, quarantined):
   * true (a device removing or replacing it) marks it stopped and says so;
   * false (the end of a batch run) stops only a pending restart, so the run's
   * summary still shows a quarantined module as quarantined.
   */
  announceIdleStops?: boolean;
}

export class ModuleSupervisor<B extends BoardLike = BoardLike> {
  readonly scheduler = new Scheduler();
  readonly claims = new DeviceClaimRegistry();
  readonly slots: SupervisedSlot[] = [];
  readonly policy: RestartPolicy;
  private readonly busEvents: BusEventLimiter;

  constructor(private readonly opts: SupervisorOptions<B>) {
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.restart };
    this.busEvents = new BusEventLimiter(opts.busEventRate);
  }

  /** Adds a module (not started); modules keep `order` order. */
  add(spec: SupervisedSpec, order: number, hooks: SlotHooks = {}): SupervisedSlot {
    const slot: SupervisedSlot = {
      index: 0, order, spec, hooks,
      kv: new KvStore(spec.id, this.opts.stateDir),
      history: new FaultHistory(this.policy),
      state: "idle", instance: null, generation: 0, faults: [], restarts: 0, callbacks: 0,
      retired: { fuelUsed: 0n, memoryHighWaterBytes: 0 },
    };
    const at = this.slots.findIndex((s) => s.order > order);
    this.slots.splice(at < 0 ? this.slots.length : at, 0, slot);
    this.reindex();
    return slot;
  }

  /** Forgets a stopped module. */
  remove(slot: SupervisedSlot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    this.reindex();
  }

  private reindex(): void {
    this.slots.forEach((s, i) => (s.index = i));
  }

  emit(module: string, event: AgentEvent): void {
    const now = this.opts.nowUs();
    const admitted = this.busEvents.admit(module, event, now);
    if (admitted) this.opts.emit(now, module, admitted);
  }

  /** Bus traffic from `module`: described and logged only when the rate limit lets the line through. */
  private traffic(module: string, kind: string, describe: () => AgentEvent): void {
    const now = this.opts.nowUs();
    const suppressed = this.busEvents.take(module, kind, now);
    if (suppressed === null) return;
    const admitted = withSuppressed(describe(), suppressed)!;
    this.opts.emit(now, module, admitted);
  }

  private schedule(atUs: bigint, slot: SupervisedSlot, fn: () => void) {
    const task = this.scheduler.schedule(atUs, slot.order, fn);
    this.opts.onScheduled?.();
    return task;
  }

  private services(slot: SupervisedSlot, gen: number): HostServices<B> {
    return {
      board: this.opts.board,
      core: {
        lastErrorDetail: () => slot.instance?.ctx.lastErrorDetail ?? "",
        minLogLevel: this.opts.minLogLevel ?? 0,
        logRate: this.opts.logRate ?? DEFAULT_LOG_RATE,
      },
      timer: {
        schedule: (atUs, fire) => {
          const task = this.schedule(atUs, slot, fire);
          return { cancel: () => this.scheduler.cancel(task) };
        },
        deliver: (id) => this.deliver(slot, gen, "timer", "fwx_on_timer", [id]),
      },
      kv: slot.kv,
      telemetry: { queue: this.opts.telemetry, rate: this.opts.telemetryRate ?? DEFAULT_TELEMETRY_RATE },
    };
  }

  /** Starts a fresh instance of the module: fwx_init runs now. */
  start(slot: SupervisedSlot): void {
    const old = slot.instance;
    if (old) {
      slot.retired.fuelUsed += old.fuelUsedTotal;
      slot.retired.memoryHighWaterBytes = Math.max(slot.retired.memoryHighWaterBytes, old.highWaterBytes);
    }
    const gen = ++slot.generation;
    const id = slot.spec.id;
    const observer = this.opts.observer;
    const instance = new ModuleInstance(slot.spec.prepared, {
      caps: slot.spec.caps,
      config: slot.spec.config,
      claims: this.claims,
      nowUs: () => this.opts.nowUs(),
      emit: (e) => this.emit(id, e),
      traffic: (kind, describe) => this.traffic(id, kind, describe),
      postEvent: (kind, handle, arg) => {
        // An event the board fires while catching up happened at the board's time, not now:
        // stamped with now it would run after a timer due in between, so a UART reply that
        // arrived in time would lose to the module's reply timeout on a loaded machine.
        const at = this.opts.eventTimeUs?.() ?? this.opts.nowUs();
        this.schedule(at, slot, () => this.deliver(slot, gen, "event", "fwx_on_event", [kind, handle, arg]));
      },
      fuel: slot.spec.fuel,
      watchdogMs: this.opts.watchdogMs ?? DEFAULT_WATCHDOG_MS,
      createHost: (ctx) => {
        const host = this.opts.createHost(ctx, this.services(slot, gen));
        return observer?.wrapHost?.(slot.index, host) ?? host;
      },
    });
    slot.instance = instance;
    slot.state = "running";
    observer?.delivery(slot.index, this.opts.nowUs(), "init", []);
    const outcome = instance.start();
    observer?.outcome(slot.index, outcome);
    if (outcome.ok) this.emit(id, { kind: "lifecycle", summary: slot.restarts ? `restarted (restart ${slot.restarts})` : "started", state: "running" });
    this.settle(slot, outcome);
    // The module may wait only for board events (a GPIO edge, UART bytes): the driver must wake for them too.
    this.opts.onScheduled?.();
  }

  /** Counts a callback or turns its fault into a crash report. */
  private settle(slot: SupervisedSlot, outcome: CallOutcome): void {
    if (outcome.ok) {
      slot.callbacks++;
      slot.hooks.callback?.();
    } else this.fault(slot, outcome.report);
    this.opts.afterCall?.(slot);
  }

  deliver(slot: SupervisedSlot, gen: number, kind: DeliveryKind, exportName: string, args: number[]): void {
    if (slot.generation !== gen || slot.state !== "running" || !slot.instance) return;
    if (!slot.instance.has(exportName)) {
      this.emit(slot.spec.id, { kind: "lifecycle", summary: `dropped ${kind} (${args.join(", ")}): the module does not export ${exportName}` });
      return;
    }
    this.opts.observer?.delivery(slot.index, this.opts.nowUs(), kind, args);
    const outcome = slot.instance.call(exportName, args);
    this.opts.observer?.outcome(slot.index, outcome);
    this.settle(slot, outcome);
  }

  private teardown(slot: SupervisedSlot): void {
    slot.instance?.ctx.runCleanups();
    // Safety net: whatever an implementation forgot to release is released here.
    this.claims.releaseAll(slot.spec.id);
    slot.generation++;
  }

  /**
   * The fault event: the report as text (named through the debug map when
   * there is one), plus what a tool needs to name it later from a device's
   * log: the module's hash and each frame's function and module offset.
   */
  private faultEvent(slot: SupervisedSlot, report: CrashReport, callback: string): AgentEvent {
    const original = slot.spec.prepared.frames.original;
    if (original) report.wasmSha256 ??= sha256Hex(original);
    return {
      kind: "fault", reason: report.reason, detail: report.detail, callback, report: formatCrashReport(report, slot.spec.debugMap ?? null),
      ...(report.wasmSha256 ? { wasmSha256: report.wasmSha256 } : {}),
      frames: report.frames.map((f) => ({ funcIndex: f.funcIndex, moduleOffset: f.moduleOffset ?? null, ...(f.moduleBody ? { moduleBody: f.moduleBody } : {}) })),
    };
  }

  /** A fault of the module: crash report, teardown, then backoff, quarantine, or (a trial) down for good. */
  fault(slot: SupervisedSlot, report: CrashReport): void {
    slot.faults.push(report);
    this.emit(slot.spec.id, this.faultEvent(slot, report, report.callback));
    this.teardown(slot);
    if (!slot.spec.restartOnFault) {
      slot.state = "faulted";
      slot.hooks.fault?.(report);
      return;
    }
    const decision = slot.history.onFault(this.opts.nowUs());
    if (decision.action === "quarantine") {
      slot.state = "quarantined";
      this.emit(slot.spec.id, { kind: "lifecycle", state: "quarantined", summary: `quarantined after ${decision.faultsInWindow} faults within ${this.policy.windowMs / 1000} s` });
    } else {
      slot.state = "backoff";
      this.emit(slot.spec.id, { kind: "lifecycle", state: "backoff", summary: `restarting in ${Number(decision.afterUs) / 1e6} s (fault ${decision.faultsInWindow} of ${this.policy.quarantineAfter} allowed within ${this.policy.windowMs / 1000} s)` });
      const gen = slot.generation;
      this.schedule(this.opts.nowUs() + decision.afterUs, slot, () => {
        if (slot.generation !== gen || slot.state !== "backoff") return;
        slot.restarts++;
        this.start(slot);
      });
    }
    slot.hooks.fault?.(report);
  }

  /** Calls fwx_health when exported: null = healthy or no probe, otherwise why not (a trap there is the module's fault). */
  healthVeto(slot: SupervisedSlot): string | null {
    const last = slot.faults.at(-1);
    if (slot.state !== "running" || !slot.instance) return `module is ${slot.state}${last ? ` (${last.reason} in ${last.callback}: ${last.detail})` : ""}`;
    if (!slot.instance.has("fwx_health")) return null;
    const outcome = slot.instance.call("fwx_health", []);
    if (!outcome.ok) {
      this.fault(slot, outcome.report);
      return `fwx_health faulted: ${outcome.report.reason}: ${outcome.report.detail}`;
    }
    return outcome.value === 0 ? null : `fwx_health returned ${String(outcome.value)} (non-zero vetoes confirmation)`;
  }

  /** Stops the module (fwx_deinit when it is running). */
  stop(slot: SupervisedSlot, why: string): void {
    if (slot.state === "stopped") return;
    if (slot.state !== "running" || !slot.instance) {
      // Its instance was torn down when it faulted; a pending restart is cancelled by the generation.
      if (this.opts.announceIdleStops) {
        const was = slot.state;
        slot.generation++;
        slot.state = "stopped";
        if (was !== "idle") this.emit(slot.spec.id, { kind: "lifecycle", state: "stopped", summary: `stopped (${why})` });
      } else if (slot.state === "backoff") slot.state = "stopped"; // a batch run's summary keeps "quarantined"
      return;
    }
    if (slot.instance.has("fwx_deinit")) {
      this.opts.observer?.delivery(slot.index, this.opts.nowUs(), "deinit", []);
      const outcome = slot.instance.call("fwx_deinit", []);
      this.opts.observer?.outcome(slot.index, outcome);
      if (!outcome.ok) {
        slot.faults.push(outcome.report);
        this.emit(slot.spec.id, this.faultEvent(slot, outcome.report, "fwx_deinit"));
      }
    }
    this.teardown(slot);
    slot.state = "stopped";
    this.emit(slot.spec.id, { kind: "lifecycle", state: "stopped", summary: `stopped (${why})` });
  }
}
