// The GPIO, I2C and SPI backends through the native ioctl addon against the
// real kernel of this machine, which has no gpiochip, i2c adapter or spidev:
// the backends are pointed at /dev/null, a character device every kernel
// has, whose driver answers every ioctl with ENOTTY. That proves the addon
// is built by the project's script, loads into Node, reaches the kernel
// with the request, and that the kernel's errno comes back as the refusal or
// hal error kind the backend documents. It does not prove that a GPIO line,
// an I2C target or an SPI device answers (no gpio-sim / i2c-stub / spidev
// loopback here; see tests/linux/uapi-layout.test.ts for the request layout).

import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { LinuxGpioPin, lineFlags } from "../../src/linux/gpio.js";
import { LinuxI2cBus } from "../../src/linux/i2c.js";
import { errnoName, loadIoctl } from "../../src/linux/ioctl.js";
import { LinuxSpiBus } from "../../src/linux/spi.js";
import * as U from "../../src/linux/uapi.js";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = resolve(import.meta.dirname, "../..");
const at = { nowUs: 0n, caller: "test" };

beforeAll(() => {
  const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", "ensure-linux-ioctl.mjs")], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`scripts/ensure-linux-ioctl.mjs failed: ${r.stderr}`);
}, 600_000);

describe("native ioctl addon against the running kernel", () => {
  it("a GPIO line request on /dev/null comes back ENOTTY from the kernel", () => {
    const io = loadIoctl("test");
    const fd = openSync("/dev/null", "r+");
    try {
      expect(errnoName(io.ioctl(fd, U.GPIO_V2_GET_LINE_IOCTL, U.encodeLineRequest([1], "fwx", { flags: U.GpioLineFlag.INPUT })))).toBe("ENOTTY");
      expect(errnoName(io.i2cRdwr(fd, U.encodeI2cTransaction(0x48, Uint8Array.of(1), 2).msgs, [Uint8Array.of(1), new Uint8Array(2)]))).toBe("ENOTTY");
      expect(errnoName(io.spiTransfer(fd, U.encodeSpiTransfer(2, 1000), new Uint8Array(2), new Uint8Array(2)))).toBe("ENOTTY");
      expect(errnoName(io.ioctl(-1, U.I2C_FUNCS, new Uint8Array(8)))).toBe("EBADF");
    } finally {
      closeSync(fd);
    }
  });
  it("setNonblocking makes an empty fd's read fail with EAGAIN instead of blocking (how a watched GPIO line is polled); in a child with a deadline, since a regression would block", () => {
    const dir = mkdtempSync(join(tmpdir(), "fwx-nb-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, "fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const script = `
      const fs = require("node:fs");
      const io = require(${JSON.stringify(join(root, "build/native/fwx_linux_ioctl.node"))});
      const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDWR); // no writer needed, no EOF
      const r = io.setNonblocking(fd);
      let code = "read returned";
      try { fs.readSync(fd, new Uint8Array(48)); } catch (e) { code = e.code; }
      console.log(JSON.stringify({ r, code, bad: io.setNonblocking(-1) }));`;
    const run = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, "-e", script], { encoding: "utf8", timeout: 10_000 });
    expect(run.signal, "the read blocked: the fd is not non-blocking").toBeNull();
    expect(JSON.parse(run.stdout)).toEqual({ r: 0, code: "EAGAIN", bad: -9 });
  });
  it("the addon refuses buffers that do not match the request (no kernel call)", () => {
    const io = loadIoctl("test");
    expect(() => io.ioctl(0, U.GPIO_V2_GET_LINE_IOCTL, new Uint8Array(10))).toThrow(/shorter than the request's argument size/);
    expect(() => io.i2cRdwr(0, U.encodeI2cTransaction(0x48, Uint8Array.of(1), null).msgs, [new Uint8Array(3)])).toThrow(/len differs from its buffer/);
    expect(() => io.spiTransfer(0, U.encodeSpiTransfer(2, 1000), new Uint8Array(3), new Uint8Array(2))).toThrow(/len differs/);
  });
});

describe("backends on a character device that is not theirs", () => {
  it("I2C: /dev/null is refused naming the connector and that it is not an i2c-dev adapter", () => {
    expect(() => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/null", where: "pi.json: i2c[0]" })).toThrow(new DeviceFileError("pi.json: i2c[0]: /dev/null is not an i2c-dev adapter (I2C_FUNCS: ENOTTY)"));
  });
  it("SPI: /dev/null is refused naming the chip select's place", () => {
    expect(() => new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 0, name: "adc", device: "/dev/null" }], where: "pi.json: spi[0]" })).toThrow("pi.json: spi[0].devices[0]: /dev/null refused SPI mode 0 (ENOTTY); is it a spidev device?");
  });
  it("GPIO: /dev/null is refused when the board loads, naming the connector and that it is not a GPIO chip (tests/linux/gpio-chip.test.ts: a request the chip refuses)", () => {
    expect(() => new LinuxGpioPin({ number: 4, name: "gpio4", modes: ["input", "output"], chip: "/dev/null", line: 4, where: "pi.json: gpio[0]" }))
      .toThrow(new DeviceFileError("pi.json: gpio[0]: /dev/null is not a GPIO chip (GPIO_GET_CHIPINFO_IOCTL: ENOTTY)"));
  });
  it("a refused device's file descriptors are closed with the refusal", () => {
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    for (let i = 0; i < 5; i++) {
      expect(() => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/null", where: "pi.json: i2c[0]" })).toThrow(DeviceFileError);
      expect(() => new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 0, name: "adc", device: "/dev/null" }], where: "pi.json: spi[0]" })).toThrow(DeviceFileError);
      expect(() => new LinuxGpioPin({ number: 4, name: "gpio4", modes: ["input"], chip: "/dev/null", line: 4, where: "pi.json: gpio[0]" })).toThrow(DeviceFileError);
    }
    expect(open()).toBe(before);
  });
  it("missing device files are refused naming the connector and the path, before the addon is needed", () => {
    expect(() => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/i2c-77", where: "pi.json: i2c[0]" })).toThrow("pi.json: i2c[0]: I2C bus /dev/i2c-77 does not exist");
    expect(() => new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 1, name: "x", device: "/dev/spidev9.1" }], where: "pi.json: spi[0]" })).toThrow("pi.json: spi[0].devices[0]: SPI device /dev/spidev9.1 does not exist");
    expect(() => new LinuxGpioPin({ number: 4, name: "g", modes: ["input"], chip: "/dev/gpiochip9", line: 4, where: "pi.json: gpio[0]" })).toThrow("pi.json: gpio[0]: GPIO chip /dev/gpiochip9 does not exist");
  });
  it("line flags per mode: edge detection only on watched inputs", () => {
    expect(lineFlags("input-pull-up", true)).toBe(U.GpioLineFlag.INPUT | U.GpioLineFlag.BIAS_PULL_UP | U.GpioLineFlag.EDGE_RISING | U.GpioLineFlag.EDGE_FALLING);
    expect(lineFlags("output-open-drain", true)).toBe(U.GpioLineFlag.OUTPUT | U.GpioLineFlag.OPEN_DRAIN);
    expect(lineFlags("input", false)).toBe(U.GpioLineFlag.INPUT);
  });
});
