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

/** Whether a receiver with `rx` settings reads a transmission sent with `tx` exactly as sent. */
export function sameLine(tx: LineSettings, rx: LineSettings): boolean {
  return tx.baud === rx.baud && tx.parity === rx.parity && tx.stopBits === rx.stopBits;
}

/**
 * Bytes sent back to back from `startUs`: the waveform as level changes (the
 * line idles high). The level changes are worked out only when a receiver
 * with other settings needs them (see decodeWaveform); the end time is known
 * at once.
 */
export class Waveform {
  readonly endUs: number;
  private edges: { times: number[]; levels: number[] } | null = null;

  constructor(readonly startUs: number, readonly bytes: Uint8Array, readonly line: LineSettings) {
    // Time advances by one bit at a time, as in edges(), so every time agrees
    // with the level changes to the last floating-point bit.
    const bit = 1e6 / line.baud;
    const perChar = bitsPerChar(line);
    let t = startUs;
    for (let i = 0; i < bytes.length * perChar; i++) t += bit;
    this.endUs = t;
  }

  /** Times of level changes; level before the first is 1 (idle). */
  get times(): readonly number[] {
    return this.levelChanges().times;
  }

  /** The level after each change in `times`. */
  get levels(): readonly number[] {
    return this.levelChanges().levels;
  }

  private levelChanges(): { times: number[]; levels: number[] } {
    if (this.edges) return this.edges;
    const times: number[] = [];
    const levels: number[] = [];
    const bit = 1e6 / this.line.baud;
    let t = this.startUs;
    let level = 1;
    const push = (l: number) => {
      if (l !== level) {
        times.push(t);
        levels.push(l);
        level = l;
      }
      t += bit;
    };
    for (const byte of this.bytes) {
      push(0);
      for (let i = 0; i < 8; i++) push((byte >> i) & 1);
      if (this.line.parity !== "none") push(parityBit(byte, this.line.parity));
      for (let s = 0; s < this.line.stopBits; s++) push(1);
    }
    this.edges = { times, levels };
    return this.edges;
  }

  levelAt(tUs: number): number {
    const { times, levels } = this.levelChanges();
    let lo = 0;
    let hi = times.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! <= tUs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 1 : levels[found]!;
  }

  /** First falling edge at or after t, or null. */
  nextFallingEdge(tUs: number): number | null {
    const { times, levels } = this.levelChanges();
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < tUs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < times.length; i++) if (levels[i] === 0) return times[i]!;
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
  return sameLine(w.line, rx) ? decodeMatching(w) : decodeBits(w, rx);
}

/**
 * What decodeBits returns when the receiver's settings match the
 * transmitter's, without sampling: every byte arrives intact, each at the
 * middle of its first stop bit. Start bits are found on the same
 * bit-by-bit time accumulation the waveform uses, so the arrival times are
 * identical to the sampled ones (the simulation stays bit-for-bit the same).
 */
function decodeMatching(w: Waveform): RxChar[] {
  const bit = 1e6 / w.line.baud;
  const perChar = bitsPerChar(w.line);
  const stopIndex = w.line.parity === "none" ? 9 : 10;
  const out: RxChar[] = new Array(w.bytes.length);
  let t = w.startUs;
  for (let i = 0; i < w.bytes.length; i++) {
    out[i] = { byte: w.bytes[i]!, atUs: t + (stopIndex + 0.5) * bit };
    for (let k = 0; k < perChar; k++) t += bit;
  }
  return out;
}

/** The bit-level receiver described above decodeWaveform. Exported for tests that compare it with the matching-settings shortcut. */
export function decodeBits(w: Waveform, rx: LineSettings): RxChar[] {
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
