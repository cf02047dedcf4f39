// A Modbus RTU slave: frames are [unit id][function][data...][CRC lo][CRC hi].
// Supported functions: 0x03 read holding registers, 0x04 read input
// registers, 0x06 write single register, 0x10 write multiple registers.
// Exceptions (function | 0x80, code): 0x01 illegal function, 0x02 illegal
// data address (a word no register covers, a read-only register, half of a
// 32-bit register in a write), 0x03 illegal data value (quantity out of
// range, byte count mismatch, value outside the register's min..max), 0x04
// slave device failure (an input register's trace says `timeout`/`fault`).
// Frames with a bad CRC or for another unit id get no answer; broadcasts
// (unit 0) of writes are executed without an answer.

import { registerRange, registerWords } from "./profile-buses.js";
import type { ModbusSlaveSpec, RegisterSpec } from "./profile-types.js";
import type { Sources } from "./source.js";

/** CRC-16/MODBUS (reflected poly 0xA001, init 0xFFFF); sent low byte first. */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Appends the CRC (little-endian) to a frame body. */
export function withCrc(body: readonly number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  const crc = crc16Modbus(out.subarray(0, body.length));
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >> 8;
  return out;
}

export const ModbusException = { illegalFunction: 1, illegalDataAddress: 2, illegalDataValue: 3, slaveDeviceFailure: 4 } as const;

class DeviceFailure extends Error {}

/** The 16-bit words a register holds for an engineering value (high word first). */
export function encodeRegister(reg: RegisterSpec, value: number): number[] {
  if (reg.format === "float32") {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, value, false);
    return [dv.getUint16(0, false), dv.getUint16(2, false)];
  }
  const [min, max] = registerRange(reg.format);
  const raw = Math.max(min, Math.min(max, Math.round(value / reg.scale)));
  if (reg.format === "uint16" || reg.format === "int16") return [raw & 0xffff];
  const u = raw >>> 0;
  return [u >>> 16, u & 0xffff];
}

/** The engineering value of a register's words. */
export function decodeRegister(reg: RegisterSpec, words: readonly number[]): number {
  const w0 = words[0]!;
  const w1 = words[1] ?? 0;
  switch (reg.format) {
    case "uint16": return w0 * reg.scale;
    case "int16": return ((w0 << 16) >> 16) * reg.scale;
    case "uint32": return (w0 * 65536 + w1) * reg.scale;
    case "int32": return ((w0 << 16) | w1) * reg.scale;
    case "float32": {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setUint16(0, w0, false);
      dv.setUint16(2, w1, false);
      return dv.getFloat32(0, false);
    }
  }
}

export class ModbusSlave {
  /** Current values of holding registers, by index in spec.holdingRegisters. */
  private readonly holding: number[];

  constructor(readonly spec: ModbusSlaveSpec, private readonly sources: Sources) {
    this.holding = spec.holdingRegisters.map((r) => (r.source.kind === "constant" ? r.source.value : 0));
  }

  /** Register covering a word address, and the word's index inside it. */
  private find(table: readonly RegisterSpec[], address: number): { index: number; word: number } | null {
    for (let i = 0; i < table.length; i++) {
      const r = table[i]!;
      if (address >= r.address && address < r.address + registerWords(r.format)) return { index: i, word: address - r.address };
    }
    return null;
  }

  holdingValue(name: string): number | undefined {
    const i = this.spec.holdingRegisters.findIndex((r) => r.name === name);
    return i < 0 ? undefined : this.holding[i];
  }

  private words(input: boolean, index: number, tUs: bigint): number[] {
    if (!input) return encodeRegister(this.spec.holdingRegisters[index]!, this.holding[index]!);
    const reg = this.spec.inputRegisters[index]!;
    const v = this.sources.valueAt(reg.source, tUs);
    if (typeof v !== "number") throw new DeviceFailure(`${reg.name}: ${v}`);
    return encodeRegister(reg, v);
  }

  /** Handles one received frame; returns the response frame, or null for silence. */
  handle(frame: Uint8Array, tUs: bigint): Uint8Array | null {
    if (frame.length < 4) return null;
    const crc = crc16Modbus(frame.subarray(0, frame.length - 2));
    if (frame[frame.length - 2] !== (crc & 0xff) || frame[frame.length - 1] !== crc >> 8) return null;
    const unit = frame[0]!;
    if (unit !== this.spec.unitId && unit !== 0) return null;
    const fn = frame[1]!;
    const pdu = frame.subarray(2, frame.length - 2);
    const u16 = (i: number) => (pdu[i]! << 8) | pdu[i + 1]!;
    const exception = (code: number) => withCrc([unit, fn | 0x80, code]);
    let response: number[];
    try {
      if (fn === 0x03 || fn === 0x04) {
        if (unit === 0) return null; // reads make no sense as broadcasts
        if (pdu.length !== 4) return exception(ModbusException.illegalDataValue);
        const start = u16(0);
        const qty = u16(2);
        if (qty < 1 || qty > 125) return exception(ModbusException.illegalDataValue);
        if (start + qty > 0x10000) return exception(ModbusException.illegalDataAddress);
        const table = fn === 0x04 ? this.spec.inputRegisters : this.spec.holdingRegisters;
        response = [unit, fn, qty * 2];
        for (let a = start; a < start + qty; a++) {
          const hit = this.find(table, a);
          if (!hit) return exception(ModbusException.illegalDataAddress);
          const w = this.words(fn === 0x04, hit.index, tUs)[hit.word]!;
          response.push(w >> 8, w & 0xff);
        }
      } else if (fn === 0x06) {
        if (pdu.length !== 4) return exception(ModbusException.illegalDataValue);
        const status = this.write(u16(0), [u16(2)]);
        if (status !== 0) return exception(status);
        response = [...frame.subarray(0, 6)];
      } else if (fn === 0x10) {
        if (pdu.length < 5) return exception(ModbusException.illegalDataValue);
        const start = u16(0);
        const qty = u16(2);
        const byteCount = pdu[4]!;
        if (qty < 1 || qty > 123 || byteCount !== qty * 2 || pdu.length !== 5 + byteCount) return exception(ModbusException.illegalDataValue);
        const values: number[] = [];
        for (let i = 0; i < qty; i++) values.push(u16(5 + 2 * i));
        const status = this.write(start, values);
        if (status !== 0) return exception(status);
        response = [unit, fn, pdu[0]!, pdu[1]!, pdu[2]!, pdu[3]!];
      } else return exception(ModbusException.illegalFunction);
    } catch (e) {
      if (e instanceof DeviceFailure) return unit === 0 ? null : exception(ModbusException.slaveDeviceFailure);
      throw e;
    }
    return unit === 0 ? null : withCrc(response);
  }

  /** Writes words from `start`: all or nothing. Returns 0 or an exception code. */
  private write(start: number, values: readonly number[]): number {
    const table = this.spec.holdingRegisters;
    const updates: [index: number, value: number][] = [];
    let a = start;
    while (a < start + values.length) {
      const hit = this.find(table, a);
      if (!hit || hit.word !== 0) return ModbusException.illegalDataAddress;
      const reg = table[hit.index]!;
      const n = registerWords(reg.format);
      if (!reg.writable || a + n > start + values.length) return ModbusException.illegalDataAddress;
      const value = decodeRegister(reg, values.slice(a - start, a - start + n));
      if ((reg.min !== undefined && value < reg.min) || (reg.max !== undefined && value > reg.max) || Number.isNaN(value)) return ModbusException.illegalDataValue;
      updates.push([hit.index, value]);
      a += n;
    }
    for (const [i, v] of updates) this.holding[i] = v;
    return 0;
  }
}
