// PWM outputs. A channel is claimed exclusively until close().
import { Status } from "./raw/types";
import { pwm_close, pwm_open, pwm_set_duty } from "./raw/pwm";
import { OUT } from "./internal/scratch";

export class PwmChannel {
  private closed: bool = false;

  constructor(readonly channel: u32, readonly handle: u32, readonly status: Status) {}

  get ok(): bool {
    return this.status == Status.Ok && !this.closed;
  }

  /** Fraction of the period high, 0.0 .. 1.0 (InvalidArg outside, or NaN). */
  setDuty(duty: f32): Status {
    if (this.status != Status.Ok) return this.status;
    if (this.closed) return Status.InvalidArg;
    return <Status>pwm_set_duty(this.handle, duty);
  }

  close(): Status {
    if (this.status != Status.Ok) return this.status;
    if (this.closed) return Status.InvalidArg;
    this.closed = true;
    return <Status>pwm_close(this.handle);
  }
}

export class Pwm {
  static open(channel: u32, frequencyHz: u32): PwmChannel {
    const s = <Status>pwm_open(channel, frequencyHz, OUT);
    return new PwmChannel(channel, s == Status.Ok ? load<u32>(OUT) : 0, s);
  }
}
