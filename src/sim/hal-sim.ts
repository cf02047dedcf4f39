// The simulator behind the peripheral boundary (src/hal/): one adapter per
// simulated peripheral, made once per board so that a resource keeps its
// identity (the hosts key claims and handles on it). The simulated classes
// keep their own time-explicit API, which the simulator's tests drive
// directly; these adapters only translate (the call's device time and
// caller, results into error kinds), so behaviour is the simulator's alone.

import type { AdcChannel, AdcReading } from "../hal/adc.js";
import type { HalCall } from "../hal/call.js";
import type { ClaimRefusal } from "../hal/errors.js";
import type { I2cBus, I2cResult } from "../hal/i2c.js";
import type { Peripherals } from "../hal/peripherals.js";
import type { EdgeListener, Pin, PinMode } from "../hal/pin.js";
import type { PwmChannel } from "../hal/pwm.js";
import type { SensorSample, SensorSource } from "../hal/sensor.js";
import type { SpiBus, SpiDevice, SpiResult } from "../hal/spi.js";
import type { LineSettings, ReceiveListener, UartPort, UartRead } from "../hal/uart.js";
import type { SimI2cBus, SimSpiBus } from "./bus.js";
import type { SimAdcChannel, SimPin, SimPwmChannel, SimSensor } from "./peripherals.js";
import type { Sources } from "./source.js";
import type { SimUartPort } from "./uart-port.js";

class SimPinAdapter implements Pin {
  constructor(private readonly sim: SimPin, private readonly sources: Sources) {}
  get number() { return this.sim.spec.pin; }
  get name() { return this.sim.spec.name; }
  get modes() { return this.sim.spec.modes; }
  get mode() { return this.sim.mode; }
  get isOutput() { return this.sim.isOutput; }
  get writtenLevel() { return this.sim.writtenLevel; }
  configure(mode: PinMode | null): ClaimRefusal {
    this.sim.setMode(mode);
    return null;
  }
  level(at: HalCall): boolean { return this.sim.level(at.nowUs, this.sources); }
  write(level: boolean): void { this.sim.write(level); }
  watch(listener: EdgeListener | null, at: HalCall): void { this.sim.watch(listener, at.nowUs); }
}

class SimAdcAdapter implements AdcChannel {
  constructor(private readonly sim: SimAdcChannel) {}
  get channel() { return this.sim.spec.channel; }
  get name() { return this.sim.spec.name; }
  get bits() { return this.sim.spec.bits; }
  get vrefMv() { return this.sim.spec.vrefMv; }
  read(at: HalCall): AdcReading {
    const r = this.sim.read(at.nowUs, at.caller);
    return r.ok ? r : { ok: false, kind: "timeout", detail: r.detail };
  }
}

class SimPwmAdapter implements PwmChannel {
  constructor(private readonly sim: SimPwmChannel) {}
  get channel() { return this.sim.spec.channel; }
  get name() { return this.sim.spec.name; }
  get minHz() { return this.sim.spec.minHz; }
  get maxHz() { return this.sim.spec.maxHz; }
  get duty() { return this.sim.duty; }
  start(frequencyHz: number): ClaimRefusal {
    this.sim.claimed = true;
    this.sim.frequencyHz = frequencyHz;
    this.sim.duty = 0;
    return null;
  }
  setDuty(duty: number): void { this.sim.duty = duty; }
  stop(): void {
    this.sim.duty = 0;
    this.sim.claimed = false;
  }
}

class SimSensorAdapter implements SensorSource {
  constructor(private readonly sim: SimSensor) {}
  get name() { return this.sim.spec.name; }
  get unit() { return this.sim.spec.unit; }
  get range() { return this.sim.spec.range; }
  read(at: HalCall): SensorSample {
    const s = this.sim.read(at.nowUs, at.caller);
    return s.ok ? s : { ok: false, kind: s.fault, detail: s.detail };
  }
}

class SimI2cAdapter implements I2cBus {
  constructor(private readonly sim: SimI2cBus) {}
  get bus() { return this.sim.spec.bus; }
  get name() { return this.sim.spec.name; }
  targetName(address: number) { return this.sim.device(address)?.name; }
  transaction(address: number, tx: Uint8Array | null, rxLength: number | null, at: HalCall): I2cResult {
    const r = this.sim.transaction(address, tx, rxLength, at.nowUs);
    return r.kind ? { ok: false, kind: r.kind, detail: r.detail } : { ok: true, rx: r.rx };
  }
}

class SimSpiAdapter implements SpiBus {
  private readonly devices = new Map<number, SpiDevice>();
  constructor(private readonly sim: SimSpiBus) {
    for (const d of sim.spec.devices) {
      const bus = sim;
      this.devices.set(d.cs, {
        bus: sim.spec.bus, cs: d.cs, name: d.name,
        transfer(tx: Uint8Array, at: HalCall): SpiResult {
          const r = bus.transfer(d.cs, tx, at.nowUs);
          return r.kind ? { ok: false, kind: r.kind, detail: r.detail } : { ok: true, rx: r.rx };
        },
      });
    }
  }
  get bus() { return this.sim.spec.bus; }
  get name() { return this.sim.spec.name; }
  device(cs: number) { return this.devices.get(cs); }
}

class SimUartAdapter implements UartPort {
  constructor(private readonly sim: SimUartPort) {}
  get port() { return this.sim.spec.port; }
  get name() { return this.sim.spec.name; }
  get bauds() { return this.sim.spec.bauds; }
  get parities() { return this.sim.spec.parities; }
  get stopBits() { return this.sim.spec.stopBits; }
  get txBufferBytes() { return this.sim.spec.txBufferBytes; }
  open(settings: LineSettings, at: HalCall, onReceive: ReceiveListener): ClaimRefusal {
    this.sim.open(settings, at.nowUs, onReceive);
    return null;
  }
  close(): void { this.sim.close(); }
  write(data: Uint8Array, at: HalCall): number { return this.sim.write(data, at.nowUs); }
  read(max: number): UartRead { return this.sim.read(max); }
}

/** Connectors served by hardware (the profile's `"backend": {"linux": ...}`), by number. */
export interface HardwareParts {
  readonly pins?: ReadonlyMap<number, Pin>;
  readonly i2cs?: ReadonlyMap<number, I2cBus>;
  readonly spis?: ReadonlyMap<number, SpiBus>;
  readonly uarts?: ReadonlyMap<number, UartPort>;
  readonly adcs?: ReadonlyMap<number, AdcChannel>;
  readonly pwms?: ReadonlyMap<number, PwmChannel>;
}

/** What the adapters are made from: the simulated board's parts. */
export interface SimParts {
  readonly name: string;
  readonly sources: Sources;
  advanceTo(nowUs: bigint): void;
  readonly sensors: ReadonlyMap<string, SimSensor>;
  readonly pins: ReadonlyMap<number, SimPin>;
  readonly adcs: ReadonlyMap<number, SimAdcChannel>;
  readonly pwms: ReadonlyMap<number, SimPwmChannel>;
  readonly i2cs: ReadonlyMap<number, SimI2cBus>;
  readonly spis: ReadonlyMap<number, SimSpiBus>;
  readonly uarts: ReadonlyMap<number, SimUartPort>;
}

function adapt<K, S, A>(from: ReadonlyMap<K, S>, make: (s: S) => A): Map<K, A> {
  return new Map([...from].map(([k, s]) => [k, make(s)]));
}

/** The board's peripherals: the simulated ones, and the hardware ones in their places. */
export class SimPeripherals implements Peripherals {
  readonly name: string;
  private readonly sensors: Map<string, SensorSource>;
  private readonly pins: Map<number, Pin>;
  private readonly adcs: Map<number, AdcChannel>;
  private readonly pwms: Map<number, PwmChannel>;
  private readonly i2cs: Map<number, I2cBus>;
  private readonly spis: Map<number, SpiBus>;
  private readonly uarts: Map<number, UartPort>;

  constructor(private readonly parts: SimParts, hardware: HardwareParts = {}) {
    this.name = parts.name;
    this.sensors = adapt(parts.sensors, (s) => new SimSensorAdapter(s));
    this.pins = adapt(parts.pins, (p) => new SimPinAdapter(p, parts.sources));
    this.adcs = adapt(parts.adcs, (a) => new SimAdcAdapter(a));
    this.pwms = adapt(parts.pwms, (p) => new SimPwmAdapter(p));
    this.i2cs = adapt(parts.i2cs, (b) => new SimI2cAdapter(b));
    this.spis = adapt(parts.spis, (b) => new SimSpiAdapter(b));
    this.uarts = adapt(parts.uarts, (u) => new SimUartAdapter(u));
    for (const [n, p] of hardware.pins ?? []) this.pins.set(n, p);
    for (const [n, b] of hardware.i2cs ?? []) this.i2cs.set(n, b);
    for (const [n, b] of hardware.spis ?? []) this.spis.set(n, b);
    for (const [n, u] of hardware.uarts ?? []) this.uarts.set(n, u);
    for (const [n, a] of hardware.adcs ?? []) this.adcs.set(n, a);
    for (const [n, p] of hardware.pwms ?? []) this.pwms.set(n, p);
  }

  advanceTo(nowUs: bigint): void { this.parts.advanceTo(nowUs); }
  sensor(name: string) { return this.sensors.get(name); }
  pin(pin: number) { return this.pins.get(pin); }
  adc(channel: number) { return this.adcs.get(channel); }
  pwm(channel: number) { return this.pwms.get(channel); }
  i2c(bus: number) { return this.i2cs.get(bus); }
  spi(bus: number) { return this.spis.get(bus); }
  uart(port: number) { return this.uarts.get(port); }
}
