// Pump-vibration monitor: the module's exported callbacks. fwx_init sets up
// the accelerometer and claims the pins; acquisition and alerting live in
// monitor.ts, the signal processing in analysis.ts/fft.ts.
import { Gpio, Log, LogLevel, PinMode, Status } from "fwx";
import { Adxl345 } from "./adxl345";
import { FFT_SIZE } from "./fft";
import { InitError, LED_PIN, Monitor, RUNNING_PIN } from "./monitor";
import { Settings } from "./settings";

export function fwx_init(): i32 {
  Monitor.current = null;
  const s = Settings.load();
  const accel = new Adxl345();
  if (!accel.configure(s.rate)) {
    Log.line(LogLevel.Error).str("accelerometer at I2C 1/0x53 not usable: status ").uint(accel.status).send();
    return InitError.AccelerometerMissing;
  }
  const runningPin = Gpio.claim(RUNNING_PIN, PinMode.Input);
  const led = Gpio.claim(LED_PIN, PinMode.Output);
  if (!runningPin.ok || !led.ok || led.low() != Status.Ok) {
    Log.error("pump-running input (pin 3) or alarm LED (pin 7) unavailable");
    return InitError.PinUnavailable;
  }
  const m = new Monitor(s, accel, runningPin, led);
  Log.line(LogLevel.Info).str("pump vibration monitor: ").uint(FFT_SIZE).str(" samples at ").uint(s.sampleRateHz).str(" Hz every ")
    .uint(s.periodMs / 1000).str(" s, alert at ").num(s.alertMmS, 1).str(" mm/s, ").uint(m.alertCount).str(" alerts so far").send();
  if (m.startMonitoring() != Status.Ok) {
    Log.error("no timer for the measurement period");
    return InitError.TimerUnavailable;
  }
  Monitor.current = m;
  return InitError.None;
}

export function fwx_on_timer(id: u32): void {
  const m = Monitor.current;
  if (m !== null) m.onTimer(id);
}

export function fwx_health(): i32 {
  const m = Monitor.current;
  return m === null ? 1 : m.health();
}

export function fwx_deinit(): void {
  const m = Monitor.current;
  if (m !== null) m.stop();
}
