// Deploy-time settings (defaults in fwx.json; these fallbacks apply when a
// value is missing or malformed). Times are configured in seconds and kept in
// milliseconds, the unit of the timers and the clock.
import { Config } from "fwx";

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
