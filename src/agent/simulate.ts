// The programmatic face of `fwx run`: modules on a simulated board for a
// stretch of device time, returning the event log, a summary and the faults
// (and the recording when asked). `npm start`'s demo and the OTA agent use it.

import type { Board } from "../sim/board.js";
import { Agent, type ModuleSpec, type RunSummary } from "./runtime.js";
import type { CrashReport } from "./faults.js";
import type { LoggedEvent } from "./event-log.js";
import { createDeviceHost } from "./host/index.js";
import { Recorder, recordingHeader, sha256 } from "./record.js";
import { PacedClock, RealTimeClock, VirtualClock } from "./scheduler.js";
import type { RestartPolicy } from "./supervisor.js";
import { DEFAULT_FUEL, DEFAULT_RAM_BUDGET } from "./runtime.js";

export interface SimulationOptions {
  board: Board;
  modules: ModuleSpec[];
  durationUs: bigint;
  /** "max": as fast as possible; a number: that many device seconds per wall second; "real-time": the wall clock, for a board with real hardware (RealTimeClock). */
  speed?: "max" | number | "real-time";
  record?: boolean;
  /** Called for each event as it happens (streaming output). */
  onEvent?: (e: LoggedEvent) => void;
  stateDir?: string | null;
  watchdogMs?: number;
  restart?: Partial<RestartPolicy>;
  minLogLevel?: number;
  /** Called once every module was accepted, just before device time starts. */
  onReady?: () => void;
  /** Where prepared modules are kept between runs (prepared-cache.ts); default null, none. The CLI passes preparedCacheDir(). */
  preparedCacheDir?: string | null;
}

export interface SimulationResult {
  events: LoggedEvent[];
  summary: RunSummary;
  faults: CrashReport[];
  recording: Uint8Array | null;
}

/** Throws ModuleRefused when a module cannot start (nothing runs then). */
export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const recorder = o.record
    ? new Recorder(recordingHeader(o.board.profile.name, o.modules.map((m) => ({
        id: m.id, source: m.source, sha256: sha256(m.bytes), fuel: String(m.fuel ?? DEFAULT_FUEL),
        ramBudgetBytes: m.ramBudgetBytes ?? DEFAULT_RAM_BUDGET, caps: m.requested, config: Object.fromEntries(m.config ?? []),
      }))))
    : null;
  const agent = new Agent<Board>({
    board: o.board,
    createHost: createDeviceHost,
    clock: o.speed === undefined || o.speed === "max" ? new VirtualClock() : o.speed === "real-time" ? new RealTimeClock() : new PacedClock(o.speed),
    stateDir: o.stateDir ?? null,
    ...(o.watchdogMs !== undefined ? { watchdogMs: o.watchdogMs } : {}),
    ...(o.restart ? { restart: o.restart } : {}),
    ...(o.minLogLevel !== undefined ? { minLogLevel: o.minLogLevel } : {}),
    ...(recorder ? { observer: recorder } : {}),
    ...(o.preparedCacheDir ? { preparedCacheDir: o.preparedCacheDir } : {}),
  });
  if (o.onEvent) agent.log.on(o.onEvent);
  for (const m of o.modules) await agent.addModule(m);
  o.onReady?.();
  const summary = await agent.run(o.durationUs);
  return { events: agent.log.events, summary, faults: summary.faults, recording: recorder?.finish() ?? null };
}
