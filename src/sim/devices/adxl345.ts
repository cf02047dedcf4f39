// ADXL345-style 3-axis accelerometer (I2C) mounted on a pump bearing housing.
//
// The vibration comes from a velocity source (RMS mm/s, ISO 10816 style) at
// the shaft frequency f: on X, a(t) = A·sin(2πft) + 0.3·A·sin(4πft) with
// A = v_rms·√2·2πf (the 2× component is the misalignment signature); Y sees
// half of the 1× component shifted 90°; Z sees 1 g of gravity plus 0.2·A.
// Gaussian noise (profile `noise`, in g) is added per sample and axis.
//
// Registers: 0x00 DEVID = 0xE5; 0x1D..0x2A, 0x2E, 0x2F plain read/write;
// 0x2C BW_RATE (rate code bits 3:0, ODR = 3200 Hz / 2^(15-code), reset 0x0A =
// 100 Hz); 0x2D POWER_CTL (bit 3 Measure); 0x30 INT_SOURCE (bit 7 DATA_READY,
// bit 1 Watermark, bit 0 Overrun); 0x31 DATA_FORMAT (bit 3 FULL_RES, bit 2
// JUSTIFY, bits 1:0 range ±2/4/8/16 g); 0x32..0x37 DATAX0..DATAZ1 (little
// endian, two's complement); 0x38 FIFO_CTL (bits 7:6 mode bypass/FIFO/stream/
// trigger (trigger behaves as stream), bits 4:0 watermark samples); 0x39
// FIFO_STATUS (bits 5:0 entries). Register addresses auto-increment within a
// transaction. A read transaction that starts at 0x32 takes the oldest FIFO
// entry (bypass: the newest sample) into the data registers, so read all six
// bytes in one transaction. Samples are taken at exact multiples of 1/ODR
// after Measure was set or the rate changed; the FIFO holds 32 entries.

import type { I2cDevice } from "../bus.js";
import { hashName, Prng } from "../prng.js";
import type { Adxl345Spec } from "../profile-types.js";
import type { Sources } from "../source.js";

const STANDARD_GRAVITY_MM_S2 = 9806.65;
const FIFO_DEPTH = 32;
/** Output data rate by BW_RATE rate code: 3200 Hz / 2^(15 - code). A table: the rate is asked per sample. */
const ODR_HZ = Array.from({ length: 16 }, (_, code) => 3200 / 2 ** (15 - code));

type Sample = [x: number, y: number, z: number];

export class Adxl345 implements I2cDevice {
  readonly address: number;
  readonly name: string;
  private readonly regs = new Uint8Array(64);
  private pointer = 0;
  private writeIndex = 0;
  /** Time measurement (re)started; samples are at start + k/ODR, k = 1, 2, ... */
  private startUs: number | null = null;
  private produced = 0;
  private fifo: Sample[] = [];
  private output: Sample = [0, 0, 0];
  private overrun = false;
  private dataReady = false;
  /** hashName of this device's noise stream: a stream is made per sample (noise is a function of k). */
  private readonly noiseStream: number;

  constructor(private readonly spec: Adxl345Spec, private readonly sources: Sources, private readonly seed: number) {
    this.address = spec.address;
    this.name = spec.name;
    this.noiseStream = hashName(`i2c:${spec.name}`);
    this.regs[0x00] = 0xe5;
    this.regs[0x2c] = 0x0a;
  }

  private odrHz(): number {
    return ODR_HZ[this.regs[0x2c]! & 0x0f]!;
  }

  /** Acceleration in g on each axis at sample k (noise is a pure function of k, not of read order). */
  private sampleAt(k: number): Sample {
    const tS = (this.startUs! + (k * 1e6) / this.odrHz()) / 1e6;
    const tUs = BigInt(Math.floor(tS * 1e6));
    const f = this.spec.frequencyHz;
    const vRms = Math.max(0, this.sources.numberAt(this.spec.velocity, tUs, 0));
    const aPeak = (vRms * Math.SQRT2 * 2 * Math.PI * f) / STANDARD_GRAVITY_MM_S2;
    const w = 2 * Math.PI * f * tS;
    const n = Prng.ofHashedStream(this.seed ^ k, this.noiseStream);
    const sd = this.spec.noise;
    return [
      aPeak * Math.sin(w) + 0.3 * aPeak * Math.sin(2 * w) + sd * n.nextNormal(),
      0.5 * aPeak * Math.cos(w) + sd * n.nextNormal(),
      1 + 0.2 * aPeak * Math.sin(w) + sd * n.nextNormal(),
    ];
  }

  private restart(tUs: bigint): void {
    this.startUs = (this.regs[0x2d]! & 0x08) !== 0 ? Number(tUs) : null;
    this.produced = 0;
    this.fifo = [];
    this.dataReady = false;
    this.overrun = false;
  }

  /** Produces the samples due by time t into the FIFO (or the output registers in bypass). */
  private update(tUs: bigint): void {
    if (this.startUs === null) return;
    const due = Math.floor(((Number(tUs) - this.startUs) * this.odrHz()) / 1e6);
    if (due <= this.produced) return;
    const mode = this.regs[0x38]! >> 6;
    // Older samples could not survive in 32 entries; skip them without computing.
    const first = Math.max(this.produced + 1, due - FIFO_DEPTH);
    if (first > this.produced + 1 || (mode === 0 && this.dataReady)) this.overrun = true;
    for (let k = first; k <= due; k++) {
      if (mode === 0) continue;
      if (this.fifo.length < FIFO_DEPTH) this.fifo.push(this.sampleAt(k));
      else if (mode === 1) this.overrun = true; // FIFO mode stops collecting when full
      else {
        this.fifo.shift();
        this.fifo.push(this.sampleAt(k));
        this.overrun = true;
      }
    }
    if (mode === 0) this.output = this.sampleAt(due);
    this.produced = due;
    this.dataReady = true;
  }

  private counts(g: number): number {
    const format = this.regs[0x31]!;
    const range = format & 3;
    const fullRes = (format & 0x08) !== 0;
    const bits = fullRes ? 10 + range : 10;
    const lsbPerG = fullRes ? 256 : 256 >> range;
    const limit = 1 << (bits - 1);
    const raw = Math.max(-limit, Math.min(limit - 1, Math.round(g * lsbPerG)));
    const justified = (format & 0x04) !== 0 ? raw * (1 << (16 - bits)) : raw;
    return justified & 0xffff;
  }

  private readRegister(reg: number, tUs: bigint): number {
    this.update(tUs);
    if (reg >= 0x32 && reg <= 0x37) {
      const axis = (reg - 0x32) >> 1;
      const word = this.counts(this.output[axis]!);
      return (reg & 1) === 0 ? word & 0xff : word >> 8;
    }
    if (reg === 0x30) {
      const watermark = this.fifo.length >= (this.regs[0x38]! & 0x1f) && (this.regs[0x38]! & 0x1f) > 0;
      return (this.dataReady ? 0x80 : 0) | (watermark ? 0x02 : 0) | (this.overrun ? 0x01 : 0);
    }
    if (reg === 0x39) return Math.min(FIFO_DEPTH, this.fifo.length);
    return this.regs[reg] ?? 0;
  }

  ackAddress(read: boolean, tUs: bigint): boolean {
    this.writeIndex = 0;
    if (read && this.pointer === 0x32) {
      this.update(tUs);
      const mode = this.regs[0x38]! >> 6;
      if (mode !== 0) {
        const next = this.fifo.shift();
        if (next) this.output = next;
      }
      this.dataReady = mode !== 0 && this.fifo.length > 0;
      this.overrun = false;
    }
    return true;
  }

  writeByte(byte: number, index: number, tUs: bigint): boolean {
    if (index === 0) {
      this.pointer = byte & 0x3f;
      return true;
    }
    const reg = this.pointer;
    this.pointer = (this.pointer + 1) & 0x3f;
    const writable = (reg >= 0x1d && reg <= 0x2f && reg !== 0x2b) || reg === 0x31 || reg === 0x38;
    if (!writable) return true; // read-only registers acknowledge and ignore writes
    this.update(tUs);
    const before = this.regs[reg]!;
    this.regs[reg] = byte;
    if ((reg === 0x2d && ((before ^ byte) & 0x08) !== 0) || (reg === 0x2c && ((before ^ byte) & 0x0f) !== 0)) this.restart(tUs);
    if (reg === 0x38 && (before >> 6) !== (byte >> 6)) this.fifo = [];
    return true;
  }

  readByte(tUs: bigint): number {
    const b = this.readRegister(this.pointer, tUs);
    this.pointer = (this.pointer + 1) & 0x3f;
    return b;
  }

  stop(): void {}
}
