// Named sensors in engineering units. read() stores the sample in the object,
// so polling a sensor allocates nothing.
import { Status } from "./raw/types";
import { sensor_find, sensor_info, sensor_read } from "./raw/sensor";
import { OUT, encodeName, utf8Len, utf8Ptr } from "./internal/scratch";

export class Sensor {
  /** The last successful sample. */
  value: f64 = NaN;
  /** When it was taken, on the Clock.nowUs clock. */
  timestampUs: u64 = 0;
  /** From info(): measuring range and unit length in bytes. */
  min: f64 = NaN;
  max: f64 = NaN;
  unitLength: u32 = 0;

  constructor(readonly name: string, readonly handle: u32, readonly status: Status) {}

  /** Looks a sensor up by its board-profile name (e.g. "cold_room"). */
  static find(name: string): Sensor {
    encodeName(name);
    const s = <Status>sensor_find(utf8Ptr, utf8Len, OUT);
    return new Sensor(name, s == Status.Ok ? load<u32>(OUT) : 0, s);
  }

  get ok(): bool {
    return this.status == Status.Ok;
  }

  /** Takes one sample into `value` and `timestampUs`. */
  read(): Status {
    if (this.status != Status.Ok) return this.status;
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
    if (this.status != Status.Ok) return this.status;
    const r = <Status>sensor_info(this.handle, unit.dataStart, <usize>unit.byteLength, OUT, OUT + 8, OUT + 16);
    this.unitLength = load<u32>(OUT);
    if (r == Status.Ok) {
      this.min = load<f64>(OUT, 8);
      this.max = load<f64>(OUT, 16);
    }
    return r;
  }
}
