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

/**
 * Writes `value` with `decimals` fraction digits (0..6) as ASCII at `ptr`.
 * Returns the bytes written (at most 32). Non-finite values are written as
 * `null`, which is what JSON needs.
 */
export function formatFixed(ptr: usize, value: f64, decimals: i32): usize {
  if (!isFinite(value) || Math.abs(value) >= 1e15) {
    store<u32>(ptr, 0x6c6c756e); // "null"
    return 4;
  }
  if (decimals < 0) decimals = 0;
  if (decimals > 6) decimals = 6;
  let pos: usize = 0;
  const scale = pow10(decimals);
  let scaled = Math.round(Math.abs(value) * scale);
  if (value < 0 && scaled != 0) {
    store<u8>(ptr, 0x2d);
    pos = 1;
  }
  let units = <u64>scaled;
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

/** Writes an unsigned integer as ASCII digits at `ptr`; returns the count. */
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
