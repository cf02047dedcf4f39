// An I2C bus served by i2c-dev (/dev/i2c-N): one I2cBus.transaction is one
// I2C_RDWR ioctl, a write and a repeated-START read in one transfer, so no
// other process can come between them. The adapter must support plain I2C
// messages (I2C_FUNC_I2C, checked at open): SMBus-only adapters cannot.

import { closeSync, openSync } from "node:fs";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure } from "../hal/errors.js";
import type { I2cBus, I2cResult } from "../hal/i2c.js";
import { checkCharacterDevice, DeviceFileError } from "./device-file.js";
import { i2cErrorKind } from "./errno.js";
import { errnoName, loadIoctl, type IoctlAddon } from "./ioctl.js";
import * as U from "./uapi.js";

/** The longest message i2c-dev's I2C_RDWR passes to an adapter (drivers/i2c/i2c-dev.c refuses longer ones with EINVAL). */
export const I2C_DEV_MAX_MESSAGE = 8192;

export interface LinuxI2cOptions {
  bus: number;
  name: string;
  device: string;
  where: string;
  /** The ioctl calls (default: the native addon); tests only pass another. */
  io?: IoctlAddon;
}

export class LinuxI2cBus implements I2cBus {
  readonly bus: number;
  readonly name: string;
  private readonly fd: number;
  private readonly io: IoctlAddon;

  constructor(private readonly o: LinuxI2cOptions) {
    this.bus = o.bus;
    this.name = o.name;
    checkCharacterDevice(o.device, o.where, "I2C bus");
    this.io = o.io ?? loadIoctl(o.where);
    this.fd = openSync(o.device, "r+");
    const funcs = new Uint8Array(8); // unsigned long
    const code = errnoName(this.io.ioctl(this.fd, U.I2C_FUNCS, funcs));
    const refusal = code ? `${o.device} is not an i2c-dev adapter (I2C_FUNCS: ${code})`
      : (new DataView(funcs.buffer).getUint32(0, true) & U.I2C_FUNC_I2C) === 0 ? `the adapter behind ${o.device} supports only SMBus, not the plain I2C transfers fwx makes` : null;
    if (refusal) {
      closeSync(this.fd);
      throw new DeviceFileError(`${o.where}: ${refusal}`);
    }
  }

  targetName(_address: number): string | undefined {
    return undefined;
  }

  transaction(address: number, tx: Uint8Array | null, rxLength: number | null, _at: HalCall): I2cResult {
    // The lengths are the module's: one i2c-dev cannot carry is a status for it, not a failure of the host.
    const longest = Math.max(tx?.byteLength ?? 0, rxLength ?? 0);
    if (longest > I2C_DEV_MAX_MESSAGE) return { ok: false, kind: "other", detail: `${this.name} 0x${address.toString(16).padStart(2, "0")}: a ${longest}-byte ${longest === rxLength ? "read" : "write"} is longer than the ${I2C_DEV_MAX_MESSAGE} bytes i2c-dev carries in one message (${this.o.device})` };
    const plan = U.encodeI2cTransaction(address, tx === null ? null : Uint8Array.from(tx), rxLength);
    const r = this.io.i2cRdwr(this.fd, plan.msgs, plan.buffers);
    const code = errnoName(r);
    if (code) {
      const kind = i2cErrorKind(code);
      if (!kind) throw new PeripheralFailure(this.o.where, `I2C_RDWR to 0x${address.toString(16)} on ${this.o.device} failed: ${code}`);
      const why = code === "EINVAL" || code === "EOPNOTSUPP" || code === "ENOTSUP" ? ` (the adapter behind ${this.o.device} cannot make this transfer: ${tx === null ? "no" : `a ${tx.byteLength}-byte`} write, ${rxLength === null ? "no" : `a ${rxLength}-byte`} read)` : "";
      return { ok: false, kind, detail: `${this.name} 0x${address.toString(16).padStart(2, "0")}: ${code}${why}` };
    }
    return { ok: true, rx: plan.readIndex >= 0 ? plan.buffers[plan.readIndex]! : new Uint8Array(0) };
  }
}
