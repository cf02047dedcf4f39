// A pin on a Linux GPIO character device (/dev/gpiochipN, uAPI v2), behind
// the peripheral boundary (src/hal/pin.ts). A mode is a line request: the
// line is requested with that mode's flags (bias, drive, edge detection)
// and released when the module lets the pin go, so the kernel knows who
// holds it (`gpioinfo` shows the consumer "fwx"). Edge events are read from
// the request's file: the kernel queues and timestamps them (CLOCK_MONOTONIC,
// the clock of process.hrtime), so a late read loses neither order nor time.

import { closeSync, openSync } from "node:fs";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure, type ClaimRefusal } from "../hal/errors.js";
import type { EdgeListener, Pin, PinMode } from "../hal/pin.js";
import { checkCharacterDevice, DeviceFileError } from "./device-file.js";
import { errnoOf, linuxIo, type LineFlags } from "./native.js";

/** How often queued edge events are collected while a module watches the pin. */
const EDGE_POLL_MS = 5;

export interface LinuxPinOptions {
  number: number;
  name: string;
  modes: readonly PinMode[];
  chip: string;
  line: number;
  /** Names the connector in errors (`boards/pi.json: gpio[3]`). */
  where: string;
}

/** The line request flags for a mode (and edge detection for an input being watched). */
export function requestFlags(f: LineFlags, mode: PinMode, watching: boolean): number {
  switch (mode) {
    case "input": return f.input | f.biasDisabled | (watching ? f.edgeRising | f.edgeFalling : 0);
    case "input-pull-up": return f.input | f.biasPullUp | (watching ? f.edgeRising | f.edgeFalling : 0);
    case "input-pull-down": return f.input | f.biasPullDown | (watching ? f.edgeRising | f.edgeFalling : 0);
    case "output": return f.output;
    case "output-open-drain": return f.output | f.openDrain;
  }
}

export class LinuxPin implements Pin {
  readonly number: number;
  readonly name: string;
  readonly modes: readonly PinMode[];
  mode: PinMode | null = null;
  writtenLevel = false;
  private readonly chipFd: number;
  private lineFd: number | null = null;
  private listener: EdgeListener | null = null;
  private poll: NodeJS.Timeout | null = null;

  constructor(private readonly o: LinuxPinOptions) {
    this.number = o.number;
    this.name = o.name;
    this.modes = o.modes;
    const path = checkCharacterDevice(o.chip, o.where, "GPIO chip");
    this.chipFd = openSync(path, "r+");
    let lines: number;
    try {
      lines = linuxIo().chipInfo(this.chipFd).lines;
    } catch (e) {
      closeSync(this.chipFd);
      if (errnoOf(e) === "ENOTTY") throw new DeviceFileError(`${o.where}: ${o.chip} is not a GPIO chip (it answers no GPIO ioctl); name /dev/gpiochipN (gpiodetect lists them)`);
      throw new DeviceFileError(`${o.where}: ${o.chip}: ${(e as Error).message}`);
    }
    if (o.line >= lines) {
      closeSync(this.chipFd);
      throw new DeviceFileError(`${o.where}: line ${o.line} is past the last line of ${o.chip} (it has ${lines}: 0-${lines - 1})`);
    }
  }

  get isOutput(): boolean {
    return this.mode === "output" || this.mode === "output-open-drain";
  }

  configure(mode: PinMode | null, _at: HalCall): ClaimRefusal {
    this.release();
    this.mode = null;
    if (mode === null) return null;
    // Push-pull outputs start low; open-drain ones released (high).
    const initial = mode === "output-open-drain";
    const watching = this.listener !== null && mode.startsWith("input");
    const refusal = this.request(mode, watching, initial);
    if (refusal) return refusal;
    this.mode = mode;
    this.writtenLevel = initial;
    if (watching) this.poll = setInterval(() => this.collect(), EDGE_POLL_MS);
    return null;
  }

  level(_at: HalCall): boolean {
    if (this.lineFd === null) return false; // released: a floating input reads as low, as on the simulated board
    try {
      return linuxIo().getValue(this.lineFd) === 1;
    } catch (e) {
      throw new PeripheralFailure(this.o.where, `reading line ${this.o.line} of ${this.o.chip}: ${(e as Error).message}`);
    }
  }

  write(level: boolean): void {
    if (this.lineFd === null || !this.isOutput) return;
    try {
      linuxIo().setValue(this.lineFd, level ? 1 : 0);
    } catch (e) {
      throw new PeripheralFailure(this.o.where, `driving line ${this.o.line} of ${this.o.chip}: ${(e as Error).message}`);
    }
    this.writtenLevel = level;
  }

  watch(listener: EdgeListener | null, _at: HalCall): void {
    this.listener = listener;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    if (this.mode === null || this.isOutput) return;
    // Edge detection is part of the request: the input is requested again with (or without) it.
    const mode = this.mode;
    this.release();
    const refusal = this.request(mode, listener !== null, false);
    if (refusal) throw new PeripheralFailure(this.o.where, `watching line ${this.o.line} of ${this.o.chip}: ${refusal.detail}`);
    if (listener) this.poll = setInterval(() => this.collect(), EDGE_POLL_MS);
  }

  /** Delivers the edges the kernel queued since the last look. */
  private collect(): void {
    if (this.lineFd === null || !this.listener) return;
    let events: (boolean | string)[];
    try {
      events = linuxIo().readEdges(this.lineFd);
    } catch (e) {
      throw new PeripheralFailure(this.o.where, `reading edges of line ${this.o.line} of ${this.o.chip}: ${(e as Error).message}`);
    }
    for (let i = 0; i + 1 < events.length; i += 2) this.listener(events[i] === true, BigInt(events[i + 1] as string) / 1000n);
  }

  private request(mode: PinMode, watching: boolean, outputHigh: boolean): ClaimRefusal {
    const io = linuxIo();
    try {
      this.lineFd = io.requestLine(this.chipFd, this.o.line, requestFlags(io.lineFlags(), mode, watching), "fwx", outputHigh ? 1 : 0);
      return null;
    } catch (e) {
      const code = errnoOf(e);
      if (code === "EBUSY") return { ok: false, kind: "busy", detail: `line ${this.o.line} of ${this.o.chip} is held by another program (gpioinfo shows which)` };
      if (code === "EINVAL" || code === "EOPNOTSUPP" || code === "ENOTSUPP") return { ok: false, kind: "unsupported", detail: `line ${this.o.line} of ${this.o.chip} cannot be ${mode} (${code})` };
      throw new PeripheralFailure(this.o.where, `requesting line ${this.o.line} of ${this.o.chip} as ${mode}: ${(e as Error).message}`);
    }
  }

  private release(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    if (this.lineFd !== null) closeSync(this.lineFd);
    this.lineFd = null;
  }
}
