// The Linux backends a board profile can hand connectors to: GPIO lines on
// the character device (uAPI v2), I2C on i2c-dev, SPI on spidev (these three
// through the native ioctl addon, native/linux-ioctl.c), UART on a serial
// device, ADC channels through IIO and PWM channels through the PWM class
// (both sysfs).

import type { HardwareBackends } from "../sim/board.js";
import type { BoardProfile, LinuxBackend } from "../sim/profile-types.js";
import { LinuxGpioPin } from "./gpio.js";
import { LinuxI2cBus } from "./i2c.js";
import { IioAdcChannel } from "./iio-adc.js";
import { PwmClassChannel } from "./pwm-class.js";
import { LinuxSpiBus } from "./spi.js";
import { LinuxUartPort } from "./uart.js";

/** `sysfsRoot`: where sysfs is mounted (tests only: a tree laid out as the kernel's ABI documents describe). */
export function linuxHardware(opts: { sysfsRoot?: string } = {}): HardwareBackends {
  const sysfs = opts.sysfsRoot ? { sysfsRoot: opts.sysfsRoot } : {};
  return {
    adc: (spec, where) => new IioAdcChannel({ channel: spec.channel, name: spec.name, bits: spec.bits, vrefMv: spec.vrefMv, device: spec.backend.device, index: spec.backend.index, where, ...sysfs }),
    pwm: (spec, where) => new PwmClassChannel({ channel: spec.channel, name: spec.name, minHz: spec.minHz, maxHz: spec.maxHz, chip: spec.backend.chip, index: spec.backend.index, where, ...sysfs }),
    gpio: (spec, where) => new LinuxGpioPin({ number: spec.pin, name: spec.name, modes: spec.modes, chip: spec.backend.chip, line: spec.backend.line, where }),
    i2c: (spec, where) => new LinuxI2cBus({ bus: spec.bus, name: spec.name, device: spec.backend.device, where }),
    spi: (spec, where) => new LinuxSpiBus({ bus: spec.bus, name: spec.name, devices: spec.backend.devices, where }),
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
    out.push(`${kind}[${i}] ${b.of === "gpio" ? `${b.chip} line ${b.line}` : b.of === "spi" ? b.devices.map((d) => d.device).join(",") : b.of === "adc" ? `${b.device} in_voltage${b.index}` : b.of === "pwm" ? `${b.chip} pwm${b.index}` : b.device}`);
  });
  add("gpio", profile.gpio);
  add("i2c", profile.i2c);
  add("spi", profile.spi);
  add("uart", profile.uart);
  add("adc", profile.adc);
  add("pwm", profile.pwm);
  return out;
}
