// Deploy-time configuration: values set per device without a new binary
// (defaults come from fwx.json). Values are UTF-8 text; the typed getters
// parse them in place and fall back to the given default when the key is
// missing or the text does not parse, so a bad setting never crashes init.
import { Status } from "./raw/types";
import { core_config_get } from "./raw/core";
import { encodeName, lengthOut, utf8Len, utf8Ptr } from "./internal/scratch";
import { parseDecimal } from "./internal/number";

const VALUE_CAP: usize = 64;

// Reserved only when a typed getter is used (see internal/scratch.ts).
function valueBuffer(): usize {
  return memory.data(<i32>VALUE_CAP);
}

/** Deploy-time settings of this module; see the file comment for the fallback rules. */
export class Config {
  /** Bytes written by the last get() (with NoSpace: the bytes needed). */
  static valueLength: u32 = 0;
  /** Status of the last typed getter, to tell a default from a configured value. */
  static lastStatus: Status = Status.Ok;

  /** Copies the value's UTF-8 bytes into `out`; NotFound when the key has no value and no default. */
  static get(key: string, out: Uint8Array): Status {
    return Config.getRaw(key, out.dataStart, <usize>out.byteLength);
  }

  private static getRaw(key: string, ptr: usize, cap: usize): Status {
    encodeName(key);
    return Config.getRawUtf8(utf8Ptr, utf8Len, ptr, cap);
  }

  private static getRawUtf8(key: usize, keyLength: usize, ptr: usize, cap: usize): Status {
    const out = lengthOut();
    const s = <Status>core_config_get(key, keyLength, ptr, cap, out);
    Config.valueLength = load<u32>(out);
    Config.lastStatus = s;
    return s;
  }

  /** The value as a number ("8", "-2.5", "1e3"), or `fallback`. */
  static getNumber(key: string, fallback: f64): f64 {
    if (Config.getRaw(key, valueBuffer(), VALUE_CAP) != Status.Ok) return fallback;
    return Config.parsedNumber(fallback);
  }

  /**
   * getNumber with the key's UTF-8 at `key`. Not meant to be called by hand:
   * `fwx build` turns `Config.getNumber("literal", x)` into this call (and
   * likewise getU32), so the key is made at compile time.
   */
  static getNumberStatic(key: usize, keyLength: usize, fallback: f64): f64 {
    if (Config.getRawUtf8(key, keyLength, valueBuffer(), VALUE_CAP) != Status.Ok) return fallback;
    return Config.parsedNumber(fallback);
  }

  /** The value just read into the value buffer as a number, or `fallback` (InvalidArg) when it does not parse. */
  private static parsedNumber(fallback: f64): f64 {
    const v = parseDecimal(valueBuffer(), <usize>Config.valueLength);
    if (isNaN(v)) {
      Config.lastStatus = Status.InvalidArg;
      return fallback;
    }
    return v;
  }

  /** The value as a whole number in 0..2^32-1, or `fallback`. */
  static getU32(key: string, fallback: u32): u32 {
    return Config.wholeNumber(Config.getNumber(key, NaN), fallback);
  }

  /** getU32 with the key's UTF-8 at `key` (see getNumberStatic). */
  static getU32Static(key: usize, keyLength: usize, fallback: u32): u32 {
    return Config.wholeNumber(Config.getNumberStatic(key, keyLength, NaN), fallback);
  }

  private static wholeNumber(v: f64, fallback: u32): u32 {
    if (isNaN(v)) return fallback;
    if (v < 0 || v > <f64>u32.MAX_VALUE || v != Math.floor(v)) {
      Config.lastStatus = Status.InvalidArg;
      return fallback;
    }
    return <u32>v;
  }

  /** "true"/"1"/"yes"/"on" or "false"/"0"/"no"/"off" (ASCII case-insensitive), or `fallback`. */
  static getBool(key: string, fallback: bool): bool {
    if (Config.getRaw(key, valueBuffer(), VALUE_CAP) != Status.Ok) return fallback;
    const len = Config.valueLength;
    let word: u64 = 0;
    if (len == 0 || len > 5) {
      Config.lastStatus = Status.InvalidArg;
      return fallback;
    }
    for (let i: u32 = 0; i < len; i++) {
      const c = load<u8>(valueBuffer() + i);
      // Only letters are folded: OR-ing 0x20 into every byte would read the control characters 0x10/0x11 as "0"/"1".
      word = (word << 8) | <u64>(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
    }
    // Byte-packed lowercase words, most significant byte first.
    if (word == 0x74727565 || word == 0x31 || word == 0x796573 || word == 0x6f6e) return true; // true 1 yes on
    if (word == 0x66616c7365 || word == 0x30 || word == 0x6e6f || word == 0x6f6666) return false; // false 0 no off
    Config.lastStatus = Status.InvalidArg;
    return fallback;
  }

  /** The value as a string (allocates; meant for init), or `fallback`. */
  static getString(key: string, fallback: string): string {
    if (Config.getRaw(key, valueBuffer(), VALUE_CAP) == Status.Ok) return String.UTF8.decodeUnsafe(valueBuffer(), <usize>Config.valueLength);
    if (Config.lastStatus != Status.NoSpace) return fallback;
    const buf = new Uint8Array(Config.valueLength);
    if (Config.get(key, buf) != Status.Ok) return fallback;
    return String.UTF8.decodeUnsafe(buf.dataStart, <usize>buf.byteLength);
  }
}
