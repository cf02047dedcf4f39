// The UART shortcuts: a receiver whose settings match the transmitter's gets
// the bytes without bit sampling, and single received bytes are not board
// events. Both must be invisible: same bytes, same arrival times to the last
// floating-point bit, same reads mid-burst, and mismatched settings still
// decoded bit by bit (framing/parity errors still happen).

import { describe, expect, it } from "vitest";
import { decodeBits, decodeWaveform, sameLine, Waveform } from "../../src/sim/uart-line.js";
import type { LineSettings } from "../../src/sim/profile-types.js";
import { withCrc } from "../../src/sim/modbus.js";
import { demoBoard, S } from "./helpers.js";

const lines: LineSettings[] = [];
for (const baud of [1200, 9600, 19200, 115200]) for (const parity of ["none", "even", "odd"] as const) for (const stopBits of [1, 2] as const) lines.push({ baud, parity, stopBits });

/** Deterministic pseudo-random bytes (xorshift), covering all values including 0x00 and 0xff runs. */
function bytesFrom(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  return Uint8Array.from({ length: n }, (_, i) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return i % 17 === 0 ? 0 : i % 19 === 0 ? 0xff : x & 0xff;
  });
}

describe("UART decode shortcut", () => {
  it("gives exactly what the bit-level receiver gives when settings match, for every framing", () => {
    for (const [k, line] of lines.entries()) {
      const start = 1_234_567.891 * (k + 1);
      const w = new Waveform(start, bytesFrom(k + 7, 64), line);
      expect(sameLine(line, { ...line })).toBe(true);
      expect(decodeWaveform(w, { ...line })).toEqual(decodeBits(w, line));
    }
  });

  it("ends a transmission where its last level change and bit say it ends", () => {
    const line: LineSettings = { baud: 9600, parity: "even", stopBits: 2 };
    const w = new Waveform(100.5, Uint8Array.of(0x55, 0x00), line);
    // 12 bits per character at 9600 baud; the last character's stop bits keep the line high.
    expect(w.endUs).toBeCloseTo(100.5 + (24 * 1e6) / 9600, 6);
    expect(w.times[0]).toBe(100.5);
    expect(w.levels[0]).toBe(0);
  });

  it("still decodes bit by bit when the settings differ: parity and framing errors happen", () => {
    const line: LineSettings = { baud: 9600, parity: "none", stopBits: 1 };
    const w = new Waveform(0, Uint8Array.of(0x31, 0x0a), line);
    expect(sameLine(line, { ...line, parity: "even" })).toBe(false);
    expect(decodeWaveform(w, { ...line, parity: "even" }).map((c) => c.error)).toContain("parity");
    expect(decodeWaveform(new Waveform(0, Uint8Array.of(0x55, 0x31, 0x0a), line), { ...line, baud: 19200 })[0]!.error).toBe("frame-format");
  });
});

describe("received bytes between board events", () => {
  it("are in the receive buffer for a read in the middle of a burst", () => {
    const board = demoBoard();
    const port = board.uart(1)!;
    const t0 = S(36000);
    board.advanceTo(t0);
    const bursts: bigint[] = [];
    port.open({ baud: 9600, parity: "even", stopBits: 1 }, t0, (_b, _w, at) => bursts.push(at));
    port.write(withCrc([1, 4, 0, 0, 0, 2]), t0); // answer: 9 bytes
    // Run to the burst to learn when the answer ends, on a second identical board.
    const twin = demoBoard();
    const twinPort = twin.uart(1)!;
    twin.advanceTo(t0);
    const ends: bigint[] = [];
    twinPort.open({ baud: 9600, parity: "even", stopBits: 1 }, t0, (_b, _w, at) => ends.push(at));
    twinPort.write(withCrc([1, 4, 0, 0, 0, 2]), t0);
    twin.advanceTo(t0 + 1_000_000n);
    expect(ends).toHaveLength(1);
    const charUs = (11 * 1e6) / 9600;
    // Three characters before the end of the burst, six have arrived.
    const mid = ends[0]! - BigInt(Math.ceil(3 * charUs));
    expect(board.nextEventAt()).not.toBe(mid);
    board.advanceTo(mid);
    expect(bursts).toEqual([]);
    expect(port.waiting).toBe(6);
    expect(port.read(256).bytes).toHaveLength(6);
    board.advanceTo(t0 + 1_000_000n);
    expect(bursts).toEqual(ends);
    expect(port.read(256).bytes).toHaveLength(3);
  });
});
