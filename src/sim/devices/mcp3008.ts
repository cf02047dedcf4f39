// MCP3008-style 8-channel 10-bit ADC (SPI mode 0,0).
//
// Modelled bit by bit, so any alignment of the command works. On DIN, after
// CS falls, the first 1 is the start bit; then SGL/DIFF, D2, D1, D0. One more
// clock samples the input; DOUT then sends a null bit (0) and B9..B0 MSB
// first, then (if clocking continues) B1..B9 LSB first, then zeros. Before
// the null bit DOUT is high-impedance, read here as 1 (MISO pulled up).
// In the usual 3-byte transaction tx = 01, (SGL<<7 | ch<<4), 00:
//   rx[1] = ? ? ? ? ? 0 B9 B8 (low 2 bits = B9 B8, bit 2 = null), rx[2] = B7..B0.
// Code = floor(1024 × Vin / Vref), 0..1023. Differential pairs: D2 D1 D0 pick
// CH(2k)/CH(2k+1), D0 = 1 swaps IN+ and IN-; a negative difference reads 0.

import type { SpiDevice } from "../bus.js";
import { Prng } from "../prng.js";
import type { Mcp3008Spec } from "../profile-types.js";
import type { Sources } from "../source.js";

export class Mcp3008 implements SpiDevice {
  readonly cs: number;
  readonly name: string;
  constructor(private readonly spec: Mcp3008Spec, private readonly sources: Sources, private readonly seed: number) {
    this.cs = spec.cs;
    this.name = spec.name;
  }

  /** Input voltage of a single-ended channel in millivolts (0 when unconnected). */
  private channelMv(channel: number, tUs: bigint): number {
    const c = this.spec.channels.find((x) => x.channel === channel);
    return c ? this.sources.numberAt(c.source, tUs, 0) : 0;
  }

  /** The 10-bit code the converter produces for a command at time t. */
  convert(single: boolean, select: number, tUs: bigint): number {
    let mv: number;
    if (single) mv = this.channelMv(select, tUs);
    else {
      const pair = select & 6;
      const plus = select & 1 ? pair + 1 : pair;
      const minus = select & 1 ? pair : pair + 1;
      mv = this.channelMv(plus, tUs) - this.channelMv(minus, tUs);
    }
    // Noise is a pure function of (conversion time, input selection), not of
    // how many conversions anyone asked for: modules sharing the chip cannot
    // shift each other's readings.
    if (this.spec.noise > 0) mv += new Prng(this.seed, `spi:${this.spec.name}@${tUs}:${single ? "s" : "d"}${select}`).nextNormal() * this.spec.noise;
    return Math.max(0, Math.min(1023, Math.floor((1024 * mv) / this.spec.vrefMv)));
  }

  transfer(tx: Uint8Array, tUs: bigint): Uint8Array {
    const rx = new Uint8Array(tx.length);
    const totalBits = tx.length * 8;
    let start = -1;
    let single = false;
    let select = 0;
    let code = 0;
    for (let k = 0; k < totalBits; k++) {
      const din = (tx[k >> 3]! >> (7 - (k & 7))) & 1;
      let dout = 1; // high impedance
      if (start < 0) {
        if (din === 1) start = k;
      } else {
        const n = k - start; // clocks since the start bit
        if (n === 1) single = din === 1;
        else if (n >= 2 && n <= 4) select = (select << 1) | din;
        if (n === 5) code = this.convert(single, select, tUs); // sampling clock
        if (n === 6) dout = 0; // null bit
        else if (n >= 7 && n <= 16) dout = (code >> (16 - n)) & 1; // B9..B0
        else if (n >= 17 && n <= 25) dout = (code >> (n - 16)) & 1; // B1..B9
        else if (n > 25) dout = 0;
      }
      if (dout) rx[k >> 3]! |= 0x80 >> (k & 7);
    }
    return rx;
  }
}
