// The error vocabulary of the peripheral boundary and its ONE mapping onto the
// ABI's statuses (host-abi/spec/status.ts).
//
// Like embedded-hal 1.0's `ErrorKind`s, each peripheral has a small closed set
// of kinds saying what went wrong on the wire, independent of the backend (the
// simulator, the Linux kernel). The host implementations turn a kind into the
// status the module sees with `abiStatus`, and nowhere else. Every kind an
// operation may report is one its ABI function documents; tests/hal/
// error-mapping.test.ts checks that against the spec, so a kind can never
// produce a status outside a function's list.
//
// | kind                    | peripherals     | ABI status       |
// | ----------------------- | --------------- | ---------------- |
// | bus                     | i2c             | bus              |
// | arbitration-loss        | i2c             | arbitration-loss |
// | no-acknowledge-address  | i2c             | nack-address     |
// | no-acknowledge-data     | i2c             | nack-data        |
// | overrun                 | i2c, spi, uart  | overrun          |
// | mode-fault              | spi             | mode-fault       |
// | frame-format            | spi, uart       | frame-format     |
// | parity                  | uart            | parity           |
// | noise                   | uart            | noise            |
// | timeout                 | i2c, spi, adc, sensor | timeout    |
// | other                   | i2c, spi, sensor | other           |
// | busy                    | pin, pwm, uart (held outside fwx) | busy |
// | unsupported             | pin, pwm, uart (the hardware cannot) | unsupported |
//
// A backend failure the ABI function has no status for (gpio.read on a line
// whose chip went away, a write to an unplugged serial adapter) is not the
// module's doing and must not look like it: the backend throws
// PeripheralFailure naming the connector and device, and the agent reports
// the callback as a `host-error` fault (src/agent/faults.ts).

import { Status } from "../abi/host.generated.js";

export const I2C_ERROR_KINDS = ["bus", "arbitration-loss", "no-acknowledge-address", "no-acknowledge-data", "overrun", "timeout", "other"] as const;
export const SPI_ERROR_KINDS = ["overrun", "mode-fault", "frame-format", "timeout", "other"] as const;
/** What a received byte can carry (embedded-hal's serial ErrorKind without `Other`: uart.read documents no `other`). */
export const UART_ERROR_KINDS = ["overrun", "frame-format", "parity", "noise"] as const;
export const ADC_ERROR_KINDS = ["timeout"] as const;
export const SENSOR_ERROR_KINDS = ["timeout", "other"] as const;
/** Why a pin configure / PWM start / UART open failed on the hardware's side (held outside fwx; the hardware cannot). */
export const CLAIM_ERROR_KINDS = ["busy", "unsupported"] as const;

export type I2cErrorKind = (typeof I2C_ERROR_KINDS)[number];
export type SpiErrorKind = (typeof SPI_ERROR_KINDS)[number];
export type UartErrorKind = (typeof UART_ERROR_KINDS)[number];
export type AdcErrorKind = (typeof ADC_ERROR_KINDS)[number];
export type SensorErrorKind = (typeof SENSOR_ERROR_KINDS)[number];
export type ClaimErrorKind = (typeof CLAIM_ERROR_KINDS)[number];

export type HalErrorKind = I2cErrorKind | SpiErrorKind | UartErrorKind | AdcErrorKind | SensorErrorKind | ClaimErrorKind;

const ABI_STATUS: Readonly<Record<HalErrorKind, number>> = {
  bus: Status.bus,
  "arbitration-loss": Status.arbitrationLoss,
  "no-acknowledge-address": Status.nackAddress,
  "no-acknowledge-data": Status.nackData,
  overrun: Status.overrun,
  "mode-fault": Status.modeFault,
  "frame-format": Status.frameFormat,
  parity: Status.parity,
  noise: Status.noise,
  timeout: Status.timeout,
  other: Status.other,
  busy: Status.busy,
  unsupported: Status.unsupported,
};

/** The ABI status a module sees for `kind`. */
export function abiStatus(kind: HalErrorKind): number {
  return ABI_STATUS[kind];
}


/** A failed operation: the kind, and the text core.error_detail gives the module. */
export interface HalError<K extends HalErrorKind> {
  ok: false;
  kind: K;
  detail: string;
}

/** Why the hardware refused to claim / open a resource the board has (null: it did not refuse). */
export type ClaimRefusal = HalError<ClaimErrorKind> | null;

/** The hardware failed in a way the ABI function cannot report (no status fits); the host, not the module, is at fault. */
export class PeripheralFailure extends Error {
  constructor(readonly connector: string, message: string) {
    super(`${connector}: ${message}`);
    this.name = "PeripheralFailure";
  }
}
