// TMP102-style digital temperature sensor (I2C).
//
// Register map (pointer register selects one; reads return its two bytes MSB
// first and repeat them if more are clocked out, as the part does):
//   0x00 temperature (read-only): 12-bit two's complement, 0.0625 °C/LSB,
//        left-justified in 16 bits (bits 15..4); with EM=1, 13-bit in bits 15..3
//        and bit 0 set.
//   0x01 configuration, reset 0x60A0: OS R1 R0 F1 F0 POL TM SD | CR1 CR0 AL EM 0 0 0 0
//   0x02 T_LOW,  reset 0x4B00 (75 °C), same format as temperature
//   0x03 T_HIGH, reset 0x5000 (80 °C)
// A write is: pointer byte, then optionally MSB and LSB for registers 1..3.
// This model NACKs a pointer above 3 and any byte after the LSB. Conversions
// happen at the CR rate (0.25/1/4/8 Hz); a read returns the last conversion.
// SD=1 stops conversions; OS=1 written in shutdown starts one conversion
// (26 ms). AL follows comparator mode with T_HIGH/T_LOW hysteresis, evaluated
// at every conversion (the fault queue is not modelled).

import type { I2cDevice } from "../bus.js";
import { Prng } from "../prng.js";
import type { Tmp102Spec } from "../profile-types.js";
import type { Sources } from "../source.js";

const CONVERSION_PERIOD_US = [4_000_000n, 1_000_000n, 250_000n, 125_000n];
const ONE_SHOT_US = 26_000n;

/** Celsius to the register format (12-bit, or 13-bit extended), saturating at the format's range. */
export function encodeTmp102(celsius: number, extended: boolean): number {
  const bits = extended ? 13 : 12;
  const max = (1 << (bits - 1)) - 1;
  const raw = Math.max(-max - 1, Math.min(max, Math.round(celsius / 0.0625)));
  const field = raw & ((1 << bits) - 1);
  return extended ? ((field << 3) | 1) & 0xffff : (field << 4) & 0xffff;
}

/** Register format to Celsius. */
export function decodeTmp102(word: number, extended: boolean): number {
  const signed = (word << 16) >> 16; // sign-extend 16 bits
  return (extended ? signed >> 3 : signed >> 4) * 0.0625;
}

export class Tmp102 implements I2cDevice {
  readonly address: number;
  readonly name: string;
  private pointer = 0;
  private config = 0x60a0;
  private tLow = 0x4b00;
  private tHigh = 0x5000;
  private alertActive = false;
  private pendingMsb: number | null = null;
  private readIndex = 0;
  /** The conversion the temperature register holds: its time slot and value. */
  private converted: { slot: bigint; celsius: number } | null = null;
  private oneShotDoneAt: bigint | null = null;
  constructor(private readonly spec: Tmp102Spec, private readonly sources: Sources, private readonly seed: number) {
    this.address = spec.address;
    this.name = spec.name;
  }

  private get extended(): boolean { return (this.config & 0x10) !== 0; }
  private get shutdown(): boolean { return (this.config & 0x100) !== 0; }

  private convert(slot: bigint, atUs: bigint): void {
    if (this.converted?.slot === slot) return;
    const previous = this.converted?.celsius ?? 25;
    const celsius = this.sources.numberAt(this.spec.source, atUs, previous) + (this.spec.noise > 0 ? this.slotNoise(slot) * this.spec.noise : 0);
    this.converted = { slot, celsius };
    const t = decodeTmp102(encodeTmp102(celsius, this.extended), this.extended);
    if (t >= decodeTmp102(this.tHigh, this.extended)) this.alertActive = true;
    else if (t < decodeTmp102(this.tLow, this.extended)) this.alertActive = false;
  }

  /**
   * The noise of the conversion in `slot`: a pure function of the slot, so
   * which slots somebody happened to read (another module polling the same
   * part) never shifts the values of the others.
   */
  private slotNoise(slot: bigint): number {
    return new Prng(this.seed, `i2c:${this.spec.name}@${slot}`).nextNormal();
  }

  /** Brings the temperature register up to time t. */
  private update(tUs: bigint): void {
    if (this.oneShotDoneAt !== null && tUs >= this.oneShotDoneAt) {
      this.convert(-1n - this.oneShotDoneAt, this.oneShotDoneAt);
      this.oneShotDoneAt = null;
      this.config |= 0x8000; // OS reads 1 once the single conversion is done
    }
    if (this.shutdown) return;
    const period = CONVERSION_PERIOD_US[(this.config >> 6) & 3]!;
    const slot = tUs / period;
    this.convert(slot, slot * period);
  }

  private register(index: number, tUs: bigint): number {
    this.update(tUs);
    switch (index) {
      case 0: return encodeTmp102(this.converted?.celsius ?? 0, this.extended);
      case 1: {
        // AL (bit 5) shows the alert output's level: POL=0 makes it active low.
        const polarityHigh = (this.config & 0x400) !== 0;
        const al = this.alertActive === polarityHigh;
        return (this.config & ~0x20) | (al ? 0x20 : 0);
      }
      case 2: return this.tLow;
      default: return this.tHigh;
    }
  }

  ackAddress(_read: boolean, tUs: bigint): boolean {
    this.update(tUs);
    this.pendingMsb = null;
    this.readIndex = 0;
    return true;
  }

  writeByte(byte: number, index: number, tUs: bigint): boolean {
    if (index === 0) {
      if (byte > 3) return false;
      this.pointer = byte;
      return true;
    }
    if (index === 1) {
      this.pendingMsb = byte;
      return true;
    }
    if (index > 2 || this.pendingMsb === null) return false;
    const word = (this.pendingMsb << 8) | byte;
    if (this.pointer === 1) {
      const wasShutdown = this.shutdown;
      // R1 R0 (bits 14:13) and AL (bit 5) are read-only; OS is a command bit.
      this.config = (this.config & 0x6020) | (word & 0x1fd0);
      if ((word & 0x8000) !== 0 && (word & 0x100) !== 0) this.oneShotDoneAt = tUs + ONE_SHOT_US;
      if (wasShutdown && !this.shutdown) this.converted = null;
    } else if (this.pointer === 2) this.tLow = word & (this.extended ? 0xfff8 : 0xfff0);
    else if (this.pointer === 3) this.tHigh = word & (this.extended ? 0xfff8 : 0xfff0);
    // The temperature register is read-only: the bytes are acknowledged and ignored.
    return true;
  }

  readByte(tUs: bigint): number {
    const word = this.register(this.pointer, tUs);
    const byte = this.readIndex % 2 === 0 ? word >> 8 : word & 0xff;
    this.readIndex++;
    return byte;
  }

  stop(): void {
    this.pendingMsb = null;
  }
}
