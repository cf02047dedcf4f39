// What every host-interface implementation gets for the one module instance
// it serves. The generated glue (src/abi/host.generated.ts) has already
// checked memory bounds, value ranges and handle ownership; implementations
// check capabilities and device state, and return status codes.

import type { Capabilities } from "../caps/capabilities.js";

/** One line of a run's event log. The agent stamps `t` (virtual µs) and `module`. */
export interface AgentEvent {
  /** "log" | "gpio" | "pwm" | "telemetry" | "i2c" | "spi" | "uart" | "adc" | "sensor" | "kv" | "timer" | "lifecycle" | "fault" | ... */
  kind: string;
  [field: string]: unknown;
}

/** Handles a module owns, by kind ("gpio.pin", "uart.port", "sensor.sensor"). Numbers are never reused within an instance. */
export interface HandleTable {
  issue<T>(kind: string, resource: T): number;
  get<T>(kind: string, handle: number): T | undefined;
  owns(kind: string, handle: number): boolean;
  release(kind: string, handle: number): void;
  entries<T>(kind: string): [number, T][];
}

/** Exclusive claims across all modules on a device ("gpio:5", "uart:1", "pwm:0"). */
export interface ClaimRegistry {
  /** True if now held by moduleId (or already was); false if another module holds it. */
  claim(resource: string, moduleId: string): boolean;
  release(resource: string, moduleId: string): void;
  owner(resource: string): string | undefined;
}

export interface ModuleHostContext {
  readonly moduleId: string;
  /** What this module was granted: the intersection of its request and what the board grants. */
  readonly caps: Capabilities;
  /** Deploy-time configuration values (strings), defaults already applied. */
  readonly config: ReadonlyMap<string, string>;
  readonly handles: HandleTable;
  readonly claims: ClaimRegistry;
  /** The device clock in µs (virtual in simulation). */
  nowUs(): bigint;
  /** Sets the text core.error_detail returns and passes `status` through: `return ctx.fail(Status.notFound, "no sensor cold_room")`. */
  fail(status: number, detail: string): number;
  /** Appends to the run's event log. */
  emit(event: AgentEvent): void;
  /**
   * Appends a peripheral-traffic event (a kind in BUS_EVENT_KINDS: i2c, spi, uart, gpio, pwm), which
   * the supervisor rate-limits (bus-events.ts). `describe` is called only for a line the limit lets
   * through: a module polling a bus makes thousands of events a simulated minute, and most are dropped.
   * Formatting their bytes anyway cost `fwx demo`'s 16 simulated hours 4.6 -> 3.5 s (median of five
   * runs, interleaved with the old code).
   */
  traffic(kind: string, describe: () => AgentEvent): void;
  /** Queues fwx_on_event(kind, handle, arg) for this module, delivered after the current callback. */
  postEvent(kind: number, handle: number, arg: number): void;
  /** Registers cleanup run when the module stops or faults (release pins, close ports). */
  onStop(cleanup: () => void): void;
}
