// How the errno of a failed kernel call (an ioctl on i2c-dev / spidev / a GPIO
// line, a sysfs write) becomes one of the peripheral boundary's error kinds
// (src/hal/errors.ts), and so an ABI status. Only errnos that say something
// about the bus or the device a module addressed become a kind; the rest
// (ENODEV: the adapter went away, EBADF, EFAULT) are the host's failure and
// are thrown as PeripheralFailure by the backend.
//
// I2C follows the kernel's Documentation/i2c/fault-codes.rst: ENXIO is the
// address phase not acknowledged; many adapters (bcm2835 on the Raspberry
// Pi, DesignWare) return EREMOTEIO for any NACK and cannot tell the phase, so
// it maps to no-acknowledge-address too; EAGAIN is lost arbitration.
// A transfer the adapter or i2c-dev cannot carry (EINVAL: a message over
// i2c-dev's 8192 bytes; EOPNOTSUPP: the adapter's quirks, such as no
// zero-length messages or a read longer than it can do) and, on spidev, one
// longer than its bufsiz (EMSGSIZE) is a length the module chose: `other`,
// a controller-specific failure, never the host's.

import type { ClaimErrorKind, I2cErrorKind, SpiErrorKind } from "../hal/errors.js";

export function i2cErrorKind(code: string): I2cErrorKind | null {
  switch (code) {
    case "ENXIO":
    case "EREMOTEIO":
      return "no-acknowledge-address";
    case "EAGAIN":
      return "arbitration-loss";
    case "ETIMEDOUT":
      return "timeout";
    case "EOVERFLOW":
      return "overrun";
    case "EIO":
    case "EBUSY":
      return "bus";
    case "EPROTO":
    case "EBADMSG":
    case "EINVAL":
    case "EOPNOTSUPP":
    case "ENOTSUP":
      return "other";
    default:
      return null;
  }
}

export function spiErrorKind(code: string): SpiErrorKind | null {
  switch (code) {
    case "ETIMEDOUT":
      return "timeout";
    case "EOVERFLOW":
      return "overrun";
    case "EIO":
    case "EMSGSIZE":
      return "other";
    default:
      return null;
  }
}

/** Why a GPIO line request, a PWM export or a serial open was refused. */
export function claimErrorKind(code: string): ClaimErrorKind | null {
  switch (code) {
    case "EBUSY":
      return "busy";
    case "EINVAL":
    case "EOPNOTSUPP":
    case "ENOTSUP":
    case "ENOTTY":
      return "unsupported";
    default:
      return null;
  }
}

/** The group that usually owns each kind of device file on Debian / Raspberry Pi OS, for a permission refusal when the file's group cannot be read. */
export const DEVICE_GROUP = { gpio: "gpio", i2c: "i2c", spi: "spi", uart: "dialout", pwm: "gpio", adc: "iio" } as const;
