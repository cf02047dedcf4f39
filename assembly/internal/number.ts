// Decimal text <-> numbers over raw bytes, without allocating strings:
// configuration values arrive as UTF-8 bytes and telemetry leaves as bytes.

/**
 * 10^n for 0 <= n. Exact up to 10^22 (every power of ten up to there is a
 * double); beyond, each step rounds, which is fine for configuration text.
 * Replaces Math.pow, which would pull a general pow into the module (~1.5 KB).
 */
function pow10(n: i32): f64 {
  let r: f64 = 1;
  let base: f64 = 10;
  // Square-and-multiply keeps it to a handful of steps for any exponent.
  while (n > 0) {
    if (n & 1) r *= base;
    base *= base;
    n >>= 1;
  }
  return r;
}

/**
 * Parses `[+-]digits[.digits][(e|E)[+-]digits]` with optional surrounding
 * spaces. Returns NaN for anything else, including an empty value.
 */
export function parseDecimal(ptr: usize, len: usize): f64 {
  let i: usize = 0;
  while (i < len && load<u8>(ptr + i) == 0x20) i++;
  while (len > i && load<u8>(ptr + len - 1) == 0x20) len--;
  if (i == len) return NaN;
  let negative = false;
  let c = load<u8>(ptr + i);
  if (c == 0x2d || c == 0x2b) {
    negative = c == 0x2d;
    i++;
  }
  let mantissa: f64 = 0;
  let digits = 0;
  let scale: i32 = 0;
  while (i < len && (c = load<u8>(ptr + i)) >= 0x30 && c <= 0x39) {
    mantissa = mantissa * 10 + <f64>(c - 0x30);
    digits++;
    i++;
  }
  if (i < len && load<u8>(ptr + i) == 0x2e) {
    i++;
    while (i < len && (c = load<u8>(ptr + i)) >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + <f64>(c - 0x30);
      scale--;
      digits++;
      i++;
    }
  }
  if (digits == 0) return NaN;
  if (i < len && (load<u8>(ptr + i) | 0x20) == 0x65) {
    i++;
    let expNegative = false;
    if (i < len && ((c = load<u8>(ptr + i)) == 0x2d || c == 0x2b)) {
      expNegative = c == 0x2d;
      i++;
    }
    let exp: i32 = 0;
    let expDigits = 0;
    while (i < len && (c = load<u8>(ptr + i)) >= 0x30 && c <= 0x39) {
      if (exp < 10000) exp = exp * 10 + <i32>(c - 0x30);
      expDigits++;
      i++;
    }
    if (expDigits == 0) return NaN;
    scale += expNegative ? -exp : exp;
  }
  if (i != len) return NaN;
  // Dividing by an exact power of ten keeps values like 0.1 correctly rounded.
  const value = scale < 0 ? mantissa / pow10(-scale) : mantissa * pow10(scale);
  return negative ? -value : value;
}

/** Longest text formatDecimal writes: "-" + 15 integer digits + "." + 6 digits. */
export const DECIMAL_MAX_BYTES: usize = 23;

/**
 * From this magnitude on formatDecimal gives up: integers above 2^53 are no
 * longer exact in an f64, so the digits would be invented.
 */
export const DECIMAL_LIMIT: f64 = 1e15;

/**
 * Writes `value` with `decimals` fraction digits (clamped to 0..6) as ASCII
 * at `ptr`. Returns the bytes written (at most DECIMAL_MAX_BYTES), or 0 for
 * NaN, the infinities and magnitudes from DECIMAL_LIMIT up: each caller
 * words those its own way (JSON `null`, a log line `nan`/`inf`).
 */
export function formatDecimal(ptr: usize, value: f64, decimals: i32): usize {
  const magnitude = Math.abs(value);
  // Also false for NaN.
  if (!(magnitude < DECIMAL_LIMIT)) return 0;
  if (decimals < 0) decimals = 0;
  if (decimals > 6) decimals = 6;
  // Keep the scaled value inside u64: 1e14 with 6 decimals would be 1e20
  // units, while anything under 1e15 with 4 decimals stays under 1e19.
  if (decimals > 4 && magnitude >= 1e13) decimals = 4;
  const scale = pow10(decimals);
  const units = <u64>Math.round(magnitude * scale);
  let pos: usize = 0;
  // A value that rounds to zero prints without a sign ("0.00", not "-0.00").
  if (value < 0 && units != 0) {
    store<u8>(ptr, 0x2d);
    pos = 1;
  }
  const divisor = <u64>scale;
  pos += formatUnsigned(ptr + pos, units / divisor);
  if (decimals > 0) {
    store<u8>(ptr + pos, 0x2e);
    pos++;
    let frac = units % divisor;
    for (let d = decimals - 1; d >= 0; d--) {
      store<u8>(ptr + pos + <usize>d, <u8>(0x30 + <u32>(frac % 10)));
      frac /= 10;
    }
    pos += <usize>decimals;
  }
  return pos;
}

/** Writes an unsigned integer as ASCII digits at `ptr`; returns the count (at most 20). */
export function formatUnsigned(ptr: usize, value: u64): usize {
  let digits: usize = 1;
  for (let v = value / 10; v != 0; v /= 10) digits++;
  let v = value;
  for (let i = <isize>digits - 1; i >= 0; i--) {
    store<u8>(ptr + <usize>i, <u8>(0x30 + <u32>(v % 10)));
    v /= 10;
  }
  return digits;
}

/** Writes a signed integer at `ptr`; returns the count (at most 20). */
export function formatSigned(ptr: usize, value: i64): usize {
  if (value >= 0) return formatUnsigned(ptr, <u64>value);
  store<u8>(ptr, 0x2d);
  // Two's-complement negation is also right for i64.MIN_VALUE read as u64.
  return 1 + formatUnsigned(ptr + 1, <u64>(-value));
}

/** Writes the low `digits` (1..16) hex digits of `value`, lowercase, leading zeros kept; returns `digits`. */
export function formatHex(ptr: usize, value: u64, digits: i32): usize {
  if (digits < 1) digits = 1;
  if (digits > 16) digits = 16;
  for (let i = digits - 1; i >= 0; i--) {
    const nibble = <u32>(value & 15);
    store<u8>(ptr + <usize>i, <u8>(nibble < 10 ? 0x30 + nibble : 0x57 + nibble));
    value >>= 4;
  }
  return <usize>digits;
}
