// fwx:uart@1 on the simulated board. A port is opened exclusively (claim key
// `uart:<port>`). Writes go out at the port's baud rate; the device on the
// port answers on the virtual clock, and each burst of received bytes posts
// a `uart rx` event (arg = bytes waiting). A port opened with settings other
// than the device's sees what real hardware would: framing/parity/noise
// errors from a device that talks on its own, silence from a Modbus slave
// that cannot read the request. Check order: see sensor.ts.

import { EventKind, Status, type UartHost } from "../../abi/host.generated.js";
import { allows } from "../../caps/capabilities.js";
import type { Board } from "../../sim/board.js";
import { hexBytes } from "../../sim/format.js";
import type { ParityName } from "../../sim/profile-types.js";
import type { SimUartPort } from "../../sim/uart-port.js";
import type { ModuleHostContext } from "../host-context.js";
import { exclusiveResources } from "./exclusive.js";

const KIND = "uart.port";
const PARITY: readonly ParityName[] = ["none", "even", "odd"];
const READ_STATUS = { overrun: Status.overrun, "frame-format": Status.frameFormat, parity: Status.parity, noise: Status.noise } as const;

export function createUartHost(board: Board, ctx: ModuleHostContext): UartHost {
  const ports = exclusiveResources<SimUartPort>(ctx, "uart", (p) => p.spec.port, (p) => {
    p.close();
    ctx.emit({ kind: "uart", port: p.spec.port, name: p.spec.name, closed: true });
  });

  return {
    open(portNumber, baud, parity, stopBits, out) {
      const parityName = PARITY[parity];
      if (baud === 0) return ctx.fail(Status.invalidArg, "uart.open: baud is 0");
      if (parityName === undefined || (stopBits !== 1 && stopBits !== 2)) return ctx.fail(Status.invalidArg, `uart.open: parity ${parity} / stop_bits ${stopBits} is not a valid framing`);
      if (!allows.uart(ctx.caps, portNumber)) return ctx.fail(Status.notPermitted, `uart.open: module ${ctx.moduleId} was not granted UART port ${portNumber}`);
      const port = board.uart(portNumber);
      if (!port) return ctx.fail(Status.notFound, `uart.open: board ${board.profile.name} has no UART port ${portNumber}`);
      const s = port.spec;
      if (!s.bauds.includes(baud)) return ctx.fail(Status.unsupported, `uart.open: port ${portNumber} (${s.name}) cannot make ${baud} baud (it makes ${s.bauds.join(", ")})`);
      if (!s.parities.includes(parityName) || !s.stopBits.includes(stopBits))
        return ctx.fail(Status.unsupported, `uart.open: port ${portNumber} (${s.name}) cannot frame 8${parityName[0]!.toUpperCase()}${stopBits}`);
      const holder = ports.holder(port);
      if (holder !== undefined) return ctx.fail(Status.busy, `uart.open: port ${portNumber} (${s.name}) is open by ${holder}`);
      ports.take(port);
      const now = ctx.nowUs();
      board.advanceTo(now);
      const handle = ctx.handles.issue(KIND, port);
      port.open({ baud, parity: parityName, stopBits }, now, (burst, waiting) => {
        const errors = burst.filter((c) => c.error).length;
        ctx.emit({ kind: "uart", port: portNumber, dir: "rx", bytes: burst.length, hex: hexBytes(burst.map((c) => c.byte)), ...(errors ? { errors } : {}) });
        ctx.postEvent(EventKind.uartRx, handle, waiting);
      });
      out.handle = handle;
      ctx.emit({ kind: "uart", port: portNumber, name: s.name, open: `${baud} 8${parityName[0]!.toUpperCase()}${stopBits}` });
      return Status.ok;
    },

    write(handle, data, out) {
      const port = ctx.handles.get<SimUartPort>(KIND, handle)!;
      const now = ctx.nowUs();
      board.advanceTo(now);
      const written = data.length === 0 ? 0 : port.write(data, now);
      out.written = written;
      if (data.length > 0 && written === 0) return ctx.fail(Status.busy, `uart.write: port ${port.spec.port} transmit buffer is full (${port.spec.txBufferBytes} bytes)`);
      if (written > 0) ctx.emit({ kind: "uart", port: port.spec.port, dir: "tx", bytes: written, hex: hexBytes(data.subarray(0, written)) });
      return Status.ok;
    },

    read(handle, rx, out) {
      const port = ctx.handles.get<SimUartPort>(KIND, handle)!;
      board.advanceTo(ctx.nowUs());
      const r = port.read(rx.length);
      rx.set(r.bytes);
      out.received = r.bytes.length;
      if (!r.error) return Status.ok;
      const what = r.error === "overrun" ? "bytes were lost (receive buffer full)" : `a byte arrived with a ${r.error} error (line settings differ from the device's?)`;
      return ctx.fail(READ_STATUS[r.error], `uart.read: port ${port.spec.port}: ${what}`);
    },

    close(handle) {
      ports.release(ctx.handles.get<SimUartPort>(KIND, handle)!);
      ctx.handles.release(KIND, handle);
      return Status.ok;
    },
  };
}
