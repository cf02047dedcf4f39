// Digital pins. A Pin object remembers why its claim failed, so calls can be
// chained (`Gpio.claim(5, PinMode.Output).write(true)`) and still report the
// first failure instead of passing the host a handle it never issued (which
// would trap).
import { Edge, PinMode, Status } from "./raw/types";
import { gpio_claim, gpio_read, gpio_release, gpio_watch, gpio_write } from "./raw/gpio";
import { OUT } from "./internal/scratch";

export { Edge, PinMode };

export class Pin {
  /** Level seen by the last successful read(). */
  level: bool = false;
  private released: bool = false;

  constructor(
    /** Connector pin number. */
    readonly pin: u32,
    readonly mode: PinMode,
    /** Host handle; compare it with the `handle` argument of fwx_on_event. */
    readonly handle: u32,
    /** Result of the claim: anything but Ok makes every other call return it. */
    readonly status: Status,
  ) {}

  get ok(): bool {
    return this.status == Status.Ok && !this.released;
  }

  /** Status to return instead of calling the host, or Ok to go ahead. */
  private usable(): Status {
    if (this.status != Status.Ok) return this.status;
    // A released handle would trap in the host; report it as a bad argument.
    return this.released ? Status.InvalidArg : Status.Ok;
  }

  write(level: bool): Status {
    const s = this.usable();
    return s != Status.Ok ? s : <Status>gpio_write(this.handle, level);
  }

  high(): Status {
    return this.write(true);
  }

  low(): Status {
    return this.write(false);
  }

  /** Reads the level into `level`; on an output, the level being driven. */
  read(): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    const r = <Status>gpio_read(this.handle, OUT);
    if (r == Status.Ok) this.level = load<u32>(OUT) != 0;
    return r;
  }

  /** Level now, or `fallback` when the read fails. */
  isHigh(fallback: bool = false): bool {
    return this.read() == Status.Ok ? this.level : fallback;
  }

  /** Raises EventKind.GpioEdge events for these edges; Edge.None stops. */
  watch(edges: Edge): Status {
    const s = this.usable();
    return s != Status.Ok ? s : <Status>gpio_watch(this.handle, <u32>edges);
  }

  /** Gives the pin back. Later calls on this Pin return InvalidArg. */
  release(): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    this.released = true;
    return <Status>gpio_release(this.handle);
  }
}

export class Gpio {
  /** Claims `pin` in `mode`. Check `.status` (or `.ok`) on the result. */
  static claim(pin: u32, mode: PinMode): Pin {
    const s = <Status>gpio_claim(pin, mode, OUT);
    return new Pin(pin, mode, s == Status.Ok ? load<u32>(OUT) : 0, s);
  }
}
