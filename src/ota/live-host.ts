// LiveModuleHost: modules of the device agent running on the src/agent
// runtime pieces (prepareModule, ModuleInstance, Scheduler, FaultHistory and
// the host implementations) driven by a real-time clock, optionally
// accelerated. The batch Agent.run() of src/agent runs a fixed span of
// virtual time; a device agent runs open-ended and adds, replaces and removes
// modules while running, so this adapter drives the same classes itself.

import { createHash } from "node:crypto";
import type { HostImpl } from "../abi/host.generated.js";
import { capabilityExcess } from "../caps/capabilities.js";
import { DeviceClaimRegistry } from "../agent/handles.js";
import type { AgentEvent } from "../agent/host-context.js";
import { ModuleInstance, type CallOutcome, type InstanceContext } from "../agent/instance.js";
import { prepareModule, ModuleRefused, type PreparedModule, type PrepareOptions } from "../agent/prepare.js";
import { prepareOffThread } from "../agent/prepare-pool.js";
import { DEFAULT_WATCHDOG_MS, type BoardLike, type HostServices } from "../agent/runtime.js";
import { Scheduler } from "../agent/scheduler.js";
import { BusEventLimiter } from "../agent/bus-events.js";
import { DEFAULT_RESTART_POLICY, FaultHistory, type RestartPolicy } from "../agent/supervisor.js";
import { KvStore } from "../agent/host/kv.js";
import { TelemetryQueue, type TelemetrySink } from "../agent/host/telemetry.js";
import { ModuleStartError, type HostedEvents, type HostedModule, type HostedSpec, type HostedState, type ModuleHost } from "./module-host.js";

export type LiveHostFactory<B extends BoardLike> = (ctx: InstanceContext, services: HostServices<B>) => HostImpl;

export interface LiveHostOptions<B extends BoardLike> {
  board: B;
  createHost: LiveHostFactory<B>;
  stateDir: string | null;
  /** Device-time speed-up over wall time (1 = real time). */
  speed?: number;
  /** Module events (logs, lifecycle, faults, peripherals) for the device's log stream. */
  onEvent(tUs: bigint, module: string, event: AgentEvent): void;
  telemetry: TelemetrySink;
  restart?: Partial<RestartPolicy>;
  watchdogMs?: number;
  /** Wall-clock limit on preparing an installed module; default PREPARE_TIME_LIMIT_MS. */
  prepareTimeLimitMs?: number;
}

interface Running {
  spec: HostedSpec;
  prepared: PreparedModule;
  events: HostedEvents;
  order: number;
  kv: KvStore;
  history: FaultHistory;
  instance: ModuleInstance | null;
  generation: number;
  handle: LiveHostedModule;
}

class LiveHostedModule implements HostedModule {
  state: HostedState = "running";
  callbacks = 0;
  faults = 0;
  restarts = 0;
  lastFault: string | null = null;
  constructor(private readonly host: LiveModuleHost<BoardLike>, readonly run: () => Running) {}
  healthVeto(): string | null {
    return this.host.healthVeto(this.run());
  }
  promote(): void {
    this.run().spec = { ...this.run().spec, restartOnFault: true };
  }
  stop(why: string): void {
    this.host.stopModule(this.run(), why);
  }
}

export class LiveModuleHost<B extends BoardLike> implements ModuleHost {
  private readonly scheduler = new Scheduler();
  /** Peripheral traffic is rate-limited here as in the Agent (bus-events.ts). */
  private readonly busEvents = new BusEventLimiter();
  private readonly claims = new DeviceClaimRegistry();
  private readonly telemetry: TelemetryQueue;
  private readonly running = new Map<string, Running>();
  private readonly t0 = performance.now();
  private readonly speed: number;
  private readonly policy: RestartPolicy;
  private timer: NodeJS.Timeout | null = null;
  private armedFor: bigint | null = null;
  private nextOrder = 0;
  private closed = false;

  constructor(private readonly opts: LiveHostOptions<B>) {
    this.speed = opts.speed ?? 1;
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.restart };
    this.telemetry = new TelemetryQueue(64, opts.telemetry);
  }

  nowUs(): bigint {
    return BigInt(Math.floor((performance.now() - this.t0) * 1000 * this.speed));
  }

  nowMs(): number {
    return Number(this.nowUs() / 1000n);
  }

  after(ms: number, fn: () => void): { cancel(): void } {
    const task = this.scheduler.schedule(this.nowUs() + BigInt(Math.round(ms * 1000)), -1, fn);
    this.kick();
    return { cancel: () => this.scheduler.cancel(task) };
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
  /** Preparations done on the agent's thread (boot, or a payload not prepared before): they hold running modules up. */
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

  private prepareHere(spec: HostedSpec): PreparedModule {
    this.preparedInThread++;
    return prepareModule(spec.payload, this.prepareOptions(spec));
  }

  /** Prepares a payload on the preparation worker, so the running modules are not held up (installs use this). */
  async prepare(spec: HostedSpec): Promise<PreparedModule> {
    const hit = this.cached(spec);
    if (hit) return hit;
    try {
      return this.remember(spec, await prepareOffThread(spec.payload, this.prepareOptions(spec), this.opts.prepareTimeLimitMs === undefined ? {} : { timeLimitMs: this.opts.prepareTimeLimitMs }));
    } catch (e) {
      if (e instanceof ModuleRefused) throw new ModuleStartError(spec.id, e.step, e.report);
      throw e;
    }
  }

  start(spec: HostedSpec, events: HostedEvents): HostedModule {
    if (this.closed) throw new Error("module host is closed");
    const existing = this.running.get(spec.id);
    if (existing) this.stopModule(existing, "replaced");
    const excess = capabilityExcess(spec.manifest.capabilities, this.opts.board.profile.grantable);
    if (excess.length) throw new ModuleStartError(spec.id, "capabilities", `${spec.source}: the board cannot grant ${excess.join("; ")}`);
    let prepared: PreparedModule;
    try {
      prepared = spec.prepared ?? this.cached(spec) ?? this.remember(spec, this.prepareHere(spec));
    } catch (e) {
      if (e instanceof ModuleRefused) throw new ModuleStartError(spec.id, e.step, e.report);
      throw e;
    }
    const run: Running = {
      spec, prepared, events, order: this.nextOrder++,
      kv: new KvStore(spec.id, this.opts.stateDir),
      history: new FaultHistory(this.policy),
      instance: null, generation: 0,
      handle: null as unknown as LiveHostedModule,
    };
    run.handle = new LiveHostedModule(this as unknown as LiveModuleHost<BoardLike>, () => run);
    this.running.set(spec.id, run);
    this.startInstance(run);
    return run.handle;
  }

  private emit(module: string, event: AgentEvent): void {
    const now = this.nowUs();
    const admitted = this.busEvents.admit(module, event, now);
    if (admitted) this.opts.onEvent(now, module, admitted);
  }

  private services(run: Running, gen: number): HostServices<B> {
    return {
      board: this.opts.board,
      core: { lastErrorDetail: () => run.instance?.ctx.lastErrorDetail ?? "", minLogLevel: 0, logRate: { perSecond: 20, burst: 50 } },
      timer: {
        schedule: (atUs, fire) => {
          const task = this.scheduler.schedule(atUs, run.order, fire);
          this.kick();
          return { cancel: () => this.scheduler.cancel(task) };
        },
        deliver: (id) => this.deliver(run, gen, "fwx_on_timer", [id]),
      },
      kv: run.kv,
      telemetry: { queue: this.telemetry, rate: { perSecond: 2, burst: 10 } },
    };
  }

  private startInstance(run: Running): void {
    const gen = ++run.generation;
    const id = run.spec.id;
    const instance = new ModuleInstance(run.prepared, {
      caps: run.spec.manifest.capabilities,
      config: run.spec.config,
      claims: this.claims,
      nowUs: () => this.nowUs(),
      emit: (e) => this.emit(id, e),
      postEvent: (kind, handle, arg) => {
        this.scheduler.schedule(this.nowUs(), run.order, () => this.deliver(run, gen, "fwx_on_event", [kind, handle, arg]));
        this.kick();
      },
      fuel: BigInt(run.spec.manifest.budgets.fuelPerCallback),
      watchdogMs: this.opts.watchdogMs ?? DEFAULT_WATCHDOG_MS,
      createHost: (ctx) => this.opts.createHost(ctx, this.services(run, gen)),
    });
    run.instance = instance;
    run.handle.state = "running";
    const outcome = instance.start();
    this.after_(run, outcome, "fwx_init");
    if (outcome.ok) this.emit(id, { kind: "lifecycle", state: "running", summary: run.handle.restarts ? `restarted (restart ${run.handle.restarts})` : `started ${run.spec.source}` });
  }

  private after_(run: Running, outcome: CallOutcome, _label: string): void {
    this.telemetry.flush();
    if (outcome.ok) {
      run.handle.callbacks++;
      run.events.callback();
    } else this.onFault(run, outcome.report.reason, outcome.report.detail, outcome.report.callback);
  }

  private deliver(run: Running, gen: number, exportName: string, args: number[]): void {
    if (run.generation !== gen || run.handle.state !== "running" || !run.instance) return;
    if (!run.instance.has(exportName)) return;
    this.after_(run, run.instance.call(exportName, args), exportName);
  }

  private teardown(run: Running): void {
    run.instance?.ctx.runCleanups();
    this.claims.releaseAll(run.spec.id);
    run.instance = null;
    run.generation++;
  }

  private onFault(run: Running, reason: string, detail: string, callback: string): void {
    const h = run.handle;
    h.faults++;
    h.lastFault = `${reason} in ${callback}: ${detail}`;
    this.emit(run.spec.id, { kind: "fault", reason, detail, callback });
    this.teardown(run);
    if (!run.spec.restartOnFault) {
      h.state = "faulted";
      run.events.fault(reason, detail);
      return;
    }
    const decision = run.history.onFault(this.nowUs());
    if (decision.action === "quarantine") {
      h.state = "quarantined";
      this.emit(run.spec.id, { kind: "lifecycle", state: "quarantined", summary: `quarantined after ${decision.faultsInWindow} faults` });
    } else {
      h.state = "backoff";
      const gen = run.generation;
      this.emit(run.spec.id, { kind: "lifecycle", state: "backoff", summary: `restarting in ${Number(decision.afterUs) / 1e6} s` });
      this.scheduler.schedule(this.nowUs() + decision.afterUs, run.order, () => {
        if (run.generation !== gen || h.state !== "backoff") return;
        h.restarts++;
        this.startInstance(run);
      });
      this.kick();
    }
    run.events.fault(reason, detail);
  }

  healthVeto(run: Running): string | null {
    if (run.handle.state !== "running" || !run.instance) return `module is ${run.handle.state}${run.handle.lastFault ? ` (${run.handle.lastFault})` : ""}`;
    if (!run.instance.has("fwx_health")) return null;
    const outcome = run.instance.call("fwx_health", []);
    if (!outcome.ok) {
      this.onFault(run, outcome.report.reason, outcome.report.detail, "fwx_health");
      return `fwx_health faulted: ${outcome.report.reason}: ${outcome.report.detail}`;
    }
    return outcome.value === 0 ? null : `fwx_health returned ${String(outcome.value)} (non-zero vetoes confirmation)`;
  }

  stopModule(run: Running, why: string): void {
    if (this.running.get(run.spec.id) === run) this.running.delete(run.spec.id);
    if (run.handle.state === "stopped") return;
    if (run.handle.state === "running" && run.instance?.has("fwx_deinit")) {
      const outcome = run.instance.call("fwx_deinit", []);
      if (!outcome.ok) this.emit(run.spec.id, { kind: "fault", reason: outcome.report.reason, detail: outcome.report.detail, callback: "fwx_deinit" });
    }
    this.teardown(run);
    run.handle.state = "stopped";
    this.emit(run.spec.id, { kind: "lifecycle", state: "stopped", summary: `stopped (${why})` });
  }

  /** Re-arms the wall-clock timer for the earliest due task or board event. */
  private kick(): void {
    if (this.closed) return;
    const tq = this.scheduler.nextAt();
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
    this.opts.board.advanceTo(now);
    // Bounded so a module re-arming a zero-period stream of events cannot starve MQTT.
    for (let n = 0; n < 1000; n++) {
      const task = this.scheduler.popDue(now);
      if (!task) break;
      task.run();
    }
    this.telemetry.flush();
    this.kick();
  }

  close(): void {
    for (const run of [...this.running.values()]) this.stopModule(run, "agent shutting down");
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
