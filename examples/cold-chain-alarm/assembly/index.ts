// Cold-chain alarm: the module's exported callbacks. The logic lives in
// monitor.ts; these only route what the host delivers.
import { EventKind, Timer } from "fwx";
import { InitError, Monitor, SAMPLE_TIMER } from "./monitor";

let monitor: Monitor | null = null;

export function fwx_init(): i32 {
  const m = Monitor.start();
  if (m === null) return InitError.SensorMissing;
  if (m.startSampling() != 0) return InitError.TimerUnavailable;
  monitor = m;
  return InitError.None;
}

export function fwx_on_timer(id: u32): void {
  const m = monitor;
  if (m !== null) m.onTimer(id);
}

export function fwx_on_event(kind: u32, handle: u32, arg: u32): void {
  const m = monitor;
  if (m === null) return;
  if (kind == EventKind.GpioEdge && handle == m.door.handle) m.onDoorEdge(arg != 0);
}

export function fwx_health(): i32 {
  const m = monitor;
  return m === null ? 1 : m.health();
}

export function fwx_deinit(): void {
  Timer.cancel(SAMPLE_TIMER);
  monitor = null;
}
