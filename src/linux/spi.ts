// An SPI bus served by spidev: each chip select is its own /dev/spidevB.C,
// and one SpiDevice.transfer is one SPI_IOC_MESSAGE(1) full-duplex transfer.
// Mode 0, 8 bits per word and the speed are set once at open.

import { closeSync, openSync } from "node:fs";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure } from "../hal/errors.js";
import type { SpiBus, SpiDevice, SpiResult } from "../hal/spi.js";
import { checkCharacterDevice, DeviceFileError } from "./device-file.js";
import { spiErrorKind } from "./errno.js";
import { errnoName, loadIoctl, type IoctlAddon } from "./ioctl.js";
import * as U from "./uapi.js";

export interface LinuxSpiOptions {
  bus: number;
  name: string;
  devices: readonly { cs: number; name: string; device: string }[];
  where: string;
  speedHz?: number;
  /** The ioctl calls (default: the native addon); tests only pass another. */
  io?: IoctlAddon;
}

class SpidevDevice implements SpiDevice {
  private readonly fd: number;
  constructor(readonly bus: number, readonly cs: number, readonly name: string, private readonly path: string, private readonly io: IoctlAddon, private readonly where: string, private readonly speedHz: number) {
    checkCharacterDevice(path, where, "SPI device");
    this.fd = openSync(path, "r+");
    const set = (req: number, bytes: Uint8Array, what: string) => {
      const code = errnoName(io.ioctl(this.fd, req, bytes));
      if (code) {
        this.close();
        throw new DeviceFileError(`${where}: ${path} refused ${what} (${code}); is it a spidev device?`);
      }
    };
    set(U.SPI_IOC_WR_MODE, Uint8Array.of(0), "SPI mode 0");
    set(U.SPI_IOC_WR_BITS_PER_WORD, Uint8Array.of(8), "8 bits per word");
    const speed = new Uint8Array(4);
    new DataView(speed.buffer).setUint32(0, speedHz, true);
    set(U.SPI_IOC_WR_MAX_SPEED_HZ, speed, `${speedHz} Hz`);
  }

  close(): void {
    closeSync(this.fd);
  }

  transfer(tx: Uint8Array, _at: HalCall): SpiResult {
    if (tx.byteLength === 0) return { ok: true, rx: new Uint8Array(0) };
    const rx = new Uint8Array(tx.byteLength);
    const code = errnoName(this.io.spiTransfer(this.fd, U.encodeSpiTransfer(tx.byteLength, this.speedHz), Uint8Array.from(tx), rx));
    if (code) {
      const kind = spiErrorKind(code);
      if (!kind) throw new PeripheralFailure(this.where, `SPI_IOC_MESSAGE on ${this.path} failed: ${code}`);
      const why = code === "EMSGSIZE" ? ` (a ${tx.byteLength}-byte transfer is longer than spidev's buffer, /sys/module/spidev/parameters/bufsiz)` : "";
      return { ok: false, kind, detail: `${this.name}: ${code}${why}` };
    }
    return { ok: true, rx };
  }
}

export class LinuxSpiBus implements SpiBus {
  readonly bus: number;
  readonly name: string;
  private readonly devices = new Map<number, SpidevDevice>();

  constructor(o: LinuxSpiOptions) {
    this.bus = o.bus;
    this.name = o.name;
    // Every device file is checked before the addon loads, so a missing one is the refusal a gateway sees first.
    o.devices.forEach((d, i) => checkCharacterDevice(d.device, `${o.where}.devices[${i}]`, "SPI device"));
    const io = o.io ?? loadIoctl(o.where);
    try {
      o.devices.forEach((d, i) => this.devices.set(d.cs, new SpidevDevice(o.bus, d.cs, d.name, d.device, io, `${o.where}.devices[${i}]`, o.speedHz ?? 1_000_000)));
    } catch (e) {
      // The chip selects opened before the one refused are closed with it.
      for (const d of this.devices.values()) d.close();
      throw e;
    }
  }

  device(cs: number): SpiDevice | undefined {
    return this.devices.get(cs);
  }
}
