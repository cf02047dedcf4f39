// The receive buffer the Linux serial port and the simulated UART share: what
// a module's uart.read sees when bytes are lost, damaged or simply waiting.
import { describe, expect, it } from "vitest";
import { UartReceiveBuffer } from "../../src/hal/uart-receive-buffer.js";

const bytesOf = (text: string) => [...Buffer.from(text)].map((byte) => ({ byte }));

describe("UartReceiveBuffer", () => {
  it("hands bytes out in arrival order, at most max at a time", () => {
    const rx = new UartReceiveBuffer(16);
    for (const b of bytesOf("hello")) rx.push(b);
    expect(rx.waiting).toBe(5);
    expect(rx.read(3)).toEqual({ bytes: [...Buffer.from("hel")] });
    expect(rx.read(10)).toEqual({ bytes: [...Buffer.from("lo")] });
    expect(rx.read(10)).toEqual({ bytes: [] });
  });

  it("stops before a damaged byte, then drops it and reports its error", () => {
    const rx = new UartReceiveBuffer(16);
    rx.push({ byte: 0x41 });
    rx.push({ byte: 0x00, error: "parity" });
    rx.push({ byte: 0x42 });
    expect(rx.read(10)).toEqual({ bytes: [0x41], error: "parity" });
    expect(rx.read(10)).toEqual({ bytes: [0x42] });
  });

  it("reports bytes lost to a full buffer first, and leaves a damaged byte for the next read", () => {
    const rx = new UartReceiveBuffer(2);
    rx.push({ byte: 1 });
    rx.push({ byte: 0, error: "frame-format" });
    rx.push({ byte: 3 }); // no room: lost
    expect(rx.waiting).toBe(2);
    expect(rx.read(10)).toEqual({ bytes: [1], error: "overrun" });
    expect(rx.read(10)).toEqual({ bytes: [], error: "frame-format" });
    expect(rx.read(10)).toEqual({ bytes: [] });
  });

  it("forgets waiting bytes and a pending overrun when cleared", () => {
    const rx = new UartReceiveBuffer(1);
    rx.push({ byte: 1 });
    rx.push({ byte: 2 });
    rx.clear();
    expect(rx.waiting).toBe(0);
    expect(rx.read(10)).toEqual({ bytes: [] });
  });
});
