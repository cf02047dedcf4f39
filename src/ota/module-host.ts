// What the install state machine needs from whatever runs modules: start a
// verified payload with its config, learn about completed callbacks and
// faults, ask the optional fwx_health probe, stop it. The device agent uses
// LiveModuleHost (src/ota/live-host.ts, the src/agent runtime on a real or
// accelerated clock); tests may substitute their own.

import type { Manifest } from "../pkg/manifest.js";
import type { PreparedModule } from "../agent/refusal.js";
import type { SlotName } from "./state-store.js";

export interface HostedSpec {
  id: string;
  /** The verified wasm payload. */
  payload: Uint8Array;
  manifest: Manifest;
  /** Config values with manifest defaults applied, as text. */
  config: ReadonlyMap<string, string>;
  /** For reports: "<module> slot B (1.3.0)". */
  source: string;
  /** Confirmed modules restart after a fault (with backoff); a trial reports the fault and stays down. */
  restartOnFault: boolean;
  /** The payload already prepared by `prepare` (off the thread modules run on); start prepares it otherwise. */
  prepared?: PreparedModule;
  /** The slot the payload is in: a host may keep what it prepared of it there (src/ota/prepared-store.ts). */
  slot?: SlotName;
}

export interface HostedEvents {
  /** A callback (fwx_init, a timer, an event) completed without a fault. */
  callback(): void;
  fault(reason: string, detail: string): void;
}

export type HostedState = "running" | "backoff" | "quarantined" | "faulted" | "stopped";

export interface HostedModule {
  readonly state: HostedState;
  readonly callbacks: number;
  readonly faults: number;
  readonly restarts: number;
  readonly lastFault: string | null;
  /** Calls fwx_health when exported: null = healthy or no probe, otherwise why not. */
  healthVeto(): string | null;
  /** The trial passed: from now on a fault restarts the module (with backoff) instead of ending it. */
  promote(): void;
  stop(why: string): void;
}

/** The module could not be started at all (validation, link, memory, init failure is a fault instead). */
export class ModuleStartError extends Error {
  constructor(readonly moduleId: string, readonly step: string, message: string) {
    super(message);
    this.name = "ModuleStartError";
  }
}

export interface ModuleHost {
  /**
   * Prepares a payload (validate, instrument, compile) without blocking the
   * modules that run; rejects with ModuleStartError when it is refused. Hosts
   * without it prepare inside start.
   */
  prepare?(spec: HostedSpec): Promise<PreparedModule>;
  start(spec: HostedSpec, events: HostedEvents): HostedModule;
  /** Device clock in ms (accelerated in demos). */
  nowMs(): number;
  /** Runs `fn` after `ms` of device time. */
  after(ms: number, fn: () => void): { cancel(): void };
  close(): void;
}
