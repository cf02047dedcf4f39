// The ioctl addon behind the GPIO, I2C and SPI backends (native/linux-io),
// loaded once, on first use: a gateway without GPIO, I2C or SPI connectors on
// Linux never needs it.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../build/compile.js";

export interface LineFlags { input: number; output: number; activeLow: number; edgeRising: number; edgeFalling: number; openDrain: number; biasPullUp: number; biasPullDown: number; biasDisabled: number }

export interface LinuxIo {
  chipInfo(chipFd: number): { name: string; label: string; lines: number };
  lineFlags(): LineFlags;
  requestLine(chipFd: number, line: number, flags: number, consumer: string, outputValue: number): number;
  getValue(lineFd: number): number;
  setValue(lineFd: number, value: number): void;
  /** Pairs: rising (true) or falling, then the kernel's CLOCK_MONOTONIC timestamp in ns as a decimal string. */
  readEdges(lineFd: number): (boolean | string)[];
  i2cTransaction(fd: number, address: number, tx: Buffer | null, rxLength: number): Buffer;
  spiTransfer(fd: number, tx: Buffer): Buffer;
  /** I2C_FUNCS: throws ENOTTY when the file is not an I2C adapter. */
  i2cFuncs(fd: number): number;
  /** SPI_IOC_RD_MODE32: throws ENOTTY when the file is not a spidev device. */
  spiMode(fd: number): number;
}

/** A call into the addon failed: `code` is the errno name (ENOTTY, EBUSY, ENXIO, ...). */
export type LinuxIoError = Error & { code: string };

let loaded: LinuxIo | null = null;

export function linuxIo(): LinuxIo {
  if (loaded) return loaded;
  const file = join(packageRoot(), "native", "linux-io", "build", "Release", "linux_io.node");
  if (!existsSync(file)) {
    throw new Error(`the GPIO/I2C/SPI backends need the linux-io addon, which is not built (${file}): run \`node ${join(packageRoot(), "scripts", "ensure-linux-io.mjs")}\` (gcc, make and python3 from Debian)`);
  }
  loaded = createRequire(import.meta.url)(file) as LinuxIo;
  return loaded;
}

export function errnoOf(e: unknown): string {
  return typeof (e as { code?: unknown })?.code === "string" ? (e as LinuxIoError).code : "EIO";
}
