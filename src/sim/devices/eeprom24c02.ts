// 24C02-style 2 Kbit serial EEPROM (I2C): 256 bytes, 1-byte word address,
// 8-byte pages.
//   Byte/page write: address+W, word address, up to any number of data bytes.
//     The low 3 address bits advance and wrap inside the 8-byte page, so a
//     9th byte overwrites the first one of the same write. The internal write
//     cycle starts at STOP and lasts tWR (profile `writeCycleMs`, 5 ms for the
//     real parts); during it the device does not acknowledge its address
//     (this is what acknowledge polling relies on).
//   Random read: address+W, word address, repeated START, address+R, data...
//   Current-address / sequential read: the address counter advances after
//     every byte and wraps from 0xFF to 0x00.
// A write of only the word address sets the counter without a write cycle.

import type { I2cDevice } from "../bus.js";
import type { Eeprom24c02Spec } from "../profile-types.js";

export class Eeprom24c02 implements I2cDevice {
  readonly address: number;
  readonly name: string;
  readonly memory: Uint8Array;
  private counter = 0;
  private busyUntilUs = -1n;
  /** Data bytes of the write in progress, by memory address, committed at STOP. */
  private staged = new Map<number, number>();

  constructor(private readonly spec: Eeprom24c02Spec) {
    this.address = spec.address;
    this.name = spec.name;
    this.memory = Uint8Array.from(spec.contents);
  }

  /** True while the internal write cycle runs at time t. */
  private busyAt(tUs: bigint): boolean {
    return tUs < this.busyUntilUs;
  }

  ackAddress(_read: boolean, tUs: bigint): boolean {
    this.staged.clear();
    return !this.busyAt(tUs);
  }

  writeByte(byte: number, index: number): boolean {
    if (index === 0) {
      this.counter = byte;
      return true;
    }
    this.staged.set(this.counter, byte);
    this.counter = (this.counter & 0xf8) | ((this.counter + 1) & 0x07);
    return true;
  }

  readByte(): number {
    const b = this.memory[this.counter]!;
    this.counter = (this.counter + 1) & 0xff;
    return b;
  }

  stop(tUs: bigint): void {
    if (this.staged.size === 0) return;
    for (const [addr, b] of this.staged) this.memory[addr] = b;
    this.staged.clear();
    this.busyUntilUs = tUs + this.spec.writeCycleUs;
  }
}
