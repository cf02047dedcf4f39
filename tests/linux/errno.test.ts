// Kernel errnos from i2c-dev, spidev, GPIO line requests and sysfs writes
// become the boundary's error kinds, and so ABI statuses, in one place.

import { describe, expect, it } from "vitest";
import { Status } from "../../src/abi/host.generated.js";
import { abiStatus, CLAIM_ERROR_KINDS, I2C_ERROR_KINDS, SPI_ERROR_KINDS } from "../../src/hal/errors.js";
import { claimErrorKind, i2cErrorKind, spiErrorKind } from "../../src/linux/errno.js";

describe("errno to hal error kind to ABI status", () => {
  it("I2C follows Documentation/i2c/fault-codes.rst", () => {
    expect(abiStatus(i2cErrorKind("ENXIO")!)).toBe(Status.nackAddress);
    expect(abiStatus(i2cErrorKind("EREMOTEIO")!)).toBe(Status.nackAddress);
    expect(abiStatus(i2cErrorKind("EAGAIN")!)).toBe(Status.arbitrationLoss);
    expect(abiStatus(i2cErrorKind("ETIMEDOUT")!)).toBe(Status.timeout);
    expect(abiStatus(i2cErrorKind("EOVERFLOW")!)).toBe(Status.overrun);
    expect(abiStatus(i2cErrorKind("EIO")!)).toBe(Status.bus);
    expect(i2cErrorKind("ENODEV")).toBeNull(); // the adapter went away: the host's failure
  });
  it("SPI and claims", () => {
    expect(abiStatus(spiErrorKind("ETIMEDOUT")!)).toBe(Status.timeout);
    expect(spiErrorKind("EBADF")).toBeNull();
    expect(abiStatus(claimErrorKind("EBUSY")!)).toBe(Status.busy);
    expect(abiStatus(claimErrorKind("EINVAL")!)).toBe(Status.unsupported);
  });
  it("every kind produced is one the peripheral's ABI functions document", () => {
    const codes = ["ENXIO", "EREMOTEIO", "EAGAIN", "ETIMEDOUT", "EOVERFLOW", "EIO", "EBUSY", "EPROTO", "EBADMSG", "EINVAL", "EOPNOTSUPP", "ENOTSUP", "ENOTTY", "EMSGSIZE", "ENODEV", "EFAULT"];
    for (const c of codes) {
      const i = i2cErrorKind(c), s = spiErrorKind(c), k = claimErrorKind(c);
      if (i) expect(I2C_ERROR_KINDS, c).toContain(i);
      if (s) expect(SPI_ERROR_KINDS, c).toContain(s);
      if (k) expect(CLAIM_ERROR_KINDS, c).toContain(k);
    }
  });
});
