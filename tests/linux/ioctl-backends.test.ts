// The GPIO (character device), I2C (i2c-dev) and SPI (spidev) backends and
// their ioctl addon (native/linux-io), built by the project's own script.
// This machine's kernel has no GPIO chip, I2C adapter or spidev device (no
// gpio-sim, i2c-stub or spidev loopback), so what runs here is:
//   - the addon's flag values against <linux/gpio.h> as text (an independent
//     reading of the header the addon is compiled with), and the request
//     flags of every pin mode;
//   - every refusal on real files: a missing device file names the connector
//     and the path; a character device that is not a GPIO chip, an I2C adapter
//     or a spidev device (/dev/null answers ENOTTY to their ioctls) is refused
//     when the board loads, naming what it is not;
//   - the I2C errno → error-kind table (Documentation/i2c/fault-codes.rst).
// Line requests, values, edges, transactions and transfers on a real kernel
// device are not run here (docs/board-profiles.md says so).

import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { LinuxPin, requestFlags } from "../../src/linux/gpio.js";
import { i2cErrorKind, LinuxI2cBus } from "../../src/linux/i2c.js";
import { linuxIo } from "../../src/linux/native.js";
import { LinuxSpiBus } from "../../src/linux/spi.js";
import { applyDeviceOverrides, parseDeviceOverride } from "../../src/linux/dev-override.js";
import { linuxHardware } from "../../src/linux/index.js";
import { loadBoard } from "../../src/sim/board.js";

const root = resolve(import.meta.dirname, "../..");
const MODES = ["input", "input-pull-up", "input-pull-down", "output", "output-open-drain"] as const;

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(root, "scripts", "ensure-linux-io.mjs")], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`scripts/ensure-linux-io.mjs failed: ${r.stdout}${r.stderr}`);
}, 300_000);

/** GPIO_V2_LINE_FLAG_<NAME> = _BITULL(n) from the installed kernel header, read as text. */
function headerFlags(): Record<string, number> {
  const text = readFileSync("/usr/include/linux/gpio.h", "utf8");
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^\s*GPIO_V2_LINE_FLAG_(\w+)\s*=\s*_BITULL\((\d+)\)/gm)) out[m[1]!] = 2 ** Number(m[2]);
  return out;
}

describe("Linux GPIO, I2C and SPI backends", () => {
  it("take their flag values from the kernel header, and ask each pin mode for exactly its flags", () => {
    const h = headerFlags();
    const f = linuxIo().lineFlags();
    expect(f).toEqual({
      input: h.INPUT, output: h.OUTPUT, activeLow: h.ACTIVE_LOW, edgeRising: h.EDGE_RISING, edgeFalling: h.EDGE_FALLING,
      openDrain: h.OPEN_DRAIN, biasPullUp: h.BIAS_PULL_UP, biasPullDown: h.BIAS_PULL_DOWN, biasDisabled: h.BIAS_DISABLED,
    });
    const edges = h.EDGE_RISING! | h.EDGE_FALLING!;
    expect(MODES.map((m) => requestFlags(f, m, false))).toEqual([
      h.INPUT! | h.BIAS_DISABLED!, h.INPUT! | h.BIAS_PULL_UP!, h.INPUT! | h.BIAS_PULL_DOWN!, h.OUTPUT!, h.OUTPUT! | h.OPEN_DRAIN!,
    ]);
    // Watching adds both edges to inputs only (the kernel refuses edge detection on outputs).
    expect(MODES.map((m) => requestFlags(f, m, true) ^ requestFlags(f, m, false))).toEqual([edges, edges, edges, 0, 0]);
  });

  it("refuse a missing device file, naming the connector and the path", () => {
    const where = "boards/pi.json: gpio[0]";
    expect(() => new LinuxPin({ number: 4, name: "gpio4", modes: ["input"], chip: "/dev/gpiochip-none", line: 4, where }))
      .toThrow(new DeviceFileError(`${where}: GPIO chip /dev/gpiochip-none does not exist (is the device connected and its driver loaded?)`));
    expect(() => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/i2c-none", targets: new Map(), where: "boards/pi.json: i2c[0]" }))
      .toThrow("boards/pi.json: i2c[0]: I2C adapter /dev/i2c-none does not exist");
    expect(() => new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 0, name: "ce0", device: "/dev/spidev-none" }], where: "boards/pi.json: spi[0]" }))
      .toThrow("boards/pi.json: spi[0].devices[0]: SPI device /dev/spidev-none does not exist");
  });

  it("refuse a character device that is not what the connector needs (the kernel answers ENOTTY), naming what it is not", () => {
    expect(() => new LinuxPin({ number: 4, name: "gpio4", modes: ["input"], chip: "/dev/null", line: 4, where: "w: gpio[0]" }))
      .toThrow("w: gpio[0]: /dev/null is not a GPIO chip (it answers no GPIO ioctl); name /dev/gpiochipN (gpiodetect lists them)");
    expect(() => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/null", targets: new Map(), where: "w: i2c[0]" }))
      .toThrow("w: i2c[0]: /dev/null is not an I2C adapter (it answers no I2C ioctl)");
    expect(() => new LinuxSpiBus({ bus: 0, name: "spi0", devices: [{ cs: 0, name: "ce0", device: "/dev/null" }], where: "w: spi[0]" }))
      .toThrow("w: spi[0].devices[0]: /dev/null is not a spidev device (it answers no SPI ioctl)");
    // The addon's own calls on a file that is none of these: an Error with the errno's name, for the backends to map.
    const io = linuxIo();
    const fd = openSync("/dev/null", "r+");
    for (const call of [() => io.requestLine(fd, 0, io.lineFlags().input, "fwx", 0), () => io.i2cTransaction(fd, 0x48, Buffer.of(0), 2), () => io.spiTransfer(fd, Buffer.of(1, 2))]) {
      expect(call).toThrow(expect.objectContaining({ code: "ENOTTY" }));
    }
    closeSync(fd);
  });

  it("map I2C errnos onto the error kinds the ABI documents for i2c calls", () => {
    expect(["ENXIO", "EREMOTEIO", "EAGAIN", "ETIMEDOUT", "EIO", "EPROTO", "ENODEV"].map(i2cErrorKind))
      .toEqual(["no-acknowledge-address", "no-acknowledge-address", "arbitration-loss", "timeout", "bus", "bus", null]);
  });

  it("open when the Raspberry Pi header profile loads: here, with no GPIO chip, the first connector is refused naming its device file", () => {
    const json = JSON.parse(readFileSync(join(root, "boards/raspberry-pi-4-header.json"), "utf8"));
    const load = (over: string[]) => loadBoard(applyDeviceOverrides(json, over.map(parseDeviceOverride), "boards/raspberry-pi-4-header.json"),
      { source: "boards/raspberry-pi-4-header.json", hardware: linuxHardware() });
    let refusal: unknown = null;
    try {
      load([]);
    } catch (e) {
      refusal = e;
    }
    // A machine with a real /dev/gpiochip0 (a Pi) would load it; this one must say exactly what is missing.
    if (refusal !== null) expect((refusal as Error).message).toMatch(/^boards\/raspberry-pi-4-header\.json: gpio\[0\]: (GPIO chip \/dev\/gpiochip0 does not exist|no permission|\/dev\/gpiochip0 is not a GPIO chip|line 4 is past)/);
    // --dev reaches the profile's checks: a GPIO chip must be named as one.
    expect(() => load(["gpio4=/dev/null:4"])).toThrow(`boards/raspberry-pi-4-header.json: gpio[0].backend.linux.chip: "/dev/null" is not a device path like /dev/gpiochip0`);
  });
});
