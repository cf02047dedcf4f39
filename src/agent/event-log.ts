// The run's event log: every line stamped with device time and module, kept in
// the order things happened on the device clock, and printable as a timeline
// for a person or as JSON lines for a program. Nothing in it depends on wall
// time, so the same run gives the same bytes.

import type { AgentEvent } from "./host-context.js";
import { formatTime } from "./faults.js";

export interface LoggedEvent extends AgentEvent {
  tUs: bigint;
  module: string;
}

export type EventListener = (e: LoggedEvent) => void;

export class EventLog {
  readonly events: LoggedEvent[] = [];
  private readonly listeners: EventListener[] = [];

  constructor(private readonly keep = true) {}

  on(listener: EventListener): void {
    this.listeners.push(listener);
  }

  append(tUs: bigint, module: string, event: AgentEvent): void {
    // Stamp first so the stamp cannot be overridden by an implementation's fields.
    const { kind, ...fields } = event;
    const e = { tUs, module, kind, ...fields } as LoggedEvent;
    if (this.keep) this.events.push(e);
    for (const l of this.listeners) l(e);
  }
}

/** JSON-safe copy: bigint → number when exact, else string; bytes → hex. */
function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonValue(x);
    return out;
  }
  return v;
}

export function eventToJson(e: LoggedEvent): string {
  const { tUs, module, kind, ...fields } = e;
  return JSON.stringify({ t: formatTime(tUs), tUs: jsonValue(tUs), module, kind, ...(jsonValue(fields) as object) });
}

function plain(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (typeof v === "bigint") return v.toString();
  return JSON.stringify(jsonValue(v));
}

/** What follows the kind column in the timeline. */
function describe(e: LoggedEvent): string {
  const f = e as Record<string, unknown>;
  if (typeof f.summary === "string") return f.summary;
  switch (e.kind) {
    case "log": return `${String(f.level).padEnd(5)} ${plain(f.message)}`;
    case "telemetry": return `${plain(f.topic)}  ${plain(f.text ?? f.payloadHex)}`;
    case "fault": return `${plain(f.reason)}: ${plain(f.detail)}`;
    case "gpio":
      if (typeof f.pin === "number" && f.level !== undefined && !f.released) return `${f.name ? `${plain(f.name)} (pin ${f.pin})` : `pin ${f.pin}`} → ${f.level === true || f.level === 1 ? "high" : "low"}`;
      return fieldsText(e);
    default:
      return fieldsText(e);
  }
}

/** `key=value …` for every field after the stamp and the kind. */
function fieldsText(e: LoggedEvent): string {
  const { tUs: _t, module: _m, kind: _k, ...rest } = e;
  return Object.entries(rest).map(([k, v]) => `${k}=${plain(v)}`).join(" ");
}

export function eventToLine(e: LoggedEvent, moduleWidth = 16): string {
  return `  ${formatTime(e.tUs)}  ${e.module.padEnd(moduleWidth)}  ${e.kind.padEnd(9)}  ${describe(e)}`;
}
