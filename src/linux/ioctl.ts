// Loads the native ioctl addon (native/linux-ioctl.c, built into
// build/native/ by scripts/ensure-linux-ioctl.mjs) and turns its -errno
// results into errno names. Loaded only when a profile hands a GPIO, I2C or
// SPI connector to Linux, so a simulated run never needs it.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../build/compile.js";
import { DeviceFileError } from "./device-file.js";

export interface IoctlAddon {
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  i2cRdwr(fd: number, msgs: Uint8Array, buffers: Uint8Array[]): number;
  spiTransfer(fd: number, xfer: Uint8Array, tx: Uint8Array, rx: Uint8Array): number;
  setNonblocking(fd: number): number;
}

/**
 * Errno numbers to the names errno.ts maps. Node's table lacks some Linux
 * errnos (EREMOTEIO, 121: what the Raspberry Pi's and DesignWare's I2C
 * adapters return for a NACK) and gives two names to some numbers, the last
 * of which would win (EWOULDBLOCK for EAGAIN, 11: lost arbitration), so the
 * names i2c-dev, spidev and gpiolib are documented with are set here.
 * (The numbers are asm-generic's, the same on x86-64, arm64 and 32-bit ARM.)
 */
const ERRNO_NAMES = new Map<number, string>([
  ...Object.entries(constants.errno).map(([k, v]) => [v, k] as [number, string]),
  [11, "EAGAIN"], [95, "EOPNOTSUPP"], [121, "EREMOTEIO"],
]);

/** The errno name of a negative addon result (`ENXIO`), or null for success. */
export function errnoName(result: number): string | null {
  return result >= 0 ? null : ERRNO_NAMES.get(-result) ?? `errno ${-result}`;
}

const loaded = new Map<string, IoctlAddon>();

/** The addon of the package at `root` (tests only change it). */
export function loadIoctl(where: string, root = packageRoot()): IoctlAddon {
  const path = join(root, "build", "native", "fwx_linux_ioctl.node");
  const addon = loaded.get(path);
  if (addon) return addon;
  // A refusal of the board like a missing device file (fwx agent/run/board serve: exit 2 with this text), not an internal error.
  if (!existsSync(path)) throw new DeviceFileError(`${where}: the Linux GPIO/I2C/SPI backends need the native ioctl addon ${path}; build it with: node ${join(root, "scripts", "ensure-linux-ioctl.mjs")}`);
  const loadedNow = createRequire(import.meta.url)(path) as IoctlAddon;
  loaded.set(path, loadedNow);
  return loadedNow;
}
