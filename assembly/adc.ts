// Analog inputs, as raw counts and millivolts. Channels are shared read-only,
// so there is nothing to close.
import { Status } from "./raw/types";
import { adc_info, adc_open, adc_read } from "./raw/adc";
import { OUT } from "./internal/scratch";
import { HostResource, openedHandle } from "./internal/resource";

/** An open analog channel: `Adc.open` returns one; check `.ok` or `.status`. */
export class AdcChannel extends HostResource {
  /** Counts, 0 .. 2^bits - 1, from the last successful read(). */
  raw: u32 = 0;
  /** `raw` scaled by the reference voltage, from the last successful read(). */
  millivolts: u32 = 0;
  /** Resolution in bits, from info(). */
  bits: u8 = 0;
  /** Full-scale reference in millivolts, from info(). */
  vrefMv: u32 = 0;

  constructor(
    /** Channel number as in the board profile. */
    readonly channel: u32,
    handle: u32,
    status: Status,
  ) {
    super(handle, status);
  }

  /** Converts once into `raw` and `millivolts`. */
  read(): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    const r = <Status>adc_read(this.handle, OUT, OUT + 4);
    if (r == Status.Ok) {
      this.raw = load<u32>(OUT);
      this.millivolts = load<u32>(OUT, 4);
    }
    return r;
  }

  /** Fills `bits` and `vrefMv`. */
  info(): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    const r = <Status>adc_info(this.handle, OUT, OUT + 4);
    if (r == Status.Ok) {
      this.bits = <u8>load<u32>(OUT);
      this.vrefMv = load<u32>(OUT, 4);
    }
    return r;
  }
}

/** Opens analog channels. */
export class Adc {
  /** Opens `channel` for reading. Check `.status` (or `.ok`) on the result. */
  static open(channel: u32): AdcChannel {
    const s = <Status>adc_open(channel, OUT);
    return new AdcChannel(channel, openedHandle(s), s);
  }
}
