// The wall-clock watchdog: the second line of defence behind fuel, for what
// fuel cannot bound (a cost model that underprices something, a slow host
// path called in a loop).
//
// Node can stop running wasm only through vm's `timeout` option: a watchdog
// thread calls TerminateExecution. Every timed runInContext starts and joins
// its own thread, 25–110 µs measured here, while a whole callback costs well
// under a microsecond. So the agent opens one timed frame around a stretch of
// its run loop, and callbacks that start while the frame is fresh (in its
// first FRESH_FRACTION) run inside it without a timer of their own: each of
// them still has at least (1 - FRESH_FRACTION) of the limit before the
// frame's timer fires, and never more than the limit. When a frame times out,
// V8 unwinds everything inside it (catch and finally blocks included) back to
// the frame; the agent then finds the one instance with a call in flight and
// ends that call as a watchdog fault.
//
// A callback outside any frame (ModuleInstance used on its own: the OTA live
// host, tools; Agent.run and replay open frames) gets a timer of its own.
//
// Which callbacks share a frame depends on wall time, but nothing a module
// can observe does: frames only decide where timers are armed, so runs stay
// deterministic unless a watchdog actually fires.

import vm from "node:vm";

/** A callback may start inside a frame only this early in it. */
export const FRESH_FRACTION = 1 / 20;

interface Frame {
  startMs: number;
  limitMs: number;
}

let active: Frame | null = null;

// One context for every timed call; the call target is swapped in.
const realm = vm.createContext({ __fwxTarget: null as null | (() => unknown) });
const script = new vm.Script("__fwxTarget()");

/** Runs one guarded call under its own timer (limitMs > 0). */
export function runWithTimeout<T>(limitMs: number, body: () => T): T {
  realm.__fwxTarget = body;
  try {
    return script.runInContext(realm, { timeout: limitMs }) as T;
  } finally {
    realm.__fwxTarget = null;
  }
}

/** True inside a frame: a guarded call then runs directly (timed frames must not nest, or the outer timer would fire on the inner call early). */
export function insideFrame(): boolean {
  return active !== null;
}

/** Whether the agent may start another callback in the current frame. True when no frame is open (the watchdog is off). */
export function frameIsFresh(): boolean {
  return active === null || performance.now() - active.startMs <= active.limitMs * FRESH_FRACTION;
}

/**
 * Runs `body` (a stretch of the agent's run loop) in one timed frame. The
 * body checks frameIsFresh() before each callback. A timeout throws what vm
 * throws (see isWatchdogTimeout) after everything inside was unwound.
 */
export function runFrame<T>(limitMs: number, body: () => T): T {
  if (active) throw new Error("watchdog frames do not nest");
  active = { startMs: performance.now(), limitMs };
  try {
    return runWithTimeout(limitMs, body);
  } finally {
    active = null;
  }
}

export function isWatchdogTimeout(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
}
