// The crash-report call ring and the per-instance handle table: the two
// structures on every host call's path, rewritten for speed; these pin down
// what they must still answer.

import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "../../src/abi/host.generated.js";
import { CallRing, RING_CAPACITY } from "../../src/agent/call-ring.js";
import { InstanceHandleTable } from "../../src/agent/handles.js";

const fn = (iface: string, name: string) => FUNCTIONS.findIndex((f) => f.iface === iface && f.name === name);
const GPIO_WRITE = fn("gpio", "write");
const NOW_US = fn("core", "now_us");
const UART_OPEN = fn("uart", "open");

describe("call ring", () => {
  it("keeps the last calls oldest first, with sequence numbers, exact i64 results and each function's own arguments", () => {
    const ring = new CallRing();
    ring.beginCallback(1000n);
    for (let i = 0; i < RING_CAPACITY + 3; i++) ring.push(GPIO_WRITE, 0, 7, i & 1);
    ring.push(NOW_US, 9_007_199_254_740_993n); // above 2^53: a number would round it
    ring.push(UART_OPEN, 0, 1, 9600, 2, 1, 0x400);
    const calls = ring.list();
    expect(calls).toHaveLength(RING_CAPACITY);
    expect(calls.map((c) => c.seq)).toEqual(Array.from({ length: RING_CAPACITY }, (_, k) => 5 + k)); // 21 calls made: the last 16 are 5..20
    expect(calls.at(-2)).toMatchObject({ fn: NOW_US, args: [], result: 9_007_199_254_740_993n });
    expect(calls.at(-1)).toMatchObject({ fn: UART_OPEN, args: [1, 9600, 2, 1, 0x400], result: 0 });
    expect(calls[0]).toMatchObject({ fn: GPIO_WRITE, args: [7, 1] });
  });

  it("stamps each call with the time of the callback that made it, across callbacks that made none", () => {
    const ring = new CallRing();
    ring.beginCallback(10n);
    ring.push(GPIO_WRITE, 0, 1, 1);
    for (let t = 11n; t < 200n; t++) ring.beginCallback(t); // many callbacks without host calls
    ring.beginCallback(500n);
    ring.push(GPIO_WRITE, 0, 1, 0);
    ring.push(GPIO_WRITE, 0, 1, 1);
    expect(ring.list().map((c) => c.tUs)).toEqual([10n, 500n, 500n]);
  });
});

describe("handle table", () => {
  it("owns and get answer by kind; release forgets, also for the handle looked up last", () => {
    const t = new InstanceHandleTable();
    const pin = t.issue("gpio.pin", { pin: 5 });
    const port = t.issue("uart.port", { port: 1 });
    expect([pin, port]).toEqual([1, 2]);
    expect(t.owns("gpio.pin", pin)).toBe(true);
    expect(t.get("gpio.pin", pin)).toEqual({ pin: 5 });
    expect(t.owns("uart.port", pin)).toBe(false); // right number, wrong kind
    expect(t.get("uart.port", pin)).toBeUndefined();
    t.release("uart.port", pin); // wrong kind: no effect
    expect(t.owns("gpio.pin", pin)).toBe(true);
    t.release("gpio.pin", pin);
    expect(t.owns("gpio.pin", pin)).toBe(false);
    expect(t.get("gpio.pin", pin)).toBeUndefined();
    expect(t.issue("gpio.pin", { pin: 6 })).toBe(3); // numbers are never reused
    expect(t.count()).toBe(2);
  });

  it("adopt replaces what a number named, even right after a lookup of it", () => {
    const t = new InstanceHandleTable();
    const h = t.issue("sensor.sensor", "a");
    expect(t.get("sensor.sensor", h)).toBe("a");
    t.adopt("sensor.sensor", h, "b");
    expect(t.get("sensor.sensor", h)).toBe("b");
    t.adopt("gpio.pin", 10, "p");
    expect(t.issue("gpio.pin", "q")).toBe(11);
    expect(t.entries("gpio.pin")).toEqual([[10, "p"], [11, "q"]]);
  });
});
