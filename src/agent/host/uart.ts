// fwx:uart@1 on the board's UART ports (src/hal/uart.ts). A port is opened
// exclusively (claim key `uart:<port>`). Each burst of received bytes posts a
// `uart rx` event (arg = bytes waiting); damaged bytes come back from read as
// their error kind's status. Check order: see sensor.ts.

import { EventKind, Status, type UartHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import { abiStatus } from "../../hal/errors.js";
import { hexBytes } from "../../hal/hex.js";
import type { Peripherals } from "../../hal/peripherals.js";
import type { Parity, UartPort } from "../../hal/uart.js";
import type { ModuleHostContext } from "../host-context.js";
import { exclusiveResources } from "./exclusive.js";

const KIND = "uart.port";
const PARITY: readonly Parity[] = ["none", "even", "odd"];

export function createUartHost(board: Peripherals, ctx: ModuleHostContext): UartHost {
  const ports = exclusiveResources<UartPort>(ctx, "uart", (p) => p.port, (p) => {
    p.close();
    ctx.traffic("uart", () => ({ kind: "uart", port: p.port, name: p.name, closed: true }));
  });

  return {
    open(portNumber, baud, parity, stopBits, out) {
      const parityName = PARITY[parity];
      if (baud === 0) return ctx.fail(Status.invalidArg, "uart.open: baud is 0");
      if (parityName === undefined || (stopBits !== 1 && stopBits !== 2)) return ctx.fail(Status.invalidArg, `uart.open: parity ${parity} / stop_bits ${stopBits} is not a valid framing`);
      if (!allows.uart(ctx.caps, portNumber)) return ctx.fail(Status.notPermitted, `uart.open: module ${ctx.moduleId} was not granted UART port ${portNumber}`);
      const port = board.uart(portNumber);
      if (!port) return ctx.fail(Status.notFound, `uart.open: board ${board.name} has no UART port ${portNumber}`);
      const s = port;
      if (!s.bauds.includes(baud)) return ctx.fail(Status.unsupported, `uart.open: port ${portNumber} (${s.name}) cannot make ${baud} baud (it makes ${s.bauds.join(", ")})`);
      if (!s.parities.includes(parityName) || !s.stopBits.includes(stopBits))
        return ctx.fail(Status.unsupported, `uart.open: port ${portNumber} (${s.name}) cannot frame 8${parityName[0]!.toUpperCase()}${stopBits}`);
      const holder = ports.holder(port);
      if (holder !== undefined) return ctx.fail(Status.busy, `uart.open: port ${portNumber} (${s.name}) is open by ${holder}`);
      const now = ctx.nowUs();
      board.advanceTo(now);
      let handle = 0;
      const refused = port.open({ baud, parity: parityName, stopBits }, { nowUs: now, caller: ctx.moduleId }, (burst, waiting) => {
        const errors = burst.filter((c) => c.error).length;
        ctx.traffic("uart", () => ({ kind: "uart", port: portNumber, dir: "rx", bytes: burst.length, hex: hexBytes(burst.map((c) => c.byte)), ...(errors ? { errors } : {}) }));
        ctx.postEvent(EventKind.uartRx, handle, waiting);
      });
      if (refused) return ctx.fail(abiStatus(refused.kind), `uart.open: port ${portNumber} (${s.name}): ${refused.detail}`);
      ports.take(port);
      handle = ctx.handles.issue(KIND, port);
      out.handle = handle;
      ctx.traffic("uart", () => ({ kind: "uart", port: portNumber, name: s.name, open: `${baud} 8${parityName[0]!.toUpperCase()}${stopBits}` }));
      return Status.ok;
    },

    write(handle, data, out) {
      const port = ctx.handles.get<UartPort>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      const written = data.length === 0 ? 0 : port.write(data, { nowUs: now, caller: ctx.moduleId });
      out.written = written;
      if (data.length > 0 && written === 0) return ctx.fail(Status.busy, `uart.write: port ${port.port} transmit buffer is full (${port.txBufferBytes} bytes)`);
      if (written > 0) ctx.traffic("uart", () => ({ kind: "uart", port: port.port, dir: "tx", bytes: written, hex: hexBytes(data.subarray(0, written)) }));
      return Status.ok;
    },

    read(handle, rx, out) {
      const port = ctx.handles.get<UartPort>(KIND, handle)!;
      board.advanceTo(ctx.nowUs());
      const r = port.read(rx.length);
      rx.set(r.bytes);
      out.received = r.bytes.length;
      if (!r.error) return Status.ok;
      const what = r.error === "overrun" ? "bytes were lost (receive buffer full)" : `a byte arrived with a ${r.error} error (line settings differ from the device's?)`;
      return ctx.fail(abiStatus(r.error), `uart.read: port ${port.port}: ${what}`);
    },

    close(handle) {
      ports.release(ctx.handles.get<UartPort>(KIND, handle)!);
      ctx.handles.release(KIND, handle);
      return Status.ok;
    },
  };
}
