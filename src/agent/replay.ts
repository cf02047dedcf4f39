// Replaying a recording against a module: the module gets the recorded host
// results instead of a board, callback by callback, and every call it makes
// is compared with the recorded one. The first mismatch is the divergence.

import { FUNCTIONS, type HostImpl } from "../abi/host.generated.js";
import { FUNCTION_BY_INDEX } from "./abi.js";
import { camel as methodName } from "../../host-abi/gen/names.js";
import { DeviceClaimRegistry } from "./handles.js";
import { formatCrashReport, formatFrames, wasmFrames, GuestTrap, HostControlSignal, isFaultReason, qualifiedName as fnName } from "./faults.js";
import type { DebugMap } from "../build/debug-map.js";
import { ModuleInstance, type CallOutcome, type InstanceContext } from "./instance.js";
import { prepareModule } from "./prepare.js";
import { mutArgs, outputFields, readRecording, sha256, type RecordEntry } from "./record.js";
import { sameValue, showValue, type RecValue } from "./record-codec.js";
import { DEFAULT_WATCHDOG_MS } from "./runtime.js";
import { frameIsFresh, isWatchdogTimeout, runFrame } from "./watchdog.js";

export interface Divergence {
  /** 0-based index among the module's recorded host calls. */
  callIndex: number;
  /** The callback it happened in: "fwx_on_timer(1) at 5.000 s". */
  callback: string;
  /** "gpio.write", or the recorded outcome when the difference is in how a callback ended. */
  function: string;
  expected: string;
  actual: string;
  /** When the replayed module faulted there: its crash report, named through the debug map when one was given. */
  fault?: string;
  /** For a differing host call: the module's stack at the call (where in its source, with a debug map). */
  stack?: string;
}

export interface ReplayResult {
  module: string;
  callbacks: number;
  calls: number;
  sameBinary: boolean;
  divergence: Divergence | null;
}

/** The recording and the request do not fit together (no such module, several to choose from, a delivery before fwx_init). */
export class ReplayInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplayInputError";
  }
}

class DivergenceSignal extends HostControlSignal {
  constructor(readonly divergence: Omit<Divergence, "callback">) {
    super("replay diverged");
  }
}

const showArgs = (args: RecValue[], fn: number) =>
  `(${args.map((a, i) => `${FUNCTION_BY_INDEX[fn]!.params[i]?.spec.name ?? `arg${i}`}=${showValue(a)}`).join(", ")})`;
const isCapacity = (v: RecValue | undefined): v is { capacity: number } => typeof v === "object" && !(v instanceof Uint8Array);

// The glue checks handle ownership before the implementation runs, so the
// replayed instance must own what the recorded implementation handed out:
// handle outputs of successful calls are adopted, and the ABI's handle-ending
// calls (gpio.release, pwm.close, uart.close) give them up again.
const ENDS_HANDLE = new Set(["release", "close"]);

/** A HostImpl that answers from the recorded calls of one module, checking each call's arguments. */
function replayHost(calls: Extract<RecordEntry, { tag: "call" }>[], cursor: { i: number }, ctx: InstanceContext): HostImpl {
  const host = {} as Record<string, Record<string, (...a: unknown[]) => unknown>>;
  FUNCTIONS.forEach((f, fn) => {
    const outs = outputFields(fn);
    const mut = mutArgs(fn);
    const lowered = FUNCTION_BY_INDEX[fn]!;
    (host[f.iface] ??= {})[methodName(f.name)] = (...rawArgs: unknown[]) => {
      const args = rawArgs.slice(0, rawArgs.length - (outs.length ? 1 : 0)) as RecValue[];
      const index = cursor.i;
      const rec = calls[index];
      const actual = args.map((a, i) => (mut[i] && a instanceof Uint8Array ? { capacity: a.length } : a));
      if (!rec) throw new DivergenceSignal({ callIndex: index, function: fnName(fn), expected: "no further host call (the recording ends here)", actual: `${fnName(fn)}${showArgs(actual, fn)}` });
      if (rec.fn !== fn || rec.args.length !== actual.length || rec.args.some((v, i) => !sameValue(v, actual[i]!))) {
        throw new DivergenceSignal({ callIndex: index, function: fnName(rec.fn), expected: `${fnName(rec.fn)}${showArgs(rec.args, rec.fn)}`, actual: `${fnName(fn)}${showArgs(actual, fn)}` });
      }
      cursor.i++;
      if (rec.trap) throw new GuestTrap(isFaultReason(rec.trap.reason) ? rec.trap.reason : "trap", rec.trap.detail);
      if (outs.length) {
        const out = rawArgs[rawArgs.length - 1] as Record<string, unknown>;
        outs.forEach((k, i) => {
          out[k] = rec.outputs[i];
          const t = lowered.outputs[i]!.type;
          if (rec.result === 0 && t.kind === "handle") ctx.handles.adopt(`${f.iface}.${t.name}`, Number(rec.outputs[i]), null);
        });
      }
      const first = lowered.params[0];
      if (rec.result === 0 && ENDS_HANDLE.has(f.name) && first?.type.kind === "handle") ctx.handles.release(`${f.iface}.${first.type.name}`, Number(args[0]));
      let w = 0;
      args.forEach((a, i) => {
        if (isCapacity(rec.args[i]) && a instanceof Uint8Array) a.set(rec.written[w++]!);
      });
      return rec.result;
    };
  });
  return host as unknown as HostImpl;
}

function outcomeText(o: { ok: boolean; value: unknown; reason: string; detail: string }): string {
  return o.ok ? `returned ${String(o.value)}` : `faulted: ${o.reason} (${o.detail})`;
}

/**
 * Re-runs `bytes` as module `moduleId` of the recording. Returns the first divergence, or null
 * when every callback made the same calls with the same arguments and ended the same way.
 */
export function replayRecording(recording: Uint8Array, bytes: Uint8Array, moduleId?: string, opts: { watchdogMs?: number; debugMap?: DebugMap | null; ramBudgetBytes?: number } = {}): ReplayResult {
  const watchdogMs = opts.watchdogMs ?? DEFAULT_WATCHDOG_MS;
  const { header, entries } = readRecording(recording);
  const digest = sha256(bytes);
  let index = moduleId !== undefined ? header.modules.findIndex((m) => m.id === moduleId) : -1;
  if (moduleId !== undefined && index < 0) throw new ReplayInputError(`the recording has no module "${moduleId}" (it has: ${header.modules.map((m) => m.id).join(", ")})`);
  if (index < 0) {
    index = header.modules.length === 1 ? 0 : header.modules.findIndex((m) => m.sha256 === digest);
    if (index < 0) throw new ReplayInputError(`the recording holds ${header.modules.length} modules (${header.modules.map((m) => m.id).join(", ")}); name one with --module`);
  }
  const meta = header.modules[index]!;
  const mine = entries.filter((e) => e.module === index);
  const calls = mine.filter((e): e is Extract<RecordEntry, { tag: "call" }> => e.tag === "call");
  const cursor = { i: 0 };
  const prepared = prepareModule(bytes, { moduleId: meta.id, source: meta.id, ramBudgetBytes: opts.ramBudgetBytes ?? meta.ramBudgetBytes });
  let nowUs = 0n;
  let instance: ModuleInstance | null = null;
  const env = {
    caps: meta.caps,
    config: new Map(Object.entries(meta.config)),
    claims: new DeviceClaimRegistry(),
    nowUs: () => nowUs,
    emit: () => {},
    traffic: () => {},
    postEvent: () => {},
    fuel: BigInt(meta.fuel),
    watchdogMs,
    createHost: (ctx: InstanceContext) => replayHost(calls, cursor, ctx),
  };
  let callbacks = 0;
  const result = (divergence: Divergence | null): ReplayResult => ({ module: meta.id, callbacks, calls: cursor.i, sameBinary: digest === meta.sha256, divergence });
  // Each delivery with what the recording says happened during it (up to the next delivery), in one pass.
  const deliveries: { d: Extract<RecordEntry, { tag: "delivery" }>; calls: number; outcome: Extract<RecordEntry, { tag: "outcome" }> | undefined }[] = [];
  for (const e of mine) {
    if (e.tag === "delivery") deliveries.push({ d: e, calls: 0, outcome: undefined });
    else if (deliveries.length) {
      const last = deliveries[deliveries.length - 1]!;
      if (e.tag === "call") last.calls++;
      else if (e.tag === "outcome") last.outcome ??= e;
    }
  }

  let current: { label: string; expectedCalls: number; recorded: Extract<RecordEntry, { tag: "outcome" }> | undefined } | null = null;
  /** Compares how the current callback ended with the recording; a divergence, or null. */
  const check = (outcome: CallOutcome): ReplayResult | null => {
    const { label, expectedCalls, recorded } = current!;
    current = null;
    const fault = outcome.ok ? {} : { fault: formatCrashReport(outcome.report, opts.debugMap ?? null) };
    if (cursor.i < expectedCalls) {
      const next = calls[cursor.i]!;
      return result({ callIndex: cursor.i, callback: label, function: fnName(next.fn), expected: `${fnName(next.fn)}${showArgs(next.args, next.fn)}`, actual: `the callback ended (${outcome.ok ? "returned" : `faulted: ${outcome.report.reason}`}) without making it`, ...fault });
    }
    if (recorded) {
      const actual = outcome.ok ? { ok: true, value: typeof outcome.value === "number" ? outcome.value : 0, reason: "", detail: "" } : { ok: false, value: 0, reason: outcome.report.reason, detail: outcome.report.detail };
      const same = actual.ok === recorded.ok && (actual.ok ? sameValue(actual.value, recorded.value) : actual.reason === recorded.reason);
      if (!same) return result({ callIndex: cursor.i, callback: label, function: "callback outcome", expected: outcomeText(recorded), actual: outcomeText(actual), ...fault });
    }
    return null;
  };
  const replayOne = ({ d, calls: n, outcome: recorded }: (typeof deliveries)[number]): ReplayResult | null => {
    nowUs = d.tUs;
    const label = `${d.kind === "init" ? "fwx_init" : d.kind === "deinit" ? "fwx_deinit" : d.kind === "timer" ? `fwx_on_timer(${d.args.join(", ")})` : `fwx_on_event(${d.args.join(", ")})`} at ${(Number(d.tUs) / 1e6).toFixed(3)} s`;
    callbacks++;
    current = { label, expectedCalls: cursor.i + n, recorded };
    let outcome: CallOutcome;
    try {
      if (d.kind === "init") {
        instance?.ctx.runCleanups();
        instance = new ModuleInstance(prepared, env);
        outcome = instance.start();
      } else {
        if (!instance) throw new ReplayInputError(`the recording delivers ${label} before any fwx_init`);
        outcome = instance.call(d.kind === "timer" ? "fwx_on_timer" : d.kind === "event" ? "fwx_on_event" : "fwx_deinit", d.args);
      }
    } catch (e) {
      if (e instanceof DivergenceSignal) {
        // Thrown inside the host call, so its stack holds the module's frames at the call.
        const stack = formatFrames(wasmFrames(e, prepared.frames), opts.debugMap ?? null);
        return result({ ...e.divergence, callback: label, ...(stack.length ? { stack: stack.join("\n") } : {}) });
      }
      throw e;
    }
    return check(outcome);
  };

  // Callbacks run in shared watchdog frames, as in Agent.run (see watchdog.ts).
  let next = 0;
  while (next < deliveries.length) {
    let found: ReplayResult | null;
    try {
      const run = () => {
        while (next < deliveries.length && frameIsFresh()) {
          const r = replayOne(deliveries[next++]!);
          if (r) return r;
        }
        return null;
      };
      found = watchdogMs > 0 ? runFrame(watchdogMs, run) : run();
    } catch (err) {
      if (!isWatchdogTimeout(err)) throw err;
      const outcome = (instance as ModuleInstance | null)?.abandonCall(err);
      if (!outcome || !current) throw new Error(`replay's own work, outside any module callback, ran past the ${watchdogMs} ms watchdog`, { cause: err });
      found = check(outcome);
    }
    if (found) return found;
  }
  return result(null);
}
