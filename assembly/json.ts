// A JSON object writer over one static 1 KiB buffer (the telemetry payload
// limit), so periodic telemetry allocates nothing. One message at a time:
// Json.begin() starts over.
//
//   Json.begin().num("temp_c", 9.46, 1).str("state", "alarm").bool("door_open", false);
//   Telemetry.publishJson("alarm");
import { DECIMAL_MAX_BYTES, formatDecimal, formatHex, formatSigned, formatUnsigned } from "./internal/number";
import { encodeUnitsPrefix, prefixComplete } from "./internal/scratch";

const CAP: usize = 1024;

// Reserved only in modules that use Json (a top-level memory.data would be
// reserved in every module importing the SDK).
function jsonBuffer(): usize {
  return memory.data(<i32>CAP);
}

/** One JSON object at a time, built in place; see the file comment. */
export class Json {
  /** Bytes written so far, including the closing brace end() adds. */
  static length: usize = 0;
  /** Set when something did not fit; the message is then not valid JSON. */
  static overflow: bool = false;
  private static fields: u32 = 0;
  private static writer: Json = new Json();

  /** Pointer to the encoded bytes (valid until the next begin()). */
  static get ptr(): usize {
    return jsonBuffer();
  }

  /** Starts a new object, discarding the previous one; chain the fields on the result. */
  static begin(): Json {
    Json.length = 0;
    Json.overflow = false;
    Json.fields = 0;
    Json.byte(0x7b);
    return Json.writer;
  }

  /** Closes the object. Returns false when the message overflowed 1 KiB. */
  static end(): bool {
    Json.byte(0x7d);
    return !Json.overflow;
  }

  private static byte(b: u32): void {
    if (Json.length >= CAP) {
      Json.overflow = true;
      return;
    }
    store<u8>(jsonBuffer() + Json.length, <u8>b);
    Json.length++;
  }

  private static room(n: usize): bool {
    if (Json.length + n > CAP) {
      Json.overflow = true;
      return false;
    }
    return true;
  }

  /** `s` as a JSON string: UTF-8, with quote, backslash and control characters escaped. */
  private static quoted(s: string): void {
    Json.byte(0x22);
    // Runs of characters that need no escape go to the UTF-8 encoder whole.
    let run = 0;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = <u32>s.charCodeAt(i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
      Json.text(s, run, i);
      Json.escape(c);
      run = i + 1;
    }
    Json.text(s, run, n);
    Json.byte(0x22);
  }

  /** Code units from..to of `s` as UTF-8 (lone surrogates become U+FFFD). */
  private static text(s: string, from: i32, to: i32): void {
    Json.length += encodeUnitsPrefix(s, from, to, jsonBuffer() + Json.length, CAP - Json.length);
    if (!prefixComplete) Json.overflow = true;
  }

  /** A quote or backslash after a backslash; any other control character as \u00XX. */
  private static escape(c: u32): void {
    if (c == 0x22 || c == 0x5c) {
      Json.byte(0x5c);
      Json.byte(c);
    } else if (Json.room(6)) {
      const at = jsonBuffer() + Json.length;
      store<u32>(at, 0x3030755c); // "\u00"
      formatHex(at + 4, c, 2);
      Json.length += 6;
    }
  }

  private key(name: string): void {
    if (Json.fields > 0) Json.byte(0x2c);
    Json.fields++;
    Json.quoted(name);
    Json.byte(0x3a);
  }

  /**
   * A key already quoted and escaped, with its colon, as UTF-8 at `quoted`.
   * The *Static methods below are not meant to be called by hand: `fwx build`
   * turns `Json.begin().num("temp_c", ...)` into `numStatic(...)` with the
   * key made at compile time, so the key is not stored as UTF-16 and not
   * escaped at run time.
   */
  private staticKey(quoted: usize, length: usize): void {
    if (Json.fields > 0) Json.byte(0x2c);
    Json.fields++;
    if (!Json.room(length)) return;
    memory.copy(jsonBuffer() + Json.length, quoted, length);
    Json.length += length;
  }

  numStatic(key: usize, keyLength: usize, value: f64, decimals: i32 = 2): Json {
    this.staticKey(key, keyLength);
    return this.numValue(value, decimals);
  }

  intStatic(key: usize, keyLength: usize, value: i64): Json {
    this.staticKey(key, keyLength);
    return this.intValue(value);
  }

  uintStatic(key: usize, keyLength: usize, value: u64): Json {
    this.staticKey(key, keyLength);
    return this.uintValue(value);
  }

  strStatic(key: usize, keyLength: usize, value: string): Json {
    this.staticKey(key, keyLength);
    Json.quoted(value);
    return this;
  }

  /**
   * str() with the value already quoted and escaped as UTF-8 at `quoted`: for
   * a string parameter of a project's private method that only ever receives
   * literals (`fwx build` passes each call's literal made at compile time).
   */
  strStaticQuoted(key: usize, keyLength: usize, quoted: usize, quotedLength: usize): Json {
    this.staticKey(key, keyLength);
    if (Json.room(quotedLength)) {
      memory.copy(jsonBuffer() + Json.length, quoted, quotedLength);
      Json.length += quotedLength;
    }
    return this;
  }

  /**
   * str() with a static text as the value: one length byte, then that many
   * bytes of UTF-8 that need no escape. Not meant to be called by hand:
   * `fwx build` passes these for the value of a project function whose every
   * return is a string literal (static-text.ts).
   */
  strTextStatic(key: usize, keyLength: usize, text: usize): Json {
    this.staticKey(key, keyLength);
    const length = <usize>load<u8>(text);
    if (Json.room(length + 2)) {
      const at = jsonBuffer() + Json.length;
      store<u8>(at, 0x22);
      memory.copy(at + 1, text + 1, length);
      store<u8>(at + 1 + length, 0x22);
      Json.length += length + 2;
    }
    return this;
  }

  /** A whole field, key and string value both quoted and escaped, `"name":"value"`, from `.str("name", "value")` with two literals. */
  fieldStatic(field: usize, length: usize): Json {
    this.staticKey(field, length);
    return this;
  }

  boolStatic(key: usize, keyLength: usize, value: bool): Json {
    this.staticKey(key, keyLength);
    return this.boolValue(value);
  }

  /**
   * A number with `decimals` fraction digits (0..6). NaN, the infinities and
   * magnitudes from 1e15 up (beyond exact f64 integers) become null.
   */
  num(name: string, value: f64, decimals: i32 = 2): Json {
    this.key(name);
    return this.numValue(value, decimals);
  }

  private numValue(value: f64, decimals: i32): Json {
    if (!Json.room(DECIMAL_MAX_BYTES)) return this;
    const n = formatDecimal(jsonBuffer() + Json.length, value, decimals);
    if (n == 0) {
      store<u32>(jsonBuffer() + Json.length, 0x6c6c756e); // "null"
      Json.length += 4;
    } else Json.length += n;
    return this;
  }

  /** A whole number, all 64 bits of it. */
  int(name: string, value: i64): Json {
    this.key(name);
    return this.intValue(value);
  }

  private intValue(value: i64): Json {
    if (Json.room(20)) Json.length += formatSigned(jsonBuffer() + Json.length, value);
    return this;
  }

  /** An unsigned whole number, all 64 bits of it (a counter, a u32 register, a u64 above i64's range). */
  uint(name: string, value: u64): Json {
    this.key(name);
    return this.uintValue(value);
  }

  private uintValue(value: u64): Json {
    if (Json.room(20)) Json.length += formatUnsigned(jsonBuffer() + Json.length, value);
    return this;
  }

  /** A string, escaped as JSON needs. */
  str(name: string, value: string): Json {
    this.key(name);
    Json.quoted(value);
    return this;
  }

  /** `true` or `false`. */
  bool(name: string, value: bool): Json {
    this.key(name);
    return this.boolValue(value);
  }

  private boolValue(value: bool): Json {
    if (!Json.room(5)) return this;
    const at = jsonBuffer() + Json.length;
    if (value) {
      store<u32>(at, 0x65757274); // "true"
      Json.length += 4;
    } else {
      store<u32>(at, 0x736c6166); // "fals"
      store<u8>(at, 0x65, 4); // "e"
      Json.length += 5;
    }
    return this;
  }
}
