// Validation of the bus sections of a board profile: I2C, SPI and UART
// devices with their device-specific settings.

import { connectorBackend, LINUX_TERMIOS_BAUDS } from "./profile-backends.js";
import { checkUnique, JsonReader, type JsonObject } from "./profile-json.js";
import type {
  BusFault, I2cBusSpec, I2cDeviceSpec, I2cFaultStatus, LineSettings, ModbusSlaveSpec, RegisterSpec, SpiBusSpec, SpiFaultStatus, UartDeviceSpec, UartPortSpec,
} from "./profile-types.js";
import type { SourceRef } from "./profile-validate.js";

export const I2C_FAULTS: readonly I2cFaultStatus[] = ["bus", "arbitration-loss", "nack-data", "overrun", "timeout", "other"];
export const SPI_FAULTS: readonly SpiFaultStatus[] = ["overrun", "mode-fault", "frame-format", "timeout", "other"];
export const STANDARD_BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
const PARITIES = ["none", "even", "odd"] as const;

function faults<S extends string>(r: JsonReader, o: JsonObject, path: string, statuses: readonly S[], targetKey: "address" | "cs"): BusFault<S>[] {
  return r.array(o, "faults", path, true).map((f, i) => {
    const p = `${path}.faults[${i}]`;
    const fo = r.object(f, p, ["from", "to", "status", targetKey, "detail"]);
    const fromUs = r.seconds(fo, "from", p);
    const toUs = r.seconds(fo, "to", p);
    if (toUs <= fromUs) r.fail(`${p}.to`, "must be after from");
    const status = r.oneOf(fo, "status", p, statuses);
    const target = fo[targetKey] === undefined ? undefined : r.integer(fo, targetKey, p, 0, targetKey === "address" ? 0x7f : 0xffff);
    const detail = r.string(fo, "detail", p, `simulated ${status} fault`);
    return target === undefined ? { fromUs, toUs, status, detail } : { fromUs, toUs, status, target, detail };
  });
}

function i2cDevice(r: JsonReader, v: unknown, path: string, refs: SourceRef[]): I2cDeviceSpec {
  const type = r.oneOf(r.object(v, path, ["type", "address", "name", "source", "noise", "writeCycleMs", "contents", "velocity", "frequencyHz"]), "type", path, ["tmp102", "24c02", "adxl345"] as const);
  const o = v as JsonObject;
  const address = r.integer(o, "address", path, 0x08, 0x77);
  const name = r.name(o, "name", path);
  const allowed: Record<typeof type, string[]> = {
    tmp102: ["type", "address", "name", "source", "noise"],
    "24c02": ["type", "address", "name", "writeCycleMs", "contents"],
    adxl345: ["type", "address", "name", "velocity", "frequencyHz", "noise"],
  };
  r.object(o, path, allowed[type]);
  if (type === "tmp102") {
    const source = r.sourceSpec(r.required(o, "source", path), `${path}.source`);
    refs.push({ path: `${path}.source`, spec: source, level: false });
    return { type, address, name, source, noise: r.nonNegative(o, "noise", path, 0) };
  }
  if (type === "24c02") {
    const writeCycleMs = r.nonNegative(o, "writeCycleMs", path, 5);
    const hex = r.string(o, "contents", path, "").replace(/\s+/g, "");
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) r.fail(`${path}.contents`, "must be hex bytes (two digits per byte, spaces allowed)");
    if (hex.length / 2 > 256) r.fail(`${path}.contents`, `holds ${hex.length / 2} bytes; a 24C02 has 256`);
    const contents = new Uint8Array(256).fill(0xff);
    for (let i = 0; i < hex.length / 2; i++) contents[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return { type, address, name, writeCycleUs: BigInt(Math.round(writeCycleMs * 1000)), contents };
  }
  const velocity = r.sourceSpec(r.required(o, "velocity", path), `${path}.velocity`);
  refs.push({ path: `${path}.velocity`, spec: velocity, level: false });
  const frequencyHz = r.number(o, "frequencyHz", path);
  if (frequencyHz <= 0 || frequencyHz > 1000) r.fail(`${path}.frequencyHz`, `must be above 0 and at most 1000 Hz, got ${frequencyHz}`);
  return { type, address, name, velocity, frequencyHz, noise: r.nonNegative(o, "noise", path, 0) };
}

export function i2cBuses(r: JsonReader, root: JsonObject, refs: SourceRef[]): I2cBusSpec[] {
  const buses = r.array(root, "i2c", "", true).map((v, i) => {
    const p = `i2c[${i}]`;
    const o = r.object(v, p, ["bus", "name", "devices", "faults", "backend"]);
    const backend = connectorBackend(r, o, p, "i2c");
    const devices = backend ? [] : r.array(o, "devices", p).map((d, j) => i2cDevice(r, d, `${p}.devices[${j}]`, refs));
    checkUnique(r, devices, `${p}.devices`, "address", (d) => d.address, "address");
    const bus: I2cBusSpec = { bus: r.integer(o, "bus", p, 0, 255), name: r.name(o, "name", p), devices, faults: faults(r, o, p, I2C_FAULTS, "address") };
    if (backend) bus.backend = backend;
    return bus;
  });
  checkUnique(r, buses, "i2c", "bus", (b) => b.bus, "bus");
  return buses;
}

export function spiBuses(r: JsonReader, root: JsonObject, refs: SourceRef[]): SpiBusSpec[] {
  const buses = r.array(root, "spi", "", true).map((v, i) => {
    const p = `spi[${i}]`;
    const o = r.object(v, p, ["bus", "name", "devices", "faults", "backend"]);
    const backend = connectorBackend(r, o, p, "spi");
    const devices = (backend ? [] : r.array(o, "devices", p)).map((d, j) => {
      const dp = `${p}.devices[${j}]`;
      const dobj = r.object(d, dp, ["type", "cs", "name", "vrefMv", "channels", "noise"]);
      r.oneOf(dobj, "type", dp, ["mcp3008"] as const);
      const vrefMv = r.number(dobj, "vrefMv", dp);
      if (vrefMv < 250 || vrefMv > 7000) r.fail(`${dp}.vrefMv`, `must be 250..7000 mV (MCP3008 VREF range), got ${vrefMv}`);
      const channels = r.array(dobj, "channels", dp).map((c, k) => {
        const cp = `${dp}.channels[${k}]`;
        const co = r.object(c, cp, ["channel", "source"]);
        const source = r.sourceSpec(r.required(co, "source", cp), `${cp}.source`);
        refs.push({ path: `${cp}.source`, spec: source, level: false });
        return { channel: r.integer(co, "channel", cp, 0, 7), source };
      });
      checkUnique(r, channels, `${dp}.channels`, "channel", (c) => c.channel, "channel");
      return { type: "mcp3008" as const, cs: r.integer(dobj, "cs", dp, 0, 15), name: r.name(dobj, "name", dp), vrefMv, channels, noise: r.nonNegative(dobj, "noise", dp, 0) };
    });
    checkUnique(r, devices, `${p}.devices`, "cs", (d) => d.cs, "chip select");
    const bus: SpiBusSpec = { bus: r.integer(o, "bus", p, 0, 255), name: r.name(o, "name", p), devices, faults: faults(r, o, p, SPI_FAULTS, "cs") };
    if (backend) bus.backend = backend;
    return bus;
  });
  checkUnique(r, buses, "spi", "bus", (b) => b.bus, "bus");
  return buses;
}

function lineSettings(r: JsonReader, o: JsonObject, path: string): LineSettings {
  const baud = r.integer(o, "baud", path, 300, 4_000_000);
  const parity = r.oneOf(o, "parity", path, PARITIES);
  const stopBits = r.integer(o, "stopBits", path, 1, 2) as 1 | 2;
  return { baud, parity, stopBits };
}

const FORMAT_WORDS = { uint16: 1, int16: 1, uint32: 2, int32: 2, float32: 2 } as const;
const FORMAT_RANGE = { uint16: [0, 0xffff], int16: [-0x8000, 0x7fff], uint32: [0, 0xffffffff], int32: [-0x80000000, 0x7fffffff], float32: [-3.4e38, 3.4e38] } as const;

function registers(r: JsonReader, o: JsonObject, key: "holdingRegisters" | "inputRegisters", path: string, refs: SourceRef[]): RegisterSpec[] {
  const holding = key === "holdingRegisters";
  const regs = r.array(o, key, path, true).map((v, i): RegisterSpec => {
    const p = `${path}.${key}[${i}]`;
    const ro = r.object(v, p, holding ? ["address", "name", "format", "scale", "value", "writable", "min", "max"] : ["address", "name", "format", "scale", "source"]);
    const format = r.oneOf(ro, "format", p, ["uint16", "int16", "uint32", "int32", "float32"] as const);
    const scale = r.number(ro, "scale", p, 1);
    if (scale <= 0) r.fail(`${p}.scale`, `must be above 0, got ${scale}`);
    if (format === "float32" && scale !== 1) r.fail(`${p}.scale`, "applies to integer formats only; float32 carries the value itself");
    const address = r.integer(ro, "address", p, 0, 0xffff - FORMAT_WORDS[format] + 1);
    const name = r.name(ro, "name", p);
    let source;
    if (holding) {
      const value = r.number(ro, "value", p);
      const [lo, hi] = FORMAT_RANGE[format];
      const raw = value / scale;
      if (raw < lo || raw > hi) r.fail(`${p}.value`, `${value} does not fit ${format} at scale ${scale}`);
      source = { kind: "constant" as const, value };
    } else {
      source = r.sourceSpec(r.required(ro, "source", p), `${p}.source`);
      refs.push({ path: `${p}.source`, spec: source, level: false });
    }
    const reg: RegisterSpec = { address, name, format, scale, source, writable: holding && r.boolean(ro, "writable", p, false) };
    if (holding && ro.min !== undefined) reg.min = r.number(ro, "min", p);
    if (holding && ro.max !== undefined) reg.max = r.number(ro, "max", p);
    if (reg.min !== undefined && reg.max !== undefined && reg.min >= reg.max) r.fail(`${p}.min`, "min must be below max");
    return reg;
  });
  // Registers occupy 1 or 2 consecutive words; no word may belong to two of them.
  const owner = new Map<number, number>();
  regs.forEach((reg, i) => {
    for (let w = 0; w < FORMAT_WORDS[reg.format]; w++) {
      const other = owner.get(reg.address + w);
      if (other !== undefined) r.fail(`${path}.${key}[${i}].address`, `register ${reg.address + w} already belongs to ${key}[${other}] (${regs[other]!.name})`);
      owner.set(reg.address + w, i);
    }
  });
  checkUnique(r, regs, `${path}.${key}`, "name", (x) => x.name, "register name");
  return regs;
}

export function registerWords(format: RegisterSpec["format"]): number {
  return FORMAT_WORDS[format];
}

/** The raw values a register format holds (float32: its finite range, rounded). */
export function registerRange(format: RegisterSpec["format"]): readonly [min: number, max: number] {
  return FORMAT_RANGE[format];
}

function uartDevice(r: JsonReader, v: unknown, path: string, refs: SourceRef[]): UartDeviceSpec {
  const fields = ["type", "name", "baud", "parity", "stopBits"];
  const type = r.oneOf(r.object(v, path, [...fields, "unitId", "responseDelayMs", "holdingRegisters", "inputRegisters", "periodMs", "prefix", "suffix", "decimals", "source"]), "type", path, ["modbus-rtu-slave", "line-stream"] as const);
  const o = v as JsonObject;
  if (type === "modbus-rtu-slave") {
    r.object(o, path, [...fields, "unitId", "responseDelayMs", "holdingRegisters", "inputRegisters"]);
    const spec: ModbusSlaveSpec = {
      type, name: r.name(o, "name", path), unitId: r.integer(o, "unitId", path, 1, 247), line: lineSettings(r, o, path),
      responseDelayUs: Math.round(r.nonNegative(o, "responseDelayMs", path, 0) * 1000),
      holdingRegisters: registers(r, o, "holdingRegisters", path, refs),
      inputRegisters: registers(r, o, "inputRegisters", path, refs),
    };
    if (spec.holdingRegisters.length + spec.inputRegisters.length === 0) r.fail(path, "a Modbus slave needs at least one holding or input register");
    return spec;
  }
  r.object(o, path, [...fields, "periodMs", "prefix", "suffix", "decimals", "source"]);
  const periodMs = r.number(o, "periodMs", path);
  if (periodMs < 1) r.fail(`${path}.periodMs`, `must be at least 1 ms, got ${periodMs}`);
  const source = r.sourceSpec(r.required(o, "source", path), `${path}.source`);
  refs.push({ path: `${path}.source`, spec: source, level: false });
  return {
    type, name: r.name(o, "name", path), line: lineSettings(r, o, path), periodUs: BigInt(Math.round(periodMs * 1000)),
    prefix: r.string(o, "prefix", path, ""), suffix: r.string(o, "suffix", path, "\r\n"), decimals: r.integer(o, "decimals", path, 0, 9, 2), source,
  };
}

export function uartPorts(r: JsonReader, root: JsonObject, refs: SourceRef[]): UartPortSpec[] {
  const ports = r.array(root, "uart", "", true).map((v, i): UartPortSpec => {
    const p = `uart[${i}]`;
    const o = r.object(v, p, ["port", "name", "bauds", "parities", "stopBits", "rxBufferBytes", "txBufferBytes", "device", "backend"]);
    const backend = connectorBackend(r, o, p, "uart");
    const bauds = o.bauds === undefined ? STANDARD_BAUDS : r.array(o, "bauds", p).map((b, j) => {
      if (!Number.isInteger(b) || (b as number) < 300 || (b as number) > 4_000_000) r.fail(`${p}.bauds[${j}]`, "must be an integer 300..4000000");
      return b as number;
    });
    if (bauds.length === 0) r.fail(`${p}.bauds`, "must list at least one baud rate");
    if (backend) bauds.forEach((b, j) => {
      if (!LINUX_TERMIOS_BAUDS.includes(b)) r.fail(o.bauds === undefined ? `${p}.bauds` : `${p}.bauds[${j}]`, `${b} is not a rate Linux termios can set on ${backend.device} (it sets ${LINUX_TERMIOS_BAUDS.join(", ")})`);
    });
    const parities = o.parities === undefined ? [...PARITIES] : r.array(o, "parities", p).map((x, j) => {
      if (!(PARITIES as readonly unknown[]).includes(x)) r.fail(`${p}.parities[${j}]`, `must be one of "none", "even", "odd"`);
      return x as (typeof PARITIES)[number];
    });
    const stopBits = o.stopBits === undefined ? [1, 2] as (1 | 2)[] : r.array(o, "stopBits", p).map((x, j) => {
      if (x !== 1 && x !== 2) r.fail(`${p}.stopBits[${j}]`, "must be 1 or 2");
      return x;
    });
    const port: UartPortSpec = {
      port: r.integer(o, "port", p, 0, 255), name: r.name(o, "name", p), bauds, parities, stopBits,
      rxBufferBytes: r.integer(o, "rxBufferBytes", p, 1, 65536, 256), txBufferBytes: r.integer(o, "txBufferBytes", p, 1, 65536, 256),
    };
    if (o.device !== undefined) port.device = uartDevice(r, o.device, `${p}.device`, refs);
    if (backend) port.backend = backend;
    return port;
  });
  checkUnique(r, ports, "uart", "port", (x) => x.port, "port");
  return ports;
}
