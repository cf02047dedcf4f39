// What leaves the device: a compact reading per poll, and alarms that are
// raised once per excursion and cleared with hysteresis, so a current
// hovering at the limit does not flood the cloud with alarm/clear pairs.
import { Json, Log, LogLevel, Telemetry } from "fwx";
import { Settings } from "./settings";

export const TOPIC_READING = "energy-meter/reading";
export const TOPIC_ALARM = "energy-meter/alarm";
export const TOPIC_INFO = "energy-meter/info";

export class Publisher {
  overCurrent: bool = false;
  underVoltage: bool = false;
  /** Set after a poll failed all its attempts; cleared by the next good response. */
  commLost: bool = false;
  alarmsRaised: u32 = 0;

  constructor(readonly settings: Settings) {}

  reading(voltageV: f64, currentA: f64, powerW: f64, energyKwh: f64, frequencyHz: f64): void {
    Json.begin()
      .num("voltage_v", voltageV, 1)
      .num("current_a", currentA, 2)
      .num("power_w", powerW, 0)
      .num("energy_kwh", energyKwh, 3)
      .num("frequency_hz", frequencyHz, 2);
    Telemetry.publishJson(TOPIC_READING);
    this.checkCurrent(currentA);
    this.checkVoltage(voltageV);
  }

  private checkCurrent(currentA: f64): void {
    const limit = this.settings.maxCurrentA;
    if (isNaN(currentA)) return;
    if (!this.overCurrent && currentA > limit) {
      this.overCurrent = true;
      Log.line(LogLevel.Warn).str("over-current: ").num(currentA, 2).str(" A > ").num(limit, 2).str(" A").send();
      this.limitAlarm("over_current", true, "current_a", currentA, "limit_a", limit);
    } else if (this.overCurrent && currentA < limit * (1 - this.settings.hysteresisPct / 100)) {
      this.overCurrent = false;
      Log.line(LogLevel.Info).str("current back to normal: ").num(currentA, 2).str(" A").send();
      this.limitAlarm("over_current", false, "current_a", currentA, "limit_a", limit);
    }
  }

  private checkVoltage(voltageV: f64): void {
    const limit = this.settings.minVoltageV;
    if (isNaN(voltageV)) return;
    if (!this.underVoltage && voltageV < limit) {
      this.underVoltage = true;
      Log.line(LogLevel.Warn).str("under-voltage: ").num(voltageV, 1).str(" V < ").num(limit, 1).str(" V").send();
      this.limitAlarm("under_voltage", true, "voltage_v", voltageV, "limit_v", limit);
    } else if (this.underVoltage && voltageV > limit * (1 + this.settings.hysteresisPct / 100)) {
      this.underVoltage = false;
      Log.line(LogLevel.Info).str("voltage back to normal: ").num(voltageV, 1).str(" V").send();
      this.limitAlarm("under_voltage", false, "voltage_v", voltageV, "limit_v", limit);
    }
  }

  private limitAlarm(name: string, active: bool, valueKey: string, value: f64, limitKey: string, limit: f64): void {
    if (active) this.alarmsRaised++;
    Json.begin().str("alarm", name).bool("active", active).num(valueKey, value, 2).num(limitKey, limit, 2);
    Telemetry.publishJson(TOPIC_ALARM);
  }

  commFailed(reason: string, failedPolls: u32): void {
    if (this.commLost) return;
    this.commLost = true;
    this.alarmsRaised++;
    Log.line(LogLevel.Error).str("meter poll failed after all attempts: ").str(reason).str("; meter_comm alarm raised").send();
    Json.begin().str("alarm", "meter_comm").bool("active", true).str("reason", reason).int("failed_polls", failedPolls);
    Telemetry.publishJson(TOPIC_ALARM);
  }

  commRestored(): void {
    if (!this.commLost) return;
    this.commLost = false;
    Log.info("meter answering again; meter_comm alarm cleared");
    Json.begin().str("alarm", "meter_comm").bool("active", false);
    Telemetry.publishJson(TOPIC_ALARM);
  }

  publishInfo(unit: u32, demandPeriodMin: u32, ctRatio: u32): void {
    Json.begin().int("unit_id", unit).int("demand_period_min", demandPeriodMin).int("ct_ratio", ctRatio);
    Telemetry.publishJson(TOPIC_INFO);
  }
}
