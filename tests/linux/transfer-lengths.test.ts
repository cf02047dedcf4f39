// A module chooses the lengths of its I2C and SPI transfers. One the kernel
// cannot carry (i2c-dev refuses a message over 8192 bytes with EINVAL, an
// adapter's quirks a zero-length one with EOPNOTSUPP, spidev one over its
// bufsiz with EMSGSIZE) must come back to the module as `other`, not end its
// callback as a host-error fault. The native addon is replaced by one that
// answers as those kernel paths do (there is no i2c adapter or spidev here);
// the device files are /dev/null, a character device every machine has.
// (The stand-in is passed to the backends, not mocked: test files share
// their worker's modules.)

import { constants } from "node:os";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { LinuxI2cBus } from "../../src/linux/i2c.js";
import { LinuxSpiBus } from "../../src/linux/spi.js";
import * as U from "../../src/linux/uapi.js";

const E = constants.errno;
let spiModeRefusals: boolean[] = [];
const kernel = {
  ioctl(_fd: number, request: number, arg: Uint8Array): number {
    if (request === U.SPI_IOC_WR_MODE && spiModeRefusals.shift()) return -E.EINVAL;
    if (request === U.I2C_FUNCS) new DataView(arg.buffer, arg.byteOffset).setUint32(0, U.I2C_FUNC_I2C, true);
    return 0;
  },
  i2cRdwr(_fd: number, _msgs: Uint8Array, buffers: Uint8Array[]): number {
    if (buffers.some((b) => b.byteLength > 8192)) return -E.EINVAL;
    if (buffers.some((b) => b.byteLength === 0)) return -E.EOPNOTSUPP; // I2C_AQ_NO_ZERO_LEN
    return buffers.length;
  },
  spiTransfer(_fd: number, _x: Uint8Array, tx: Uint8Array): number {
    return tx.byteLength > 4096 ? -E.EMSGSIZE : tx.byteLength;
  },
  setNonblocking: () => 0,
};
const at = { nowUs: 0n, caller: "test" };

describe("transfer lengths the kernel refuses are the module's status, not the host's failure", () => {
  const i2c = () => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/null", where: "pi.json: i2c[0]", io: kernel });
  it("an I2C read longer than i2c-dev carries is `other`, naming the limit", () => {
    const r = i2c().transaction(0x50, Uint8Array.of(0), 9000, at);
    expect(r).toMatchObject({ ok: false, kind: "other" });
    expect(!r.ok && r.detail).toContain("9000-byte read is longer than the 8192 bytes i2c-dev carries");
  });
  it("an I2C write too long for one i2c_msg (over 65535 bytes) is `other` too, not a thrown RangeError", () => {
    expect(i2c().transaction(0x50, new Uint8Array(70_000), null, at)).toMatchObject({ ok: false, kind: "other" });
  });
  it("a transfer the adapter's quirks refuse (EOPNOTSUPP, EINVAL) is `other`, naming the adapter", () => {
    const r = i2c().transaction(0x50, new Uint8Array(0), null, at);
    expect(r).toEqual({ ok: false, kind: "other", detail: "i2c1 0x50: EOPNOTSUPP (the adapter behind /dev/null cannot make this transfer: a 0-byte write, no read)" });
  });
  it("an I2C transfer within the limits still goes through", () => {
    expect(i2c().transaction(0x50, Uint8Array.of(0), 8192, at)).toMatchObject({ ok: true });
  });
  it("an SPI transfer longer than spidev's bufsiz is `other`, naming bufsiz", () => {
    const dev = new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 0, name: "adc", device: "/dev/null" }], where: "pi.json: spi[0]", io: kernel }).device(0)!;
    expect(dev.transfer(new Uint8Array(5000), at)).toEqual({ ok: false, kind: "other", detail: "adc: EMSGSIZE (a 5000-byte transfer is longer than spidev's buffer, /sys/module/spidev/parameters/bufsiz)" });
    expect(dev.transfer(new Uint8Array(4096), at)).toMatchObject({ ok: true });
  });
  it("an SPI bus whose second chip select is refused at load closes the first one's file too", () => {
    const before = readdirSync("/proc/self/fd").length;
    spiModeRefusals = [false, true];
    expect(() => new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 0, name: "adc", device: "/dev/null" }, { cs: 1, name: "dac", device: "/dev/null" }], where: "pi.json: spi[0]", io: kernel }))
      .toThrow(new DeviceFileError("pi.json: spi[0].devices[1]: /dev/null refused SPI mode 0 (EINVAL); is it a spidev device?"));
    expect(readdirSync("/proc/self/fd").length).toBe(before);
  });
});
