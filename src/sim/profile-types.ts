// The validated shape of a board profile (boards/*.json). The JSON form is
// described by boards/schema.json and checked by profile-validate.ts; this is
// what the rest of the simulator works with.

import type { Capabilities } from "../caps/capabilities.js";
import type { Interpolation } from "./trace.js";
import type { DeviceClass, ModuleLimits } from "../validate/limits.js";

/** Where a simulated quantity comes from. JSON: `5`, `{"constant":5}`, `{"trace":"cold_room","interpolation":"step"}`, `{"sine":{...}}`, `{"sensor":"cold_room"}`. */
export type SourceSpec =
  | { kind: "constant"; value: number }
  | { kind: "trace"; column: string; interpolation: Interpolation }
  | { kind: "sine"; mean: number; amplitude: number; periodS: number; phaseS: number }
  | { kind: "sensor"; name: string };

export type PinModeName = "input" | "input-pull-up" | "input-pull-down" | "output" | "output-open-drain";

export interface SensorSpec {
  name: string;
  unit: string;
  range: { min: number; max: number };
  /** Standard deviation of Gaussian noise added to every sample, in the sensor's unit. */
  noise: number;
  source: SourceSpec;
  description?: string;
}

export interface PinSpec {
  pin: number;
  /** Readable name used in event logs (`door_switch`, `relay_compressor`). */
  name: string;
  modes: PinModeName[];
  /** Level of an input pin: a 0/1 trace column (edges at the rows' exact times) or a constant. */
  drive?: SourceSpec;
  description?: string;
  backend?: Extract<LinuxBackend, { of: "gpio" }>;
}

export interface AdcChannelSpec {
  channel: number;
  name: string;
  bits: number;
  vrefMv: number;
  /** Input voltage in millivolts (simulated channels; absent when Linux serves the channel). */
  source?: SourceSpec;
  noise: number;
  description?: string;
  backend?: Extract<LinuxBackend, { of: "adc" }>;
}

/** A channel the simulator serves: it has its input. */
export type SimAdcChannelSpec = AdcChannelSpec & { source: SourceSpec };

export interface PwmChannelSpec {
  channel: number;
  name: string;
  minHz: number;
  maxHz: number;
  backend?: Extract<LinuxBackend, { of: "pwm" }>;
}

export type I2cFaultStatus = "bus" | "arbitration-loss" | "nack-data" | "overrun" | "timeout" | "other";
export type SpiFaultStatus = "overrun" | "mode-fault" | "frame-format" | "timeout" | "other";

/** A window of virtual time during which a bus misbehaves (stuck SDA, a second controller, ...). */
export interface BusFault<S extends string> {
  fromUs: bigint;
  toUs: bigint;
  status: S;
  /** Only transactions to this I2C address / SPI chip select are affected; all when absent. */
  target?: number;
  detail: string;
}

export interface Tmp102Spec { type: "tmp102"; address: number; name: string; source: SourceSpec; noise: number }
export interface Eeprom24c02Spec { type: "24c02"; address: number; name: string; writeCycleUs: bigint; contents: Uint8Array }
export interface Adxl345Spec {
  type: "adxl345"; address: number; name: string;
  /** Vibration velocity, RMS in mm/s, on the sensing axis. */
  velocity: SourceSpec;
  /** Shaft rotation frequency the vibration is at. */
  frequencyHz: number;
  /** Noise in g (stddev) on each axis. */
  noise: number;
}
export type I2cDeviceSpec = Tmp102Spec | Eeprom24c02Spec | Adxl345Spec;

export interface I2cBusSpec { bus: number; name: string; devices: I2cDeviceSpec[]; faults: BusFault<I2cFaultStatus>[]; backend?: Extract<LinuxBackend, { of: "i2c" }> }

export interface Mcp3008Spec {
  type: "mcp3008"; cs: number; name: string; vrefMv: number;
  /** Input voltage per single-ended channel (0..7) in millivolts; unlisted channels read 0 V. */
  channels: { channel: number; source: SourceSpec }[];
  noise: number;
}
export type SpiDeviceSpec = Mcp3008Spec;
export interface SpiBusSpec { bus: number; name: string; devices: SpiDeviceSpec[]; faults: BusFault<SpiFaultStatus>[]; backend?: Extract<LinuxBackend, { of: "spi" }> }

export type ParityName = "none" | "even" | "odd";
export interface LineSettings { baud: number; parity: ParityName; stopBits: 1 | 2 }

export type RegisterFormat = "uint16" | "int16" | "uint32" | "int32" | "float32";
export interface RegisterSpec {
  address: number;
  name: string;
  format: RegisterFormat;
  /** Engineering value = raw × scale (integer formats only; float32 carries the value itself). */
  scale: number;
  /** Input registers: where the value comes from. Holding registers: the initial value. */
  source: SourceSpec;
  writable: boolean;
  min?: number;
  max?: number;
}
export interface ModbusSlaveSpec {
  type: "modbus-rtu-slave";
  name: string;
  unitId: number;
  line: LineSettings;
  /** Time the slave takes to act on a request, after the 3.5-character end-of-frame silence. */
  responseDelayUs: number;
  holdingRegisters: RegisterSpec[];
  inputRegisters: RegisterSpec[];
}
/** A device that sends one text line every period (a scale, a barcode reader, a GPS). */
export interface LineStreamSpec {
  type: "line-stream";
  name: string;
  line: LineSettings;
  periodUs: bigint;
  prefix: string;
  suffix: string;
  decimals: number;
  source: SourceSpec;
}
export type UartDeviceSpec = ModbusSlaveSpec | LineStreamSpec;

export interface UartPortSpec {
  port: number;
  name: string;
  bauds: number[];
  parities: ParityName[];
  stopBits: (1 | 2)[];
  rxBufferBytes: number;
  txBufferBytes: number;
  device?: UartDeviceSpec;
  backend?: Extract<LinuxBackend, { of: "uart" }>;
}

/** A connector the Linux kernel serves instead of the simulator (profile-backends.ts). Absent on a spec: simulated. */
export type LinuxBackend =
  | { of: "gpio"; chip: string; line: number }
  | { of: "i2c"; device: string }
  | { of: "spi"; devices: { cs: number; name: string; device: string }[] }
  | { of: "uart"; device: string; flowControl: "none" | "rts-cts" | "xon-xoff" }
  /** An IIO device's voltage channel: /sys/bus/iio/devices/<device>/in_voltage<index>_raw. */
  | { of: "adc"; device: string; index: number }
  /** A PWM-class chip's channel: /sys/class/pwm/<chip>/pwm<index>. */
  | { of: "pwm"; chip: string; index: number };
export type LinuxBackendKind = LinuxBackend["of"];

export interface BoardProfile {
  name: string;
  description: string;
  /** Seed of every noise stream. */
  seed: number;
  /** Default trace, relative to the profile file. */
  trace?: string;
  sensors: SensorSpec[];
  gpio: PinSpec[];
  adc: AdcChannelSpec[];
  pwm: PwmChannelSpec[];
  i2c: I2cBusSpec[];
  spi: SpiBusSpec[];
  uart: UartPortSpec[];
  /** What this board can grant modules; every entry names hardware declared above. */
  grantable: Capabilities;
  /** Whose module resource limits apply (src/validate/limits.ts); "gateway" unless the profile says otherwise. */
  deviceClass: DeviceClass;
  /** The class's limits with the profile's `moduleLimits` overrides applied. */
  moduleLimits: ModuleLimits;
}
