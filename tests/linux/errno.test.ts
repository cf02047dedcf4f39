// Kernel errnos from i2c-dev, spidev, GPIO line requests and sysfs writes
// become the boundary's error kinds, and so ABI statuses, in one place.

import { describe, expect, it } from "vitest";
import { Status } from "../../src/abi/host.generated.js";
import { abiStatus, CLAIM_ERROR_KINDS, I2C_ERROR_KINDS, SPI_ERROR_KINDS } from "../../src/hal/errors.js";
import { claimErrorKind, i2cErrorKind, spiErrorKind } from "../../src/linux/errno.js";
import { errnoName } from "../../src/linux/ioctl.js";
import { LinuxI2cBus } from "../../src/linux/i2c.js";
import * as U from "../../src/linux/uapi.js";

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
  it("the kernel's numbers get the names the mapping uses: EREMOTEIO (121, absent from Node's table), EAGAIN not EWOULDBLOCK (both 11)", () => {
    expect(errnoName(-121)).toBe("EREMOTEIO");
    expect(errnoName(-11)).toBe("EAGAIN");
    expect(errnoName(-95)).toBe("EOPNOTSUPP");
    expect(errnoName(-6)).toBe("ENXIO");
    expect(errnoName(0)).toBeNull();
  });
  it("an I2C NACK as the Raspberry Pi's adapter reports it (EREMOTEIO) is nack-address, lost arbitration (EAGAIN) arbitration-loss", () => {
    let answer = 0;
    const io = {
      ioctl: (_fd: number, req: number, arg: Uint8Array) => { if (req === U.I2C_FUNCS) arg[0] = U.I2C_FUNC_I2C; return 0; },
      i2cRdwr: () => answer, spiTransfer: () => 0, setNonblocking: () => 0,
    };
    const bus = new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/null", where: "pi.json: i2c[0]", io });
    const at = { nowUs: 0n, caller: "test" };
    answer = -121;
    expect(bus.transaction(0x48, Uint8Array.of(0), 2, at)).toEqual({ ok: false, kind: "no-acknowledge-address", detail: "i2c1 0x48: EREMOTEIO" });
    answer = -11;
    expect(bus.transaction(0x48, Uint8Array.of(0), 2, at)).toEqual({ ok: false, kind: "arbitration-loss", detail: "i2c1 0x48: EAGAIN" });
  });
});
