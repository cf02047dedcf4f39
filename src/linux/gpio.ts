// A GPIO pin served by the Linux GPIO character device (uAPI v2): one line
// request per configured pin on /dev/gpiochipN (GPIO_V2_GET_LINE_IOCTL), its
// value read and set with GPIO_V2_LINE_{GET,SET}_VALUES_IOCTL, edge events
// read from the line fd. The request buffers come from src/linux/uapi.ts.
// The line fd is non-blocking and polled every EVENT_POLL_MS while the pin is
// watched: a blocking read would hold one of libuv's four pool threads per
// watched pin, forever once the line is released. Polling delays delivery,
// never the timestamps. Edge timestamps are the kernel's CLOCK_MONOTONIC, the clock
// process.hrtime reads, so they are on the same µs scale as the UART
// backend's receive times.

import { closeSync, openSync, readSync } from "node:fs";
import type { HalCall } from "../hal/call.js";
import { type ClaimRefusal, PeripheralFailure } from "../hal/errors.js";
import type { EdgeListener, Pin, PinMode } from "../hal/pin.js";
import { checkCharacterDevice, DeviceFileError } from "./device-file.js";
import { claimErrorKind } from "./errno.js";
import { errnoName, loadIoctl, type IoctlAddon } from "./ioctl.js";
import * as U from "./uapi.js";

export interface LinuxGpioOptions {
  number: number;
  name: string;
  modes: readonly PinMode[];
  chip: string;
  line: number;
  where: string;
  /** The ioctl calls (default: the native addon); tests only pass another. */
  io?: IoctlAddon;
}

const MODE_FLAGS: Record<PinMode, bigint> = {
  input: U.GpioLineFlag.INPUT,
  "input-pull-up": U.GpioLineFlag.INPUT | U.GpioLineFlag.BIAS_PULL_UP,
  "input-pull-down": U.GpioLineFlag.INPUT | U.GpioLineFlag.BIAS_PULL_DOWN,
  output: U.GpioLineFlag.OUTPUT,
  "output-open-drain": U.GpioLineFlag.OUTPUT | U.GpioLineFlag.OPEN_DRAIN,
};
/** How often a watched line's fd is read for edge events. */
export const EVENT_POLL_MS = 5;
/** Edge events the kernel buffers for a watched line (the request's event_buffer_size), and the most one poll reads. */
export const EVENT_BUFFER = 64;
const EDGES = U.GpioLineFlag.EDGE_RISING | U.GpioLineFlag.EDGE_FALLING;

/** The flags of a line request for `mode`, watching edges when asked (inputs only). */
export function lineFlags(mode: PinMode, watching: boolean): bigint {
  const f = MODE_FLAGS[mode];
  return watching && (f & U.GpioLineFlag.INPUT) !== 0n ? f | EDGES : f;
}

export class LinuxGpioPin implements Pin {
  readonly number: number;
  readonly name: string;
  readonly modes: readonly PinMode[];
  private readonly chipFd: number;
  private readonly io: IoctlAddon;
  private lineFd = -1;
  private modeNow: PinMode | null = null;
  private written = false;
  private listener: EdgeListener | null = null;
  private poller: NodeJS.Timeout | null = null;
  private failure: PeripheralFailure | null = null;

  constructor(private readonly o: LinuxGpioOptions) {
    this.number = o.number;
    this.name = o.name;
    this.modes = o.modes;
    checkCharacterDevice(o.chip, o.where, "GPIO chip");
    this.io = o.io ?? loadIoctl(o.where);
    this.chipFd = openSync(o.chip, "r+");
    // The line is checked against the chip now, so a profile naming one the
    // chip lacks is refused when the board loads, not at the module's first gpio.configure.
    const info = new Uint8Array(U.GPIO_LAYOUT.chipInfo.size);
    const code = errnoName(this.io.ioctl(this.chipFd, U.GPIO_GET_CHIPINFO_IOCTL, info));
    const chip = code ? null : U.decodeChipInfo(info);
    // Line requests are uAPI v2 (Linux 5.10 and later); an older kernel, as
    // vendor BSPs still ship, answers its ioctls with EINVAL, which every
    // gpio.claim would then report as unsupported.
    const v2 = code || o.line >= chip!.lines ? null : errnoName(this.io.ioctl(this.chipFd, U.GPIO_V2_GET_LINEINFO_IOCTL, U.encodeLineInfoRequest(o.line)));
    const refusal = code ? `${o.chip} is not a GPIO chip (GPIO_GET_CHIPINFO_IOCTL: ${code})`
      : o.line >= chip!.lines ? `${o.chip} (${chip!.label || chip!.name}) has ${chip!.lines} lines, 0..${chip!.lines - 1}, so it has no line ${o.line} (backend.linux.line)`
      : v2 ? `${o.chip} does not take GPIO character device uAPI v2 requests (GPIO_V2_GET_LINEINFO_IOCTL: ${v2}); fwx needs Linux 5.10 or later` : null;
    if (refusal) {
      closeSync(this.chipFd);
      throw new DeviceFileError(`${o.where}: ${refusal}`);
    }
  }

  get mode(): PinMode | null {
    return this.modeNow;
  }
  get isOutput(): boolean {
    return this.modeNow === "output" || this.modeNow === "output-open-drain";
  }
  get writtenLevel(): boolean {
    return this.written;
  }

  private fail(what: string, code: string): never {
    throw new PeripheralFailure(this.o.where, `${what} on ${this.o.chip} line ${this.o.line} failed: ${code}`);
  }

  private release(): void {
    this.stopPolling();
    if (this.lineFd >= 0) closeSync(this.lineFd);
    this.lineFd = -1;
  }

  private request(mode: PinMode): string | null {
    const out = mode === "output" ? 0n : mode === "output-open-drain" ? 1n : undefined;
    const req = U.encodeLineRequest([this.o.line], `fwx:${this.name}`.slice(0, 31), { flags: lineFlags(mode, this.listener !== null), outputValues: out }, this.listener ? EVENT_BUFFER : 0);
    const code = errnoName(this.io.ioctl(this.chipFd, U.GPIO_V2_GET_LINE_IOCTL, req));
    if (code) return code;
    this.lineFd = new DataView(req.buffer).getInt32(U.GPIO_LAYOUT.lineRequest.fd, true);
    const nb = errnoName(this.io.setNonblocking(this.lineFd));
    if (nb) this.fail("making the line fd non-blocking", nb);
    return null;
  }

  configure(mode: PinMode | null, _at: HalCall): ClaimRefusal {
    this.release();
    this.modeNow = null;
    if (mode === null) return null;
    const code = this.request(mode);
    if (code) {
      const kind = claimErrorKind(code);
      if (kind) return { ok: false, kind, detail: `${this.name}: ${this.o.chip} line ${this.o.line} refused ${mode} (${code})` };
      this.fail(`requesting the line as ${mode}`, code);
    }
    this.modeNow = mode;
    this.written = mode === "output-open-drain";
    this.readEvents();
    return null;
  }

  level(_at: HalCall): boolean {
    this.throwFailure();
    if (this.lineFd < 0) {
      // A released pin is a floating input: read it through a short-lived request.
      const code = this.request("input");
      if (code) this.fail("reading the line", code);
      try {
        return this.getValue();
      } finally {
        this.release();
      }
    }
    return this.getValue();
  }

  private getValue(): boolean {
    const v = U.encodeLineValues(0n, 1n);
    const code = errnoName(this.io.ioctl(this.lineFd, U.GPIO_V2_LINE_GET_VALUES_IOCTL, v));
    if (code) this.fail("reading the line", code);
    return (U.decodeLineValues(v) & 1n) !== 0n;
  }

  write(level: boolean): void {
    this.throwFailure();
    const code = errnoName(this.io.ioctl(this.lineFd, U.GPIO_V2_LINE_SET_VALUES_IOCTL, U.encodeLineValues(level ? 1n : 0n, 1n)));
    if (code) this.fail("setting the line", code);
    this.written = level;
  }

  watch(listener: EdgeListener | null, _at: HalCall): void {
    const was = this.listener !== null;
    this.listener = listener;
    if (listener === null) this.stopPolling();
    if (this.lineFd >= 0 && this.modeNow && was !== (listener !== null) && !this.isOutput) {
      const cfg = U.encodeLineConfigRequest(1, { flags: lineFlags(this.modeNow, listener !== null) });
      const code = errnoName(this.io.ioctl(this.lineFd, U.GPIO_V2_LINE_SET_CONFIG_IOCTL, cfg));
      if (code) this.fail("changing edge detection", code);
      this.readEvents();
    }
  }

  /** Polls the line fd for struct gpio_v2_line_events while watching an input. */
  private readEvents(): void {
    if (this.poller || this.listener === null || this.lineFd < 0 || this.isOutput) return;
    const buf = new Uint8Array(U.GPIO_LAYOUT.lineEvent.size * 16);
    this.poller = setInterval(() => this.drain(buf), EVENT_POLL_MS);
    this.poller.unref();
  }

  private drain(buf: Uint8Array): void {
    // At most one kernel event buffer (EVENT_BUFFER events) a poll: a line
    // toggling faster than the events are handled (a noisy floating input, a
    // clock) would otherwise keep this loop reading forever and stall the
    // agent. What the kernel cannot buffer meanwhile it drops.
    for (let reads = 0; reads * (buf.byteLength / U.GPIO_LAYOUT.lineEvent.size) < EVENT_BUFFER; reads++) {
      let n: number;
      try {
        n = readSync(this.lineFd, buf, 0, buf.byteLength, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") return;
        // Reported on the next operation on the pin (a host-error fault), not thrown from a timer.
        this.failure = new PeripheralFailure(this.o.where, `reading edge events of ${this.o.chip} line ${this.o.line}: ${(e as Error).message}`);
        this.stopPolling();
        return;
      }
      if (n === 0) return;
      for (const e of U.decodeLineEvents(buf.subarray(0, n))) this.listener?.(e.rising, e.timestampNs / 1000n);
    }
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.release();
    closeSync(this.chipFd);
  }
}
