// The simulated board: a validated profile, a trace and a seed turned into
// peripherals on a virtual clock. Connectors the profile hands to Linux
// (`"backend": {"linux": ...}`) are not simulated; the hardware backends
// passed in serve them behind the same peripheral boundary. The agent's scheduler asks nextEventAt()
// when the board next has something to report (a watched input edge, a UART
// burst, a Modbus request to answer, a line a serial device sends) and calls
// advanceTo(t) to get there; host implementations read and drive the
// peripherals at the module's current virtual time.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SimI2cBus, SimSpiBus, type I2cDevice } from "./bus.js";
import { Adxl345 } from "./devices/adxl345.js";
import { Eeprom24c02 } from "./devices/eeprom24c02.js";
import { Mcp3008 } from "./devices/mcp3008.js";
import { Tmp102 } from "./devices/tmp102.js";
import { BoardProfileError } from "./errors.js";
import { SimAdcChannel, SimPin, SimPwmChannel, SimSensor } from "./peripherals.js";
import { JsonReader } from "./profile-json.js";
import type { AdcChannelSpec, BoardProfile, I2cBusSpec, I2cDeviceSpec, LinuxBackend, PinSpec, PwmChannelSpec, SourceSpec, SpiBusSpec, UartPortSpec } from "./profile-types.js";
import { checkSources, validateProfile } from "./profile-validate.js";
import { Sources } from "./source.js";
import { parseTraceCsv, type Trace } from "./trace.js";
import { SimUartPort } from "./uart-port.js";
import { SimPeripherals, type HardwareParts } from "./hal-sim.js";
import type { AdcChannel, I2cBus, Peripherals, Pin, PwmChannel, SpiBus, UartPort } from "../hal/peripherals.js";

export interface BoardOptions {
  /** File name for error messages (`boards/demo.json`). */
  source: string;
  trace?: Trace;
  /** Overrides the profile's seed. */
  seed?: number;
  /** Serves the connectors the profile hands to Linux; a kind it lacks is refused when the board loads. */
  hardware?: HardwareBackends;
}

type Linux<S, K extends LinuxBackend["of"]> = S & { backend: Extract<LinuxBackend, { of: K }> };

/**
 * Opens the hardware behind a Linux connector. `where` is the connector's
 * place in the profile (`boards/pi.json: uart[0]`) for errors: a missing
 * device file or a permission problem is thrown as an Error naming it.
 */
export interface HardwareBackends {
  gpio?(spec: Linux<PinSpec, "gpio">, where: string): Pin;
  i2c?(spec: Linux<I2cBusSpec, "i2c">, where: string): I2cBus;
  spi?(spec: Linux<SpiBusSpec, "spi">, where: string): SpiBus;
  uart?(spec: Linux<UartPortSpec, "uart">, where: string): UartPort;
  adc?(spec: Linux<AdcChannelSpec, "adc">, where: string): AdcChannel;
  pwm?(spec: Linux<PwmChannelSpec, "pwm">, where: string): PwmChannel;
}

export interface Board {
  readonly profile: BoardProfile;
  readonly trace: Trace | undefined;
  readonly seed: number;
  /** Virtual time the board has been advanced to. */
  readonly nowUs: bigint;
  /** Earliest virtual time (µs) at which the board has something to do, or null. */
  nextEventAt(): bigint | null;
  /** Advances simulated peripherals to `nowUs`, firing subscribed callbacks in time order. Earlier times are ignored. */
  advanceTo(nowUs: bigint): void;
  readonly sources: Sources;
  sensor(name: string): SimSensor | undefined;
  pin(pin: number): SimPin | undefined;
  adc(channel: number): SimAdcChannel | undefined;
  pwm(channel: number): SimPwmChannel | undefined;
  i2c(bus: number): SimI2cBus | undefined;
  spi(bus: number): SimSpiBus | undefined;
  uart(port: number): SimUartPort | undefined;
  /** The same peripherals behind the boundary the agent's hosts use (src/hal/). */
  readonly peripherals: Peripherals;
}

class SimBoard implements Board {
  readonly sources: Sources;
  readonly peripherals: Peripherals;
  private now = 0n;
  private readonly sensors = new Map<string, SimSensor>();
  private readonly pins = new Map<number, SimPin>();
  private readonly adcs = new Map<number, SimAdcChannel>();
  private readonly pwms = new Map<number, SimPwmChannel>();
  private readonly i2cs = new Map<number, SimI2cBus>();
  private readonly spis = new Map<number, SimSpiBus>();
  private readonly uarts = new Map<number, SimUartPort>();
  /** Everything that can have a timed event, in a fixed order (ties fire in this order). */
  private readonly timed: { nextEventAt(): bigint | null; runUntil(t: bigint): void }[];

  constructor(readonly profile: BoardProfile, readonly trace: Trace | undefined, readonly seed: number, hardware: HardwareParts) {
    this.sources = new Sources(trace, new Map<string, SourceSpec>(profile.sensors.map((s) => [s.name, s.source])));
    for (const s of profile.sensors) this.sensors.set(s.name, new SimSensor(s, this.sources, seed));
    for (const p of profile.gpio) if (!p.backend) this.pins.set(p.pin, new SimPin(p, trace));
    for (const a of profile.adc) if (!a.backend && a.source) this.adcs.set(a.channel, new SimAdcChannel({ ...a, source: a.source }, this.sources, seed));
    for (const p of profile.pwm) if (!p.backend) this.pwms.set(p.channel, new SimPwmChannel(p));
    for (const b of profile.i2c) if (!b.backend) this.i2cs.set(b.bus, new SimI2cBus(b, b.devices.map((d) => this.i2cDevice(d))));
    for (const b of profile.spi) if (!b.backend) this.spis.set(b.bus, new SimSpiBus(b, b.devices.map((d) => new Mcp3008(d, this.sources, seed))));
    for (const u of profile.uart) if (!u.backend) this.uarts.set(u.port, new SimUartPort(u, this.sources));
    this.timed = [...this.pins.values(), ...this.uarts.values()];
    this.peripherals = new SimPeripherals({
      name: profile.name, sources: this.sources, advanceTo: (t) => this.advanceTo(t),
      sensors: this.sensors, pins: this.pins, adcs: this.adcs, pwms: this.pwms, i2cs: this.i2cs, spis: this.spis, uarts: this.uarts,
    }, hardware);
  }

  private i2cDevice(d: I2cDeviceSpec): I2cDevice {
    switch (d.type) {
      case "tmp102": return new Tmp102(d, this.sources, this.seed);
      case "24c02": return new Eeprom24c02(d);
      case "adxl345": return new Adxl345(d, this.sources, this.seed);
    }
  }

  get nowUs(): bigint { return this.now; }

  nextEventAt(): bigint | null {
    let best: bigint | null = null;
    for (const t of this.timed) {
      const n = t.nextEventAt();
      if (n !== null && (best === null || n < best)) best = n;
    }
    return best;
  }

  advanceTo(nowUs: bigint): void {
    if (nowUs < this.now) return;
    for (;;) {
      const next = this.nextEventAt();
      if (next === null || next > nowUs) break;
      // Events already due (scheduled at or before the current time) run now.
      this.now = next > this.now ? next : this.now;
      for (const t of this.timed) {
        const n = t.nextEventAt();
        if (n !== null && n <= this.now) t.runUntil(this.now);
      }
    }
    for (const u of this.uarts.values()) u.settle(nowUs);
    this.now = nowUs;
  }

  sensor(name: string) { return this.sensors.get(name); }
  pin(pin: number) { return this.pins.get(pin); }
  adc(channel: number) { return this.adcs.get(channel); }
  pwm(channel: number) { return this.pwms.get(channel); }
  i2c(bus: number) { return this.i2cs.get(bus); }
  spi(bus: number) { return this.spis.get(bus); }
  uart(port: number) { return this.uarts.get(port); }
}

export function loadBoard(profileJson: unknown, opts: BoardOptions): Board {
  const validated = validateProfile(profileJson, opts.source);
  checkSources(new JsonReader(opts.source), validated, opts.trace);
  const seed = opts.seed ?? validated.profile.seed;
  return new SimBoard(validated.profile, opts.trace, seed >>> 0, openHardware(validated.profile, opts.source, opts.hardware ?? {}));
}

const KIND_NAMES = { gpio: "GPIO lines", i2c: "I2C buses", spi: "SPI devices", uart: "UART ports", adc: "ADC channels", pwm: "PWM channels" } as const;

/** Opens every connector the profile hands to Linux, or refuses naming the first one this build cannot serve. */
function openHardware(profile: BoardProfile, source: string, hw: HardwareBackends): HardwareParts {
  const parts = { pins: new Map<number, Pin>(), i2cs: new Map<number, I2cBus>(), spis: new Map<number, SpiBus>(), uarts: new Map<number, UartPort>(), adcs: new Map<number, AdcChannel>(), pwms: new Map<number, PwmChannel>() };
  const open = <S extends { backend?: LinuxBackend }, K extends keyof typeof KIND_NAMES, R>(
    list: readonly S[], kind: K, make: ((spec: Linux<S, K>, where: string) => R) | undefined, key: (s: S) => number, into: Map<number, R>,
  ) => list.forEach((spec, i) => {
    if (!spec.backend) return;
    if (!make) throw new BoardProfileError(source, `${kind}[${i}].backend`, `this build has no Linux backend for ${KIND_NAMES[kind]}; serve the connector with "sim" or leave "backend" out`);
    into.set(key(spec), make(spec as Linux<S, K>, `${source}: ${kind}[${i}]`));
  });
  open(profile.gpio, "gpio", hw.gpio?.bind(hw), (p) => p.pin, parts.pins);
  open(profile.i2c, "i2c", hw.i2c?.bind(hw), (b) => b.bus, parts.i2cs);
  open(profile.spi, "spi", hw.spi?.bind(hw), (b) => b.bus, parts.spis);
  open(profile.uart, "uart", hw.uart?.bind(hw), (u) => u.port, parts.uarts);
  open(profile.adc, "adc", hw.adc?.bind(hw), (a) => a.channel, parts.adcs);
  open(profile.pwm, "pwm", hw.pwm?.bind(hw), (p) => p.channel, parts.pwms);
  return parts;
}

/** Reads a profile file and, unless a trace is passed, the trace file its `trace` field names (relative to the profile). */
export function loadBoardFile(path: string, opts: { trace?: Trace; seed?: number; source?: string; hardware?: HardwareBackends; override?: (profile: unknown, source: string) => unknown } = {}): Board {
  const source = opts.source ?? path;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new BoardProfileError(source, "", (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `not valid JSON: ${(e as Error).message}`);
  }
  // Command-line changes (fwx run --dev) apply before validation, so the profile's own checks see them.
  if (opts.override) json = opts.override(json, source);
  let trace = opts.trace;
  const tracePath = (json as { trace?: unknown } | null)?.trace;
  if (typeof tracePath === "string") {
    const full = resolve(dirname(path), tracePath);
    let text: string;
    try {
      text = readFileSync(full, "utf8");
    } catch {
      throw new BoardProfileError(source, "trace", `cannot read trace file ${full}`);
    }
    const own = parseTraceCsv(text, join(dirname(source), tracePath));
    // A trace given for the run replaces the profile's column by column: the columns it has,
    // and the profile's own rows for the rest, so it needs only what the run is about.
    trace = trace ? overlayTrace(trace, own) : own;
  }
  const o: BoardOptions = { source };
  if (trace) o.trace = trace;
  if (opts.seed !== undefined) o.seed = opts.seed;
  if (opts.hardware) o.hardware = opts.hardware;
  return loadBoard(json, o);
}

/** `over`'s columns, and `under`'s for the columns `over` lacks; named after `over`. */
export function overlayTrace(over: Trace, under: Trace): Trace {
  const series = new Map(under.series);
  for (const [column, rows] of over.series) series.set(column, rows);
  const ends = [...series.values()].map((rows) => rows[rows.length - 1]?.timeUs ?? 0n);
  return { source: over.source, series, endUs: ends.reduce((a, b) => (b > a ? b : a), 0n) };
}

/** The bundled demo profile (boards/demo.json of the fwx package), found from this file's location in src/ or dist/. */
export function defaultBoardPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "boards", "demo.json");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("the bundled board profile boards/demo.json was not found next to the fwx installation");
}
