// A UART port on a Linux serial device (/dev/ttyS1, /dev/ttyUSB0, a pty) with
// termios settings, behind the peripheral boundary (src/hal/uart.ts).
//
// Termios is set with stty(1) from coreutils: Node has no termios binding,
// and the `serialport` package is not among this project's dependencies yet
// (it reports no parity or framing errors either). The line is raw with
// INPCK and PARMRK, so the kernel marks each damaged byte as 0xff 0x00 <byte>
// and a real 0xff as 0xff 0xff; that is how uart.read learns of parity and
// framing errors. Bytes arrive through a libuv tty handle (no polling); a
// burst ends when the line has been quiet for 3.5 characters, as on the
// simulated board. A pseudo-terminal carries bytes, not bits: the kernel has
// no parity to set on one and refuses PARENB, so parity is left alone there.

import { closeSync, constants, openSync, writeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { ReadStream } from "node:tty";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure, type ClaimRefusal } from "../hal/errors.js";
import type { LineSettings, Parity, ReceivedByte, ReceiveListener, UartPort, UartRead } from "../hal/uart.js";
import { UartReceiveBuffer } from "../hal/uart-receive-buffer.js";
import { checkCharacterDevice } from "./device-file.js";

export interface LinuxUartOptions {
  port: number;
  name: string;
  device: string;
  bauds: readonly number[];
  parities: readonly Parity[];
  stopBits: readonly (1 | 2)[];
  rxBufferBytes: number;
  txBufferBytes: number;
  flowControl: "none" | "rts-cts" | "xon-xoff";
  /** Names the connector in errors (`boards/pi.json: uart[0]`). */
  where: string;
  /** Device time for receive events (default: the process's monotonic clock in µs). */
  nowUs?: () => bigint;
}

/** The bits of one character on the line: start, 8 data, parity, stop. */
function charBits(s: LineSettings): number {
  return 1 + 8 + (s.parity === "none" ? 0 : 1) + s.stopBits;
}

/** stty(1) arguments for a raw 8-bit line with these settings. */
export function sttyArgs(s: LineSettings, flow: LinuxUartOptions["flowControl"], pseudoTerminal: boolean): string[] {
  const args = ["raw", "-echo", String(s.baud), "cs8", s.stopBits === 2 ? "cstopb" : "-cstopb", "clocal", "cread", "inpck", "parmrk", "-ignpar", "-istrip", "-ignbrk", "-brkint"];
  if (!pseudoTerminal) args.push(...(s.parity === "none" ? ["-parenb"] : ["parenb", s.parity === "odd" ? "parodd" : "-parodd"]));
  args.push(flow === "rts-cts" ? "crtscts" : "-crtscts", ...(flow === "xon-xoff" ? ["ixon", "ixoff"] : ["-ixon", "-ixoff"]));
  return args;
}

/**
 * Undoes PARMRK marking across chunk boundaries: 0xff 0xff is a 0xff byte,
 * 0xff 0x00 b is byte b received damaged (0xff 0x00 0x00 may also be a break).
 */
export class ParmrkDecoder {
  private pending: number[] = [];
  constructor(private readonly damaged: ReceivedByte["error"]) {}

  push(chunk: Uint8Array): ReceivedByte[] {
    const out: ReceivedByte[] = [];
    for (const b of chunk) {
      const p = this.pending;
      if (p.length === 0) {
        if (b === 0xff) p.push(b);
        else out.push({ byte: b });
      } else if (p.length === 1) {
        if (b === 0xff) { out.push({ byte: 0xff }); this.pending = []; }
        else if (b === 0x00) p.push(b);
        else { out.push({ byte: 0xff }, { byte: b }); this.pending = []; } // not a mark (PARMRK off): pass through
      } else {
        out.push({ byte: b, error: this.damaged! });
        this.pending = [];
      }
    }
    return out;
  }
}

const monotonicUs = () => process.hrtime.bigint() / 1000n;

export class LinuxUartPort implements UartPort {
  readonly port: number;
  readonly name: string;
  readonly bauds: readonly number[];
  readonly parities: readonly Parity[];
  readonly stopBits: readonly (1 | 2)[];
  readonly txBufferBytes: number;
  private readonly path: string;
  private fd: number | null = null;
  private stream: ReadStream | null = null;
  private readonly rx: UartReceiveBuffer;
  private burst: ReceivedByte[] = [];
  private idle: NodeJS.Timeout | null = null;

  /** Checks the device file now (missing, not a device, no permission), so a wrong profile is refused when the board loads. */
  constructor(private readonly o: LinuxUartOptions) {
    this.port = o.port;
    this.name = o.name;
    this.bauds = o.bauds;
    this.parities = o.parities;
    this.stopBits = o.stopBits;
    this.txBufferBytes = o.txBufferBytes;
    this.path = checkCharacterDevice(o.device, o.where, "serial device");
    this.rx = new UartReceiveBuffer(o.rxBufferBytes);
  }

  open(settings: LineSettings, _at: HalCall, onReceive: ReceiveListener): ClaimRefusal {
    if (this.fd !== null) return { ok: false, kind: "busy", detail: `${this.o.device} is already open` };
    let fd: number;
    try {
      fd = openSync(this.o.device, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EBUSY" || code === "EAGAIN") return { ok: false, kind: "busy", detail: `${this.o.device} is held by another program` };
      throw new PeripheralFailure(this.o.where, `cannot open ${this.o.device}: ${(e as Error).message}`);
    }
    const pty = this.path.startsWith("/dev/pts/");
    const args = sttyArgs(settings, this.o.flowControl, pty);
    const r = spawnSync("stty", ["-F", this.o.device, ...args], { encoding: "utf8", timeout: 5000 });
    if (r.status !== 0) {
      closeSync(fd);
      return { ok: false, kind: "unsupported", detail: `${this.o.device} refused the line settings (stty ${args.join(" ")}: ${(r.stderr || r.error?.message || "failed").trim()})` };
    }
    this.fd = fd;
    this.rx.clear();
    const decoder = new ParmrkDecoder(settings.parity === "none" ? "frame-format" : "parity");
    const quietMs = Math.max(2, (3.5 * charBits(settings) * 1000) / settings.baud);
    const stream = new ReadStream(fd);
    const endBurst = () => {
      this.idle = null;
      const burst = this.burst;
      this.burst = [];
      if (burst.length) onReceive(burst, this.rx.waiting, (this.o.nowUs ?? monotonicUs)());
    };
    stream.on("data", (chunk: Buffer) => {
      for (const c of decoder.push(chunk)) {
        this.burst.push(c);
        this.rx.push(c);
      }
      if (this.idle) clearTimeout(this.idle);
      this.idle = null;
      // A line that never goes quiet (a device streaming without pause, noise
      // at the wrong baud) ends a burst every rxBufferBytes bytes: the module
      // hears of its bytes before the buffer overruns, and the burst kept
      // for the event does not grow without bound.
      if (this.burst.length >= this.o.rxBufferBytes) endBurst();
      else this.idle = setTimeout(endBurst, quietMs);
    });
    // A device that goes away (USB adapter unplugged) ends the stream; reads then return nothing.
    stream.on("error", () => {});
    this.stream = stream;
    return null;
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.burst = [];
    this.rx.clear();
    // libuv may read through its own reopened descriptor, which destroying
    // the handle closes; ours (the one writes use) is closed here.
    this.stream?.destroy();
    if (this.fd !== null) closeSync(this.fd);
    this.stream = null;
    this.fd = null;
  }

  write(data: Uint8Array, _at: HalCall): number {
    if (this.fd === null) throw new Error("write on a closed port");
    try {
      // Non-blocking: the kernel's transmit buffer takes what fits.
      return writeSync(this.fd, data.subarray(0, this.txBufferBytes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") return 0;
      throw new PeripheralFailure(this.o.where, `writing to ${this.o.device} failed: ${(e as Error).message}`);
    }
  }

  read(max: number): UartRead {
    return this.rx.read(max);
  }
}
