// SPI devices on Linux spidev (/dev/spidevB.C: one file per chip select),
// behind the peripheral boundary (src/hal/spi.ts). A transfer is one
// SPI_IOC_MESSAGE with chip select held throughout, at the mode, word size
// and clock the device file is set to (the device tree or spi-config sets
// them; fwx does not change another driver's settings).

import { closeSync, openSync } from "node:fs";
import type { HalCall } from "../hal/call.js";
import { PeripheralFailure } from "../hal/errors.js";
import type { SpiBus, SpiDevice, SpiResult } from "../hal/spi.js";
import { checkCharacterDevice, DeviceFileError } from "./device-file.js";
import { errnoOf, linuxIo } from "./native.js";

export interface LinuxSpiOptions {
  bus: number;
  name: string;
  devices: readonly { cs: number; name: string; device: string }[];
  where: string;
}

class LinuxSpiDevice implements SpiDevice {
  constructor(readonly bus: number, readonly cs: number, readonly name: string, private readonly fd: number, private readonly path: string, private readonly where: string) {}

  transfer(tx: Uint8Array, _at: HalCall): SpiResult {
    try {
      return { ok: true, rx: new Uint8Array(linuxIo().spiTransfer(this.fd, Buffer.from(tx))) };
    } catch (e) {
      const code = errnoOf(e);
      if (code === "ETIMEDOUT") return { ok: false, kind: "timeout", detail: `${this.path}: ${(e as Error).message}` };
      throw new PeripheralFailure(this.where, `${this.path}: ${(e as Error).message} (${code})`);
    }
  }
}

export class LinuxSpiBus implements SpiBus {
  readonly bus: number;
  readonly name: string;
  private readonly devices = new Map<number, LinuxSpiDevice>();

  constructor(o: LinuxSpiOptions) {
    this.bus = o.bus;
    this.name = o.name;
    o.devices.forEach((d, i) => {
      const where = `${o.where}.devices[${i}]`;
      const fd = openSync(checkCharacterDevice(d.device, where, "SPI device"), "r+");
      try {
        linuxIo().spiMode(fd);
      } catch (e) {
        closeSync(fd);
        if (errnoOf(e) === "ENOTTY") throw new DeviceFileError(`${where}: ${d.device} is not a spidev device (it answers no SPI ioctl); name /dev/spidevB.C (enable spidev for the chip select)`);
        throw new DeviceFileError(`${where}: ${d.device}: ${(e as Error).message}`);
      }
      this.devices.set(d.cs, new LinuxSpiDevice(o.bus, d.cs, d.name, fd, d.device, where));
    });
  }

  device(cs: number): SpiDevice | undefined {
    return this.devices.get(cs);
  }
}
