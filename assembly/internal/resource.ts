// What Sensor.find, Gpio.claim, Adc.open, Pwm.open and Uart.open return: the
// host's handle together with the open's status. An object whose open failed
// returns that status from every call instead of passing the host a handle
// it never issued (which would trap), so `Gpio.claim(5, PinMode.Output)
// .write(true)` is safe; one given back (close, release) answers InvalidArg.
import { Status } from "../raw/types";
import { OUT } from "./scratch";

/** The handle an open stored in OUT, or 0 when it failed (OUT then holds nothing of the open's). */
export function openedHandle(status: Status): u32 {
  return status == Status.Ok ? load<u32>(OUT) : 0;
}

/** The common part of every opened or claimed object: handle, status and `ok`. */
export class HostResource {
  private givenBack: bool = false;

  constructor(
    /** Host handle; compare it with the `handle` argument of fwx_on_event. */
    readonly handle: u32,
    /** Result of the open: anything but Ok makes every other call return it. */
    readonly status: Status,
  ) {}

  /** True when the open succeeded and the handle has not been given back. */
  get ok(): bool {
    return this.status == Status.Ok && !this.givenBack;
  }

  /** Status to return instead of calling the host, or Ok to go ahead. */
  protected usable(): Status {
    if (this.status != Status.Ok) return this.status;
    // A handle given back would trap in the host; report it as a bad argument.
    return this.givenBack ? Status.InvalidArg : Status.Ok;
  }

  /** Marks the handle given back when it is usable; returns usable()'s answer. */
  protected giveBack(): Status {
    const s = this.usable();
    if (s == Status.Ok) this.givenBack = true;
    return s;
  }
}
