// A UART line simulated at the bit level, so that a receiver whose settings
// differ from the transmitter's sees what real hardware sees: framing errors,
// parity errors and noise (disagreeing samples inside a bit) rather than a
// scripted error.
//
// Times are in µs as doubles (a 9600 baud bit is 104.1666… µs); they are
// rounded up to whole µs only where they meet the virtual clock.

import type { LineSettings } from "./profile-types.js";

export type RxError = "frame-format" | "parity" | "noise";

export interface RxChar {
  byte: number;
  /** When the receiver has the byte: the middle of its first stop bit. */
  atUs: number;
  error?: RxError;
}

/** Bits per character: start + 8 data + parity + stop bits. */
export function bitsPerChar(line: LineSettings): number {
  return 1 + 8 + (line.parity === "none" ? 0 : 1) + line.stopBits;
}

export function charTimeUs(line: LineSettings): number {
  return (bitsPerChar(line) * 1e6) / line.baud;
}

function parityBit(byte: number, parity: LineSettings["parity"]): number {
  let ones = 0;
  for (let b = byte; b; b >>= 1) ones += b & 1;
  return parity === "even" ? ones & 1 : (ones & 1) ^ 1;
}

/** Bytes sent back to back from `startUs`: the waveform as level changes (the line idles high). */
export class Waveform {
  /** Times of level changes and the level after each; level before the first is 1 (idle). */
  readonly times: number[] = [];
  readonly levels: number[] = [];
  readonly endUs: number;

  constructor(readonly startUs: number, bytes: Uint8Array, readonly line: LineSettings) {
    const bit = 1e6 / line.baud;
    let t = startUs;
    let level = 1;
    const push = (l: number) => {
      if (l !== level) {
        this.times.push(t);
        this.levels.push(l);
        level = l;
      }
      t += bit;
    };
    for (const byte of bytes) {
      push(0);
      for (let i = 0; i < 8; i++) push((byte >> i) & 1);
      if (line.parity !== "none") push(parityBit(byte, line.parity));
      for (let s = 0; s < line.stopBits; s++) push(1);
    }
    this.endUs = t;
  }

  levelAt(tUs: number): number {
    let lo = 0;
    let hi = this.times.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= tUs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 1 : this.levels[found]!;
  }

  /** First falling edge at or after t, or null. */
  nextFallingEdge(tUs: number): number | null {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < tUs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.times.length; i++) if (this.levels[i] === 0) return this.times[i]!;
    return null;
  }
}

/**
 * Decodes a waveform as a receiver configured with `rx` would: it waits for a
 * falling edge, then takes three samples (at 7/16, 8/16 and 9/16) of every
 * bit, majority-voting; disagreement flags noise. A 1 in the start bit is a
 * false start; a 0 where the first stop bit should be is a framing error; a
 * wrong parity bit is a parity error. Only the first stop bit is checked.
 */
export function decodeWaveform(w: Waveform, rx: LineSettings): RxChar[] {
  const bit = 1e6 / rx.baud;
  const out: RxChar[] = [];
  let cursor = w.startUs;
  for (;;) {
    const edge = w.nextFallingEdge(cursor);
    if (edge === null) break;
    let noise = false;
    const sample = (index: number): number => {
      const base = edge + index * bit;
      const a = w.levelAt(base + (7 * bit) / 16);
      const b = w.levelAt(base + (8 * bit) / 16);
      const c = w.levelAt(base + (9 * bit) / 16);
      if (a !== b || b !== c) noise = true;
      return a + b + c >= 2 ? 1 : 0;
    };
    if (sample(0) !== 0) {
      // False start: a glitch, not a character. Look again after this bit.
      cursor = edge + bit / 2;
      continue;
    }
    let byte = 0;
    for (let i = 0; i < 8; i++) byte |= sample(1 + i) << i;
    let index = 9;
    let error: RxError | undefined;
    if (rx.parity !== "none") {
      if (sample(index) !== parityBit(byte, rx.parity)) error = "parity";
      index++;
    }
    const stop = sample(index);
    if (stop !== 1) error = "frame-format";
    else if (!error && noise) error = "noise";
    const atUs = edge + (index + 0.5) * bit;
    out.push(error ? { byte, atUs, error } : { byte, atUs });
    // The receiver hunts for the next start bit from the middle of the stop bit.
    cursor = atUs;
  }
  return out;
}
