// One line format for every event kind (issue 13 item 4): `<time>  <module>
// <kind>  <thing> <what happened>`, the thing named as the board names it.
// Before, a pin's write read `relay_alarm (pin 5) → low` and its release
// `pin=5 name=relay_alarm released=true mode=input`.

import { describe, expect, it } from "vitest";
import { eventToLine, type LoggedEvent } from "../../src/agent/event-log.js";
import { createEventFilter, EVENT_KINDS, parseEventKinds, UnknownEventKind } from "../../src/agent/event-filter.js";
import { isNotable } from "../../src/demo/story.js";

const at = (kind: string, fields: Record<string, unknown>): LoggedEvent => ({ tUs: 5_250_000n, module: "thermo", kind, ...fields });
const text = (e: LoggedEvent) => eventToLine(e, 8).replace(/^  00:00:05\.250  thermo    /, "");

describe("one line format", () => {
  it("every kind a run emits reads as the thing, then what happened", () => {
    const cases: [LoggedEvent, string][] = [
      [at("gpio", { pin: 5, name: "relay_alarm", mode: "output", level: 0 }), "gpio       relay_alarm (pin 5) claimed as output, low"],
      [at("gpio", { pin: 5, name: "relay_alarm", level: 1 }), "gpio       relay_alarm (pin 5) → high"],
      [at("gpio", { pin: 2, name: "door", edge: "rising", level: 1 }), "gpio       door (pin 2) rising edge → high"],
      [at("gpio", { pin: 5, name: "relay_alarm", released: true, mode: "input" }), "gpio       relay_alarm (pin 5) released, back to input"],
      [at("gpio", { pin: 9, level: 0 }), "gpio       pin 9 → low"],
      [at("pwm", { channel: 1, name: "fan", frequencyHz: 1000, duty: 0 }), "pwm        fan (channel 1) opened at 1000 Hz, duty 0"],
      [at("pwm", { channel: 1, name: "fan", duty: 0.5 }), "pwm        fan (channel 1) → duty 0.5"],
      [at("pwm", { channel: 1, name: "fan", duty: 0, closed: true }), "pwm        fan (channel 1) closed, duty 0"],
      [at("uart", { port: 1, name: "rs485", open: "9600 8N1" }), "uart       rs485 (port 1) opened 9600 8N1"],
      [at("uart", { port: 1, dir: "tx", bytes: 2, hex: "01 03" }), "uart       port 1 tx 2 B 01 03"],
      [at("uart", { port: 1, name: "rs485", closed: true }), "uart       rs485 (port 1) closed"],
      [at("i2c", { bus: 1, address: "0x48", device: "tmp102", op: "write_read", tx: "00", rx: "1a 20", status: "ok" }), "i2c        tmp102 (bus 1 0x48) write_read 00 → 1a 20"],
      [at("i2c", { bus: 1, address: "0x49", op: "read", status: "no device acknowledged address 0x49" }), "i2c        bus 1 0x49 read  failed: no device acknowledged address 0x49"],
      [at("spi", { bus: 0, cs: 0, device: "adc", tx: "01 80", rx: "00 7f", status: "ok" }), "spi        adc (bus 0 cs 0) transfer 01 80 → 00 7f"],
      [at("telemetry", { topic: "thermo/relay", bytes: 2, text: "on" }), "telemetry  thermo/relay  on"],
      [at("log", { level: "warn", message: "too warm" }), "log        warn  too warm"],
      [at("lifecycle", { summary: "started", state: "running" }), "lifecycle  started"],
      [at("fault", { reason: "unreachable", detail: "wasm trap" }), "fault      unreachable: wasm trap"],
      [at("refused", { status: "not-permitted", call: "telemetry.publish", detail: '"thermo/relay" is outside the grant other/#' }),
        'refused    not-permitted: telemetry.publish "thermo/relay" is outside the grant other/#'],
    ];
    for (const [e, line] of cases) expect(text(e)).toBe(line);
    // Every kind the filter knows has its own format: none falls back to key=value pairs.
    expect(new Set(cases.map(([e]) => e.kind))).toEqual(new Set(EVENT_KINDS));
    for (const [e] of cases) expect(text(e)).not.toMatch(/\b\w+=/);
  });
});

describe("the event filter fwx run and fwx demo share", () => {
  it("keeps the story by default and drops per-sample traffic", () => {
    const keep = createEventFilter();
    expect(keep(at("i2c", { bus: 1, op: "read" }))).toBe(false);
    expect(keep(at("gpio", { pin: 5, released: true }))).toBe(false);
    expect(keep(at("gpio", { pin: 5, level: 1 }))).toBe(true);
    expect(keep(at("telemetry", { topic: "thermo/reading" }))).toBe(true);
    expect(keep(at("log", { level: "info", message: "x" }))).toBe(false);
    expect(keep(at("log", { level: "warn", message: "x" }))).toBe(true);
    expect(keep(at("refused", { call: "kv.set" }))).toBe(true);
    // The demo is the same filter, with only alarm telemetry.
    expect(isNotable(at("telemetry", { topic: "thermo/reading" }))).toBe(false);
    expect(isNotable(at("telemetry", { topic: "thermo/alarm" }))).toBe(true);
    expect(isNotable(at("i2c", { bus: 1 }))).toBe(false);
  });

  it("--show prints a whole kind, --hide wins, --log-level sets the lowest level", () => {
    const f = createEventFilter({ show: ["i2c", "gpio"], hide: ["telemetry"], logLevel: "debug" });
    expect(f(at("i2c", { bus: 1 }))).toBe(true);
    expect(f(at("gpio", { pin: 5, released: true }))).toBe(true);
    expect(f(at("telemetry", { topic: "thermo/alarm" }))).toBe(false);
    expect(f(at("log", { level: "debug", message: "x" }))).toBe(true);
    expect(createEventFilter({ logLevel: "error" })(at("log", { level: "warn", message: "x" }))).toBe(false);
    expect(createEventFilter({ everything: true, hide: ["spi"] })(at("spi", {}))).toBe(false);
  });

  it("an unknown kind is named, with the valid kinds", () => {
    expect(parseEventKinds("--show", " i2c, spi ")).toEqual(["i2c", "spi"]);
    expect(() => parseEventKinds("--hide", "gpio,pins")).toThrow(UnknownEventKind);
    expect(() => parseEventKinds("--hide", "gpio,pins")).toThrow(`--hide pins: unknown event kind "pins" (kinds: ${EVENT_KINDS.join(", ")})`);
  });
});
