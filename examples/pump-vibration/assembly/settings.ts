// Deploy-time settings (defaults in fwx.json). The zone limits default to
// ISO 10816-3 group 2 machines (15-300 kW) on rigid foundations; a site
// with flexible mounts or a bigger pump sets its own.
import { Config, Log } from "fwx";
import { rateCode } from "./adxl345";

export class Settings {
  sampleRateHz: u32 = 400;
  rate: u8 = 0x0c;
  periodMs: u32 = 10_000;
  startDelayMs: u32 = 20_000;
  zoneBMmS: f64 = 1.4;
  zoneCMmS: f64 = 2.8;
  alertMmS: f64 = 4.5;
  hysteresisMmS: f64 = 0.5;
  confirmBlocks: u32 = 2;
  reportEvery: u32 = 6;
  lowCutHz: f64 = 10;

  static load(): Settings {
    const s = new Settings();
    const hz = Config.getU32("sample_rate_hz", 400);
    const code = rateCode(hz);
    if (code == 0) Log.warn("sample_rate_hz must be 100, 200, 400, 800, 1600 or 3200; using 400");
    else {
      s.sampleRateHz = hz;
      s.rate = code;
    }
    s.periodMs = max<u32>(1, Config.getU32("period_s", 10)) * 1000;
    s.startDelayMs = Config.getU32("start_delay_s", 20) * 1000;
    s.zoneBMmS = Config.getNumber("zone_b_mm_s", 1.4);
    s.zoneCMmS = Config.getNumber("zone_c_mm_s", 2.8);
    s.alertMmS = Config.getNumber("alert_mm_s", 4.5);
    s.hysteresisMmS = Math.max(0, Config.getNumber("hysteresis_mm_s", 0.5));
    s.confirmBlocks = max<u32>(1, Config.getU32("confirm_blocks", 2));
    s.reportEvery = Config.getU32("report_every", 6);
    return s;
  }

  /** How often to empty the FIFO: when it is half full, so a late timer never loses samples. */
  get drainMs(): u32 {
    return max<u32>(1, 16_000 / this.sampleRateHz);
  }
}
