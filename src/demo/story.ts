// Turns a run's event log into what a person wants from the demo: the events
// that tell the story (alarms, outputs switching, warnings, faults, module
// lifecycle; the filter is src/agent/event-filter.ts, shared with fwx run)
// and a per-module tally.
import type { LoggedEvent } from "../agent/event-log.js";
import { createEventFilter, isAlert, isOutputChange } from "../agent/event-filter.js";

export { isAlert };

/** The demo's condensed timeline: the shared default view, with only alarm and alert telemetry (a day of readings would bury the story; the summary counts them). */
export const isNotable = createEventFilter({ telemetry: "alerts" });

export interface ModuleTally {
  telemetry: number;
  alerts: number;
  outputsSwitched: number;
  warnings: number;
  faults: number;
}

export function tally(events: readonly LoggedEvent[]): Map<string, ModuleTally> {
  const out = new Map<string, ModuleTally>();
  for (const e of events) {
    let t = out.get(e.module);
    if (!t) out.set(e.module, (t = { telemetry: 0, alerts: 0, outputsSwitched: 0, warnings: 0, faults: 0 }));
    if (e.kind === "telemetry") t.telemetry++;
    if (isAlert(e)) t.alerts++;
    if (isOutputChange(e)) t.outputsSwitched++;
    if (e.kind === "log" && (e.level === "warn" || e.level === "error")) t.warnings++;
    if (e.kind === "fault") t.faults++;
  }
  return out;
}
