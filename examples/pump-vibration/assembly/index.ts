// Pump-vibration monitor: the module's exported callbacks. Acquisition and
// alerting live in monitor.ts, the signal processing in analysis.ts/fft.ts.
import { InitError, Monitor } from "./monitor";

let monitor: Monitor | null = null;

export function fwx_init(): i32 {
  const m = Monitor.start();
  if (m === null) return InitError.AccelerometerMissing;
  if (m.startMonitoring() != 0) return InitError.TimerUnavailable;
  monitor = m;
  return InitError.None;
}

export function fwx_on_timer(id: u32): void {
  const m = monitor;
  if (m !== null) m.onTimer(id);
}

export function fwx_health(): i32 {
  const m = monitor;
  return m === null ? 1 : m.health();
}

export function fwx_deinit(): void {
  const m = monitor;
  if (m !== null) m.stop();
  monitor = null;
}
