// The pump-vibration monitor: every period, while the pump runs, one block
// of FFT_SIZE samples is drained from the accelerometer's FIFO, analysed,
// judged against the ISO 10816 zones, and reported. The maintenance alert
// lights the red LED and is counted in KV, so the count survives restarts
// and module updates.
import { Clock, Json, Kv, Log, LogLevel, Pin, Status, Telemetry, Timer } from "fwx";
import { Adxl345 } from "./adxl345";
import { AlertState, Change } from "./alert";
import { Analysis, analyse, zoneOf } from "./analysis";
import { FFT_SIZE } from "./fft";
import { Settings } from "./settings";

export const RUNNING_PIN: u32 = 3;
export const LED_PIN: u32 = 7;
export const PERIOD_TIMER: u32 = 1;
export const DRAIN_TIMER: u32 = 2;
export const ALERT_COUNT_KEY = "alert_count";
export const TOPIC_READING = "pump/vibration";
export const TOPIC_ALERT = "pump/alert";
export const TOPIC_FAULT = "pump/fault";
/** Overruns tolerated in one block before it is given up until the next period. */
const MAX_RESTARTS: u32 = 3;
/** Failed blocks in a row before the accelerometer is reported faulty. */
const FAULT_AFTER: u32 = 3;

/** Why fwx_init failed; the host reports the number. */
export const enum InitError {
  None = 0,
  AccelerometerMissing = 1,
  PinUnavailable = 2,
  TimerUnavailable = 3,
}

export class Monitor {
  /** The running monitor, set by fwx_init once everything is claimed and started, cleared by stop(). */
  static current: Monitor | null = null;

  readonly samples: StaticArray<f64> = new StaticArray<f64>(FFT_SIZE);
  readonly result: Analysis = new Analysis();
  readonly alert: AlertState;
  collected: i32 = 0;
  collecting: bool = false;
  restarts: u32 = 0;
  running: bool = false;
  runningSinceMs: u64 = 0;
  blocks: u32 = 0;
  failedBlocks: u32 = 0;
  sensorFault: bool = false;
  alertCount: u32 = 0;

  constructor(readonly settings: Settings, readonly accel: Adxl345, readonly runningPin: Pin, readonly led: Pin) {
    this.alert = new AlertState(settings.alertMmS, settings.hysteresisMmS, settings.confirmBlocks);
    this.alertCount = Kv.getU32(ALERT_COUNT_KEY, 0);
  }

  /** Starts the period timer and the first block right away. */
  startMonitoring(): Status {
    const st = Timer.every(PERIOD_TIMER, this.settings.periodMs);
    if (st == Status.Ok) this.startBlock();
    return st;
  }

  /** Cancels both timers and puts the accelerometer in standby. */
  stop(): void {
    Timer.cancel(PERIOD_TIMER);
    Timer.cancel(DRAIN_TIMER);
    this.accel.standby();
    Monitor.current = null;
  }

  /** fwx_health's answer: 1 while the accelerometer is reported faulty (an update trial then rolls back), else 0. */
  health(): i32 {
    return this.sensorFault ? 1 : 0;
  }

  onTimer(id: u32): void {
    if (id == PERIOD_TIMER) this.startBlock();
    else if (id == DRAIN_TIMER && this.collecting) this.drain();
  }

  private startBlock(): void {
    if (this.collecting) return;
    const running = this.runningPin.isHigh(false);
    if (running != this.running) {
      this.running = running;
      this.runningSinceMs = Clock.nowMs();
      // A stopped pump does not vibrate; judging it would clear a real alert.
      if (running) Log.line(LogLevel.Info).str("pump running: vibration monitoring starts in ").uint(this.settings.startDelayMs / 1000).str(" s").send();
      else Log.info("pump stopped: vibration monitoring paused");
    }
    if (!running) return;
    // Run-up transients say nothing about the bearings.
    if (Clock.nowMs() - this.runningSinceMs < <u64>this.settings.startDelayMs) return;
    if (!this.accel.start()) {
      this.blockFailed();
      return;
    }
    this.collected = 0;
    this.restarts = 0;
    this.collecting = true;
    Timer.every(DRAIN_TIMER, this.settings.drainMs);
  }

  private drain(): void {
    const a = this.accel;
    if (a.overrun()) {
      // A gap in the block would put a step into the spectrum: start over.
      if (++this.restarts > MAX_RESTARTS) {
        Log.warn("accelerometer FIFO keeps overrunning (timer late?); block skipped");
        this.endBlock();
        return;
      }
      this.collected = 0;
      if (!a.start()) this.blockFailed();
      return;
    }
    if (a.status != Status.Ok) {
      this.blockFailed();
      return;
    }
    const waiting = a.waiting();
    if (waiting < 0) {
      this.blockFailed();
      return;
    }
    const take = min<i32>(waiting, FFT_SIZE - this.collected);
    for (let i = 0; i < take; i++) {
      if (!a.readSample()) {
        this.blockFailed();
        return;
      }
      unchecked((this.samples[this.collected++] = a.x));
    }
    if (this.collected == FFT_SIZE) this.finishBlock();
  }

  private endBlock(): void {
    this.collecting = false;
    Timer.cancel(DRAIN_TIMER);
    this.accel.standby();
  }

  private blockFailed(): void {
    const status = this.accel.status;
    this.endBlock();
    this.failedBlocks++;
    Log.line(LogLevel.Debug).str("accelerometer transfer failed: status ").uint(status).send();
    if (this.failedBlocks >= FAULT_AFTER && !this.sensorFault) {
      this.sensorFault = true;
      Log.line(LogLevel.Error).str("accelerometer failing (").uint(this.failedBlocks).str(" blocks in a row, status ").uint(status).str(")").send();
      Json.begin().str("fault", "accelerometer").bool("active", true).int("status", status);
      Telemetry.publishJson(TOPIC_FAULT);
    }
  }

  private finishBlock(): void {
    this.endBlock();
    if (this.sensorFault) {
      this.sensorFault = false;
      Log.info("accelerometer working again");
      Json.begin().str("fault", "accelerometer").bool("active", false);
      Telemetry.publishJson(TOPIC_FAULT);
    }
    this.failedBlocks = 0;
    this.blocks++;
    const r = this.result;
    const s = this.settings;
    analyse(this.samples, <f64>s.sampleRateHz, s.lowCutHz, r);
    const zone = zoneOf(r.velocityRmsMmS, s.zoneBMmS, s.zoneCMmS, s.alertMmS);
    Log.line(LogLevel.Debug).str("block ").uint(this.blocks).str(": ").num(r.velocityRmsMmS, 2).str(" mm/s (zone ").str(zone).str("), ")
      .num(r.accelRmsG, 3).str(" g RMS, peak ").num(r.peakHz, 1).str(" Hz").send();
    const change = this.alert.update(r.velocityRmsMmS);
    if (change == Change.Raised) this.raise(zone);
    else if (change == Change.Cleared) this.clear(zone);
    if (s.reportEvery != 0 && this.blocks % s.reportEvery == 0) this.report(zone);
  }

  private raise(zone: string): void {
    const r = this.result;
    this.alertCount++;
    Kv.setU32(ALERT_COUNT_KEY, this.alertCount);
    this.led.high();
    Log.line(LogLevel.Warn).str("maintenance alert: vibration ").num(r.velocityRmsMmS, 2).str(" mm/s >= ").num(this.settings.alertMmS, 1)
      .str(" mm/s (zone ").str(zone).str("), dominant ").num(r.peakHz, 1).str(" Hz; alert #").uint(this.alertCount).send();
    this.alertMessage(true, zone);
  }

  private clear(zone: string): void {
    this.led.low();
    Log.line(LogLevel.Info).str("vibration back to ").num(this.result.velocityRmsMmS, 2).str(" mm/s (zone ").str(zone).str("): alert cleared").send();
    this.alertMessage(false, zone);
  }

  private alertMessage(active: bool, zone: string): void {
    const r = this.result;
    Json.begin()
      .str("alert", "vibration")
      .bool("active", active)
      .num("v_rms_mm_s", r.velocityRmsMmS, 2)
      .num("limit_mm_s", this.settings.alertMmS, 2)
      .str("zone", zone)
      .num("peak_hz", r.peakHz, 1)
      .int("alerts_total", this.alertCount);
    Telemetry.publishJson(TOPIC_ALERT);
  }

  private report(zone: string): void {
    const r = this.result;
    // One band per field, each key a literal: made at compile time (a key looked up at run time
    // would link the run-time JSON escaper and UTF-8 encoder, and keep UTF-16 copies of the keys).
    const band = r.bandG;
    Json.begin()
      .num("v_rms_mm_s", r.velocityRmsMmS, 2)
      .num("a_rms_g", r.accelRmsG, 4)
      .num("peak_hz", r.peakHz, 1)
      .str("zone", zone)
      .num("band1_g", unchecked(band[0]), 4)
      .num("band2_g", unchecked(band[1]), 4)
      .num("band3_g", unchecked(band[2]), 4)
      .num("band4_g", unchecked(band[3]), 4)
      .bool("alert", this.alert.active);
    Telemetry.publishJson(TOPIC_READING);
  }
}
