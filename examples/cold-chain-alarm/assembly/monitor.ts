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
import { Clock, Json, Kv, Log, Pin, Sensor, Status, Telemetry, Timer } from "fwx";
import { Settings } from "./settings";

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

export class Monitor {
  /** The running monitor, set by fwx_init once everything is claimed, cleared by stop(). */
  static current: Monitor | null = null;

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
  ) {
    this.alarmCount = Kv.getU32(ALARM_COUNT_KEY, 0);
    this.lastSampleMs = Clock.nowMs();
  }

  /** Starts the sample timer. */
  startSampling(): Status {
    return Timer.every(SAMPLE_TIMER, this.settings.samplePeriodMs);
  }

  /** Cancels both timers; the host releases the pins after fwx_deinit. */
  stop(): void {
    Timer.cancel(SAMPLE_TIMER);
    Timer.cancel(DOOR_TIMER);
    Monitor.current = null;
  }

  onTimer(id: u32): void {
    if (id == SAMPLE_TIMER) this.sample();
    else if (id == DOOR_TIMER) this.doorTooLong();
  }

  /** The door switch's level: true when the door is open. */
  setDoor(open: bool): void {
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

  /** fwx_health's answer: 1 during a sensor fault (an update trial then rolls back), else 0. */
  health(): i32 {
    return this.sensorFault ? 1 : 0;
  }
}
