// An ADC channel served by the kernel's Industrial I/O subsystem through
// sysfs (Documentation/ABI/testing/sysfs-bus-iio):
//   /sys/bus/iio/devices/iio:deviceN/in_voltageK_raw     counts
//   .../in_voltageK_scale or in_voltage_scale             mV per count
//   .../in_voltageK_offset or in_voltage_offset (optional) counts added before scaling
// The voltage is (raw + offset) * scale millivolts, as the ABI document says.
// Every read is one conversion (the driver samples on read of _raw).

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AdcChannel, AdcReading } from "../hal/adc.js";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure } from "../hal/errors.js";
import { DeviceFileError } from "./device-file.js";
import { checkSysfsDir, errnoOf, permissionError, readAttribute } from "./sysfs.js";

export interface IioAdcOptions {
  channel: number;
  name: string;
  bits: number;
  vrefMv: number;
  /** The IIO device, `iio:device0`. */
  device: string;
  /** The voltage channel index K of in_voltageK_raw. */
  index: number;
  /** The profile place for messages (`boards/pi.json: adc[0]`). */
  where: string;
  /** Where sysfs is mounted; only tests change it. */
  sysfsRoot?: string;
}

export class IioAdcChannel implements AdcChannel {
  readonly channel: number;
  readonly name: string;
  readonly bits: number;
  readonly vrefMv: number;
  readonly dir: string;
  private readonly rawPath: string;
  private readonly scale: number;
  private readonly offset: number;
  private readonly where: string;

  constructor(o: IioAdcOptions) {
    this.channel = o.channel;
    this.name = o.name;
    this.bits = o.bits;
    this.vrefMv = o.vrefMv;
    this.where = o.where;
    this.dir = join(o.sysfsRoot ?? "/sys", "bus/iio/devices", o.device);
    checkSysfsDir(this.dir, o.where, "IIO device");
    this.rawPath = join(this.dir, `in_voltage${o.index}_raw`);
    if (!existsSync(this.rawPath)) this.fail(`IIO device ${this.dir} has no voltage channel ${o.index} (${this.rawPath} does not exist)`);
    this.scale = this.number(this.attribute(o.index, "scale") ?? this.fail(`neither in_voltage${o.index}_scale nor in_voltage_scale exists in ${this.dir}`));
    const off = this.attribute(o.index, "offset");
    this.offset = off === undefined ? 0 : this.number(off);
    // adc.info reports the profile's bits and vrefMv, and adc.read's
    // millivolts are "raw scaled by the reference": a module may compute
    // either from the other, so the converter's own full scale must agree.
    const fullScaleMv = 2 ** o.bits * this.scale;
    if (!(Math.abs(fullScaleMv - o.vrefMv) <= 0.02 * o.vrefMv)) {
      this.fail(`IIO channel in_voltage${o.index} has a full scale of ${+fullScaleMv.toFixed(1)} mV (2^${o.bits} counts × scale ${this.scale} mV), but the profile's bits ${o.bits} and vrefMv ${o.vrefMv} say ${o.vrefMv} mV; set bits and vrefMv to the converter's (its gain or reference setting decides the scale)`);
    }
    this.read0();
  }

  /** The per-channel attribute file, else the shared one (the ABI allows both). */
  private attribute(index: number, what: string): string | undefined {
    for (const f of [`in_voltage${index}_${what}`, `in_voltage_${what}`]) {
      const p = join(this.dir, f);
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  /** A device that does not match the profile, found when the board loads: refused like a missing device file, naming the connector. */
  private fail(msg: string): never {
    throw new DeviceFileError(`${this.where}: ${msg}`);
  }

  private number(path: string): number {
    let text: string;
    try {
      text = readAttribute(path);
    } catch (e) {
      if (errnoOf(e) === "EACCES") throw permissionError(path, this.where, "iio");
      this.fail(`reading ${path}: ${(e as Error).message}`);
    }
    const v = Number(text);
    if (!Number.isFinite(v)) this.fail(`${path} holds ${JSON.stringify(text)}, not a number`);
    return v;
  }

  /** A first conversion at start-up, so a permission problem is a refusal now, not a fault later. */
  private read0(): void {
    this.number(this.rawPath);
  }

  read(_at: HalCall): AdcReading {
    let text: string;
    try {
      text = readAttribute(this.rawPath);
    } catch (e) {
      const code = errnoOf(e);
      // A conversion that did not complete (the driver's wait for its end-of-conversion interrupt).
      if (code === "ETIMEDOUT" || code === "EAGAIN" || code === "EBUSY") return { ok: false, kind: "timeout", detail: `${this.name}: ${code} reading ${this.rawPath}` };
      throw new PeripheralFailure(this.where, `reading ${this.rawPath}: ${(e as Error).message}`);
    }
    const raw = Number(text);
    if (!Number.isInteger(raw)) throw new PeripheralFailure(this.where, `${this.rawPath} holds ${JSON.stringify(text)}, not a count`);
    // The ABI's raw is a u32 in 0 .. 2^bits - 1 and millivolts a u32. A bipolar
    // converter (the ADS1115's in_voltageK_raw is signed) reads a little below
    // zero near ground, and a channel wider than the profile's bits reads past
    // its top: both saturate, as an ADC at the end of its range does, instead
    // of wrapping round to 4294967293 in the module's u32.
    const counts = Math.min(Math.max(raw, 0), 2 ** this.bits - 1);
    return { ok: true, raw: counts, millivolts: Math.max(0, Math.round((counts + this.offset) * this.scale)) };
  }
}
