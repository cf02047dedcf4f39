// Every error kind a peripheral operation may report maps (src/hal/errors.ts,
// the one mapping) to a status its ABI function documents in host-abi/spec,
// so no backend can hand a module a status outside the function's list.

import { describe, expect, it } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { STATUS_NAMES } from "../../src/abi/host.generated.js";
import {
  abiStatus, ADC_ERROR_KINDS, CLAIM_ERROR_KINDS, I2C_ERROR_KINDS, SENSOR_ERROR_KINDS, SPI_ERROR_KINDS, UART_ERROR_KINDS, type HalErrorKind,
} from "../../src/hal/errors.js";

function documented(iface: string, fn: string): string[] {
  const f = abi.interfaces.find((i) => i.name === iface)?.functions.find((x) => x.name === fn);
  if (!f) throw new Error(`no function ${iface}.${fn} in the ABI spec`);
  return (f.errors ?? []).map((e) => e.code);
}

const OPERATIONS: [string, readonly HalErrorKind[], string[]][] = [
  ["I2cBus.transaction", I2C_ERROR_KINDS, ["i2c.write", "i2c.read", "i2c.write_read"]],
  ["SpiDevice.transfer", SPI_ERROR_KINDS, ["spi.transfer"]],
  ["UartPort.read", UART_ERROR_KINDS, ["uart.read"]],
  ["AdcChannel.read", ADC_ERROR_KINDS, ["adc.read"]],
  ["SensorSource.read", SENSOR_ERROR_KINDS, ["sensor.read"]],
  ["Pin.configure / PwmChannel.start / UartPort.open", CLAIM_ERROR_KINDS, ["gpio.claim", "pwm.open", "uart.open"]],
];

describe("error kinds → ABI statuses", () => {
  for (const [op, kinds, fns] of OPERATIONS) {
    it(`${op}: every kind is a status of ${fns.join(", ")}`, () => {
      for (const fn of fns) {
        const [iface, name] = fn.split(".") as [string, string];
        const allowed = documented(iface, name);
        const outside = kinds.filter((k) => !allowed.includes(STATUS_NAMES[abiStatus(k)]!)).map((k) => `${k} → ${STATUS_NAMES[abiStatus(k)]}`);
        expect(outside, fn).toEqual([]);
      }
    });
  }

  it("names each I2C/SPI/UART kind after its ABI status, except the no-acknowledge pair", () => {
    const all = new Set<HalErrorKind>([...I2C_ERROR_KINDS, ...SPI_ERROR_KINDS, ...UART_ERROR_KINDS, ...ADC_ERROR_KINDS, ...SENSOR_ERROR_KINDS, ...CLAIM_ERROR_KINDS]);
    const renamed = [...all].filter((k) => STATUS_NAMES[abiStatus(k)] !== k).map((k) => `${k}=${STATUS_NAMES[abiStatus(k)]}`);
    expect(renamed.sort()).toEqual(["no-acknowledge-address=nack-address", "no-acknowledge-data=nack-data"]);
  });
});
