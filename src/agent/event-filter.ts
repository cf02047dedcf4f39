// Which events of a run a person sees: the one filter behind `fwx run` and
// `fwx demo` (npm start). By default it keeps the story (lifecycle, faults,
// refused calls, warnings, telemetry, outputs switched and input edges) and
// drops the traffic a polling module makes on every sample (I2C, SPI and
// UART transfers, pin claims and releases). `--show`/`--hide` name kinds,
// `--log-level` the lowest module log level shown. The event log itself is
// never filtered: a run gives the same events whatever is printed.

import type { LoggedEvent } from "./event-log.js";
import { LOG_LEVEL_NAMES } from "./host/core.js";

/** Every kind of event a run's log holds, in the order the help lists them. */
export const EVENT_KINDS = ["lifecycle", "fault", "refused", "log", "telemetry", "gpio", "pwm", "uart", "i2c", "spi"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

export interface EventFilterOptions {
  /** Kinds shown in full (every event of the kind, not only the story's). */
  show?: readonly EventKind[];
  /** Kinds never shown; wins over `show`. */
  hide?: readonly EventKind[];
  /** Lowest module log level shown (default "warn"). */
  logLevel?: LogLevelName;
  /** "alerts": of the telemetry, only alarm/alert topics (the demo's 24 h view); default "all". */
  telemetry?: "all" | "alerts";
  /** Every event of every kind, every log level (fwx demo --full, fwx run --json). */
  everything?: boolean;
}

export class UnknownEventKind extends Error {
  constructor(readonly option: string, readonly kind: string) {
    super(`${option} ${kind}: unknown event kind "${kind}" (kinds: ${EVENT_KINDS.join(", ")})`);
    this.name = "UnknownEventKind";
  }
}

/** `"i2c,spi"` → ["i2c", "spi"]; throws UnknownEventKind naming the first unknown kind and listing the valid ones. */
export function parseEventKinds(option: string, text: string): EventKind[] {
  const kinds = text.split(",").map((k) => k.trim()).filter((k) => k !== "");
  if (kinds.length === 0) throw new UnknownEventKind(option, text);
  for (const k of kinds) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new UnknownEventKind(option, k);
  return kinds as EventKind[];
}

const ALERT_TOPIC = /(^|\/)(alarm|alert)s?(\/|$)/;

/** Telemetry on an alarm or alert topic ("cold-chain/alarm", "alerts/pump"). */
export function isAlert(e: LoggedEvent): boolean {
  return e.kind === "telemetry" && typeof e.topic === "string" && ALERT_TOPIC.test(e.topic);
}

/** A module driving an output: a gpio write that changed the level, or a new PWM duty (not claims, releases or input edges). */
export function isOutputChange(e: LoggedEvent): boolean {
  if (e.kind === "pwm") return e.duty !== undefined && e.closed === undefined && e.frequencyHz === undefined;
  return e.kind === "gpio" && e.level !== undefined && e.released === undefined && e.mode === undefined && e.edge === undefined;
}

const isInputEdge = (e: LoggedEvent) => e.kind === "gpio" && e.edge !== undefined;

/** Whether the default view shows an event of a kind not named by --show. */
function inStory(e: LoggedEvent, telemetry: "all" | "alerts"): boolean {
  switch (e.kind) {
    case "lifecycle": case "fault": case "refused": case "log": return true;
    case "telemetry": return telemetry === "all" || isAlert(e);
    case "gpio": case "pwm": return isOutputChange(e) || isInputEdge(e);
    default: return false;
  }
}

/** The predicate a printer calls for each event. */
export function createEventFilter(o: EventFilterOptions = {}): (e: LoggedEvent) => boolean {
  const show = new Set<string>(o.show ?? []);
  const hide = new Set<string>(o.hide ?? []);
  const minLevel = LOG_LEVEL_NAMES.indexOf(o.everything && !o.logLevel ? "debug" : (o.logLevel ?? "warn"));
  const telemetry = o.telemetry ?? "all";
  return (e) => {
    if (hide.has(e.kind)) return false;
    if (e.kind === "log" && LOG_LEVEL_NAMES.indexOf(e.level as LogLevelName) < minLevel) return false;
    return o.everything === true || show.has(e.kind) || inStory(e, telemetry);
  };
}
