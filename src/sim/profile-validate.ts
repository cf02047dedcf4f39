// Board profile validation: JSON in, BoardProfile out, or a BoardProfileError
// naming the file and field (`boards/x.json: sensors[2].range: min must be
// below max`). boards/schema.json describes the same rules for editors.

import { CapabilityError, parseCapabilities, PIN_MODES, type Capabilities } from "../caps/capabilities.js";
import { connectorBackend } from "./profile-backends.js";
import { i2cBuses, spiBuses, uartPorts } from "./profile-buses.js";
import { checkUnique, JsonReader, type JsonObject } from "./profile-json.js";
import type { AdcChannelSpec, BoardProfile, PinModeName, PinSpec, PwmChannelSpec, SensorSpec, SourceSpec } from "./profile-types.js";
import type { Trace } from "./trace.js";
import { DEFAULT_DEVICE_CLASS, DEVICE_CLASSES, isDeviceClass, MODULE_LIMITS, resolveLimits, type DeviceClass, type ModuleLimits } from "../validate/limits.js";

/** A value source found while validating, with its field path, for checks that need the trace or all sensors. */
export interface SourceRef {
  path: string;
  spec: SourceSpec;
  /** A digital level (GPIO drive): the trace column must hold only 0 and 1. */
  level: boolean;
}

export interface ValidatedProfile {
  profile: BoardProfile;
  sources: SourceRef[];
}

const TOP_LEVEL = ["$schema", "name", "description", "seed", "trace", "deviceClass", "moduleLimits", "sensors", "gpio", "adc", "pwm", "i2c", "spi", "uart", "grantable"];

/** The class's module limits (src/validate/limits.ts), with the profile's overrides. */
function moduleLimits(r: JsonReader, root: JsonObject): { deviceClass: DeviceClass; moduleLimits: ModuleLimits } {
  const cls = root.deviceClass === undefined ? DEFAULT_DEVICE_CLASS : root.deviceClass;
  if (!isDeviceClass(cls)) r.fail("deviceClass", `must be one of ${DEVICE_CLASSES.join(", ")}`);
  const overrides: Partial<ModuleLimits> = {};
  if (root.moduleLimits !== undefined) {
    const names = Object.keys(MODULE_LIMITS[cls]) as (keyof ModuleLimits)[];
    const o = r.object(root.moduleLimits, "moduleLimits", names);
    for (const k of names) if (o[k] !== undefined) overrides[k] = r.integer(o, k, "moduleLimits", 1, 0xffffffff);
  }
  return { deviceClass: cls, moduleLimits: resolveLimits(cls, overrides) };
}

function sensors(r: JsonReader, root: JsonObject, refs: SourceRef[]): SensorSpec[] {
  const list = r.array(root, "sensors", "", true).map((v, i): SensorSpec => {
    const p = `sensors[${i}]`;
    const o = r.object(v, p, ["name", "unit", "range", "noise", "source", "description"]);
    const name = r.name(o, "name", p);
    const unit = r.string(o, "unit", p);
    if (unit === "" || new TextEncoder().encode(unit).length > 32) r.fail(`${p}.unit`, "must be 1..32 bytes of UTF-8");
    const ro = r.object(r.required(o, "range", p), `${p}.range`, ["min", "max"]);
    const min = r.number(ro, "min", `${p}.range`);
    const max = r.number(ro, "max", `${p}.range`);
    if (!(min < max)) r.fail(`${p}.range`, `min must be below max (min ${min}, max ${max})`);
    const source = r.sourceSpec(r.required(o, "source", p), `${p}.source`);
    if (source.kind === "sensor") r.fail(`${p}.source`, "a sensor cannot read another sensor; use a constant, trace or sine source");
    refs.push({ path: `${p}.source`, spec: source, level: false });
    const s: SensorSpec = { name, unit, range: { min, max }, noise: r.nonNegative(o, "noise", p, 0), source };
    if (o.description !== undefined) s.description = r.string(o, "description", p);
    return s;
  });
  checkUnique(r, list, "sensors", "name", (s) => s.name, "sensor name");
  return list;
}

function pins(r: JsonReader, root: JsonObject, refs: SourceRef[]): PinSpec[] {
  const list = r.array(root, "gpio", "", true).map((v, i): PinSpec => {
    const p = `gpio[${i}]`;
    const o = r.object(v, p, ["pin", "name", "modes", "drive", "description", "backend"]);
    const backend = connectorBackend(r, o, p, "gpio");
    const modes = r.array(o, "modes", p).map((m, j) => {
      if (!(PIN_MODES as readonly unknown[]).includes(m)) r.fail(`${p}.modes[${j}]`, `unknown mode ${JSON.stringify(m)} (known: ${PIN_MODES.join(", ")})`);
      return m as PinModeName;
    });
    if (modes.length === 0) r.fail(`${p}.modes`, "must list at least one mode");
    const pin: PinSpec = { pin: r.integer(o, "pin", p, 0, 1023), name: r.name(o, "name", p), modes };
    if (o.drive !== undefined) {
      const drive = r.sourceSpec(o.drive, `${p}.drive`, "step");
      if (!modes.some((m) => m.startsWith("input"))) r.fail(`${p}.drive`, "only pins with an input mode can be driven");
      if (drive.kind === "constant" && drive.value !== 0 && drive.value !== 1) r.fail(`${p}.drive`, `a constant level must be 0 or 1, got ${drive.value}`);
      if (drive.kind === "sine" || drive.kind === "sensor") r.fail(`${p}.drive`, "a pin is driven by a 0/1 trace column or a constant 0/1");
      if (drive.kind === "trace" && drive.interpolation !== "step") r.fail(`${p}.drive.interpolation`, "a digital level can only be \"step\"");
      refs.push({ path: `${p}.drive`, spec: drive, level: true });
      pin.drive = drive;
    }
    if (o.description !== undefined) pin.description = r.string(o, "description", p);
    if (backend) pin.backend = backend;
    return pin;
  });
  checkUnique(r, list, "gpio", "pin", (x) => x.pin, "pin");
  checkUnique(r, list, "gpio", "name", (x) => x.name, "pin name");
  return list;
}

function adcChannels(r: JsonReader, root: JsonObject, refs: SourceRef[]): AdcChannelSpec[] {
  const list = r.array(root, "adc", "", true).map((v, i): AdcChannelSpec => {
    const p = `adc[${i}]`;
    const o = r.object(v, p, ["channel", "name", "bits", "vrefMv", "source", "noise", "description", "backend"]);
    const backend = connectorBackend(r, o, p, "adc");
    const vrefMv = r.integer(o, "vrefMv", p, 1, 100_000);
    const ch: AdcChannelSpec = { channel: r.integer(o, "channel", p, 0, 255), name: r.name(o, "name", p), bits: r.integer(o, "bits", p, 1, 24), vrefMv, noise: backend ? 0 : r.nonNegative(o, "noise", p, 0) };
    if (backend) ch.backend = backend;
    else {
      // The simulator needs the input; Linux measures it.
      ch.source = r.sourceSpec(r.required(o, "source", p), `${p}.source`);
      refs.push({ path: `${p}.source`, spec: ch.source, level: false });
    }
    if (o.description !== undefined) ch.description = r.string(o, "description", p);
    return ch;
  });
  checkUnique(r, list, "adc", "channel", (x) => x.channel, "channel");
  return list;
}

function pwmChannels(r: JsonReader, root: JsonObject): PwmChannelSpec[] {
  const list = r.array(root, "pwm", "", true).map((v, i): PwmChannelSpec => {
    const p = `pwm[${i}]`;
    const o = r.object(v, p, ["channel", "name", "minHz", "maxHz", "backend"]);
    const backend = connectorBackend(r, o, p, "pwm");
    const minHz = r.integer(o, "minHz", p, 1, 100_000_000);
    const maxHz = r.integer(o, "maxHz", p, 1, 100_000_000);
    if (minHz > maxHz) r.fail(`${p}.minHz`, `min must not be above max (minHz ${minHz}, maxHz ${maxHz})`);
    return { channel: r.integer(o, "channel", p, 0, 255), name: r.name(o, "name", p), minHz, maxHz, ...(backend ? { backend } : {}) };
  });
  checkUnique(r, list, "pwm", "channel", (x) => x.channel, "channel");
  return list;
}

/** Every grantable capability must name hardware the profile declares. */
function checkGrantable(r: JsonReader, g: Capabilities, p: Omit<BoardProfile, "grantable" | "deviceClass" | "moduleLimits">): void {
  g.sensors?.forEach((s, i) => { if (!p.sensors.some((x) => x.name === s)) r.fail(`grantable.sensors[${i}]`, `no sensor named ${JSON.stringify(s)} on this board`); });
  g.gpio?.forEach((gr, i) => {
    const pin = p.gpio.find((x) => x.pin === gr.pin);
    if (!pin) r.fail(`grantable.gpio[${i}].pin`, `no pin ${gr.pin} on this board`);
    gr.modes.forEach((m, j) => { if (!pin.modes.includes(m as PinModeName)) r.fail(`grantable.gpio[${i}].modes[${j}]`, `pin ${gr.pin} (${pin.name}) does not support mode ${m} (it supports ${pin.modes.join(", ")})`); });
  });
  g.adc?.forEach((ch, i) => { if (!p.adc.some((x) => x.channel === ch)) r.fail(`grantable.adc[${i}]`, `no ADC channel ${ch} on this board`); });
  g.pwm?.forEach((ch, i) => { if (!p.pwm.some((x) => x.channel === ch)) r.fail(`grantable.pwm[${i}]`, `no PWM channel ${ch} on this board`); });
  g.i2c?.forEach((gr, i) => {
    const bus = p.i2c.find((b) => b.bus === gr.bus);
    // An address without a simulated device is allowed: it stands for an empty
    // socket on the bus, and transactions to it end with nack-address.
    if (!bus) r.fail(`grantable.i2c[${i}].bus`, `no I2C bus ${gr.bus} on this board`);
  });
  g.spi?.forEach((gr, i) => {
    const bus = p.spi.find((b) => b.bus === gr.bus);
    if (!bus) r.fail(`grantable.spi[${i}].bus`, `no SPI bus ${gr.bus} on this board`);
    if (!(bus.backend?.devices ?? bus.devices).some((d) => d.cs === gr.cs)) r.fail(`grantable.spi[${i}].cs`, `no device on chip select ${gr.cs} of SPI bus ${gr.bus}`);
  });
  g.uart?.forEach((port, i) => { if (!p.uart.some((x) => x.port === port)) r.fail(`grantable.uart[${i}]`, `no UART port ${port} on this board`); });
}

/** Checks references between sources: named sensors exist; with a trace, trace columns exist (and hold 0/1 for pins). */
export function checkSources(r: JsonReader, validated: ValidatedProfile, trace: Trace | undefined): void {
  for (const ref of validated.sources) {
    const s = ref.spec;
    if (s.kind === "sensor" && !validated.profile.sensors.some((x) => x.name === s.name)) r.fail(`${ref.path}.sensor`, `no sensor named ${JSON.stringify(s.name)} in sensors[]`);
    if (s.kind !== "trace") continue;
    if (!trace) r.fail(`${ref.path}.trace`, `reads trace column ${JSON.stringify(s.column)} but no trace was given (set "trace" in the profile or pass one)`);
    const points = trace.series.get(s.column);
    if (!points || points.length === 0) r.fail(`${ref.path}.trace`, `trace ${trace.source} has no rows for ${JSON.stringify(s.column)}`);
    if (ref.level) {
      const bad = points.find((pt) => pt.value !== 0 && pt.value !== 1);
      if (bad) r.fail(`${ref.path}.trace`, `drives a pin, but ${trace.source} line ${bad.line} gives ${s.column} = ${bad.value} (levels are 0 or 1)`);
    }
  }
}

export function validateProfile(json: unknown, source: string): ValidatedProfile {
  const r: JsonReader = new JsonReader(source);
  const root = r.object(json, "", TOP_LEVEL);
  const refs: SourceRef[] = [];
  const base = {
    name: r.name(root, "name", ""),
    description: r.string(root, "description", "", ""),
    seed: r.integer(root, "seed", "", 0, 0xffffffff),
    sensors: sensors(r, root, refs),
    gpio: pins(r, root, refs),
    adc: adcChannels(r, root, refs),
    pwm: pwmChannels(r, root),
    i2c: i2cBuses(r, root, refs),
    spi: spiBuses(r, root, refs),
    uart: uartPorts(r, root, refs),
  };
  let grantable: Capabilities;
  try {
    grantable = parseCapabilities(r.required(root, "grantable", ""), "grantable");
  } catch (e) {
    if (!(e instanceof CapabilityError)) throw e;
    r.fail(e.path, e.message.slice(e.path.length + 2));
  }
  checkGrantable(r, grantable, base);
  const profile: BoardProfile = { ...base, ...moduleLimits(r, root), grantable };
  if (root.trace !== undefined) profile.trace = r.string(root, "trace", "");
  return { profile, sources: refs };
}
