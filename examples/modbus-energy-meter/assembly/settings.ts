// Deploy-time settings (defaults in fwx.json). The meter's line settings live
// here rather than in the code because every site wires its RS-485 bus a
// little differently; a wrong value shows up as timeouts, not as a crash.
import { Config, Log, Parity, StopBits } from "fwx";

export class Settings {
  unitId: u8 = 1;
  baud: u32 = 9600;
  parity: Parity = Parity.Even;
  stopBits: StopBits = StopBits.One;
  pollPeriodMs: u32 = 10_000;
  responseTimeoutMs: u32 = 200;
  retries: u32 = 2;
  maxCurrentA: f64 = 16;
  minVoltageV: f64 = 207;
  hysteresisPct: f64 = 2;

  static load(): Settings {
    const s = new Settings();
    const unit = Config.getU32("unit_id", 1);
    // 0 is the broadcast address (no answer ever comes back); 248..255 are reserved.
    s.unitId = unit >= 1 && unit <= 247 ? <u8>unit : 1;
    s.baud = max<u32>(300, Config.getU32("baud", 9600));
    const parity = Config.getString("parity", "even");
    if (parity == "none") s.parity = Parity.None;
    else if (parity == "odd") s.parity = Parity.Odd;
    else if (parity == "even") s.parity = Parity.Even;
    else Log.warn("parity must be none, even or odd; using even");
    s.stopBits = Config.getU32("stop_bits", 1) == 2 ? StopBits.Two : StopBits.One;
    s.pollPeriodMs = max<u32>(1, Config.getU32("poll_period_s", 10)) * 1000;
    s.responseTimeoutMs = max<u32>(10, Config.getU32("response_timeout_ms", 200));
    s.retries = min<u32>(5, Config.getU32("retries", 2));
    s.maxCurrentA = Config.getNumber("max_current_a", 16);
    s.minVoltageV = Config.getNumber("min_voltage_v", 207);
    s.hysteresisPct = Math.max(0, Config.getNumber("alarm_hysteresis_pct", 2));
    return s;
  }

  /**
   * The silence a Modbus master keeps before sending again (3.5 character
   * times, 1.75 ms above 19200 baud), rounded up to whole milliseconds.
   */
  get silenceMs(): u32 {
    if (this.baud > 19200) return 2;
    const bitsPerChar: u32 = 1 + 8 + (this.parity == Parity.None ? 0 : 1) + <u32>this.stopBits;
    return <u32>Math.ceil((3.5 * <f64>bitsPerChar * 1000) / <f64>this.baud);
  }
}
