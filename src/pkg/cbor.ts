// A small deterministic CBOR (RFC 8949) codec: only the subset packages use,
// and only one encoding per value, so signed bytes can be re-derived and a C
// verifier needs no general CBOR library.
//
// Accepted: unsigned and negative integers within ±(2^53−1), byte strings,
// UTF-8 text strings, arrays, maps whose keys are unsigned integers in strictly
// ascending order, false/true/null, and float64 for non-integral numbers.
// Rejected: indefinite lengths, tags, other simple values, float16/32, integers
// and lengths not in their shortest form, integral or non-finite floats,
// duplicate or unordered keys, nesting deeper than MAX_DEPTH, trailing bytes.

export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;
export type CborMap = Map<number, CborValue>;

export const MAX_DEPTH = 16;

export class CborError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`byte ${offset}: ${message}`);
    this.name = "CborError";
  }
}

// ---------------------------------------------------------------- encoding

/** A growable byte buffer; also the output buffer of src/ota/delta.ts. */
export class Writer {
  private buf = new Uint8Array(256);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  head(major: number, arg: number): void {
    const m = major << 5;
    if (arg < 24) this.byte(m | arg);
    else if (arg < 0x100) { this.byte(m | 24); this.byte(arg); }
    else if (arg < 0x10000) { this.byte(m | 25); this.byte(arg >>> 8); this.byte(arg & 0xff); }
    else if (arg < 0x100000000) {
      this.byte(m | 26);
      for (let s = 24; s >= 0; s -= 8) this.byte((arg >>> s) & 0xff);
    } else {
      this.byte(m | 27);
      const hi = Math.floor(arg / 0x100000000);
      const lo = arg >>> 0;
      for (let s = 24; s >= 0; s -= 8) this.byte((hi >>> s) & 0xff);
      for (let s = 24; s >= 0; s -= 8) this.byte((lo >>> s) & 0xff);
    }
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function encodeInto(w: Writer, v: CborValue, depth: number): void {
  if (depth > MAX_DEPTH) throw new RangeError(`CBOR value nested deeper than ${MAX_DEPTH}`);
  if (v === null) return w.byte(0xf6);
  if (v === false) return w.byte(0xf4);
  if (v === true) return w.byte(0xf5);
  if (typeof v === "number") {
    if (Number.isInteger(v)) {
      if (!Number.isSafeInteger(v)) throw new RangeError(`integer ${v} is outside ±(2^53−1)`);
      return v >= 0 ? w.head(0, v) : w.head(1, -1 - v);
    }
    if (!Number.isFinite(v)) throw new RangeError(`non-finite number ${v} cannot be encoded`);
    const b = new Uint8Array(9);
    b[0] = 0xfb;
    new DataView(b.buffer).setFloat64(1, v, false);
    return w.bytes(b);
  }
  if (typeof v === "string") {
    // TextEncoder would turn a lone surrogate into U+FFFD: the bytes would decode to another string.
    if (/\p{Cs}/u.test(v)) throw new RangeError(`text ${JSON.stringify(v)} has a lone UTF-16 surrogate and no UTF-8 encoding`);
    const b = new TextEncoder().encode(v);
    w.head(3, b.length);
    return w.bytes(b);
  }
  if (v instanceof Uint8Array) {
    w.head(2, v.length);
    return w.bytes(v);
  }
  if (Array.isArray(v)) {
    w.head(4, v.length);
    for (const item of v) encodeInto(w, item, depth + 1);
    return;
  }
  const keys = [...v.keys()].sort((a, b) => a - b);
  w.head(5, keys.length);
  for (const k of keys) {
    if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`map key ${k} is not an unsigned integer`);
    w.head(0, k);
    encodeInto(w, v.get(k)!, depth + 1);
  }
}

/** The one deterministic encoding of `value`. Map keys are sorted here, so callers may build maps in any order. */
export function encodeCbor(value: CborValue): Uint8Array {
  const w = new Writer();
  encodeInto(w, value, 0);
  return w.result();
}

// ---------------------------------------------------------------- decoding

// ignoreBOM keeps a leading U+FEFF in the string: by default it is dropped, so
// the decoded text would differ from the signed bytes a C verifier compares.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array, private readonly base: number) {}

  fail(message: string, at = this.pos): never {
    throw new CborError(message, this.base + at);
  }

  need(n: number, what: string, at: number): void {
    if (n > this.bytes.length - this.pos) this.fail(`${what} needs ${n} bytes but only ${this.bytes.length - this.pos} remain`, at);
  }

  /** Reads an item head; returns [major, argument]. Enforces shortest-form arguments. */
  head(): [number, number, number] {
    const at = this.pos;
    this.need(1, "item", at);
    const ib = this.bytes[this.pos++]!;
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (info < 24) return [major, info, info];
    if (info === 31) this.fail("indefinite-length items are not allowed", at);
    if (info > 27) this.fail(`reserved additional information ${info}`, at);
    const size = 1 << (info - 24);
    this.need(size, "argument", at);
    let arg = 0;
    for (let i = 0; i < size; i++) arg = arg * 256 + this.bytes[this.pos++]!;
    if (major === 7) return [major, info, arg];
    const min = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x100000000;
    if (arg < min) this.fail(`integer or length ${arg} is not in its shortest form`, at);
    if (arg > Number.MAX_SAFE_INTEGER) this.fail("integer or length exceeds 2^53−1", at);
    return [major, info, arg];
  }

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    const at = this.pos;
    const [major, info, arg] = this.head();
    switch (major) {
      case 0:
        return arg;
      case 1:
        // -1 - (2^53 - 1) is -2^53, one past what the encoder accepts: the range is symmetric, ±(2^53 − 1).
        if (arg === Number.MAX_SAFE_INTEGER) this.fail("negative integer below −(2^53−1)", at);
        return -1 - arg;
      case 2:
        this.need(arg, `byte string of ${arg} bytes`, at);
        return this.bytes.subarray(this.pos, (this.pos += arg));
      case 3: {
        this.need(arg, `text string of ${arg} bytes`, at);
        const raw = this.bytes.subarray(this.pos, this.pos + arg);
        this.pos += arg;
        try {
          return utf8.decode(raw);
        } catch {
          return this.fail("text string is not valid UTF-8", at);
        }
      }
      case 4: {
        // Every item takes at least one byte: a count beyond what remains is a lie, refused before allocating.
        this.need(arg, `array of ${arg} items`, at);
        const out: CborValue[] = [];
        for (let i = 0; i < arg; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        this.need(arg * 2, `map of ${arg} entries`, at);
        const out: CborMap = new Map();
        let last = -1;
        for (let i = 0; i < arg; i++) {
          const keyAt = this.pos;
          const [km, , key] = this.head();
          if (km !== 0) this.fail("map keys must be unsigned integers", keyAt);
          if (key <= last) this.fail(key === last ? `duplicate map key ${key}` : `map key ${key} out of ascending order`, keyAt);
          last = key;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6:
        return this.fail("tags are not allowed", at);
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 27) {
          const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + at + 1, 8).getFloat64(0, false);
          if (!Number.isFinite(v)) this.fail("non-finite float", at);
          if (Number.isInteger(v)) this.fail("integral value encoded as a float (must be an integer)", at);
          return v;
        }
        return this.fail(`simple value or float width (additional information ${info}) not allowed`, at);
      }
    }
  }
}

/**
 * Decodes exactly one item spanning all of `bytes`. Byte strings in the
 * result are views into `bytes`. `baseOffset` is added to every error offset,
 * so errors point into the enclosing file.
 */
export function decodeCbor(bytes: Uint8Array, baseOffset = 0): CborValue {
  const r = new Reader(bytes, baseOffset);
  const value = r.item(0);
  if (r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} trailing bytes after the item`);
  return value;
}
