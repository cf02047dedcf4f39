// One running instance of a prepared module: its context (what the host
// implementations see), its import object, and guarded calls into it. Every
// way a guarded call can go wrong ends as a CrashReport, never as an
// exception out of the agent.

import { createHostImports, Status, type GuestContext, type HostImpl } from "../abi/host.generated.js";
import type { Capabilities } from "../caps/capabilities.js";
import { FUEL_GET_EXPORT, FUEL_SET_EXPORT, GROW_REFUSED_EXPORT, RAM_FAULT_EXPORT } from "../fuel/section.js";
import type { AgentEvent, ClaimRegistry, ModuleHostContext } from "./host-context.js";
import { CallRing } from "./call-ring.js";
import { classifyError, describeCall, GuestTrap, HostControlSignal, isFaultReason, wasmFrames, type CrashReport, type FaultReason } from "./faults.js";
import { InstanceHandleTable } from "./handles.js";
import { newMemory, PAGE_BYTES } from "./memory-cap.js";
import type { PreparedModule } from "./refusal.js";
import { insideFrame, runWithTimeout } from "./watchdog.js";
import { grantsKind } from "../caps/capabilities.js";

export interface InstanceEnv {
  caps: Capabilities;
  config: ReadonlyMap<string, string>;
  claims: ClaimRegistry;
  nowUs(): bigint;
  emit(event: AgentEvent): void;
  /** Bus traffic, described only if it is to be logged (ModuleHostContext.traffic); without it, every event is described and emitted. */
  traffic?(kind: string, describe: () => AgentEvent): void;
  postEvent(kind: number, handle: number, arg: number): void;
  /** Fuel per callback. */
  fuel: bigint;
  /** Wall-clock limit per callback in ms; 0 disables the watchdog. */
  watchdogMs: number;
  /** Builds the host implementations for this instance. */
  createHost(ctx: InstanceContext): HostImpl;
}

/** A guarded call; its label ("fwx_on_timer(3)") is only built when a report needs it. */
interface GuardedCall {
  name: string;
  args: number[];
  metered: boolean;
}

/** The ABI's not-permitted status (host-abi/spec; Status.notPermitted in the generated host). */
const NOT_PERMITTED = Status.notPermitted;

const callLabel = (c: GuardedCall) => (c.args.length ? `${c.name}(${c.args.join(", ")})` : c.name);

export type CallOutcome = { ok: true; value: unknown; fuelUsed: bigint | null } | { ok: false; report: CrashReport };

/** ModuleHostContext for the implementations and GuestContext for the glue, in one object. */
export class InstanceContext implements ModuleHostContext, GuestContext {
  readonly handles = new InstanceHandleTable();
  readonly ring = new CallRing();
  lastErrorDetail = "";
  private readonly cleanups: (() => void)[] = [];

  constructor(readonly moduleId: string, readonly memory: WebAssembly.Memory, private readonly env: InstanceEnv) {}

  get caps(): Capabilities { return this.env.caps; }
  get config(): ReadonlyMap<string, string> { return this.env.config; }
  get claims(): ClaimRegistry { return this.env.claims; }
  nowUs(): bigint { return this.env.nowUs(); }
  emit(event: AgentEvent): void { this.env.emit(event); }
  traffic(kind: string, describe: () => AgentEvent): void {
    if (this.env.traffic) this.env.traffic(kind, describe);
    else this.env.emit(describe());
  }
  postEvent(kind: number, handle: number, arg: number): void { this.env.postEvent(kind, handle, arg); }
  onStop(cleanup: () => void): void { this.cleanups.push(cleanup); }

  fail(statusOrFn: number, statusOrDetail: number | string, detail?: string): number {
    // Two callers share the name: implementations call fail(status, detail),
    // the glue calls fail(fn, status, detail).
    const status = typeof statusOrDetail === "string" ? statusOrFn : statusOrDetail;
    this.lastErrorDetail = typeof statusOrDetail === "string" ? statusOrDetail : (detail ?? "");
    if (status === NOT_PERMITTED) this.reportRefusal(this.lastErrorDetail);
    return status;
  }

  /** Calls of each function already refused as not-permitted (keyed "telemetry.publish"). */
  private readonly refused = new Set<string>();

  /**
   * A call outside the grants returns not-permitted to the module, which may
   * ignore it; the first refusal of each function goes to the event log so
   * the integrator sees it, and later ones do not flood it.
   */
  private reportRefusal(detail: string): void {
    const m = /^([a-z0-9_]+\.[a-z0-9_]+):\s*(.*)$/s.exec(detail);
    const call = m ? m[1]! : "call";
    if (this.refused.has(call)) return;
    this.refused.add(call);
    this.emit({ kind: "refused", status: "not-permitted", call, detail: m ? m[2]! : detail });
  }

  owns(kind: string, handle: number): boolean {
    return this.handles.owns(kind, handle);
  }

  granted(capability: string): boolean {
    return grantsKind(this.env.caps, capability);
  }

  trap(reason: string, detail: string): never {
    if (isFaultReason(reason)) throw new GuestTrap(reason, detail);
    throw new GuestTrap("trap", `${reason}: ${detail}`);
  }

  record(fn: number, result: number | bigint, a0?: number | bigint, a1?: number | bigint, a2?: number | bigint, a3?: number | bigint, a4?: number | bigint, a5?: number | bigint): void {
    this.ring.push(fn, result, a0, a1, a2, a3, a4, a5);
  }

  /** Runs cleanups once, newest first (a port opened after a pin is closed before it). */
  runCleanups(): void {
    while (this.cleanups.length) {
      const c = this.cleanups.pop()!;
      try {
        c();
      } catch (e) {
        // One failed release must neither skip the others nor escape into the agent.
        this.emit({ kind: "lifecycle", summary: `releasing a resource failed: ${(e as Error)?.message ?? String(e)}` });
      }
    }
  }
}

export class ModuleInstance {
  readonly ctx: InstanceContext;
  private readonly memory: WebAssembly.Memory;
  private exports: WebAssembly.Exports | null = null;
  /**
   * The largest size the linear memory has had, in bytes: always a whole number
   * of 64 KiB pages, because that is the unit a wasm memory grows in. How much
   * of it the module's allocator uses is invisible from outside.
   */
  highWaterBytes: number;
  /** Fuel spent by the last completed callback. */
  lastFuelUsed: bigint | null = null;
  /** Fuel spent by every metered callback of this instance, faulted ones included. */
  fuelUsedTotal = 0n;
  /** The guarded call running now; left set when a watchdog frame unwound it (see abandonCall). */
  private inFlight: GuardedCall | null = null;

  /** Why the module's memory could not be created; start() then reports it as a fault. */
  private readonly memoryError: unknown = null;

  constructor(readonly prepared: PreparedModule, private readonly env: InstanceEnv) {
    let memory: WebAssembly.Memory;
    try {
      memory = newMemory(prepared.memory);
    } catch (e) {
      // The engine could not reserve the memory (address space, a host limit):
      // a fault of this module at start, never an exception out of the agent.
      this.memoryError = e;
      memory = new WebAssembly.Memory({ initial: 0, maximum: 0 });
    }
    this.memory = memory;
    this.highWaterBytes = this.memory.buffer.byteLength;
    this.ctx = new InstanceContext(prepared.id, this.memory, env);
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Instantiates (running the module's start function, if any) and calls fwx_init. */
  start(): CallOutcome {
    // Everything from building the imports to the start function runs inside
    // the guard: whatever the engine or a host factory throws is this module's fault.
    const made = this.guard({ name: "instantiate", args: [], metered: false }, () => {
      if (this.memoryError !== null) throw this.memoryError;
      const host = this.env.createHost(this.ctx);
      const imports = createHostImports(host, this.ctx) as unknown as WebAssembly.Imports;
      const { importModule, importName } = this.prepared.memory;
      imports[importModule] = { ...(imports[importModule] ?? {}), [importName]: this.memory };
      this.exports = new WebAssembly.Instance(this.prepared.compiled, imports).exports;
    });
    if (!made.ok) return made;
    const init = this.call("fwx_init", []);
    if (init.ok && init.value !== 0) {
      return { ok: false, report: this.report("init-failed", `fwx_init returned ${String(init.value)}`, "fwx_init", null, init.fuelUsed) };
    }
    return init;
  }

  has(exportName: string): boolean {
    return this.prepared.exports.has(exportName);
  }

  /** Calls a lifecycle export with a fresh fuel budget under the watchdog. */
  call(exportName: string, args: number[]): CallOutcome {
    return this.guard({ name: exportName, args, metered: true }, () => {
      // Looked up inside the guard: an export the validator saw but the
      // engine does not have (or that is not a function) is a fault, not a crash.
      const fn = this.exports?.[exportName];
      if (typeof fn !== "function") throw new GuestTrap("link-error", `the module has no callable export "${exportName}"`);
      return (fn as (...a: number[]) => unknown)(...args);
    });
  }

  /** Whether a guarded call of this instance is running, or was unwound by a watchdog frame and not yet abandoned. */
  get callInFlight(): boolean {
    return this.inFlight !== null;
  }

  private guard(call: GuardedCall, body: () => unknown): CallOutcome {
    const metered = call.metered;
    const ex = this.exports;
    this.ctx.ring.beginCallback(this.env.nowUs());
    this.inFlight = call;
    let value: unknown;
    try {
      if (metered && ex) (ex[FUEL_SET_EXPORT] as (v: bigint) => void)(this.env.fuel);
      // Inside the agent's watchdog frame the frame's timer covers the call (see watchdog.ts).
      value = this.env.watchdogMs > 0 && !insideFrame() ? runWithTimeout(this.env.watchdogMs, body) : body();
    } catch (err) {
      this.inFlight = null;
      if (err instanceof HostControlSignal) throw err;
      return this.failed(err, call);
    }
    this.inFlight = null;
    this.highWaterBytes = Math.max(this.highWaterBytes, this.memory.buffer.byteLength);
    const fuelUsed = metered ? this.fuelUsed() : null;
    this.lastFuelUsed = fuelUsed;
    if (fuelUsed !== null) this.fuelUsedTotal += fuelUsed;
    return { ok: true, value, fuelUsed };
  }

  private failed(err: unknown, call: GuardedCall): CallOutcome & { ok: false } {
    const fuelUsed = call.metered ? this.fuelUsed() : null;
    if (fuelUsed !== null) this.fuelUsedTotal += fuelUsed;
    this.highWaterBytes = Math.max(this.highWaterBytes, this.memory.buffer.byteLength);
    const c = classifyError(err);
    return { ok: false, report: this.report(c.reason, c.detail, callLabel(call), err, fuelUsed) };
  }

  /**
   * The outcome of the call a watchdog frame unwound (`err` is the frame's
   * timeout): what guard() would have returned had the call had its own
   * timer. Null when no call of this instance was in flight.
   */
  abandonCall(err: unknown): (CallOutcome & { ok: false }) | null {
    const call = this.inFlight;
    if (!call) return null;
    this.inFlight = null;
    return this.failed(err, call);
  }

  private fuelUsed(): bigint | null {
    const get = this.exports?.[FUEL_GET_EXPORT];
    if (typeof get !== "function") return null;
    const left = (get as () => bigint)();
    return left < 0n ? this.env.fuel : this.env.fuel - left;
  }

  /** Whether the callback had a memory.grow refused; null when the module does not say (not instrumented, or not yet instantiated). */
  private growWasRefused(): boolean | null {
    const get = this.exports?.[GROW_REFUSED_EXPORT];
    return typeof get === "function" ? (get as () => number)() !== 0 : null;
  }

  /** The access refused for passing the RAM budget (ram-bound.ts): its address and length; null when none was. */
  private ramFault(): { at: number; length: number } | null {
    const get = this.exports?.[RAM_FAULT_EXPORT];
    if (typeof get !== "function") return null;
    const packed = (get as () => bigint)();
    return packed < 0n ? null : { at: Number(packed & 0xffffffffn), length: Number(packed >> 32n) };
  }

  private report(reason: FaultReason, detail: string, callback: string, err: unknown, fuelUsed: bigint | null): CrashReport {
    const limit = this.prepared.memory.maxPages * PAGE_BYTES;
    const refused = reason === "unreachable" ? this.ramFault() : null;
    if (refused) {
      const budget = this.prepared.memory.ramBudgetBytes ?? limit;
      // The last byte reached: the record is [p, p + n), p a load's or store's base pointer and n its
      // static offset plus size, so p alone names "address 0" for a C store written as offset=120000 on 0.
      const last = refused.at + Math.max(refused.length - 1, 0);
      const what = `a load or store ending at address ${last} (0x${last.toString(16)})`;
      // Past the memory too: the engine would have refused it anyway, so it is out of bounds, not over budget.
      const outside = refused.at + refused.length > this.memory.buffer.byteLength;
      detail = outside
        ? `${what} reached outside the ${this.memory.buffer.byteLength}-byte memory (RAM budget ${budget} bytes)`
        : `${what} reached past the RAM budget of ${budget} bytes`;
      reason = outside ? "out-of-bounds" : "memory-limit";
    }
    // A callback that ended after a memory.grow was refused almost always
    // ended because of it (AssemblyScript's allocator traps with
    // `unreachable` when memory.grow returns -1; a naive bomb spins until its
    // fuel runs out). Name the cause; keep the symptom in the detail. The
    // instrumentation records refused grows, so this holds whatever the
    // initial size (a module that starts at its cap never grew at all).
    const growRefused = this.growWasRefused();
    const atCap = growRefused ?? (this.memory.buffer.byteLength >= limit && limit > this.prepared.memory.initialPages * PAGE_BYTES);
    if (atCap && (reason === "unreachable" || reason === "fuel-exhausted" || reason === "abort" || reason === "trap")) {
      detail = `memory reached its cap of ${this.prepared.memory.maxPages} pages (${limit} bytes); the callback then ended with ${reason}: ${detail}`;
      reason = "memory-limit";
    }
    return {
      module: this.prepared.id,
      reason,
      detail,
      tUs: this.env.nowUs(),
      callback,
      // The refusing check is instrumentation: the fault's top frame is the module's own access.
      frames: refused ? dropLeading(wasmFrames(err, this.prepared.frames), (f) => f.funcName?.startsWith("__fwx_ram_") ?? false) : wasmFrames(err, this.prepared.frames),
      lastCalls: this.ctx.ring.list().map(describeCall),
      fuelUsed: fuelUsed === null ? null : Number(fuelUsed),
      fuelBudget: Number(this.env.fuel),
      memoryPages: this.memory.buffer.byteLength / PAGE_BYTES,
      memoryHighWaterBytes: this.highWaterBytes,
      memoryLimitBytes: limit,
    };
  }
}

/** `list` without its leading run of entries matching `drop`. */
function dropLeading<T>(list: T[], drop: (x: T) => boolean): T[] {
  let i = 0;
  while (i < list.length && drop(list[i]!)) i++;
  return list.slice(i);
}
