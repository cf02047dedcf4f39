// A board profile says per connector which backend serves it: the simulator
// (default) or a Linux device. Validation names the file and field of every
// mistake; loading routes a Linux connector to the hardware backends given,
// or refuses it when this build has none for its kind.

import { describe, expect, it } from "vitest";
import { loadBoard, type HardwareBackends } from "../../src/sim/board.js";
import { BoardProfileError } from "../../src/sim/errors.js";
import { validateProfile } from "../../src/sim/profile-validate.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import type { UartPort } from "../../src/hal/uart.js";
import { demoCopy, SCHEMA } from "./helpers.js";
import { validateAgainst } from "./schema-subset.js";

const SOURCE = "boards/x.json";
const TRACE = ["time,sensor,value", ...["cold_room", "pump_vibration", "pump_pressure_mv", "meter_voltage", "meter_current", "meter_power", "meter_energy_kwh"].map((c) => `0,${c},1`), "0,door,0", "0,pump_running,1"].join("\n");

/** The demo profile with its Modbus port (uart[0], port 1) on a serial device. */
function linuxUart(): any {
  const p = demoCopy();
  delete p.uart[0].device;
  p.uart[0].backend = { linux: { device: "/dev/ttyUSB0" } };
  return p;
}

function validationError(p: unknown): string {
  try {
    validateProfile(p, SOURCE);
  } catch (e) {
    expect(e).toBeInstanceOf(BoardProfileError);
    return (e as Error).message;
  }
  throw new Error("profile was accepted");
}

describe("connector backends in a board profile", () => {
  it("defaults to the simulator, and \"sim\" says so explicitly", () => {
    const p = demoCopy();
    p.gpio[3].backend = "sim";
    const { profile } = validateProfile(p, SOURCE);
    expect(profile.gpio.every((g) => g.backend === undefined)).toBe(true);
    expect(validateAgainst(SCHEMA, p)).toEqual([]);
  });

  it("accepts Linux devices for a pin, an I2C bus, an SPI bus and a UART port", () => {
    const p = linuxUart();
    p.gpio[3].backend = { linux: { chip: "/dev/gpiochip0", line: 17 } };
    p.i2c[0] = { bus: 1, name: "i2c1", backend: { linux: { device: "/dev/i2c-1" } } };
    p.spi[0] = { bus: 0, name: "spi0", backend: { linux: { devices: [{ cs: 0, name: "adc", device: "/dev/spidev0.0" }] } } };
    p.grantable.i2c = [];
    const { profile } = validateProfile(p, SOURCE);
    expect(profile.gpio[3]!.backend).toEqual({ of: "gpio", chip: "/dev/gpiochip0", line: 17 });
    expect(profile.i2c[0]!.backend).toEqual({ of: "i2c", device: "/dev/i2c-1" });
    expect(profile.spi[0]!.backend).toEqual({ of: "spi", devices: [{ cs: 0, name: "adc", device: "/dev/spidev0.0" }] });
    expect(profile.uart[0]!.backend).toEqual({ of: "uart", device: "/dev/ttyUSB0", flowControl: "none" });
    expect(validateAgainst(SCHEMA, p)).toEqual([]);
  });

  const cases: [string, (p: any) => void, string][] = [
    ["unknown backend name", (p) => { p.gpio[3].backend = "linux"; }, `boards/x.json: gpio[3].backend: unknown backend "linux" (known: "sim", {"linux": {...}})`],
    ["unknown backend object", (p) => { p.gpio[3].backend = { kernel: {} }; }, "boards/x.json: gpio[3].backend.kernel: unknown field (allowed: linux)"],
    ["missing line", (p) => { p.gpio[3].backend = { linux: { chip: "/dev/gpiochip0" } }; }, "boards/x.json: gpio[3].backend.linux.line: is required"],
    ["sysfs GPIO path", (p) => { p.gpio[3].backend = { linux: { chip: "/sys/class/gpio/gpio17", line: 17 } }; }, `boards/x.json: gpio[3].backend.linux.chip: "/sys/class/gpio/gpio17" is not a device path like /dev/gpiochip0`],
    ["a driven pin handed to Linux", (p) => { p.gpio[0].backend = { linux: { chip: "/dev/gpiochip0", line: 4 } }; }, "boards/x.json: gpio[0].drive: is simulator data, but gpio[0].backend hands this connector to Linux; remove one of them"],
    ["a simulated Modbus slave on a Linux port", (p) => { p.uart[0].backend = { linux: { device: "/dev/ttyS1" } }; }, "boards/x.json: uart[0].device: is simulator data, but uart[0].backend hands this connector to Linux"],
    ["bad I2C device", (p) => { p.i2c[0] = { bus: 1, name: "i2c1", backend: { linux: { device: "/dev/i2c1" } } }; }, `boards/x.json: i2c[0].backend.linux.device: "/dev/i2c1" is not a device path like /dev/i2c-1`],
    ["simulated I2C devices on a Linux bus", (p) => { p.i2c[0].backend = { linux: { device: "/dev/i2c-1" } }; }, "boards/x.json: i2c[0].devices: is simulator data"],
    ["duplicate SPI chip select", (p) => { p.spi[0] = { bus: 0, name: "spi0", backend: { linux: { devices: [{ cs: 0, name: "a", device: "/dev/spidev0.0" }, { cs: 0, name: "b", device: "/dev/spidev0.1" }] } } }; }, "boards/x.json: spi[0].backend.linux.devices[1].cs: duplicate chip select 0 (also at spi[0].backend.linux.devices[0])"],
    ["grant of a chip select Linux does not serve", (p) => { p.spi[0] = { bus: 0, name: "spi0", backend: { linux: { devices: [{ cs: 1, name: "a", device: "/dev/spidev0.1" }] } } }; }, "boards/x.json: grantable.spi[0].cs: no device on chip select 0 of SPI bus 0"],
    ["unknown flow control", (p) => { delete p.uart[0].device; p.uart[0].backend = { linux: { device: "/dev/ttyS1", flowControl: "dtr" } }; }, `boards/x.json: uart[0].backend.linux.flowControl: must be one of "none", "rts-cts", "xon-xoff", got "dtr"`],
  ];
  for (const [what, mutate, message] of cases) {
    it(`refuses ${what}, naming the file and field`, () => {
      const p = demoCopy();
      mutate(p);
      expect(validationError(p)).toContain(message);
    });
  }

  it("the schema refuses a Linux bus that also lists simulated devices", () => {
    const p = demoCopy();
    p.i2c[0].backend = { linux: { device: "/dev/i2c-1" } };
    expect(validateAgainst(SCHEMA, p).length).toBeGreaterThan(0);
  });
});

describe("loading a board with Linux connectors", () => {
  it("refuses a connector this build has no backend for, naming the field", () => {
    expect(() => loadBoard(linuxUart(), { source: SOURCE, trace: parseTraceCsv(TRACE, "t.csv") }))
      .toThrow(`boards/x.json: uart[0].backend: this build has no Linux backend for UART ports; serve the connector with "sim" or leave "backend" out`);
  });

  it("puts the backend's port in the connector's place and simulates the rest", () => {
    const opened: string[] = [];
    const port: UartPort = {
      port: 1, name: "rs485", bauds: [9600], parities: ["even"], stopBits: [1], txBufferBytes: 64,
      open: () => null, close: () => {}, write: () => 0, read: () => ({ bytes: [] }),
    };
    const hardware: HardwareBackends = { uart(spec, where) { opened.push(`${where} ${spec.backend.device}`); return port; } };
    const board = loadBoard(linuxUart(), { source: SOURCE, trace: parseTraceCsv(TRACE, "t.csv"), hardware });
    expect(opened).toEqual(["boards/x.json: uart[0] /dev/ttyUSB0"]);
    expect(board.peripherals.uart(1)).toBe(port);
    expect(board.uart(1)).toBeUndefined(); // not simulated
    expect(board.peripherals.uart(2)?.name).toBe("rs232"); // still simulated
    expect(board.nextEventAt()).toBeNull();
  });

  it("passes on a backend's refusal to open a device", () => {
    const hardware: HardwareBackends = { uart(spec, where) { throw new Error(`${where}: ${spec.backend.device} does not exist`); } };
    expect(() => loadBoard(linuxUart(), { source: SOURCE, trace: parseTraceCsv(TRACE, "t.csv"), hardware })).toThrow("boards/x.json: uart[0]: /dev/ttyUSB0 does not exist");
  });
});
