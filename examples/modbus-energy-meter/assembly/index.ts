// Modbus RTU energy meter: the module's exported callbacks. The protocol
// lives in meter.ts, frames and CRC in frame.ts and crc16.ts.
import { Meter, InitError } from "./meter";

let meter: Meter | null = null;

export function fwx_init(): i32 {
  const m = Meter.start();
  if (m === null) return InitError.PortUnavailable;
  if (m.startPolling() != 0) return InitError.TimerUnavailable;
  meter = m;
  return InitError.None;
}

export function fwx_on_timer(id: u32): void {
  const m = meter;
  if (m !== null) m.onTimer(id);
}

export function fwx_on_event(kind: u32, handle: u32, arg: u32): void {
  const m = meter;
  if (m !== null) m.onEvent(kind, handle);
}

export function fwx_health(): i32 {
  const m = meter;
  return m === null ? 1 : m.health();
}

export function fwx_deinit(): void {
  const m = meter;
  if (m !== null) m.stop();
  meter = null;
}
