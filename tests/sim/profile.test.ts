import { describe, expect, it } from "vitest";
import { loadBoard } from "../../src/sim/board.js";
import { BoardProfileError } from "../../src/sim/errors.js";
import { validateProfile } from "../../src/sim/profile-validate.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { DEMO_JSON, demoCopy, SCHEMA } from "./helpers.js";
import { validateAgainst } from "./schema-subset.js";

const SOURCE = "boards/x.json";

function errorOf(profile: unknown, trace?: string): string {
  try {
    loadBoard(profile, { source: SOURCE, trace: parseTraceCsv(trace ?? DEMO_TRACE_MIN, "t.csv") });
  } catch (e) {
    expect(e).toBeInstanceOf(BoardProfileError);
    return (e as Error).message;
  }
  throw new Error("profile was accepted");
}

// Every column the demo profile reads, one row each.
const DEMO_TRACE_MIN = ["time,sensor,value", ...["cold_room", "pump_vibration", "pump_pressure_mv", "meter_voltage", "meter_current", "meter_power", "meter_energy_kwh"].map((c) => `0,${c},1`), "0,door,0", "0,pump_running,1"].join("\n");

describe("board profile validation", () => {
  it("accepts the demo profile", () => {
    const { profile } = validateProfile(DEMO_JSON, "boards/demo.json");
    expect(profile.name).toBe("fwx-demo");
    expect(profile.sensors.map((s) => s.name)).toEqual(["cold_room", "pump_vibration", "ambient"]);
    expect(profile.uart[0]!.device?.type).toBe("modbus-rtu-slave");
  });

  const cases: [string, (p: any) => void, string][] = [
    ["range min not below max", (p) => { p.sensors[2].range = { min: 5, max: 5 }; }, "boards/x.json: sensors[2].range: min must be below max"],
    ["missing name", (p) => { delete p.name; }, "boards/x.json: name: is required"],
    ["empty unit", (p) => { p.sensors[0].unit = ""; }, "sensors[0].unit: must be 1..32 bytes"],
    ["duplicate sensor", (p) => { p.sensors[1].name = "cold_room"; }, "sensors[1].name: duplicate sensor name \"cold_room\" (also at sensors[0])"],
    ["negative noise", (p) => { p.sensors[0].noise = -1; }, "sensors[0].noise: must not be negative"],
    ["unknown field", (p) => { p.sensors[0].colour = "red"; }, "sensors[0].colour: unknown field"],
    ["unknown top-level field", (p) => { p.boards = []; }, "boards/x.json: boards: unknown field"],
    ["seed out of range", (p) => { p.seed = -3; }, "seed: must be an integer 0..4294967295"],
    ["two source kinds", (p) => { p.sensors[0].source = { trace: "cold_room", constant: 3 }; }, "sensors[0].source: must have exactly one of"],
    ["sine period 0", (p) => { p.sensors[2].source.sine.periodS = 0; }, "sensors[2].source.sine.periodS: must be above 0"],
    ["sensor from sensor", (p) => { p.sensors[2].source = { sensor: "cold_room" }; }, "sensors[2].source: a sensor cannot read another sensor"],
    ["unknown pin mode", (p) => { p.gpio[0].modes[1] = "analog"; }, "gpio[0].modes[1]: unknown mode \"analog\""],
    ["duplicate pin", (p) => { p.gpio[3].pin = 2; }, "gpio[3].pin: duplicate pin 2 (also at gpio[0])"],
    ["drive on an output-only pin", (p) => { p.gpio[2].drive = 1; }, "gpio[2].drive: only pins with an input mode can be driven"],
    ["drive level not 0/1", (p) => { p.gpio[0].drive = 2; }, "gpio[0].drive: a constant level must be 0 or 1"],
    ["linear drive", (p) => { p.gpio[0].drive = { trace: "door", interpolation: "linear" }; }, "gpio[0].drive.interpolation: a digital level can only be \"step\""],
    ["adc bits", (p) => { p.adc[0].bits = 25; }, "adc[0].bits: must be an integer 1..24, got 25"],
    ["pwm min above max", (p) => { p.pwm[1].minHz = 30000; }, "pwm[1].minHz: min must not be above max"],
    ["i2c duplicate address", (p) => { p.i2c[0].devices[1].address = 72; }, "i2c[0].devices[1].address: duplicate address 72 (also at i2c[0].devices[0])"],
    ["i2c reserved address", (p) => { p.i2c[0].devices[0].address = 0x7c; }, "i2c[0].devices[0].address: must be an integer 8..119"],
    ["i2c unknown device type", (p) => { p.i2c[0].devices[0].type = "bme280"; }, "i2c[0].devices[0].type: must be one of \"tmp102\", \"24c02\", \"adxl345\""],
    ["field of another device type", (p) => { p.i2c[0].devices[0].writeCycleMs = 5; }, "i2c[0].devices[0].writeCycleMs: unknown field"],
    ["eeprom contents not hex", (p) => { p.i2c[0].devices[1].contents = "4g"; }, "i2c[0].devices[1].contents: must be hex bytes"],
    ["eeprom contents too long", (p) => { p.i2c[0].devices[1].contents = "00".repeat(257); }, "i2c[0].devices[1].contents: holds 257 bytes; a 24C02 has 256"],
    ["accelerometer frequency", (p) => { p.i2c[0].devices[2].frequencyHz = 0; }, "i2c[0].devices[2].frequencyHz: must be above 0"],
    ["unknown sensor reference", (p) => { p.i2c[0].devices[0].source = { sensor: "freezer" }; }, "i2c[0].devices[0].source.sensor: no sensor named \"freezer\""],
    ["fault window backwards", (p) => { p.i2c[0].faults = [{ from: 10, to: 5, status: "bus" }]; }, "i2c[0].faults[0].to: must be after from"],
    ["fault status", (p) => { p.i2c[0].faults = [{ from: 1, to: 5, status: "mode-fault" }]; }, "i2c[0].faults[0].status: must be one of"],
    ["spi duplicate cs", (p) => { p.spi[0].devices.push({ ...p.spi[0].devices[0], name: "b" }); }, "spi[0].devices[1].cs: duplicate chip select 0"],
    ["mcp3008 channel 8", (p) => { p.spi[0].devices[0].channels[1].channel = 8; }, "spi[0].devices[0].channels[1].channel: must be an integer 0..7"],
    ["uart parity", (p) => { p.uart[0].device.parity = "mark"; }, "uart[0].device.parity: must be one of \"none\", \"even\", \"odd\", got \"mark\""],
    ["modbus unit id", (p) => { p.uart[0].device.unitId = 0; }, "uart[0].device.unitId: must be an integer 1..247"],
    ["register overlap", (p) => { p.uart[0].device.inputRegisters[1].address = 1; }, "uart[0].device.inputRegisters[1].address: register 1 already belongs to inputRegisters[0] (voltage)"],
    ["holding value does not fit", (p) => { p.uart[0].device.holdingRegisters[0].value = 70000; }, "uart[0].device.holdingRegisters[0].value: 70000 does not fit uint16"],
    ["scale on float", (p) => { p.uart[0].device.inputRegisters[0].scale = 0.1; }, "uart[0].device.inputRegisters[0].scale: applies to integer formats only"],
    ["writable input register", (p) => { p.uart[0].device.inputRegisters[0].writable = true; }, "uart[0].device.inputRegisters[0].writable: unknown field"],
    ["line-stream period", (p) => { p.uart[1].device.periodMs = 0; }, "uart[1].device.periodMs: must be at least 1 ms"],
    ["duplicate port", (p) => { p.uart[1].port = 1; }, "uart[1].port: duplicate port 1"],
    ["grant of a missing pin", (p) => { p.grantable.gpio[0].pin = 99; }, "grantable.gpio[0].pin: no pin 99 on this board"],
    ["grant of a mode the pin lacks", (p) => { p.grantable.gpio[2].modes = ["input"]; }, "grantable.gpio[2].modes[0]: pin 5 (relay_alarm) does not support mode input"],
    ["grant of a missing sensor", (p) => { p.grantable.sensors.push("freezer"); }, "grantable.sensors[3]: no sensor named \"freezer\""],
    ["grant of a missing ADC channel", (p) => { p.grantable.adc = [0, 4]; }, "grantable.adc[1]: no ADC channel 4"],
    ["grant of a missing PWM channel", (p) => { p.grantable.pwm = [2]; }, "grantable.pwm[0]: no PWM channel 2"],
    ["grant of a missing I2C bus", (p) => { p.grantable.i2c = [{ bus: 3, address: 72 }]; }, "grantable.i2c[0].bus: no I2C bus 3"],
    ["grant of a missing chip select", (p) => { p.grantable.spi = [{ bus: 0, cs: 1 }]; }, "grantable.spi[0].cs: no device on chip select 1 of SPI bus 0"],
    ["grant of a missing UART port", (p) => { p.grantable.uart = [1, 7]; }, "grantable.uart[1]: no UART port 7"],
    ["malformed grant", (p) => { p.grantable.gpio[1].modes = []; }, "grantable.gpio[1].modes: must list at least one mode"],
    ["unknown capability", (p) => { p.grantable.wifi = true; }, "grantable.wifi: unknown capability"],
    ["missing grantable", (p) => { delete p.grantable; }, "boards/x.json: grantable: is required"],
  ];
  for (const [what, mutate, expected] of cases) {
    it(`reports ${what}`, () => {
      const p = demoCopy();
      mutate(p);
      expect(errorOf(p)).toContain(expected);
    });
  }

  it("reports a trace column the trace does not have", () => {
    expect(errorOf(demoCopy(), "time,sensor,value\n0,door,0")).toContain("boards/x.json: sensors[0].source.trace: trace t.csv has no rows for \"cold_room\"");
  });

  it("reports trace sources without a trace", () => {
    expect(() => loadBoard(demoCopy(), { source: SOURCE })).toThrow("sensors[0].source.trace: reads trace column \"cold_room\" but no trace was given");
  });

  it("reports a pin trace column holding something other than 0/1, with the trace line", () => {
    expect(errorOf(demoCopy(), DEMO_TRACE_MIN + "\n5,door,0.5")).toContain("gpio[0].drive.trace: drives a pin, but t.csv line 11 gives door = 0.5");
  });

  it("allows granting an I2C address with no device on a declared bus (an empty socket)", () => {
    const p = demoCopy();
    p.grantable.i2c.push({ bus: 1, address: 0x49 });
    expect(validateProfile(p, SOURCE).profile.grantable.i2c).toContainEqual({ bus: 1, address: 0x49 });
  });
});

describe("boards/schema.json", () => {
  it("is a draft 2020-12 schema the demo profile satisfies", () => {
    expect(SCHEMA.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(validateAgainst(SCHEMA, DEMO_JSON)).toEqual([]);
  });

  it("rejects what the validator rejects structurally", () => {
    const p = demoCopy();
    p.gpio[0].modes = ["analog"];
    p.sensors[0].colour = 1;
    expect(validateAgainst(SCHEMA, p).length).toBeGreaterThanOrEqual(2);
  });

  // Where each $defs entry (or oneOf alternative) occurs in the demo profile.
  const instances: [def: string, alt: number | null, path: (p: any) => any, where: string][] = [
    ["sensor", null, (p) => p.sensors[0], "sensors[0]"],
    ["pin", null, (p) => p.gpio[0], "gpio[0]"],
    ["adcChannel", null, (p) => p.adc[0], "adc[0]"],
    ["pwmChannel", null, (p) => p.pwm[0], "pwm[0]"],
    ["i2cBus", 0, (p) => p.i2c[0], "i2c[0]"],
    ["i2cDevice", 0, (p) => p.i2c[0].devices[0], "i2c[0].devices[0]"],
    ["i2cDevice", 1, (p) => p.i2c[0].devices[1], "i2c[0].devices[1]"],
    ["i2cDevice", 2, (p) => p.i2c[0].devices[2], "i2c[0].devices[2]"],
    ["spiBus", 0, (p) => p.spi[0], "spi[0]"],
    ["spiDevice", null, (p) => p.spi[0].devices[0], "spi[0].devices[0]"],
    ["uartPort", null, (p) => p.uart[0], "uart[0]"],
    ["uartDevice", 0, (p) => p.uart[0].device, "uart[0].device"],
    ["uartDevice", 1, (p) => p.uart[1].device, "uart[1].device"],
  ];
  for (const [def, alt, at, where] of instances) {
    const s = alt === null ? SCHEMA.$defs[def] : SCHEMA.$defs[def].oneOf[alt];
    it(`${def}${alt === null ? "" : `[${alt}]`}: the schema's required fields are exactly the validator's`, () => {
      expect(s.required.length).toBeGreaterThan(0);
      // A def whose own oneOf tells a simulated connector from a Linux one (adcChannel): the simulated
      // variant (the first) adds what the simulator needs, and the demo board is simulated.
      const required: string[] = [...s.required, ...(alt === null ? (s.oneOf?.[0]?.required ?? []) : [])];
      for (const field of Object.keys(s.properties)) {
        const p = demoCopy();
        const target = at(p);
        if (target[field] === undefined) continue;
        delete target[field];
        let message = "";
        try { validateProfile(p, SOURCE); } catch (e) { message = (e as Error).message; }
        if (required.includes(field)) expect(message, `${where}.${field}`).toContain(`${where}.${field}: is required`);
        else expect(message, `${where}.${field} is optional in the schema`).not.toContain(`${field}: is required`);
      }
    });
  }

  it("top level: required fields match", () => {
    for (const field of SCHEMA.required as string[]) {
      const p = demoCopy();
      delete p[field];
      expect(() => validateProfile(p, SOURCE)).toThrow(`boards/x.json: ${field}: is required`);
    }
  });
});
