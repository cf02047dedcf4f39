// Digital pins. A Pin remembers why its claim failed, so calls can be
// chained (`Gpio.claim(5, PinMode.Output).write(true)`) and still report the
// first failure (see internal/resource.ts).
import { Edge, PinMode, Status } from "./raw/types";
import { gpio_claim, gpio_read, gpio_release, gpio_watch, gpio_write } from "./raw/gpio";
import { OUT } from "./internal/scratch";
import { HostResource, openedHandle } from "./internal/resource";

export { Edge, PinMode };

/** A claimed pin: `Gpio.claim` returns one; check `.ok` or `.status`. */
export class Pin extends HostResource {
  /** Level seen by the last successful read(). */
  level: bool = false;

  constructor(
    /** Connector pin number. */
    readonly pin: u32,
    /** The mode it was claimed in. */
    readonly mode: PinMode,
    handle: u32,
    status: Status,
  ) {
    super(handle, status);
  }

  /** Drives an output high (true) or low; Unsupported on an input. */
  write(level: bool): Status {
    const s = this.usable();
    return s != Status.Ok ? s : <Status>gpio_write(this.handle, level);
  }

  /** write(true). */
  high(): Status {
    return this.write(true);
  }

  /** write(false). */
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
    const s = this.giveBack();
    return s != Status.Ok ? s : <Status>gpio_release(this.handle);
  }
}

/** Claims digital pins. */
export class Gpio {
  /** Claims `pin` in `mode`. Check `.status` (or `.ok`) on the result. */
  static claim(pin: u32, mode: PinMode): Pin {
    const s = <Status>gpio_claim(pin, mode, OUT);
    return new Pin(pin, mode, openedHandle(s), s);
  }
}
