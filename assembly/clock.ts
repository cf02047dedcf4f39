// The monotonic clock. In simulation it is the virtual clock of the run.
import { core_now_ms, core_now_us } from "./raw/core";

/** Time since the device started, on one monotonic clock. */
export class Clock {
  /** Milliseconds since the device started; never goes backwards. */
  // @ts-ignore: decorator
  @inline
  static nowMs(): u64 {
    return core_now_ms();
  }

  /** Microseconds since the device started, same clock as nowMs. */
  // @ts-ignore: decorator
  @inline
  static nowUs(): u64 {
    return core_now_us();
  }
}
