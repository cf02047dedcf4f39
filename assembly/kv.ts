// The module's private persistent store. Values survive restarts and updates
// of the same module id; set() is atomic across power loss.
import { Status } from "./raw/types";
import { kv_delete, kv_get, kv_set } from "./raw/kv";
import { encodeName, encodeText, lengthOut, utf8Len, utf8Ptr } from "./internal/scratch";

/** Scratch for the typed getters and setters: one u32 or f64. */
const WORD: usize = memory.data(8, 8);

/** The module's key-value store; every call is one host call, nothing is cached. */
export class Kv {
  /** Bytes written by the last get() (with NoSpace: the bytes needed). */
  static valueLength: u32 = 0;

  /** Copies the value stored under `key` into `out`; NotFound when there is none, NoSpace when it does not fit. */
  static get(key: string, out: Uint8Array): Status {
    return Kv.getRaw(key, out.dataStart, <usize>out.byteLength);
  }

  private static getRaw(key: string, ptr: usize, cap: usize): Status {
    encodeName(key);
    return Kv.getRawUtf8(utf8Ptr, utf8Len, ptr, cap);
  }

  private static getRawUtf8(key: usize, keyLength: usize, ptr: usize, cap: usize): Status {
    const out = lengthOut();
    const s = <Status>kv_get(key, keyLength, ptr, cap, out);
    Kv.valueLength = load<u32>(out);
    return s;
  }

  /** Stores `value` under `key` (at most 32 bytes of UTF-8); NoSpace past the module's quota. */
  static set(key: string, value: Uint8Array): Status {
    encodeName(key);
    return <Status>kv_set(utf8Ptr, utf8Len, value.dataStart, <usize>value.byteLength);
  }

  /** Stores the UTF-8 of `value` under `key`. */
  static setString(key: string, value: string): Status {
    encodeName(key);
    const keyPtr = utf8Ptr;
    const keyLen = utf8Len;
    encodeText(value);
    return <Status>kv_set(keyPtr, keyLen, utf8Ptr, utf8Len);
  }

  /** Stores a u32 as 4 bytes little-endian. */
  static setU32(key: string, value: u32): Status {
    store<u32>(WORD, value);
    encodeName(key);
    return <Status>kv_set(utf8Ptr, utf8Len, WORD, 4);
  }

  /** A u32 stored by setU32, or `fallback` when missing or not 4 bytes long. */
  static getU32(key: string, fallback: u32): u32 {
    if (Kv.getRaw(key, WORD, 8) != Status.Ok || Kv.valueLength != 4) return fallback;
    return load<u32>(WORD);
  }

  /**
   * setU32 and getU32 with the key's UTF-8 at `key`. Not meant to be called
   * by hand: `fwx build` turns `Kv.setU32("literal", v)` (or a constant
   * string of the project's) into these.
   */
  static setU32Static(key: usize, keyLength: usize, value: u32): Status {
    store<u32>(WORD, value);
    return <Status>kv_set(key, keyLength, WORD, 4);
  }

  static getU32Static(key: usize, keyLength: usize, fallback: u32): u32 {
    if (Kv.getRawUtf8(key, keyLength, WORD, 8) != Status.Ok || Kv.valueLength != 4) return fallback;
    return load<u32>(WORD);
  }

  /** Stores an f64 as 8 bytes little-endian. */
  static setF64(key: string, value: f64): Status {
    store<f64>(WORD, value);
    encodeName(key);
    return <Status>kv_set(utf8Ptr, utf8Len, WORD, 8);
  }

  /** An f64 stored by setF64, or `fallback`. */
  static getF64(key: string, fallback: f64): f64 {
    if (Kv.getRaw(key, WORD, 8) != Status.Ok || Kv.valueLength != 8) return fallback;
    return load<f64>(WORD);
  }

  /** Removes `key`; NotFound when it was not stored. */
  static delete(key: string): Status {
    encodeName(key);
    return <Status>kv_delete(utf8Ptr, utf8Len);
  }
}
