// Named sensors in engineering units. read() stores the sample in the object,
// so polling a sensor allocates nothing.
import { Status } from "./raw/types";
import { sensor_find, sensor_info, sensor_read } from "./raw/sensor";
import { OUT, encodeName, lengthOut, utf8Len, utf8Ptr } from "./internal/scratch";
import { HostResource, openedHandle } from "./internal/resource";

/** A sensor found by name: `Sensor.find` returns one; check `.ok` or `.status`. */
export class Sensor extends HostResource {
  /** The last successful sample. */
  value: f64 = NaN;
  /** When it was taken, on the Clock.nowUs clock. */
  timestampUs: u64 = 0;
  /** Lower end of the measuring range, from info(). */
  min: f64 = NaN;
  /** Upper end of the measuring range, from info(). */
  max: f64 = NaN;
  /** Bytes of the unit text written (with NoSpace: needed) by the last info(). */
  unitLength: u32 = 0;

  constructor(
    /** The board-profile name it was found by. */
    readonly name: string,
    handle: u32,
    status: Status,
  ) {
    super(handle, status);
  }

  /** Looks a sensor up by its board-profile name (e.g. "cold_room"). */
  static find(name: string): Sensor {
    encodeName(name);
    const s = <Status>sensor_find(utf8Ptr, utf8Len, OUT);
    return new Sensor(name, openedHandle(s), s);
  }

  /**
   * find() with the name's UTF-8 at `utf8` as well. Not meant to be called by
   * hand: `fwx build` turns `Sensor.find("literal")` (or a constant string of
   * the project's) into this call, so the name is never transcoded.
   */
  static findStatic(name: string, utf8: usize, length: usize): Sensor {
    const s = <Status>sensor_find(utf8, length, OUT);
    return new Sensor(name, openedHandle(s), s);
  }

  /** Takes one sample into `value` and `timestampUs`. */
  read(): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    const r = <Status>sensor_read(this.handle, OUT, OUT + 8);
    if (r == Status.Ok) {
      this.value = load<f64>(OUT);
      this.timestampUs = load<u64>(OUT, 8);
    }
    return r;
  }

  /** One sample, or `fallback` when the read fails. */
  readOr(fallback: f64): f64 {
    return this.read() == Status.Ok ? this.value : fallback;
  }

  /** Writes the unit text ("°C") into `unit` and fills min, max and unitLength. */
  info(unit: Uint8Array): Status {
    const s = this.usable();
    if (s != Status.Ok) return s;
    const r = <Status>sensor_info(this.handle, unit.dataStart, <usize>unit.byteLength, lengthOut(), OUT + 8, OUT + 16);
    this.unitLength = load<u32>(OUT);
    if (r == Status.Ok) {
      this.min = load<f64>(OUT, 8);
      this.max = load<f64>(OUT, 16);
    }
    return r;
  }
}
