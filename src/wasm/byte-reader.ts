// A bounds-checked cursor over a wasm binary. Every read either succeeds
// inside [pos, end) or throws WasmParseError carrying the absolute byte offset,
// so hostile input (truncation, overlong LEB128, lengths past the end) turns
// into a clear message instead of a RangeError deep in the parser.

export class WasmParseError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`byte 0x${offset.toString(16)}: ${message}`);
    this.name = "WasmParseError";
  }
  /** The message without the offset prefix. */
  get reason(): string {
    return this.message.replace(/^byte 0x[0-9a-f]+: /, "");
  }
}

// Names are compared as the exact bytes the module holds: fatal, so invalid
// UTF-8 is malformed, and ignoreBOM, so a leading U+FEFF stays part of the
// name (the default decoder drops it, which made "\uFEFFfwx_init" pass for
// "fwx_init" while the engine saw a different export).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class ByteReader {
  pos: number;

  /** `what` names the region in "runs past the end of …" messages. */
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number, readonly what: string) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, offset: number = this.pos): never {
    throw new WasmParseError(message, offset);
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      this.fail(`${what} runs past the end of ${this.what} (needs ${n} bytes, ${this.end - this.pos} left)`);
    }
  }

  u8(what = "byte"): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  peek(): number | undefined {
    return this.pos < this.end ? this.bytes[this.pos] : undefined;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Unsigned LEB128 of at most 32 bits, rejecting overlong and overflowing encodings. */
  u32(what = "u32"): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`${what} (LEB128) runs past the end of ${this.what}`, start);
      const b = this.bytes[this.pos++]!;
      if (i === 4 && (b & 0xf0) !== 0) this.fail(`${what} (LEB128) overflows 32 bits`, start);
      result |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return result >>> 0;
    }
    return this.fail(`${what} (LEB128) is longer than 5 bytes`, start);
  }

  /**
   * Unsigned LEB128 of at most 64 bits (memory64 limits, memarg offsets).
   * Returned as a number: exact below 2^53, which covers every size that matters here.
   */
  u64(what = "u64"): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(`${what} (LEB128) runs past the end of ${this.what}`, start);
      const b = this.bytes[this.pos++]!;
      if (i === 9 && (b & 0xfe) !== 0) this.fail(`${what} (LEB128) overflows 64 bits`, start);
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
    return this.fail(`${what} (LEB128) is longer than 10 bytes`, start);
  }

  /** Signed LEB128 of `bits` width (32, 33 or 64); values outside ±2^53 lose precision but never throw. */
  signed(bits: 32 | 33 | 64, what: string): number {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) this.fail(`${what} (LEB128) runs past the end of ${this.what}`, start);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1) {
          // The unused high bits of the last byte must all equal the sign bit.
          const used = bits - 7 * i;
          const rest = (b & 0x7f) >> (used - 1);
          if (rest !== 0 && rest !== (0x7f >> (used - 1))) this.fail(`${what} (LEB128) overflows ${bits} bits`, start);
        }
        if (b & 0x40) result -= scale;
        return result;
      }
    }
    return this.fail(`${what} (LEB128) is longer than ${maxBytes} bytes`, start);
  }

  /** A length-prefixed UTF-8 name. */
  name(what = "name"): string {
    const len = this.u32(`${what} length`);
    const at = this.pos;
    const raw = this.take(len, what);
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at);
    }
  }

  /**
   * Reads a vector count and refuses counts that cannot fit in what is left,
   * given each element takes at least `minElementBytes`. This is what keeps a
   * 5-byte count of 4 billion from turning into a 4-billion-iteration loop.
   */
  count(what: string, minElementBytes = 1): number {
    const at = this.pos;
    const n = this.u32(`${what} count`);
    if (n * minElementBytes > this.end - this.pos) {
      this.fail(`${what} count ${n} cannot fit in the ${this.end - this.pos} bytes left in ${this.what}`, at);
    }
    return n;
  }
}
