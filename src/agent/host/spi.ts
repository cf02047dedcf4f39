// fwx:spi@1 on the board's SPI devices (src/hal/spi.ts): one full-duplex
// transfer with chip select asserted, at the module's device time. Check order: see sensor.ts.

import { Status, type SpiHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import { abiStatus } from "../../hal/errors.js";
import { hexBytes } from "../../hal/hex.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { ModuleHostContext } from "../host-context.js";

export function createSpiHost(board: Peripherals, ctx: ModuleHostContext): SpiHost {
  return {
    transfer(busNumber, cs, tx, rx) {
      if (tx.length === 0) return ctx.fail(Status.invalidArg, "spi.transfer: tx is empty");
      if (rx.length !== 0 && rx.length !== tx.length) return ctx.fail(Status.invalidArg, `spi.transfer: rx holds ${rx.length} bytes; it must be 0 or tx's length ${tx.length}`);
      if (!allows.spi(ctx.caps, busNumber, cs)) return ctx.fail(Status.notPermitted, `spi.transfer: module ${ctx.moduleId} was not granted SPI bus ${busNumber} cs ${cs}`);
      const bus = board.spi(busNumber);
      if (!bus) return ctx.fail(Status.notFound, `spi.transfer: board ${board.name} has no SPI bus ${busNumber}`);
      const device = bus.device(cs);
      if (!device) return ctx.fail(Status.notFound, `spi.transfer: SPI bus ${busNumber} has no device on chip select ${cs}`);
      const now = ctx.nowUs();
      board.advanceTo(now);
      const result = device.transfer(tx, { nowUs: now, caller: ctx.moduleId });
      if (result.ok && rx.length > 0) rx.set(result.rx);
      ctx.traffic("spi", () => ({
        kind: "spi", bus: busNumber, cs, device: device.name, tx: hexBytes(tx),
        ...(result.ok ? { rx: hexBytes(result.rx) } : {}), status: result.ok ? "ok" : result.detail,
      }));
      return result.ok ? Status.ok : ctx.fail(abiStatus(result.kind), `spi.transfer: ${result.detail}`);
    },
  };
}
