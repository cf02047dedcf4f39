// The as-pect host mock: what the generated import glue
// (mock-glue.generated.js) relies on. It owns the view of the module's
// memory, the contract checks that trap, handle ownership, the record of
// every call and the statuses a spec forces. Device behaviour lives in
// sim-device.js; the spec-facing controls (the `fwx:mock` import module) in
// mock-control.js.

import { createAbiImports, FUNCTIONS, STATUS } from "./mock-glue.generated.js";
import { SimDevice } from "./sim-device.js";
import { createControlImports } from "./mock-control.js";
import { guardGrants } from "./grants.js";

/** A contract violation: the real host would trap the module here. */
export class MockTrap extends Error {
  constructor(message) {
    super(message);
    this.name = "MockTrap";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class MockHost {
  /**
   * `configDefaults`: key → text served when a spec set no value (fwx.json defaults).
   * `grants`: the capabilities fwx.json asks for; calls outside them return
   * not-permitted as on a device (grants.js). null grants everything.
   */
  constructor({ configDefaults = {}, grants = null } = {}) {
    this.configDefaults = { ...configDefaults };
    this.grants = grants;
    /** Why the grant check refused the call in progress (set by grants.js, taken by finish). */
    this.refusalDetail = undefined;
    /** Set by attach() once the module is instantiated. */
    this.memory = null;
    /** The module's exports, for timer and event delivery from Mock.advance. */
    this.exports = null;
    /**
     * Heap blocks the module allocated since instantiation (never reset, so
     * specs compare before/after), or null when the spec binary was built
     * without the runtime's allocation trace (`--use ASC_RTRACE=1`).
     */
    this.allocations = null;
    this.sim = new SimDevice(this);
    guardGrants(this);
    this.reset();
  }

  /** Forgets calls, forced statuses, handles and device state: a fresh board. */
  reset() {
    /** Every ABI call: { fn: "gpio.write", args: {raw wasm args}, status, detail }. */
    this.calls = [];
    /** fn → queue of statuses to return instead of running the device ("fail next"). */
    this.forcedQueue = new Map();
    /** fn → status returned on every call until cleared ("fail always"). */
    this.forcedAlways = new Map();
    /** "gpio.pin" → Map(handle → resource) */
    this.handles = new Map();
    this.nextHandle = 1;
    this.sim.reset();
    for (const [key, value] of Object.entries(this.configDefaults)) this.sim.config.set(key, value);
    // A device gives a module as many timers and KV bytes as it was granted.
    if (this.grants) {
      this.sim.timerLimit = this.grants.timers ?? 0;
      this.sim.kvQuota = this.grants.kv ?? 0;
    }
  }

  /**
   * Counts allocations through the runtime's allocation hook, for a spec
   * binary built with ASC_RTRACE (which imports rtrace.onalloc); keeps
   * calling whatever hook the test runner installed there.
   */
  traceAllocations(imports) {
    imports.rtrace ??= {};
    const previous = imports.rtrace.onalloc;
    this.allocations = 0;
    imports.rtrace.onalloc = (block) => {
      this.allocations++;
      if (typeof previous === "function") previous(block);
    };
  }

  attach(memory, exports) {
    this.memory = memory;
    this.exports = exports ?? null;
  }

  bytes() {
    if (!this.memory) throw new MockTrap("fwx mock: no memory attached (was the module instantiated through fwxAspectConfig?)");
    return new Uint8Array(this.memory.buffer);
  }

  // ---- call records -------------------------------------------------------

  enter(fn, args) {
    const call = { fn, args, status: undefined, detail: undefined };
    this.calls.push(call);
    return call;
  }

  finish(call, status, detail) {
    if (detail === undefined && this.refusalDetail !== undefined) detail = this.refusalDetail;
    this.refusalDetail = undefined;
    call.status = status;
    if (detail !== undefined) call.detail = detail;
    if (typeof status === "number" && status !== 0) this.sim.lastDetail = detail ?? `${call.fn} returned ${statusName(status)}`;
    return status;
  }

  callCount(fn) {
    this.assertKnown(fn);
    return this.calls.filter((c) => c.fn === fn).length;
  }

  // ---- forced statuses ----------------------------------------------------

  assertKnown(fn) {
    if (!Object.hasOwn(FUNCTIONS, fn)) throw new MockTrap(`fwx mock: unknown ABI function "${fn}" (expected "<interface>.<function>", e.g. "gpio.write")`);
  }

  failNext(fn, status) {
    this.assertKnown(fn);
    const queue = this.forcedQueue.get(fn) ?? [];
    queue.push(status);
    this.forcedQueue.set(fn, queue);
  }

  failAlways(fn, status) {
    this.assertKnown(fn);
    if (status === STATUS.ok) this.forcedAlways.delete(fn);
    else this.forcedAlways.set(fn, status);
  }

  forced(fn) {
    const queue = this.forcedQueue.get(fn);
    if (queue && queue.length) return queue.shift();
    return this.forcedAlways.get(fn);
  }

  // ---- contract checks ----------------------------------------------------

  trap(fn, why) {
    return new MockTrap(`fwx mock: ${fn}: ${why}`);
  }

  /** Traps unless [ptr, ptr+len) lies inside memory, compared unsigned with no wrap-around. */
  checkRange(fn, param, ptr, len) {
    const p = ptr >>> 0;
    const n = len >>> 0;
    const size = this.bytes().length;
    if (p + n > size) throw this.trap(fn, `${param}: bytes ${p}..${p + n} lie outside linear memory (${size} bytes)`);
  }

  readString(ptr, len) {
    try {
      return utf8.decode(this.view(ptr, len));
    } catch {
      return null;
    }
  }

  view(ptr, len) {
    return this.bytes().subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  storeU32(ptr, v) { new DataView(this.memory.buffer).setUint32(ptr >>> 0, Number(v) >>> 0, true); }
  storeI32(ptr, v) { new DataView(this.memory.buffer).setInt32(ptr >>> 0, Number(v) | 0, true); }
  storeU64(ptr, v) { new DataView(this.memory.buffer).setBigUint64(ptr >>> 0, BigInt.asUintN(64, BigInt(v)), true); }
  storeI64(ptr, v) { new DataView(this.memory.buffer).setBigInt64(ptr >>> 0, BigInt.asIntN(64, BigInt(v)), true); }
  storeF32(ptr, v) { new DataView(this.memory.buffer).setFloat32(ptr >>> 0, v, true); }
  storeF64(ptr, v) { new DataView(this.memory.buffer).setFloat64(ptr >>> 0, v, true); }

  // ---- handles ------------------------------------------------------------

  issueHandle(kind, resource) {
    const handle = this.nextHandle++;
    if (!this.handles.has(kind)) this.handles.set(kind, new Map());
    this.handles.get(kind).set(handle, resource);
    return handle;
  }

  resource(kind, handle) {
    return this.handles.get(kind)?.get(handle);
  }

  releaseHandle(kind, handle) {
    this.handles.get(kind)?.delete(handle);
  }

  /** Traps unless the module owns `handle` of this kind, as the real host does. */
  checkHandle(fn, kind, handle) {
    if (!this.handles.get(kind)?.has(handle)) throw this.trap(fn, `handle ${handle} is not a ${kind} handle this module owns`);
  }

  // ---- wiring -------------------------------------------------------------

  /** Import modules for instantiation: every fwx:* ABI module plus `fwx:mock`. */
  imports() {
    return { ...createAbiImports(this), "fwx:mock": createControlImports(this) };
  }
}

export function statusName(value) {
  for (const [name, v] of Object.entries(STATUS)) if (v === value) return name;
  return `status ${value}`;
}

export { STATUS, FUNCTIONS };
