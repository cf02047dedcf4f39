// A small fwx module: samples the "ambient" sensor every period_ms and
// switches output pin 5 on while it reads above limit_c, with a telemetry
// message on every change. Replace it with your own logic; the spec in
// assembly/__tests__ shows how to test it against the simulated device.
import { Config, Gpio, Json, Log, Pin, PinMode, Sensor, Status, Telemetry, Timer } from "fwx";

// Not exported: everything the entry file exports becomes a wasm export.
const SENSOR = "ambient";
const OUTPUT_PIN: u32 = 5;
const SAMPLE_TIMER: u32 = 1;

let sensor: Sensor | null = null;
let output: Pin | null = null;
let limitC: f64 = 24;
let on = false;

// A non-zero result refuses the start, and the host reports the number: here
// 1 = no sensor, 2 = output pin unavailable, 3 = no timer.
export function fwx_init(): i32 {
  limitC = Config.getNumber("limit_c", 24);
  const s = Sensor.find(SENSOR);
  if (!s.ok) {
    Log.error("sensor 'ambient' is not available");
    return 1;
  }
  const o = Gpio.claim(OUTPUT_PIN, PinMode.Output);
  if (!o.ok) {
    Log.error("output pin 5 is not available");
    return 2;
  }
  sensor = s;
  output = o;
  on = false;
  return Timer.every(SAMPLE_TIMER, Config.getU32("period_ms", 1000)) == Status.Ok ? 0 : 3;
}

export function fwx_on_timer(id: u32): void {
  const s = sensor;
  const o = output;
  if (id != SAMPLE_TIMER || s === null || o === null) return;
  if (s.read() != Status.Ok) return;
  const over = s.value > limitC;
  if (over == on) return;
  on = over;
  o.write(on);
  Json.begin().num("temp_c", s.value, 1).bool("on", on);
  Telemetry.publishJson("status");
}
