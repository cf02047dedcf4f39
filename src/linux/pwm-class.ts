// A PWM channel served by the kernel's PWM class through sysfs
// (Documentation/ABI/testing/sysfs-class-pwm):
//   /sys/class/pwm/pwmchipN/npwm       channels of the chip
//   /sys/class/pwm/pwmchipN/export     write K to make pwmK
//   /sys/class/pwm/pwmchipN/unexport   write K to release it
//   /sys/class/pwm/pwmchipN/pwmK/{period,duty_cycle,enable}  ns, ns, 0/1
// The kernel refuses a period shorter than the duty cycle (EINVAL), so the
// duty goes to 0 before the period changes.

import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import { type ClaimRefusal, PeripheralFailure } from "../hal/errors.js";
import type { PwmChannel } from "../hal/pwm.js";
import { DeviceFileError } from "./device-file.js";
import { claimErrorKind } from "./errno.js";
import { checkSysfsDir, errnoOf, permissionError, readAttribute, writeAttribute } from "./sysfs.js";

/** How long a start waits after exporting a channel for udev to give its files their group. */
export const EXPORT_SETTLE_MS = 1500;

export interface PwmClassOptions {
  channel: number;
  name: string;
  minHz: number;
  maxHz: number;
  /** The chip, `pwmchip0`. */
  chip: string;
  /** The chip's channel K (pwmK). */
  index: number;
  where: string;
  /** Where sysfs is mounted; only tests change it. */
  sysfsRoot?: string;
}

export class PwmClassChannel implements PwmChannel {
  readonly channel: number;
  readonly name: string;
  readonly minHz: number;
  readonly maxHz: number;
  readonly chipDir: string;
  readonly dir: string;
  private periodNs = 0;
  private dutyNow = 0;
  private exportedByUs = false;
  private readonly index: number;
  private readonly where: string;

  constructor(o: PwmClassOptions) {
    this.channel = o.channel;
    this.name = o.name;
    this.minHz = o.minHz;
    this.maxHz = o.maxHz;
    this.index = o.index;
    this.where = o.where;
    this.chipDir = join(o.sysfsRoot ?? "/sys", "class/pwm", o.chip);
    checkSysfsDir(this.chipDir, o.where, "PWM chip");
    const npwmPath = join(this.chipDir, "npwm");
    let text: string;
    try {
      text = readAttribute(npwmPath);
    } catch (e) {
      if (errnoOf(e) === "EACCES") throw permissionError(npwmPath, o.where, "gpio");
      throw new DeviceFileError(`${o.where}: reading ${npwmPath}: ${(e as Error).message} (is ${this.chipDir} a PWM chip?)`);
    }
    const npwm = Number(text);
    if (!Number.isInteger(npwm)) throw new DeviceFileError(`${o.where}: ${npwmPath} holds ${JSON.stringify(text)}, not a channel count`);
    if (!(o.index < npwm)) throw new DeviceFileError(`${o.where}: PWM chip ${this.chipDir} has ${npwm} channels, so it has no pwm${o.index}`);
    this.dir = join(this.chipDir, `pwm${o.index}`);
    // A permission problem is a refusal when the board loads (naming the
    // group), as for every other device file, not a fault at the module's first pwm.open.
    for (const f of existsSync(this.dir) ? [join(this.dir, "period"), join(this.dir, "duty_cycle"), join(this.dir, "enable")] : [join(this.chipDir, "export")]) {
      try {
        accessSync(f, constants.W_OK);
      } catch (e) {
        if (errnoOf(e) === "EACCES") throw permissionError(f, o.where, "gpio");
        throw new DeviceFileError(`${o.where}: cannot use ${f}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Waits (at most EXPORT_SETTLE_MS) for the exported pwmK to be there with
   * files this process may write. The kernel creates them root-owned; udev
   * gives them their group a moment later (Raspberry Pi OS's 99-com.rules,
   * the rule in docs/agent.md), so a user in that group writing at once is
   * refused with EACCES on the first open after every boot. Returns at the
   * deadline either way: the writes that follow name what is wrong.
   */
  private settleAfterExport(): void {
    const files = ["period", "duty_cycle", "enable"].map((f) => join(this.dir, f));
    const writable = (f: string) => {
      try {
        accessSync(f, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + EXPORT_SETTLE_MS;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (!(existsSync(this.dir) && files.every(writable)) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 10);
  }

  get duty(): number {
    return this.dutyNow;
  }

  private write(file: string, value: number): void {
    const path = join(this.dir, file);
    try {
      writeAttribute(path, value);
    } catch (e) {
      if (errnoOf(e) === "EACCES") throw permissionError(path, this.where, "gpio");
      throw new PeripheralFailure(this.where, `writing ${value} to ${path}: ${(e as Error).message}`);
    }
  }

  start(frequencyHz: number): ClaimRefusal {
    if (!existsSync(this.dir)) {
      const exp = join(this.chipDir, "export");
      try {
        writeAttribute(exp, this.index);
      } catch (e) {
        const code = errnoOf(e);
        if (code === "EACCES") throw permissionError(exp, this.where, "gpio");
        const kind = claimErrorKind(code);
        if (kind) return { ok: false, kind, detail: `${this.name}: export of pwm${this.index} refused (${code})` };
        throw new PeripheralFailure(this.where, `writing ${this.index} to ${exp}: ${(e as Error).message}`);
      }
      this.settleAfterExport();
      if (!existsSync(this.dir)) throw new PeripheralFailure(this.where, `${this.dir} did not appear after writing ${this.index} to ${exp}`);
      this.exportedByUs = true;
    } else if (readAttribute(join(this.dir, "enable")) === "1") {
      // Enabled by someone else (a boot script, another process): not ours to take.
      return { ok: false, kind: "busy", detail: `${this.name}: ${this.dir} is already enabled outside fwx` };
    }
    this.write("duty_cycle", 0);
    const periodNs = Math.round(1e9 / frequencyHz);
    const periodPath = join(this.dir, "period");
    try {
      writeAttribute(periodPath, periodNs);
    } catch (e) {
      const code = errnoOf(e);
      // The driver cannot make this period (EINVAL, ERANGE: outside what its
      // clock divides to), though the profile's minHz..maxHz allowed it:
      // pwm.open's `unsupported`, and the channel is given back as found.
      if (code === "EINVAL" || code === "ERANGE" || code === "EOPNOTSUPP") {
        this.release();
        return { ok: false, kind: "unsupported", detail: `${this.name}: ${periodPath} refused a period of ${periodNs} ns (${frequencyHz} Hz): ${code}` };
      }
      if (code === "EACCES") throw permissionError(periodPath, this.where, "gpio");
      throw new PeripheralFailure(this.where, `writing ${periodNs} to ${periodPath}: ${(e as Error).message}`);
    }
    this.periodNs = periodNs;
    this.write("enable", 1);
    this.dutyNow = 0;
    return null;
  }

  /** Unexports the channel when this process exported it. */
  private release(): void {
    if (!this.exportedByUs) return;
    writeAttribute(join(this.chipDir, "unexport"), this.index);
    this.exportedByUs = false;
  }

  setDuty(duty: number): void {
    this.write("duty_cycle", Math.round(this.periodNs * duty));
    this.dutyNow = duty;
  }

  stop(): void {
    this.write("duty_cycle", 0);
    this.write("enable", 0);
    this.dutyNow = 0;
    this.release();
  }
}
