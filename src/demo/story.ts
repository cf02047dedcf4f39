// Turns a run's event log into what a person wants from the demo: the events
// that tell the story (alarms, outputs switching, warnings, faults, module
// lifecycle) and a per-module tally.
import type { LoggedEvent } from "../agent/event-log.js";

const ALERT_TOPIC = /(^|\/)(alarm|alert)s?(\/|$)/;

export function isAlert(e: LoggedEvent): boolean {
  return e.kind === "telemetry" && typeof e.topic === "string" && ALERT_TOPIC.test(e.topic);
}

/** A module driving an output: a gpio write that changed the level, or a new PWM duty (not claims, releases or input edges). */
function isOutputChange(e: LoggedEvent): boolean {
  if (e.kind === "pwm") return e.duty !== undefined && e.closed === undefined && e.frequencyHz === undefined;
  return e.kind === "gpio" && e.level !== undefined && e.released === undefined && e.mode === undefined && e.edge === undefined;
}

const isInputEdge = (e: LoggedEvent) => e.kind === "gpio" && e.edge !== undefined;

/** Whether the condensed timeline shows this event. */
export function isNotable(e: LoggedEvent): boolean {
  if (e.kind === "lifecycle" || e.kind === "fault") return true;
  if (e.kind === "log") return e.level === "warn" || e.level === "error";
  return isAlert(e) || isOutputChange(e) || isInputEdge(e);
}

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
