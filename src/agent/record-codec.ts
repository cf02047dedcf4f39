// Byte-level codec of .fwxrec files: LEB128 integers and tagged values.

/** The first bytes of every .fwxrec file. */
export const RECORD_MAGIC = "FWXREC";

export class RecordFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`byte ${offset}: ${message}`);
    this.name = "RecordFormatError";
  }
}

/**
 * A host-call argument or output as the implementation saw it. `undefined`
 * is an output the implementation left unset (the glue then leaves guest
 * memory alone after a non-ok status), which replay must reproduce.
 */
export type RecValue = number | bigint | boolean | string | Uint8Array | { capacity: number } | undefined;

const T_INT = 0, T_BIG = 1, T_F64 = 2, T_FALSE = 3, T_TRUE = 4, T_STR = 5, T_BYTES = 6, T_CAP = 7, T_UNSET = 8;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export class Writer {
  private buf = new Uint8Array(4096);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  /** Unsigned LEB128 of any size. */
  uvar(v: number | bigint): void {
    let x = BigInt(v);
    if (x < 0n) throw new RangeError(`uvar of negative ${x}`);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.u8(b);
    } while (x !== 0n);
  }

  /** Zigzag-signed LEB128 of any size. */
  svar(v: number | bigint): void {
    const x = BigInt(v);
    this.uvar(x >= 0n ? x << 1n : ((-x) << 1n) - 1n);
  }

  bytes(b: Uint8Array): void {
    this.uvar(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  str(s: string): void {
    this.bytes(enc.encode(s));
  }

  value(v: RecValue): void {
    if (v === undefined) this.u8(T_UNSET);
    else if (typeof v === "number") {
      // -0 is a safe integer too, but the integer coding would bring it back as +0.
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) { this.u8(T_INT); this.svar(v); }
      else { this.u8(T_F64); this.ensure(8); new DataView(this.buf.buffer).setFloat64(this.len, v, true); this.len += 8; }
    } else if (typeof v === "bigint") { this.u8(T_BIG); this.svar(v); }
    else if (typeof v === "boolean") this.u8(v ? T_TRUE : T_FALSE);
    else if (typeof v === "string") { this.u8(T_STR); this.str(v); }
    else if (v instanceof Uint8Array) { this.u8(T_BYTES); this.bytes(v); }
    else { this.u8(T_CAP); this.uvar(v.capacity); }
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  get atEnd(): boolean {
    return this.pos >= this.b.length;
  }

  u8(): number {
    if (this.pos >= this.b.length) throw new RecordFormatError("unexpected end of recording", this.pos);
    return this.b[this.pos++]!;
  }

  uvarBig(): bigint {
    let x = 0n, shift = 0n;
    for (;;) {
      const byte = this.u8();
      x |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return x;
      shift += 7n;
      if (shift >= 70n) throw new RecordFormatError("integer longer than 10 bytes", this.pos);
    }
  }

  uvar(): number {
    const v = this.uvarBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RecordFormatError(`integer ${v} too large here`, this.pos);
    return Number(v);
  }

  svarBig(): bigint {
    const z = this.uvarBig();
    return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
  }

  bytes(): Uint8Array {
    const n = this.uvar();
    if (this.pos + n > this.b.length) throw new RecordFormatError(`${n} bytes run past the end`, this.pos);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    const at = this.pos;
    try {
      return dec.decode(this.bytes());
    } catch (e) {
      if (e instanceof RecordFormatError) throw e;
      throw new RecordFormatError("text is not valid UTF-8", at);
    }
  }

  value(): RecValue {
    const at = this.pos;
    const tag = this.u8();
    switch (tag) {
      case T_INT: return Number(this.svarBig());
      case T_BIG: return this.svarBig();
      case T_F64: {
        if (this.pos + 8 > this.b.length) throw new RecordFormatError("f64 runs past the end", this.pos);
        const v = new DataView(this.b.buffer, this.b.byteOffset).getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_FALSE: return false;
      case T_TRUE: return true;
      case T_STR: return this.str();
      case T_BYTES: return this.bytes();
      case T_CAP: return { capacity: this.uvar() };
      case T_UNSET: return undefined;
      default: throw new RecordFormatError(`unknown value tag ${tag}`, at);
    }
  }
}

export function sameValue(a: RecValue, b: RecValue): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === "object" && typeof b === "object" && !(a instanceof Uint8Array) && !(b instanceof Uint8Array)) return a.capacity === b.capacity;
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) || a === b;
  return a === b;
}

export function showValue(v: RecValue): string {
  if (v === undefined) return "(not set)";
  if (v instanceof Uint8Array) {
    const text = (() => { try { return dec.decode(v); } catch { return null; } })();
    return text !== null && !/[\x00-\x1f]/.test(text) ? JSON.stringify(text) : `bytes[${v.length}] ${Buffer.from(v.subarray(0, 32)).toString("hex")}${v.length > 32 ? "…" : ""}`;
  }
  if (typeof v === "object") return `buffer of ${v.capacity} bytes`;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}
