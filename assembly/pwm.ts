// PWM outputs. A channel is claimed exclusively until close().
import { Status } from "./raw/types";
import { pwm_close, pwm_open, pwm_set_duty } from "./raw/pwm";
import { OUT } from "./internal/scratch";
import { HostResource, openedHandle } from "./internal/resource";

/** A claimed PWM channel: `Pwm.open` returns one; check `.ok` or `.status`. */
export class PwmChannel extends HostResource {
  constructor(
    /** Channel number as in the board profile. */
    readonly channel: u32,
    handle: u32,
    status: Status,
  ) {
    super(handle, status);
  }

  /** Fraction of the period high, 0.0 .. 1.0 (InvalidArg outside, or NaN). */
  setDuty(duty: f32): Status {
    const s = this.usable();
    return s != Status.Ok ? s : <Status>pwm_set_duty(this.handle, duty);
  }

  /** Stops the output (low) and gives the channel back. Later calls return InvalidArg. */
  close(): Status {
    const s = this.giveBack();
    return s != Status.Ok ? s : <Status>pwm_close(this.handle);
  }
}

/** Claims PWM channels. */
export class Pwm {
  /** Claims `channel` at `frequencyHz`, duty 0. Check `.status` (or `.ok`) on the result. */
  static open(channel: u32, frequencyHz: u32): PwmChannel {
    const s = <Status>pwm_open(channel, frequencyHz, OUT);
    return new PwmChannel(channel, openedHandle(s), s);
  }
}
