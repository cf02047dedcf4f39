// The peripheral boundary: everything the agent's host implementations
// (src/agent/host/) need of a board. The simulator (src/sim/hal-sim.ts)
// implements it; a profile can hand single connectors to another backend.

import type { AdcChannel } from "./adc.js";
import type { I2cBus } from "./i2c.js";
import type { Pin } from "./pin.js";
import type { PwmChannel } from "./pwm.js";
import type { SensorSource } from "./sensor.js";
import type { SpiBus } from "./spi.js";
import type { UartPort } from "./uart.js";

export interface Peripherals {
  /** The board's name, for error details. */
  readonly name: string;
  /**
   * Brings the peripherals up to device time `nowUs` before an operation at
   * that time: the simulator fires what is due (edges, received bursts) in
   * time order; hardware is always "now" and has nothing to do.
   */
  advanceTo(nowUs: bigint): void;
  sensor(name: string): SensorSource | undefined;
  pin(pin: number): Pin | undefined;
  adc(channel: number): AdcChannel | undefined;
  pwm(channel: number): PwmChannel | undefined;
  i2c(bus: number): I2cBus | undefined;
  spi(bus: number): SpiBus | undefined;
  uart(port: number): UartPort | undefined;
}

/** A board whose peripherals the agent's hosts use (src/sim/board.ts Board is one). */
export interface PeripheralBoard {
  readonly peripherals: Peripherals;
}

export type { AdcChannel, I2cBus, Pin, PwmChannel, SensorSource, SpiBus, UartPort };
export type { HalCall } from "./call.js";
