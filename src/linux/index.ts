// The Linux backends a board profile can hand connectors to. Only UART is
// here so far: GPIO (character device), I2C (i2c-dev) and SPI (spidev) need
// kernel simulators (gpio-sim, i2c-stub) to be tested against, which this
// build's test machines lack; a profile that asks for them is refused when
// the board loads (src/sim/board.ts), naming the field.

import type { HardwareBackends } from "../sim/board.js";
import { LinuxUartPort } from "./uart.js";

export function linuxHardware(): HardwareBackends {
  return {
    uart: (spec, where) => new LinuxUartPort({
      port: spec.port, name: spec.name, device: spec.backend.device, flowControl: spec.backend.flowControl,
      bauds: spec.bauds, parities: spec.parities, stopBits: spec.stopBits, rxBufferBytes: spec.rxBufferBytes, txBufferBytes: spec.txBufferBytes, where,
    }),
  };
}
