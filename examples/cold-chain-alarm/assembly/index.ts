// Cold-chain alarm: the module's exported callbacks. fwx_init claims what the
// monitor needs; the logic lives in monitor.ts.
import { Edge, EventKind, Gpio, Log, PinMode, Sensor, Status } from "fwx";
import { BUZZER_PIN, DOOR_PIN, InitError, Monitor, RELAY_PIN, SENSOR_NAME } from "./monitor";
import { Settings } from "./settings";

export function fwx_init(): i32 {
  Monitor.current = null;
  const settings = Settings.load();
  const sensor = Sensor.find(SENSOR_NAME);
  if (!sensor.ok) {
    Log.error("cold_room sensor unavailable");
    return InitError.SensorMissing;
  }
  const door = Gpio.claim(DOOR_PIN, PinMode.InputPullUp);
  const relay = Gpio.claim(RELAY_PIN, PinMode.Output);
  const buzzer = Gpio.claim(BUZZER_PIN, PinMode.Output);
  if (!door.ok || !relay.ok || !buzzer.ok || door.watch(Edge.Rising | Edge.Falling) != Status.Ok) {
    Log.error("door, relay or buzzer pin unavailable");
    return InitError.PinUnavailable;
  }
  const m = new Monitor(settings, sensor, door, relay, buzzer);
  // Door switch to ground with a pull-up: high means the door is open.
  m.setDoor(door.isHigh(false));
  if (m.startSampling() != Status.Ok) {
    Log.error("no timer for sampling");
    return InitError.TimerUnavailable;
  }
  Monitor.current = m;
  return InitError.None;
}

export function fwx_on_timer(id: u32): void {
  const m = Monitor.current;
  if (m !== null) m.onTimer(id);
}

export function fwx_on_event(kind: u32, handle: u32, arg: u32): void {
  const m = Monitor.current;
  if (m !== null && kind == EventKind.GpioEdge && handle == m.door.handle) m.setDoor(arg != 0);
}

export function fwx_health(): i32 {
  const m = Monitor.current;
  return m === null ? 1 : m.health();
}

export function fwx_deinit(): void {
  const m = Monitor.current;
  if (m !== null) m.stop();
}
