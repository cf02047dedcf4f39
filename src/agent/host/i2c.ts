// fwx:i2c@1 on the simulated board: each call is one complete transaction on
// the simulated bus at the module's virtual time. Check order: see sensor.ts
// (address range, grant, bus exists, then what the bus and target do).

import { Status, type I2cHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { Board } from "../../sim/board.js";
import type { SimI2cBus } from "../../sim/bus.js";
import { hexByte, hexBytes } from "../../sim/format.js";
import type { ModuleHostContext } from "../host-context.js";

export function createI2cHost(board: Board, ctx: ModuleHostContext): I2cHost {
  function transact(op: "write" | "read" | "write_read", busNumber: number, address: number, tx: Uint8Array | null, rx: Uint8Array | null): number {
    if (address > 0x7f) return ctx.fail(Status.invalidArg, `i2c.${op}: address ${hexByte(address)} is not a 7-bit address`);
    if (!allows.i2c(ctx.caps, busNumber, address))
      return ctx.fail(Status.notPermitted, `i2c.${op}: module ${ctx.moduleId} was not granted I2C bus ${busNumber} address ${hexByte(address)}`);
    const bus: SimI2cBus | undefined = board.i2c(busNumber);
    if (!bus) return ctx.fail(Status.notFound, `i2c.${op}: board ${board.profile.name} has no I2C bus ${busNumber}`);
    const now = ctx.nowUs();
    board.advanceTo(now);
    const result = bus.transaction(address, tx, rx ? rx.length : null, now);
    if (rx && result.status === Status.ok) rx.set(result.rx);
    const device = bus.device(address);
    ctx.emit({
      kind: "i2c", bus: busNumber, address: hexByte(address), ...(device ? { device: device.name } : {}), op,
      ...(tx ? { tx: hexBytes(tx) } : {}), ...(rx && result.status === Status.ok ? { rx: hexBytes(result.rx) } : {}),
      status: result.status === Status.ok ? "ok" : result.detail,
    });
    return result.status === Status.ok ? Status.ok : ctx.fail(result.status, `i2c.${op}: ${result.detail}`);
  }

  return {
    write: (bus, address, data) => transact("write", bus, address, data, null),
    read: (bus, address, rx) => transact("read", bus, address, null, rx),
    writeRead: (bus, address, tx, rx) => transact("write_read", bus, address, tx, rx),
  };
}
