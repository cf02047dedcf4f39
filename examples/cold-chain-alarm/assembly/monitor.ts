// The cold-room monitor's logic, kept apart from the exported callbacks so
// the specs can drive it the way the host does.
//
// Temperature alarm: the room must stay above threshold_c for alarm_delay_s,
// counted only while the door is closed (an open door lets warm air in; that
// is the door alarm's business). It clears below threshold_c - hysteresis_c,
// so a reading hovering at the threshold does not make the relay chatter.
// Door alarm: the buzzer sounds when the door stays open past door_grace_s.
// Three failed sensor reads in a row raise a sensor fault, which also drives
// the alarm relay: a cold store with a blind monitor must not look healthy.
import { Clock, Config, Edge, Gpio, Json, Kv, Log, Pin, PinMode, Sensor, Status, Telemetry, Timer } from "fwx";

export const SENSOR_NAME = "cold_room";
export const DOOR_PIN: u32 = 2;
export const RELAY_PIN: u32 = 5;
export const BUZZER_PIN: u32 = 6;
export const SAMPLE_TIMER: u32 = 1;
export const DOOR_TIMER: u32 = 2;
export const MAX_FAILED_READS: u32 = 3;
const ALARM_COUNT_KEY = "alarm_count";

/** Why fwx_init failed; the host reports the number. */
export const enum InitError {
  None = 0,
  SensorMissing = 1,
  PinUnavailable = 2,
  TimerUnavailable = 3,
}

export const enum TempState {
  Normal = 0,
  /** Too warm, waiting out alarm_delay_s. */
  Pending = 1,
  Alarm = 2,
}

export class Settings {
  thresholdC: f64 = 8;
  hysteresisC: f64 = 1;
  alarmDelayMs: u64 = 300_000;
  doorGraceMs: u32 = 120_000;
  samplePeriodMs: u32 = 10_000;
  reportEvery: u32 = 6;

  static load(): Settings {
    const s = new Settings();
    s.thresholdC = Config.getNumber("threshold_c", s.thresholdC);
    s.hysteresisC = Math.max(0, Config.getNumber("hysteresis_c", s.hysteresisC));
    s.alarmDelayMs = <u64>Config.getU32("alarm_delay_s", 300) * 1000;
    s.doorGraceMs = max<u32>(1, Config.getU32("door_grace_s", 120)) * 1000;
    s.samplePeriodMs = max<u32>(1, Config.getU32("sample_period_s", 10)) * 1000;
    s.reportEvery = Config.getU32("report_every", 6);
    return s;
  }
}

export class Monitor {
  state: TempState = TempState.Normal;
  /** Time the room has spent too warm with the door closed, in this excursion. */
  warmMs: u64 = 0;
  lastSampleMs: u64 = 0;
  lastTempC: f64 = NaN;
  doorOpen: bool = false;
  doorAlarm: bool = false;
  sensorFault: bool = false;
  failedReads: u32 = 0;
  samples: u32 = 0;
  alarmCount: u32 = 0;

  constructor(
    readonly settings: Settings,
    readonly sensor: Sensor,
    readonly door: Pin,
    readonly relay: Pin,
    readonly buzzer: Pin,
  ) {}

  /** Claims everything and starts sampling; InitError.None on success. */
  static start(): Monitor | null {
    const settings = Settings.load();
    const sensor = Sensor.find(SENSOR_NAME);
    if (!sensor.ok) {
      Log.error("cold_room sensor unavailable");
      return null;
    }
    const door = Gpio.claim(DOOR_PIN, PinMode.InputPullUp);
    const relay = Gpio.claim(RELAY_PIN, PinMode.Output);
    const buzzer = Gpio.claim(BUZZER_PIN, PinMode.Output);
    if (!door.ok || !relay.ok || !buzzer.ok || door.watch(Edge.Rising | Edge.Falling) != Status.Ok) {
      Log.error("door, relay or buzzer pin unavailable");
      return null;
    }
    const m = new Monitor(settings, sensor, door, relay, buzzer);
    m.alarmCount = Kv.getU32(ALARM_COUNT_KEY, 0);
    m.lastSampleMs = Clock.nowMs();
    // Door switch to ground with a pull-up: high means the door is open.
    m.setDoor(door.isHigh(false));
    return m;
  }

  startSampling(): Status {
    return Timer.every(SAMPLE_TIMER, this.settings.samplePeriodMs);
  }

  onTimer(id: u32): void {
    if (id == SAMPLE_TIMER) this.sample();
    else if (id == DOOR_TIMER) this.doorTooLong();
  }

  onDoorEdge(level: bool): void {
    this.setDoor(level);
  }

  private setDoor(open: bool): void {
    if (open == this.doorOpen) return;
    this.doorOpen = open;
    if (open) {
      Timer.after(DOOR_TIMER, this.settings.doorGraceMs);
      Log.info("door opened");
    } else {
      Timer.cancel(DOOR_TIMER);
      if (this.doorAlarm) {
        this.doorAlarm = false;
        this.buzzer.low();
        this.publishEvent("cold-chain/door", "closed");
      }
      Log.info("door closed");
    }
  }

  private doorTooLong(): void {
    if (!this.doorOpen || this.doorAlarm) return;
    this.doorAlarm = true;
    this.buzzer.high();
    Log.warn("door open too long");
    this.publishEvent("cold-chain/door", "open_too_long");
  }

  private sample(): void {
    const now = Clock.nowMs();
    const elapsed = now - this.lastSampleMs;
    this.lastSampleMs = now;
    if (this.sensor.read() != Status.Ok) {
      this.failedReads++;
      if (this.failedReads >= MAX_FAILED_READS && !this.sensorFault) {
        this.sensorFault = true;
        this.relay.high();
        Log.error("cold_room sensor failing");
        this.publishEvent("cold-chain/fault", "sensor");
      }
      return;
    }
    this.failedReads = 0;
    if (this.sensorFault) {
      this.sensorFault = false;
      if (this.state != TempState.Alarm) this.relay.low();
      this.publishEvent("cold-chain/fault", "cleared");
    }
    const t = this.sensor.value;
    this.lastTempC = t;
    this.samples++;
    this.evaluate(t, elapsed);
    const every = this.settings.reportEvery;
    if (every != 0 && this.samples % every == 0) {
      Json.begin().num("temp_c", t, 2).int("state", this.state).bool("door_open", this.doorOpen).int("alarms", this.alarmCount);
      Telemetry.publishJson("cold-chain/reading");
    }
  }

  private evaluate(t: f64, elapsedMs: u64): void {
    const s = this.settings;
    if (this.state == TempState.Alarm) {
      if (t < s.thresholdC - s.hysteresisC) this.clearAlarm(t);
      return;
    }
    if (t <= s.thresholdC) {
      this.state = TempState.Normal;
      this.warmMs = 0;
      return;
    }
    if (this.state == TempState.Normal) {
      // The excursion starts now; nothing accrues before the first warm sample.
      this.state = TempState.Pending;
      this.warmMs = 0;
    } else if (!this.doorOpen) {
      this.warmMs += elapsedMs;
    }
    if (this.warmMs >= s.alarmDelayMs && !this.doorOpen) this.raiseAlarm(t);
  }

  private raiseAlarm(t: f64): void {
    this.state = TempState.Alarm;
    this.alarmCount++;
    Kv.setU32(ALARM_COUNT_KEY, this.alarmCount);
    this.relay.high();
    Log.warn("temperature alarm");
    Json.begin()
      .str("state", "alarm")
      .num("temp_c", t, 2)
      .num("threshold_c", this.settings.thresholdC, 2)
      .int("warm_s", <i64>(this.warmMs / 1000))
      .int("count", this.alarmCount);
    Telemetry.publishJson("cold-chain/alarm");
  }

  private clearAlarm(t: f64): void {
    this.state = TempState.Normal;
    this.warmMs = 0;
    if (!this.sensorFault) this.relay.low();
    Log.info("temperature alarm cleared");
    Json.begin().str("state", "clear").num("temp_c", t, 2).int("count", this.alarmCount);
    Telemetry.publishJson("cold-chain/alarm");
  }

  private publishEvent(topic: string, what: string): void {
    Json.begin().str("event", what).num("temp_c", this.lastTempC, 2).bool("door_open", this.doorOpen);
    Telemetry.publishJson(topic);
  }

  /** 0 when healthy: the sensor answers and the outputs are ours. */
  health(): i32 {
    return this.sensorFault ? 1 : 0;
  }
}
