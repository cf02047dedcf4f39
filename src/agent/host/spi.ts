// fwx:spi@1 on the simulated board: one full-duplex transfer with chip select
// asserted, at the module's virtual time. Check order: see sensor.ts.

import { Status, type SpiHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { Board } from "../../sim/board.js";
import { hexBytes } from "../../sim/format.js";
import type { ModuleHostContext } from "../host-context.js";

export function createSpiHost(board: Board, ctx: ModuleHostContext): SpiHost {
  return {
    transfer(busNumber, cs, tx, rx) {
      if (tx.length === 0) return ctx.fail(Status.invalidArg, "spi.transfer: tx is empty");
      if (rx.length !== 0 && rx.length !== tx.length) return ctx.fail(Status.invalidArg, `spi.transfer: rx holds ${rx.length} bytes; it must be 0 or tx's length ${tx.length}`);
      if (!allows.spi(ctx.caps, busNumber, cs)) return ctx.fail(Status.notPermitted, `spi.transfer: module ${ctx.moduleId} was not granted SPI bus ${busNumber} cs ${cs}`);
      const bus = board.spi(busNumber);
      if (!bus) return ctx.fail(Status.notFound, `spi.transfer: board ${board.profile.name} has no SPI bus ${busNumber}`);
      const device = bus.device(cs);
      if (!device) return ctx.fail(Status.notFound, `spi.transfer: SPI bus ${busNumber} has no device on chip select ${cs}`);
      const now = ctx.nowUs();
      board.advanceTo(now);
      const result = bus.transfer(cs, tx, now);
      if (result.status === Status.ok && rx.length > 0) rx.set(result.rx);
      ctx.emit({
        kind: "spi", bus: busNumber, cs, device: device.name, tx: hexBytes(tx),
        ...(result.status === Status.ok ? { rx: hexBytes(result.rx) } : {}), status: result.status === Status.ok ? "ok" : result.detail,
      });
      return result.status === Status.ok ? Status.ok : ctx.fail(result.status, `spi.transfer: ${result.detail}`);
    },
  };
}
