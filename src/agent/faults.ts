// Faults: how any way a module's callback can end badly becomes one named
// reason, and the crash report that goes with it.

import { FUNCTIONS, STATUS_NAMES } from "../abi/host.generated.js";
import { PAGE_BYTES } from "./memory-cap.js";
import { isWatchdogTimeout } from "./watchdog.js";
import { FrameOffsets } from "./frame-offsets.js";
import { demangle } from "../wasm/demangle.js";
import { formatLocation, isLibrary, symbolize, type DebugMap, type SourceLocation } from "../build/debug-map.js";

export const FAULT_REASONS = [
  "fuel-exhausted", "stack-overflow", "memory-limit", "unreachable", "abort",
  "out-of-bounds", "foreign-handle", "watchdog", "trap", "init-failed",
  // The engine refused to instantiate the module (an import or export it cannot link).
  "link-error",
  // The engine could not allocate what the module declares (memory, tables).
  "resource-limit",
  // Anything else thrown while the module ran (a host implementation's own
  // error included): still ended as a fault of that module, so the device
  // keeps running; the detail names the error.
  "host-error",
] as const;
export type FaultReason = (typeof FAULT_REASONS)[number];

export const isFaultReason = (name: string): name is FaultReason => (FAULT_REASONS as readonly string[]).includes(name);

/** Thrown through the guest by the host (ctx.trap, abort, fuel): never caught by wasm. */
export class GuestTrap extends Error {
  constructor(readonly reason: FaultReason, readonly detail: string) {
    super(`${reason}: ${detail}`);
    this.name = "GuestTrap";
  }
}

/**
 * Thrown on purpose by a tool's own host (fwx replay stops at the first
 * divergence) to end the run, not the module: the only error the guard lets
 * through. A module cannot throw it (wasm cannot create JS errors), and no
 * device host throws it.
 */
export class HostControlSignal extends Error {}

/** One completed host call, as the glue reported it. Arguments are the flat wasm values. */
export interface HostCallRecord {
  /** Index into FUNCTIONS. */
  fn: number;
  /** Sequence number within the instance, from 0. */
  seq: number;
  tUs: bigint;
  args: (number | bigint)[];
  result: number | bigint;
}

export interface WasmLocation {
  /** Index of the function in the module as given (before fuel instrumentation); null for code the instrumentation added. */
  funcIndex: number | null;
  /** From the module's name section when it has one; the instrumentation's own helpers are named too ("__fwx_fuel_out"). */
  funcName: string | null;
  /** Byte offset in the instrumented module the engine ran (not an offset into the file as given). */
  offset: number;
  /** The same position counted from the start of the function's instrumented body (after its locals), or null if unknown. */
  bodyOffset: number | null;
  /** The position in the module as given (as built, as shipped): what a debug map's lines are keyed by; null if unknown. */
  moduleOffset?: number | null;
  /** The function's code range in the module as given. */
  moduleBody?: { from: number; to: number } | null;
}

/** What wasmFrames needs to translate the engine's positions (see prepareModule). */
export interface FrameMap {
  originalImports: number;
  originalDefined: number;
  instrumentedImports: number;
  /** Code offset (first instruction) of each defined function of the instrumented module, in the bytes compiled. */
  bodyStarts: readonly number[];
  originalNames: ReadonlyMap<number, string>;
  instrumentedNames: ReadonlyMap<number, string>;
  /** The module as given and as run (instrumented, memory capped): positions in one are translated to the other on a fault (frame-offsets.ts). */
  original?: Uint8Array;
  instrumented?: Uint8Array;
}

export interface CrashReport {
  module: string;
  /** SHA-256 (hex) of the module as given: finds its debug map (docs/debug-maps.md). */
  wasmSha256?: string;
  reason: FaultReason;
  detail: string;
  tUs: bigint;
  /** The callback that faulted: "fwx_init", "fwx_on_timer(3)", … */
  callback: string;
  /** Innermost wasm frame first. */
  frames: WasmLocation[];
  lastCalls: { fn: string; args: Record<string, string>; result: string }[];
  fuelUsed: number | null;
  fuelBudget: number;
  memoryPages: number;
  /** The largest size the linear memory reached: whole 64 KiB pages, the unit wasm memory grows in (the heap use inside is not visible). */
  memoryHighWaterBytes: number;
  memoryLimitBytes: number;
}

const FRAME = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/;

export function wasmFrames(err: unknown, map: FrameMap): WasmLocation[] {
  const stack = err instanceof Error ? err.stack ?? "" : "";
  const out: WasmLocation[] = [];
  const offsets = map.original && map.instrumented ? new FrameOffsets({ ...map, original: map.original, instrumented: map.instrumented }) : null;
  const translate = (index: number, offset: number, funcIndex: number): Pick<WasmLocation, "moduleOffset" | "moduleBody"> => {
    if (!offsets) return {};
    try {
      return { moduleOffset: offsets.originalOffset(index, offset), moduleBody: offsets.body(funcIndex) };
    } catch {
      // A report without module positions is still a report: never fail the fault path.
      return { moduleOffset: null, moduleBody: null };
    }
  };
  for (const line of stack.split("\n")) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    const offset = parseInt(m[2]!, 16);
    const defined = index - map.instrumentedImports;
    const start = defined >= 0 ? map.bodyStarts[defined] : undefined;
    const bodyOffset = start !== undefined && offset >= start ? offset - start : null;
    if (defined >= 0 && defined < map.originalDefined) {
      const funcIndex = map.originalImports + defined;
      // A Rust module's names are mangled in its name section; a report gives them as the source spells them.
      // Demangled here, for the frames of a fault only, not for every name of every module prepared.
      const name = map.originalNames.get(funcIndex);
      out.push({ funcIndex, funcName: name === undefined ? null : demangle(name), offset, bodyOffset, ...translate(index, offset, funcIndex) });
    } else {
      out.push({ funcIndex: null, funcName: map.instrumentedNames.get(index) ?? null, offset, bodyOffset });
    }
  }
  return out;
}

/**
 * Maps whatever a guest call (instantiation, the start function, a callback)
 * threw to a reason. Total: a module must never take the host down with it,
 * so even an error that points at the agent's own code becomes a fault of the
 * module that was running ("host-error"), named in the detail.
 */
export function classifyError(err: unknown): { reason: FaultReason; detail: string } {
  if (err instanceof GuestTrap) return { reason: err.reason, detail: err.detail };
  if (err instanceof RangeError && /call stack/i.test(err.message)) return { reason: "stack-overflow", detail: "the call stack overflowed (unbounded recursion?)" };
  if (isWatchdogTimeout(err)) return { reason: "watchdog", detail: "the callback overran the wall-clock watchdog" };
  if (err instanceof WebAssembly.RuntimeError) {
    const msg = err.message;
    if (/^unreachable/.test(msg)) return { reason: "unreachable", detail: "executed an unreachable instruction" };
    if (/out of bounds/.test(msg)) return { reason: "out-of-bounds", detail: msg };
    return { reason: "trap", detail: msg };
  }
  if (err instanceof WebAssembly.LinkError) return { reason: "link-error", detail: `the engine could not link the module: ${err.message}` };
  if (err instanceof WebAssembly.CompileError) return { reason: "link-error", detail: `the engine could not compile the module: ${err.message}` };
  if (err instanceof RangeError) return { reason: "resource-limit", detail: `the engine could not allocate what the module needs: ${err.message}` };
  const what = err instanceof Error ? `${err.name}: ${err.message}` : `a non-error value (${String(err)})`;
  return { reason: "host-error", detail: `the host raised ${what}` };
}

// Pointers read best in hex (they are compared with memory sizes and offsets), everything else in decimal.
const show = (param: string, v: number | bigint) => (typeof v === "bigint" ? v.toString() : param.endsWith("_ptr") ? `0x${(v >>> 0).toString(16)}` : String(v));

/** "gpio.write" for an index into FUNCTIONS. */
export function qualifiedName(fn: number): string {
  const f = FUNCTIONS[fn];
  return f ? `${f.iface}.${f.name}` : `function#${fn}`;
}

export function describeCall(rec: HostCallRecord): CrashReport["lastCalls"][number] {
  const args: Record<string, string> = {};
  (FUNCTIONS[rec.fn]?.params ?? []).forEach((p, i) => {
    const v = rec.args[i];
    if (v !== undefined) args[p] = show(p, v);
  });
  return { fn: qualifiedName(rec.fn), args, result: describeResult(rec.fn, rec.result) };
}

/** A host call's result as a person reads it: a status by its name beside the number (`not-found (5)`), a value as it is. */
export function describeResult(fn: number, result: number | bigint): string {
  if (FUNCTIONS[fn]?.result !== "status") return String(result);
  const name = STATUS_NAMES[Number(result)];
  return name === undefined ? `${result} (not a status of the ABI)` : `${name} (${result})`;
}

/**
 * The report as text. With the module's debug map, frames are named and
 * placed in source files, and the first line says where in the integrator's
 * own code it happened: the innermost frame with a line of the project's own
 * sources (library frames, and library code inlined into a user function,
 * are passed over for that line while a user line exists).
 */
/** How an abort's detail names a site id (agent/host/core.ts); the debug map's `aborts` says where it is. */
export const ABORT_SITE = "at abort site ";

/** The detail with an abort site id replaced by the site the debug map names: "Index out of range at ~lib/typedarray.ts:167:45". */
export function withAbortSite(detail: string, debugMap: DebugMap | null): string {
  const m = new RegExp(`^(.*?) ?${ABORT_SITE}(\\d+)$`).exec(detail);
  const site = m && debugMap?.aborts[m[2]!];
  if (!m || !site) return detail;
  const [, where, message] = /^(.*?:\d+:\d+)(?: (.*))?$/s.exec(site) ?? [site, site, ""];
  return `${m[1] || message || "(no message)"} at ${where} (abort site ${m[2]})`;
}

export function formatCrashReport(r: CrashReport, debugMap?: DebugMap | null): string {
  const detail = r.reason === "abort" ? withAbortSite(r.detail, debugMap ?? null) : r.detail;
  const lines = [`fault in ${r.module}: ${r.reason} — ${detail}`, `  during ${r.callback} at t=${formatTime(r.tUs)}`];
  lines.push(...formatFrames(r.frames, debugMap ?? null));
  lines.push(...formatCrashTail(r));
  return lines.join("\n");
}

/** The stack lines of a report (a device's fault log line carries frames only; `fwx logs` prints them with this). */
export function formatFrames(frames: readonly FrameRef[], debugMap: DebugMap | null, opts: { mapHint?: boolean } = {}): string[] {
  const lines: string[] = [];
  if (!frames.length) return lines;
  const named = symbolizeFrames(frames, debugMap);
  const user = userFrame(named);
  if (user) lines.push(`  at ${formatLocation(user.at)} in ${user.name}`);
  else {
    // Fuel ran out in the instrumentation's shared exit of a function with loops (frame-offsets.ts): no
    // line to give, but the function and what the line would have been are known.
    const inner = named.find((x) => x.f.funcIndex !== null);
    if (inner && named[0]!.f.funcIndex === null && inner.f.moduleOffset === null) {
      const name = inner.s?.name ?? inner.f.funcName ?? `function[${inner.f.funcIndex}]`;
      lines.push(`  in ${name}: at its entry or at the start of one of its loops (which one ran out of fuel is not recorded)`);
    }
  }
  lines.push("  wasm stack (innermost first):");
  for (const { f, s } of named.slice(0, 8)) {
    const name = s?.name ?? f.funcName ?? (f.funcIndex === null ? "(unnamed)" : `function[${f.funcIndex}]`);
    const fn = f.funcIndex === null ? `${name} (added by fuel instrumentation)` : `${name} (function ${f.funcIndex})`;
    const where = s?.at ? `${formatLocation(s.at)}${isLibrary(s.at.file) && s.userAt ? ` (inlined; from ${formatLocation(s.userAt)})` : ""}` : null;
    const pos = f.moduleOffset !== undefined && f.moduleOffset !== null ? `module byte 0x${f.moduleOffset.toString(16)}`
      : f.offset !== undefined ? `byte 0x${f.offset.toString(16)} of the instrumented code` : "an unknown position";
    lines.push(`    ${fn} at ${where ? `${where}, ` : ""}${pos}`);
  }
  if (!debugMap && opts.mapHint !== false) lines.push("  no debug map for this module: fwx build writes <module>.fwxmap.json beside a module it compiles from AssemblyScript (--map <file> names one); a .wasm from clang or rustc has none, so its frames are module bytes and the names of its name section");
  return lines;
}

function symbolizeFrames(frames: readonly FrameRef[], debugMap: DebugMap | null) {
  return frames.map((f) => ({ f, s: debugMap && f.funcIndex !== null ? symbolize(debugMap, f.funcIndex, f.moduleOffset ?? null, f.moduleBody ?? null) : null }));
}

function userFrame(named: ReturnType<typeof symbolizeFrames>): { at: SourceLocation; name: string } | null {
  const user = named.find((x) => x.s?.userAt);
  return user ? { at: user.s!.userAt!, name: user.s!.name ?? `function[${user.f.funcIndex}]` } : null;
}

/**
 * Where in the integrator's own code a fault happened (the line formatFrames
 * prints first): the innermost frame with a line of the project's sources,
 * and its function's name; null without a map or without such a frame.
 */
export function faultLocation(frames: readonly FrameRef[], debugMap: DebugMap | null): { at: SourceLocation; name: string } | null {
  return debugMap ? userFrame(symbolizeFrames(frames, debugMap)) : null;
}

/** What formatFrames needs of a frame; a device's log line carries just this. */
export type FrameRef = Pick<WasmLocation, "funcIndex" | "funcName" | "moduleOffset" | "moduleBody"> & { offset?: number };

/** A fault line's frames as a device sent them (function index, module offset, function range); malformed entries are dropped. */
export function parseFrameRefs(frames: unknown): FrameRef[] {
  if (!Array.isArray(frames)) return [];
  return (frames as unknown[]).flatMap((f): FrameRef[] => {
    const x = (f ?? {}) as { funcIndex?: unknown; moduleOffset?: unknown; moduleBody?: { from?: unknown; to?: unknown } };
    if (x.funcIndex !== null && !Number.isInteger(x.funcIndex)) return [];
    const body = x.moduleBody && Number.isInteger(x.moduleBody.from) && Number.isInteger(x.moduleBody.to) ? { from: x.moduleBody.from as number, to: x.moduleBody.to as number } : null;
    return [{ funcIndex: x.funcIndex as number | null, funcName: null, moduleOffset: Number.isInteger(x.moduleOffset) ? (x.moduleOffset as number) : null, moduleBody: body }];
  });
}

function formatCrashTail(r: CrashReport): string[] {
  const lines: string[] = [];
  // A function with loops keeps its fuel in a local and writes it back before each call and at its end
  // (src/fuel/rewrite.ts): a trap between two writes loses what was spent since, so the count is a floor.
  const exact = r.reason === "fuel-exhausted" || r.reason === "init-failed";
  lines.push(`  fuel: ${r.fuelUsed === null ? "unknown (module not metered)" : exact ? `${r.fuelUsed} of ${r.fuelBudget}` : `at least ${r.fuelUsed} of ${r.fuelBudget} (counted up to the last host call)`}`);
  lines.push(`  memory: ${r.memoryPages} pages now, high-water ${r.memoryHighWaterBytes / PAGE_BYTES} of ${r.memoryLimitBytes / PAGE_BYTES} pages (64 KiB each)`);
  if (r.lastCalls.length) {
    lines.push(`  last ${r.lastCalls.length} host calls (oldest first):`);
    for (const c of r.lastCalls) lines.push(`    ${c.fn}(${Object.entries(c.args).map(([k, v]) => `${k}=${v}`).join(", ")}) → ${c.result}`);
  } else lines.push("  no host calls before the fault");
  return lines;
}

/** 00:12:30.000 from virtual µs. */
export function formatTime(tUs: bigint): string {
  const ms = tUs / 1000n;
  const h = ms / 3_600_000n, m = (ms / 60_000n) % 60n, s = (ms / 1000n) % 60n, milli = ms % 1000n;
  const p = (v: bigint, n = 2) => v.toString().padStart(n, "0");
  return `${p(h)}:${p(m)}:${p(s)}.${p(milli, 3)}`;
}
