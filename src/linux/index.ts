// The Linux backends a board profile can hand connectors to. Only UART is
// here so far: GPIO (character device), I2C (i2c-dev) and SPI (spidev) need
// kernel simulators (gpio-sim, i2c-stub) to be tested against, which this
// build's test machines lack; a profile that asks for them is refused when
// the board loads (src/sim/board.ts), naming the field.

import type { HardwareBackends } from "../sim/board.js";
import type { BoardProfile, LinuxBackend } from "../sim/profile-types.js";
import { LinuxUartPort } from "./uart.js";

export function linuxHardware(): HardwareBackends {
  return {
    uart: (spec, where) => new LinuxUartPort({
      port: spec.port, name: spec.name, device: spec.backend.device, flowControl: spec.backend.flowControl,
      bauds: spec.bauds, parities: spec.parities, stopBits: spec.stopBits, rxBufferBytes: spec.rxBufferBytes, txBufferBytes: spec.txBufferBytes, where,
    }),
  };
}

/** The connectors of a loaded profile that Linux serves (`uart[0] /dev/ttyUSB0`), for messages; empty for a simulated board. */
export function linuxConnectors(profile: BoardProfile): string[] {
  const out: string[] = [];
  const add = (kind: string, list: readonly { backend?: LinuxBackend }[]) => list.forEach((c, i) => {
    if (!c.backend) return;
    const b = c.backend;
    out.push(`${kind}[${i}] ${b.of === "gpio" ? `${b.chip} line ${b.line}` : b.of === "spi" ? b.devices.map((d) => d.device).join(",") : b.device}`);
  });
  add("gpio", profile.gpio);
  add("i2c", profile.i2c);
  add("spi", profile.spi);
  add("uart", profile.uart);
  return out;
}
