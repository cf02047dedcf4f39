// Log lines with numbers in them, built in one static buffer. `Log.info(a +
// b)` would allocate a new string per line, and under fwx build's default
// stub runtime nothing is ever freed: a meter polled every few seconds would
// run out of memory within days. Log.write only takes a string, so the
// finished line goes to the host through the raw binding.
import { LogLevel, Status } from "fwx";
import { core_log } from "fwx/raw/core";

// The host truncates lines at 256 bytes; stop there so nothing is cut mid-number.
const CAP: usize = 256;
const BUF: usize = memory.data(<i32>CAP);

export class Line {
  /** Bytes of the line so far. */
  static length: usize = 0;
  private static writer: Line = new Line();

  static begin(): Line {
    Line.length = 0;
    return Line.writer;
  }

  /** The line as text (allocates: for specs). */
  static text(): string {
    return String.UTF8.decodeUnsafe(BUF, Line.length);
  }

  private static byte(b: u32): void {
    if (Line.length < CAP) store<u8>(BUF + Line.length++, <u8>b);
  }

  /** Appends ASCII text (other characters become '?'). */
  s(text: string): Line {
    for (let i = 0, n = text.length; i < n; i++) {
      const c = <u32>text.charCodeAt(i);
      Line.byte(c < 0x80 ? c : 0x3f);
    }
    return this;
  }

  u(value: u64): Line {
    // 20 digits hold u64.MAX_VALUE.
    const digits = memory.data(20);
    let n: usize = 0;
    do {
      store<u8>(digits + n++, <u8>(0x30 + value % 10));
      value /= 10;
    } while (value != 0);
    while (n > 0) Line.byte(load<u8>(digits + --n));
    return this;
  }

  i(value: i64): Line {
    if (value < 0) Line.byte(0x2d);
    return this.u(value < 0 ? <u64>(-value) : <u64>value);
  }

  /** `value` rounded to `decimals` (0..6) fraction digits; "nan"/"inf" for non-finite values. */
  f(value: f64, decimals: i32 = 2): Line {
    if (isNaN(value)) return this.s("nan");
    if (value < 0) {
      Line.byte(0x2d);
      value = -value;
    }
    // Beyond 2^53 the digits would be invented; meters never get there.
    if (!isFinite(value) || value >= 9.0e15) return this.s("inf");
    const d = <i32>min(max(decimals, 0), 6);
    let scale: u64 = 1;
    for (let k = 0; k < d; k++) scale *= 10;
    const scaled = <u64>Math.round(value * <f64>scale);
    this.u(scaled / scale);
    if (d > 0) {
      Line.byte(0x2e);
      const frac = scaled % scale;
      for (let k = d - 1; k >= 0; k--) {
        let div: u64 = 1;
        for (let j = 0; j < k; j++) div *= 10;
        Line.byte(<u32>(0x30 + (frac / div) % 10));
      }
    }
    return this;
  }

  /** `value` as `digits` lowercase hex digits (leading zeros kept). */
  hex(value: u32, digits: i32 = 2): Line {
    for (let k = digits - 1; k >= 0; k--) {
      const nibble = (value >> (<u32>k * 4)) & 15;
      Line.byte(nibble < 10 ? 0x30 + nibble : 0x57 + nibble);
    }
    return this;
  }

  write(level: LogLevel): Status {
    return <Status>core_log(level, BUF, Line.length);
  }

  debug(): Status { return this.write(LogLevel.Debug); }
  info(): Status { return this.write(LogLevel.Info); }
  warn(): Status { return this.write(LogLevel.Warn); }
  error(): Status { return this.write(LogLevel.Error); }
}
