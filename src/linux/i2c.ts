// An I2C controller on Linux i2c-dev (/dev/i2c-N), behind the peripheral
// boundary (src/hal/i2c.ts). One transaction is one I2C_RDWR call: the write
// and the read are joined by a repeated START, as the ABI's i2c.write_read
// promises, which a write(2) then read(2) would not do.

import { closeSync, openSync } from "node:fs";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure } from "../hal/errors.js";
import type { I2cBus, I2cResult } from "../hal/i2c.js";
import { checkCharacterDevice, DeviceFileError } from "./device-file.js";
import { errnoOf, linuxIo } from "./native.js";

export interface LinuxI2cOptions {
  bus: number;
  name: string;
  device: string;
  /** Names for known addresses, from the profile (for the event log). */
  targets: ReadonlyMap<number, string>;
  where: string;
}

/**
 * What an errno from I2C_RDWR means on the wire. Controllers differ (the
 * kernel's Documentation/i2c/fault-codes.rst): ENXIO and EREMOTEIO are a
 * missing acknowledge (which byte it was, the kernel does not say for every
 * controller: an address nack is the usual case), EAGAIN a lost arbitration,
 * ETIMEDOUT a stuck bus, EIO and EPROTO a bus error.
 */
export function i2cErrorKind(code: string): "no-acknowledge-address" | "arbitration-loss" | "timeout" | "bus" | null {
  switch (code) {
    case "ENXIO": case "EREMOTEIO": return "no-acknowledge-address";
    case "EAGAIN": return "arbitration-loss";
    case "ETIMEDOUT": return "timeout";
    case "EIO": case "EPROTO": case "EBADMSG": return "bus";
    default: return null;
  }
}

export class LinuxI2cBus implements I2cBus {
  readonly bus: number;
  readonly name: string;
  private readonly fd: number;

  constructor(private readonly o: LinuxI2cOptions) {
    this.bus = o.bus;
    this.name = o.name;
    this.fd = openSync(checkCharacterDevice(o.device, o.where, "I2C adapter"), "r+");
    try {
      linuxIo().i2cFuncs(this.fd);
    } catch (e) {
      closeSync(this.fd);
      if (errnoOf(e) === "ENOTTY") throw new DeviceFileError(`${o.where}: ${o.device} is not an I2C adapter (it answers no I2C ioctl); name /dev/i2c-N (i2cdetect -l lists them; load i2c-dev)`);
      throw new DeviceFileError(`${o.where}: ${o.device}: ${(e as Error).message}`);
    }
  }

  targetName(address: number): string | undefined {
    return this.o.targets.get(address);
  }

  transaction(address: number, tx: Uint8Array | null, rxLength: number | null, _at: HalCall): I2cResult {
    try {
      const rx = linuxIo().i2cTransaction(this.fd, address, tx ? Buffer.from(tx) : null, rxLength ?? 0);
      return { ok: true, rx: new Uint8Array(rx) };
    } catch (e) {
      const code = errnoOf(e);
      const kind = i2cErrorKind(code);
      if (kind) return { ok: false, kind, detail: `0x${address.toString(16).padStart(2, "0")} on ${this.o.device}: ${(e as Error).message} (${code})` };
      // Not the module's doing (the adapter went away, it is not an I2C adapter): the host's fault.
      throw new PeripheralFailure(this.o.where, `${this.o.device}: ${(e as Error).message} (${code})`);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
