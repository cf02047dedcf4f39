// --dev <connector>=<path> rewrites a parsed profile before validation: the
// connector named by kind and number or by name gets a Linux backend at the
// path, its simulator data dropped; mistakes name the option.

import { describe, expect, it } from "vitest";
import { applyDeviceOverrides, attributeToOption, parseDeviceOverride } from "../../src/linux/dev-override.js";
import { validateProfile } from "../../src/sim/profile-validate.js";
import { demoCopy } from "../sim/helpers.js";

const apply = (p: unknown, ...opts: string[]) => applyDeviceOverrides(p, opts.map(parseDeviceOverride), "boards/x.json") as any;

describe("--dev", () => {
  it("turns a simulated UART into a Linux one by kind and number, or by name, and the result validates", () => {
    for (const name of ["uart1", "rs485"]) {
      const p = apply(demoCopy(), `${name}=/dev/ttyUSB0`);
      expect(p.uart[0].device).toBeUndefined();
      expect(p.uart[0].backend).toEqual({ linux: { device: "/dev/ttyUSB0" } });
      expect(validateProfile(p, "boards/x.json").profile.uart[0]!.backend).toEqual({ of: "uart", device: "/dev/ttyUSB0", flowControl: "none" });
    }
  });

  it("keeps a Linux UART's flow control, moves an I2C bus, and leaves the original untouched", () => {
    const original = demoCopy();
    delete original.uart[0].device;
    original.uart[0].backend = { linux: { device: "/dev/ttyS1", flowControl: "rts-cts" } };
    const p = apply(original, "uart1=/dev/ttyUSB3", "i2c1=/dev/i2c-7");
    expect(p.uart[0].backend).toEqual({ linux: { flowControl: "rts-cts", device: "/dev/ttyUSB3" } });
    expect(p.i2c[0].backend).toEqual({ linux: { device: "/dev/i2c-7" } });
    expect(p.i2c[0].devices).toBeUndefined();
    expect(original.uart[0].backend.linux.device).toBe("/dev/ttyS1");
    expect(original.i2c[0].devices.length).toBeGreaterThan(0);
  });

  it("serves a GPIO pin from a line of a chip (chip:line, or the chip alone keeping the pin's number), dropping its simulated drive", () => {
    const demo = demoCopy();
    const pin = demo.gpio.find((g: { name: string }) => g.name === "door_switch");
    const other = demo.gpio.findIndex((g: { name: string }) => g.name !== "door_switch");
    const p = apply(demo, "door_switch=/dev/gpiochip2:17", `gpio${demo.gpio[other].pin}=/dev/gpiochip0`);
    const served = p.gpio.find((g: { name: string }) => g.name === "door_switch");
    expect(served.backend).toEqual({ linux: { chip: "/dev/gpiochip2", line: 17 } });
    expect(served.drive).toBeUndefined();
    expect(p.gpio[other].backend).toEqual({ linux: { chip: "/dev/gpiochip0", line: demo.gpio[other].pin } });
    expect(pin.drive).toBeDefined();
    expect(validateProfile(p, "boards/x.json").profile.gpio.find((g) => g.name === "door_switch")!.backend).toEqual({ of: "gpio", chip: "/dev/gpiochip2", line: 17 });
  });

  it("refuses bad syntax, an unknown connector and the same connector twice, naming the option", () => {
    expect(() => parseDeviceOverride("uart1:/dev/ttyS0")).toThrow("--dev uart1:/dev/ttyS0: expected <connector>=<absolute device path>, like uart1=/dev/ttyUSB0 or rs485=/dev/serial0");
    expect(() => parseDeviceOverride("uart1=ttyS0")).toThrow("--dev uart1=ttyS0: expected <connector>=<absolute device path>");
    expect(() => apply(demoCopy(), "spi0=/dev/spidev0.0")).toThrow(/^--dev spi0=\/dev\/spidev0\.0: boards\/x\.json has no connector "spi0" a device path can serve \(known: uart1 \(rs485\), uart2 \(rs232\), i2c1 \(i2c1\), gpio\d+ \(\w+\).*; SPI chip selects are set in the profile\)$/);
    expect(() => apply(demoCopy(), "uart1=/dev/ttyS0", "rs485=/dev/ttyS1")).toThrow("--dev rs485=/dev/ttyS1: uart[0] is already set by --dev uart1=/dev/ttyS0");
  });

  it("a Linux port listing a rate termios cannot set is refused when the profile loads, naming the field, not at every uart.open", () => {
    const p = apply(demoCopy(), "uart1=/dev/ttyUSB0");
    p.uart[0].bauds = [9600, 31250];
    expect(() => validateProfile(p, "boards/x.json")).toThrow(/^boards\/x\.json: uart\[0\]\.bauds\[1\]: 31250 is not a rate Linux termios can set on \/dev\/ttyUSB0 \(it sets 300, 600, .*, 4000000\)$/);
    const sim = demoCopy();
    sim.uart[0].bauds = [9600, 31250];
    expect(validateProfile(sim, "boards/x.json").profile.uart[0]!.bauds).toEqual([9600, 31250]); // the simulator makes any rate
  });

  it("the profile's checks of a connector an option serves are said about the option, others as they are", () => {
    const opts = ["i2c1=/dev/i2c1", "uart1=/dev/ttyUSB9"].map(parseDeviceOverride);
    const p = applyDeviceOverrides(demoCopy(), opts, "boards/x.json");
    let message = "";
    try {
      validateProfile(p, "boards/x.json");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('boards/x.json: i2c[0].backend.linux.device: "/dev/i2c1" is not a device path like /dev/i2c-1');
    expect(attributeToOption(message, opts)).toBe('--dev i2c1=/dev/i2c1: "/dev/i2c1" is not a device path like /dev/i2c-1');
    expect(attributeToOption("boards/x.json: uart[0]: serial device /dev/ttyUSB9 does not exist", opts)).toBe("--dev uart1=/dev/ttyUSB9: serial device /dev/ttyUSB9 does not exist");
    // A connector no option serves keeps the profile's own words.
    expect(attributeToOption("boards/x.json: gpio[0]: GPIO chip /dev/gpiochip0 does not exist", opts)).toBe("boards/x.json: gpio[0]: GPIO chip /dev/gpiochip0 does not exist");
  });
});
