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

// One line format for every kind: `<what it is on> <what happened>`, the
// thing first (a pin, a port, a bus address, a topic, a call) named as the
// board names it, then the change ("→ high", "released", "tx 3 B 01 02 03").
// Kinds this file does not know fall back to `key=value` pairs.

/** `relay_alarm (pin 5)`, or `pin 5` when the board gives no name. */
function subject(name: unknown, what: string, n: unknown): string {
  return typeof name === "string" && name !== "" ? `${name} (${what} ${plain(n)})` : `${what} ${plain(n)}`;
}

const levelName = (v: unknown) => (v === true || v === 1 ? "high" : "low");

/** A transfer's result: nothing when it succeeded, else what the bus reported. */
const failure = (status: unknown) => (status === undefined || status === "ok" ? "" : `  failed: ${plain(status)}`);

function describeGpio(f: Record<string, unknown>): string {
  const pin = subject(f.name, "pin", f.pin);
  if (f.released) return `${pin} released${f.mode === "input" ? ", back to input" : ""}`;
  if (f.mode !== undefined) return `${pin} claimed as ${plain(f.mode)}, ${levelName(f.level)}`;
  if (f.edge !== undefined) return `${pin} ${plain(f.edge)} edge → ${levelName(f.level)}`;
  return `${pin} → ${levelName(f.level)}`;
}

function describePwm(f: Record<string, unknown>): string {
  const ch = subject(f.name, "channel", f.channel);
  if (f.closed) return `${ch} closed, duty 0`;
  if (f.frequencyHz !== undefined) return `${ch} opened at ${plain(f.frequencyHz)} Hz, duty ${plain(f.duty)}`;
  return `${ch} → duty ${plain(f.duty)}`;
}

function describeUart(f: Record<string, unknown>): string {
  const port = subject(f.name, "port", f.port);
  if (f.closed) return `${port} closed`;
  if (f.open !== undefined) return `${port} opened ${plain(f.open)}`;
  return `${port} ${plain(f.dir)} ${plain(f.bytes)} B ${plain(f.hex)}${f.errors !== undefined ? `  errors: ${plain(f.errors)}` : ""}`;
}

function describeI2c(f: Record<string, unknown>): string {
  const target = typeof f.device === "string" ? `${f.device} (bus ${plain(f.bus)} ${plain(f.address)})` : `bus ${plain(f.bus)} ${plain(f.address)}`;
  const tx = f.tx !== undefined ? ` ${plain(f.tx)}` : "";
  const rx = f.rx !== undefined ? ` → ${plain(f.rx)}` : "";
  return `${target} ${plain(f.op)}${tx}${rx}${failure(f.status)}`;
}

function describeSpi(f: Record<string, unknown>): string {
  const target = subject(f.device, "bus", `${plain(f.bus)} cs ${plain(f.cs)}`);
  return `${target} transfer ${plain(f.tx)}${f.rx !== undefined ? ` → ${plain(f.rx)}` : ""}${failure(f.status)}`;
}

/** What follows the kind column in the timeline. */
function describe(e: LoggedEvent): string {
  const f = e as Record<string, unknown>;
  if (typeof f.summary === "string") return f.summary;
  switch (e.kind) {
    case "log": return `${String(f.level).padEnd(5)} ${plain(f.message)}`;
    case "telemetry": return `${plain(f.topic)}  ${plain(f.text ?? f.payloadHex)}`;
    case "fault": return `${plain(f.reason)}: ${plain(f.detail)}`;
    case "refused": return `${plain(f.status)}: ${plain(f.call)} ${plain(f.detail)}`;
    case "gpio": return describeGpio(f);
    case "pwm": return describePwm(f);
    case "uart": return describeUart(f);
    case "i2c": return describeI2c(f);
    case "spi": return describeSpi(f);
    default: return fieldsText(e);
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
