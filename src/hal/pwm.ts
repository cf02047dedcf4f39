// A PWM channel (embedded-hal's SetDutyCycle, plus the frequency the ABI's
// pwm.open chooses).

import type { ClaimRefusal } from "./errors.js";

export interface PwmChannel {
  readonly channel: number;
  readonly name: string;
  readonly minHz: number;
  readonly maxHz: number;
  /** The duty cycle now driven (0 when stopped). */
  readonly duty: number;
  /** Starts at `frequencyHz` (within minHz..maxHz, checked by the caller) with duty 0. */
  start(frequencyHz: number): ClaimRefusal;
  /** Fraction of the period high, 0..1 (checked by the caller). */
  setDuty(duty: number): void;
  /** Duty 0, and the channel is free again. */
  stop(): void;
}
