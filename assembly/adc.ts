// Analog inputs, as raw counts and millivolts.
import { Status } from "./raw/types";
import { adc_info, adc_open, adc_read } from "./raw/adc";
import { OUT } from "./internal/scratch";

export class AdcChannel {
  /** From the last successful read(). */
  raw: u32 = 0;
  millivolts: u32 = 0;
  /** From info(). */
  bits: u8 = 0;
  vrefMv: u32 = 0;

  constructor(readonly channel: u32, readonly handle: u32, readonly status: Status) {}

  get ok(): bool {
    return this.status == Status.Ok;
  }

  read(): Status {
    if (this.status != Status.Ok) return this.status;
    const r = <Status>adc_read(this.handle, OUT, OUT + 4);
    if (r == Status.Ok) {
      this.raw = load<u32>(OUT);
      this.millivolts = load<u32>(OUT, 4);
    }
    return r;
  }

  info(): Status {
    if (this.status != Status.Ok) return this.status;
    const r = <Status>adc_info(this.handle, OUT, OUT + 4);
    if (r == Status.Ok) {
      this.bits = <u8>load<u32>(OUT);
      this.vrefMv = load<u32>(OUT, 4);
    }
    return r;
  }
}

export class Adc {
  static open(channel: u32): AdcChannel {
    const s = <Status>adc_open(channel, OUT);
    return new AdcChannel(channel, s == Status.Ok ? load<u32>(OUT) : 0, s);
  }
}
