// A simulated UART port with the device wired to it. The module's bytes go
// out at the port's baud rate; the device decodes them with its own line
// settings; the device's answers are decoded with the port's settings. So a
// port opened with the wrong baud or parity gets framing/parity/noise errors
// (line-stream devices) or silence (a Modbus slave that cannot read the
// request), exactly as on a real RS-485 bus.
//
// Modbus RTU timing: the slave sees the end of a request after 3.5 character
// times of silence (1750 µs above 19200 baud), waits its responseDelayMs, then
// answers. A gap above 1.5 characters inside a frame makes it invalid.

import { UartReceiveBuffer } from "../hal/uart-receive-buffer.js";
import type { UartRead } from "../hal/uart.js";
import { ModbusSlave } from "./modbus.js";
import type { LineSettings, LineStreamSpec, UartPortSpec } from "./profile-types.js";
import type { Sources } from "./source.js";
import { charTimeUs, decodeWaveform, Waveform, type RxChar } from "./uart-line.js";

const utf8 = new TextEncoder();
const ceilUs = (t: number): bigint => BigInt(Math.ceil(t - 1e-6));

/** Called when a burst of bytes has arrived (idle line after it): the burst, and how many bytes now wait. */
export type RxListener = (burst: readonly RxChar[], waiting: number, atUs: bigint) => void;

export function modbusGapsUs(line: LineSettings): { t15: number; t35: number } {
  if (line.baud > 19200) return { t15: 750, t35: 1750 };
  const c = charTimeUs(line);
  return { t15: 1.5 * c, t35: 3.5 * c };
}

export class SimUartPort {
  readonly slave: ModbusSlave | null;
  private settings: LineSettings | null = null;
  private listener: RxListener | null = null;
  /** End times of the module's bytes still being sent (the transmit buffer). */
  private txEnds: number[] = [];
  private lineFreeAtUs = 0;
  /** Decoded bytes on their way in, by arrival time. */
  private incoming: RxChar[] = [];
  /** Incoming bursts (one device transmission each), by arrival of their last byte. */
  private bursts: { endUs: number; chars: RxChar[] }[] = [];
  private readonly rxBuffer: UartReceiveBuffer;
  /** The request the slave is receiving. */
  private slaveFrame: RxChar[] = [];
  private slaveFrameBad = false;
  private nextLineAtUs: bigint | null = null;
  /** The slave's fixed line timing (character time, Modbus t1.5 and t3.5), worked out once. */
  private readonly slaveTiming: { charUs: number; t15: number; t35: number } | null;

  constructor(readonly spec: UartPortSpec, private readonly sources: Sources) {
    this.slave = spec.device?.type === "modbus-rtu-slave" ? new ModbusSlave(spec.device, sources) : null;
    this.slaveTiming = this.slave ? { charUs: charTimeUs(this.slave.spec.line), ...modbusGapsUs(this.slave.spec.line) } : null;
    this.rxBuffer = new UartReceiveBuffer(spec.rxBufferBytes);
  }

  open(settings: LineSettings, nowUs: bigint, listener: RxListener | null): void {
    this.settings = settings;
    this.listener = listener;
    this.incoming = [];
    this.bursts = [];
    this.rxBuffer.clear();
    const dev = this.spec.device;
    if (dev?.type === "line-stream") this.nextLineAtUs = ((nowUs + dev.periodUs) / dev.periodUs) * dev.periodUs;
  }

  close(): void {
    this.settings = null;
    this.listener = null;
    this.txEnds = [];
    this.incoming = [];
    this.bursts = [];
    this.rxBuffer.clear();
    this.nextLineAtUs = null;
  }

  /** Bytes still waiting to be sent at time t. */
  private txPending(nowUs: bigint): number {
    const t = Number(nowUs);
    this.txEnds = this.txEnds.filter((e) => e > t);
    return this.txEnds.length;
  }

  /** Queues what fits in the transmit buffer; returns how many bytes were taken. */
  write(data: Uint8Array, nowUs: bigint): number {
    if (!this.settings) throw new Error("write on a closed port");
    const n = Math.min(data.length, this.spec.txBufferBytes - this.txPending(nowUs));
    if (n <= 0) return 0;
    const bytes = data.slice(0, n);
    const start = Math.max(Number(nowUs), this.lineFreeAtUs);
    const wave = new Waveform(start, bytes, this.settings);
    const c = charTimeUs(this.settings);
    for (let i = 0; i < n; i++) this.txEnds.push(start + (i + 1) * c);
    this.lineFreeAtUs = wave.endUs;
    if (this.slave) this.slaveReceive(decodeWaveform(wave, this.slave.spec.line));
    return n;
  }

  private slaveReceive(chars: RxChar[]): void {
    const { t15, charUs: c } = this.slaveTiming!;
    for (const ch of chars) {
      const last = this.slaveFrame[this.slaveFrame.length - 1];
      if (last && ch.atUs - last.atUs - c > t15) this.slaveFrameBad = true;
      if (ch.error) this.slaveFrameBad = true;
      this.slaveFrame.push(ch);
    }
  }

  private slaveDeadline(): number | null {
    const last = this.slaveFrame[this.slaveFrame.length - 1];
    return last ? last.atUs + this.slaveTiming!.t35 : null;
  }

  /** Bytes the device sends from `startUs`, as this port receives them. */
  private deviceTransmit(bytes: Uint8Array, line: LineSettings, startUs: number): void {
    if (!this.settings || bytes.length === 0) return;
    const chars = decodeWaveform(new Waveform(startUs, bytes, line), this.settings);
    if (chars.length === 0) return;
    this.incoming.push(...chars);
    this.incoming.sort((a, b) => a.atUs - b.atUs);
    this.bursts.push({ endUs: chars[chars.length - 1]!.atUs, chars });
    this.bursts.sort((a, b) => a.endUs - b.endUs);
  }

  /** Earliest time this port has something to do. */
  nextEventAt(): bigint | null {
    // Single bytes arriving are not events: nothing outside the port sees one
    // until its burst ends (the listener) or the module reads (read() follows
    // the board's advanceTo, which settles them). Leaving them out saves the
    // run loop a step per received byte. Asked before every step: compare
    // the raw µs first, round to the clock's whole µs once.
    let soonest = Infinity;
    if (this.bursts[0]) soonest = this.bursts[0].endUs;
    const deadline = this.slaveDeadline();
    if (deadline !== null && deadline < soonest) soonest = deadline;
    const timed = soonest === Infinity ? null : ceilUs(soonest);
    if (this.nextLineAtUs !== null && (timed === null || this.nextLineAtUs < timed)) return this.nextLineAtUs;
    return timed;
  }

  /** Does everything due at or before t (the board calls this in time order). */
  runUntil(tUs: bigint): void {
    const dev = this.spec.device;
    const deadline = this.slaveDeadline();
    if (deadline !== null && ceilUs(deadline) <= tUs) {
      const frame = Uint8Array.from(this.slaveFrame, (c) => c.byte);
      const bad = this.slaveFrameBad;
      this.slaveFrame = [];
      this.slaveFrameBad = false;
      const response = bad ? null : this.slave!.handle(frame, ceilUs(deadline));
      if (response) this.deviceTransmit(response, this.slave!.spec.line, deadline + this.slave!.spec.responseDelayUs);
    }
    if (dev?.type === "line-stream" && this.nextLineAtUs !== null && this.nextLineAtUs <= tUs) {
      this.deviceTransmit(this.formatLine(dev, this.nextLineAtUs), dev.line, Number(this.nextLineAtUs));
      this.nextLineAtUs += dev.periodUs;
    }
    this.settle(tUs);
    while (this.bursts[0] && ceilUs(this.bursts[0].endUs) <= tUs) {
      const burst = this.bursts.shift()!;
      this.listener?.(burst.chars, this.rxBuffer.waiting, ceilUs(burst.endUs));
    }
  }

  /** Moves the bytes that have arrived by t into the receive buffer (the board calls this for every port when it reaches a time). */
  settle(tUs: bigint): void {
    while (this.incoming[0] && ceilUs(this.incoming[0].atUs) <= tUs) {
      this.rxBuffer.push(this.incoming.shift()!);
    }
  }

  private formatLine(dev: LineStreamSpec, atUs: bigint): Uint8Array {
    const v = this.sources.valueAt(dev.source, atUs);
    const text = typeof v === "number" ? v.toFixed(dev.decimals) : v.toUpperCase();
    return utf8.encode(dev.prefix + text + dev.suffix);
  }

  /** Up to `max` received bytes: UartReceiveBuffer.read. */
  read(max: number): UartRead {
    return this.rxBuffer.read(max);
  }

  get waiting(): number {
    return this.rxBuffer.waiting;
  }
}
