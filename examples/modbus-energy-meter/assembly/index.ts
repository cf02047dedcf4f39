// Modbus RTU energy meter: the module's exported callbacks. fwx_init opens
// the bus; the protocol lives in meter.ts, frames and CRC in frame.ts and
// crc16.ts.
import { Log, LogLevel, Parity, Status, Uart } from "fwx";
import { InitError, Meter, UART_PORT } from "./meter";
import { Settings } from "./settings";

export function fwx_init(): i32 {
  Meter.current = null;
  const s = Settings.load();
  const port = Uart.open(UART_PORT, s.baud, s.parity, s.stopBits);
  if (!port.ok) {
    Log.line(LogLevel.Error).str("cannot open UART port ").uint(UART_PORT).str(": status ").uint(port.status).send();
    return InitError.PortUnavailable;
  }
  Log.line(LogLevel.Info).str("meter unit ").uint(s.unitId).str(" on UART ").uint(UART_PORT).str(" at ").uint(s.baud)
    .str(s.parity == Parity.None ? " 8N" : s.parity == Parity.Even ? " 8E" : " 8O").uint(s.stopBits)
    .str(", polling every ").uint(s.pollPeriodMs / 1000).str(" s").send();
  const m = new Meter(s, port);
  if (m.startPolling() != Status.Ok) {
    Log.error("no timer for polling");
    return InitError.TimerUnavailable;
  }
  Meter.current = m;
  return InitError.None;
}

export function fwx_on_timer(id: u32): void {
  const m = Meter.current;
  if (m !== null) m.onTimer(id);
}

export function fwx_on_event(kind: u32, handle: u32, arg: u32): void {
  const m = Meter.current;
  if (m !== null) m.onEvent(kind, handle);
}

export function fwx_health(): i32 {
  const m = Meter.current;
  return m === null ? 1 : m.health();
}

export function fwx_deinit(): void {
  const m = Meter.current;
  if (m !== null) m.stop();
}
