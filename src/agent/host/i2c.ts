// fwx:i2c@1 on the board's I2C buses (src/hal/i2c.ts): each call is one
// complete transaction at the module's device time. Check order: see sensor.ts
// (address range, grant, bus exists, then what the bus and target do).

import { Status, type I2cHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import { abiStatus } from "../../hal/errors.js";
import { hexByte, hexBytes } from "../../hal/hex.js";
import type { I2cBus } from "../../hal/i2c.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { ModuleHostContext } from "../host-context.js";

export function createI2cHost(board: Peripherals, ctx: ModuleHostContext): I2cHost {
  function transact(op: "write" | "read" | "write_read", busNumber: number, address: number, tx: Uint8Array | null, rx: Uint8Array | null): number {
    if (address > 0x7f) return ctx.fail(Status.invalidArg, `i2c.${op}: address ${hexByte(address)} is not a 7-bit address`);
    if (!allows.i2c(ctx.caps, busNumber, address))
      return ctx.fail(Status.notPermitted, `i2c.${op}: module ${ctx.moduleId} was not granted I2C bus ${busNumber} address ${hexByte(address)}`);
    const bus: I2cBus | undefined = board.i2c(busNumber);
    if (!bus) return ctx.fail(Status.notFound, `i2c.${op}: board ${board.name} has no I2C bus ${busNumber}`);
    const now = ctx.nowUs();
    board.advanceTo(now);
    const result = bus.transaction(address, tx, rx ? rx.length : null, { nowUs: now, caller: ctx.moduleId });
    if (rx && result.ok) rx.set(result.rx);
    ctx.traffic("i2c", () => {
      const device = bus.targetName(address);
      return {
        kind: "i2c", bus: busNumber, address: hexByte(address), ...(device !== undefined ? { device } : {}), op,
        ...(tx ? { tx: hexBytes(tx) } : {}), ...(rx && result.ok ? { rx: hexBytes(result.rx) } : {}),
        status: result.ok ? "ok" : result.detail,
      };
    });
    return result.ok ? Status.ok : ctx.fail(abiStatus(result.kind), `i2c.${op}: ${result.detail}`);
  }

  return {
    write: (bus, address, data) => transact("write", bus, address, data, null),
    read: (bus, address, rx) => transact("read", bus, address, null, rx),
    writeRead: (bus, address, tx, rx) => transact("write_read", bus, address, tx, rx),
  };
}
