// Timers. Expiry calls the module's exported fwx_on_timer(id); ids are chosen
// by the module so one callback can tell its timers apart.
import { Status } from "./raw/types";
import { timer_cancel, timer_start } from "./raw/timer";

/** Module timers by id; how many may run at once is a capability (`timers`). */
export class Timer {
  /** Starts (or restarts) timer `id`: every periodMs, or once after it. InvalidArg for 0 ms. */
  static start(id: u32, periodMs: u32, periodic: bool): Status {
    return <Status>timer_start(id, periodMs, periodic);
  }

  /** Calls fwx_on_timer(id) every periodMs until cancelled. */
  static every(id: u32, periodMs: u32): Status {
    return <Status>timer_start(id, periodMs, true);
  }

  /** Calls fwx_on_timer(id) once, after delayMs. */
  static after(id: u32, delayMs: u32): Status {
    return <Status>timer_start(id, delayMs, false);
  }

  /** Stops timer `id`; NotFound when it is not running. */
  static cancel(id: u32): Status {
    return <Status>timer_cancel(id);
  }
}
