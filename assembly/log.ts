// Log lines attributed to this module. The host truncates a line at 256 bytes
// and may drop lines below its level (still Ok) or over its rate (Busy).
//
// Log.info("door opened") passes a string as is: a literal lives in static
// data, so that allocates nothing. A line with numbers in it must not be
// built with `+` or toString(): under `fwx build`'s default stub runtime
// nothing is ever freed, and a module that logs on every poll would run out
// of memory. Log.line() builds it in one static buffer instead:
//
//   Log.line(LogLevel.Warn).str("over-current: ").num(currentA, 2).str(" A > ").num(limitA, 2).str(" A").send();
import { LogLevel, Status } from "./raw/types";
import { core_log } from "./raw/core";
import { encodePrefix, prefixComplete } from "./internal/scratch";
import { DECIMAL_MAX_BYTES, formatDecimal, formatHex, formatSigned, formatUnsigned } from "./internal/number";

export { LogLevel };

/** The host keeps at most this many bytes of a line. */
const LINE_CAP: usize = 256;

/**
 * The line's static buffer. Numbers are formatted in place past the end of
 * the line and kept only when they fit whole, so it has room for one number
 * beyond LINE_CAP. Reserved inside a function rather than by a top-level
 * constant: AssemblyScript reserves a top-level memory.data in every module
 * that imports this file, while a function's is reserved only when the
 * function is used, so modules that never build a line do not pay 279 bytes
 * of RAM for it.
 */
function lineBuffer(): usize {
  return memory.data(<i32>(LINE_CAP + DECIMAL_MAX_BYTES));
}
/** What a cut line ends with, so a reader knows text is missing. */
const ELLIPSIS_LEN: usize = 3;

/**
 * One log line under construction, in a static buffer: nothing allocates.
 * Start it with Log.line(level), append pieces, finish with send(). There is
 * one line at a time; Log.line() starts over, discarding an unsent line.
 *
 * A line longer than 256 bytes is cut at a character boundary, a number is
 * never cut in half, and the line then ends in "..." (`truncated` is set).
 */
export class LogLine {
  /** Bytes in the line so far. */
  static length: usize = 0;
  /** Set when something did not fit; later pieces are dropped. */
  static truncated: bool = false;
  private static level: LogLevel = LogLevel.Info;
  // Created on first use: a static initializer would run (and allocate) in
  // every module that imports the SDK, whether it logs lines or not.
  private static writer: LogLine | null = null;

  /** Pointer to the line's UTF-8 bytes (valid until the next Log.line()). */
  static get ptr(): usize {
    return lineBuffer();
  }

  /** Starts a line at `level`; Log.line(level) is the usual way in. */
  static begin(level: LogLevel): LogLine {
    LogLine.length = 0;
    LogLine.truncated = false;
    LogLine.level = level;
    let writer = LogLine.writer;
    if (writer === null) LogLine.writer = writer = new LogLine();
    return writer;
  }

  /** Ends the line with "..." at a character boundary; nothing is appended after. */
  private static cut(): void {
    if (LogLine.truncated) return;
    LogLine.truncated = true;
    let end = min(LogLine.length, LINE_CAP - ELLIPSIS_LEN);
    // Back off over UTF-8 continuation bytes (10xxxxxx) to the start of a character.
    while (end > 0 && end < LogLine.length && (load<u8>(lineBuffer() + end) & 0xc0) == 0x80) end--;
    memory.fill(lineBuffer() + end, 0x2e, ELLIPSIS_LEN);
    LogLine.length = end + ELLIPSIS_LEN;
  }

  /** Keeps `n` bytes just formatted at the end of the line, or cuts the line when they do not fit. */
  private static commit(n: usize): void {
    if (LogLine.length + n <= LINE_CAP) LogLine.length += n;
    else LogLine.cut();
  }

  /** Where the next piece goes, or 0 once the line is cut. */
  private static get end(): usize {
    return LogLine.truncated ? 0 : lineBuffer() + LogLine.length;
  }

  /** Appends text as UTF-8 (lone surrogates become U+FFFD). */
  str(text: string): LogLine {
    const at = LogLine.end;
    if (at == 0) return this;
    LogLine.length += encodePrefix(text, at, LINE_CAP - LogLine.length);
    if (!prefixComplete) LogLine.cut();
    return this;
  }

  /**
   * str() for `length` bytes of UTF-8 at `utf8`, cut the same way. Not meant
   * to be called by hand: `fwx build` turns `.str("literal")` in a
   * `Log.line(...)` chain into this call, with the literal made at compile time.
   */
  strStatic(utf8: usize, length: usize): LogLine {
    const at = LogLine.end;
    if (at == 0) return this;
    const room = LINE_CAP - LogLine.length;
    let n = length;
    if (n > room) {
      // The longest prefix of whole characters that fits: back off over continuation bytes (10xxxxxx).
      n = room;
      while (n > 0 && (load<u8>(utf8 + n) & 0xc0) == 0x80) n--;
    }
    memory.copy(at, utf8, n);
    LogLine.length += n;
    if (n < length) LogLine.cut();
    return this;
  }

  /**
   * str() for a static text: one length byte, then that many bytes of UTF-8.
   * Not meant to be called by hand: `fwx build` passes these for the value
   * of a project function whose every return is a string literal (static-text.ts).
   */
  strText(text: usize): LogLine {
    return this.strStatic(text + 1, <usize>load<u8>(text));
  }

  /** A signed integer in decimal. */
  int(value: i64): LogLine {
    const at = LogLine.end;
    if (at != 0) LogLine.commit(formatSigned(at, value));
    return this;
  }

  /** An unsigned integer in decimal. */
  uint(value: u64): LogLine {
    const at = LogLine.end;
    if (at != 0) LogLine.commit(formatUnsigned(at, value));
    return this;
  }

  /**
   * A number with `decimals` fraction digits (0..6), as Json.num writes it;
   * NaN and the infinities as `nan`, `inf`, `-inf`, and magnitudes from
   * 1e15 up (beyond exact f64 integers) as `>=1e15` or `<=-1e15`.
   */
  num(value: f64, decimals: i32 = 2): LogLine {
    const at = LogLine.end;
    if (at == 0) return this;
    const n = formatDecimal(at, value, decimals);
    if (n != 0) {
      LogLine.commit(n);
      return this;
    }
    // The words as static ASCII, not string literals (UTF-16 with a header each, issue 14):
    // "nan", "-inf" (whose tail is "inf"), "<=-1e15", ">=1e15".
    const words = memory.data<u8>([
      0x6e, 0x61, 0x6e, 0x2d, 0x69, 0x6e, 0x66, 0x3c, 0x3d, 0x2d, 0x31, 0x65, 0x31, 0x35, 0x3e, 0x3d, 0x31, 0x65, 0x31, 0x35,
    ]);
    const negative = value < 0;
    if (isNaN(value)) this.strStatic(words, 3);
    else if (!isFinite(value)) this.strStatic(words + (negative ? 3 : 4), negative ? 4 : 3);
    else this.strStatic(words + (negative ? 7 : 14), negative ? 7 : 6);
    return this;
  }

  /** The low `digits` (1..16) hex digits of `value`, lowercase, leading zeros kept, no prefix. */
  hex(value: u64, digits: i32 = 2): LogLine {
    const at = LogLine.end;
    if (at != 0) LogLine.commit(formatHex(at, value, digits));
    return this;
  }

  /** `true` or `false`. */
  bool(value: bool): LogLine {
    return this.str(value ? "true" : "false");
  }

  /** Hands the line to the host at its level; the line is then done. */
  send(): Status {
    return <Status>core_log(LogLine.level, lineBuffer(), LogLine.length);
  }
}

/** Log lines attributed to this module; every call returns the host's status (Busy when rate-limited). */
export class Log {
  /**
   * Logs `message`, cut at a character boundary to the 256 bytes the host
   * keeps. Allocates nothing itself, whatever the length; building the
   * message with `+` does: use Log.line() for lines with numbers.
   */
  static write(level: LogLevel, message: string): Status {
    const buf = lineBuffer();
    return <Status>core_log(level, buf, encodePrefix(message, buf, LINE_CAP));
  }

  /**
   * Sends `length` bytes of UTF-8 at `utf8` at `level`. Not meant to be
   * called by hand: `fwx build` turns `Log.info("literal")` into this call,
   * with the literal's UTF-8 (already cut to 256 bytes) in static data, so a
   * literal is stored once as UTF-8 and never transcoded.
   */
  static writeStatic(level: i32, utf8: usize, length: usize): Status {
    return <Status>core_log(<LogLevel>level, utf8, length);
  }

  /** Starts an allocation-free line with numbers in it; finish it with send(). */
  static line(level: LogLevel): LogLine {
    return LogLine.begin(level);
  }

  /** Log.write(LogLevel.Debug, message). */
  static debug(message: string): Status {
    return Log.write(LogLevel.Debug, message);
  }

  /** Log.write(LogLevel.Info, message). */
  static info(message: string): Status {
    return Log.write(LogLevel.Info, message);
  }

  /** Log.write(LogLevel.Warn, message). */
  static warn(message: string): Status {
    return Log.write(LogLevel.Warn, message);
  }

  /** Log.write(LogLevel.Error, message). */
  static error(message: string): Status {
    return Log.write(LogLevel.Error, message);
  }
}
