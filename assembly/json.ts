// A JSON object writer over one static 1 KiB buffer (the telemetry payload
// limit), so periodic telemetry allocates nothing. One message at a time:
// Json.begin() starts over.
//
//   Json.begin().num("temp_c", 9.46, 1).str("state", "alarm").bool("door_open", false);
//   Telemetry.publishJson("alarm");
import { DECIMAL_MAX_BYTES, formatDecimal, formatSigned } from "./internal/number";

const CAP: usize = 1024;

// Reserved only in modules that use Json (a top-level memory.data would be
// reserved in every module importing the SDK).
function jsonBuffer(): usize {
  return memory.data(<i32>CAP);
}
const HEX = "0123456789abcdef";

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

  private static quoted(s: string): void {
    Json.byte(0x22);
    for (let i = 0, n = s.length; i < n; i++) {
      const c = <u32>s.charCodeAt(i);
      if (c == 0x22 || c == 0x5c) {
        Json.byte(0x5c);
        Json.byte(c);
      } else if (c < 0x20) {
        Json.byte(0x5c);
        Json.byte(0x75);
        Json.byte(0x30);
        Json.byte(0x30);
        Json.byte(<u32>HEX.charCodeAt(<i32>(c >> 4)));
        Json.byte(<u32>HEX.charCodeAt(<i32>(c & 15)));
      } else if (c < 0x80) {
        Json.byte(c);
      } else if (c < 0x800) {
        Json.byte(0xc0 | (c >> 6));
        Json.byte(0x80 | (c & 63));
      } else if ((c & 0xfc00) == 0xd800 && i + 1 < n && (<u32>s.charCodeAt(i + 1) & 0xfc00) == 0xdc00) {
        const cp = 0x10000 + (((c & 0x3ff) << 10) | (<u32>s.charCodeAt(i + 1) & 0x3ff));
        i++;
        Json.byte(0xf0 | (cp >> 18));
        Json.byte(0x80 | ((cp >> 12) & 63));
        Json.byte(0x80 | ((cp >> 6) & 63));
        Json.byte(0x80 | (cp & 63));
      } else {
        // Lone surrogates become U+FFFD so the payload stays valid UTF-8.
        const cp = (c & 0xf800) == 0xd800 ? 0xfffd : c;
        Json.byte(0xe0 | (cp >> 12));
        Json.byte(0x80 | ((cp >> 6) & 63));
        Json.byte(0x80 | (cp & 63));
      }
    }
    Json.byte(0x22);
  }

  private key(name: string): void {
    if (Json.fields > 0) Json.byte(0x2c);
    Json.fields++;
    Json.quoted(name);
    Json.byte(0x3a);
  }

  /**
   * A number with `decimals` fraction digits (0..6). NaN, the infinities and
   * magnitudes from 1e15 up (beyond exact f64 integers) become null.
   */
  num(name: string, value: f64, decimals: i32 = 2): Json {
    this.key(name);
    if (!Json.room(DECIMAL_MAX_BYTES)) return this;
    const n = formatDecimal(jsonBuffer() + Json.length, value, decimals);
    if (n == 0) {
      store<u32>(jsonBuffer() + Json.length, 0x6c6c756e); // "null"
      Json.length += 4;
    } else Json.length += n;
    return this;
  }

  int(name: string, value: i64): Json {
    this.key(name);
    if (Json.room(20)) Json.length += formatSigned(jsonBuffer() + Json.length, value);
    return this;
  }

  str(name: string, value: string): Json {
    this.key(name);
    Json.quoted(value);
    return this;
  }

  bool(name: string, value: bool): Json {
    this.key(name);
    if (!Json.room(5)) return this;
    if (value) {
      store<u32>(jsonBuffer() + Json.length, 0x65757274); // "true"
      Json.length += 4;
    } else {
      store<u32>(jsonBuffer() + Json.length, 0x736c6166); // "fals"
      Json.length += 4;
      Json.byte(0x65);
    }
    return this;
  }
}
