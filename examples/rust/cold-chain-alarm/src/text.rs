//! The little text handling the module needs in `no_std`: configuration
//! numbers, log lines and a JSON object writer. Each matches the
//! AssemblyScript SDK byte for byte (assembly/config.ts, assembly/json.ts,
//! assembly/internal/number.ts), so both modules publish the same telemetry.

use fwx_guest::{core as host, status, telemetry};

const VALUE_CAP: usize = 64;
const JSON_CAP: usize = 1024;
/// Integers above 2^53 are no longer exact in an f64: such values print as null.
const DECIMAL_LIMIT: f64 = 1e15;

/// 10^n by square-and-multiply (no libm pow in `no_std`).
fn pow10(mut n: i32) -> f64 {
    let (mut r, mut base) = (1.0f64, 10.0f64);
    while n > 0 {
        if n & 1 != 0 {
            r *= base;
        }
        base *= base;
        n >>= 1;
    }
    r
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` with optional surrounding spaces; None otherwise.
fn parse_decimal(text: &[u8]) -> Option<f64> {
    let mut end = text.len();
    let mut i = 0;
    while i < end && text[i] == b' ' {
        i += 1;
    }
    while end > i && text[end - 1] == b' ' {
        end -= 1;
    }
    let p = &text[..end];
    let mut negative = false;
    if i < end && (p[i] == b'-' || p[i] == b'+') {
        negative = p[i] == b'-';
        i += 1;
    }
    let (mut mantissa, mut digits, mut scale) = (0.0f64, 0, 0i32);
    while i < end && p[i].is_ascii_digit() {
        mantissa = mantissa * 10.0 + (p[i] - b'0') as f64;
        digits += 1;
        i += 1;
    }
    if i < end && p[i] == b'.' {
        i += 1;
        while i < end && p[i].is_ascii_digit() {
            mantissa = mantissa * 10.0 + (p[i] - b'0') as f64;
            digits += 1;
            scale -= 1;
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < end && p[i] | 0x20 == b'e' {
        i += 1;
        let mut exp_negative = false;
        if i < end && (p[i] == b'-' || p[i] == b'+') {
            exp_negative = p[i] == b'-';
            i += 1;
        }
        let (mut exp, mut exp_digits) = (0i32, 0);
        while i < end && p[i].is_ascii_digit() {
            if exp < 10000 {
                exp = exp * 10 + (p[i] - b'0') as i32;
            }
            exp_digits += 1;
            i += 1;
        }
        if exp_digits == 0 {
            return None;
        }
        scale += if exp_negative { -exp } else { exp };
    }
    if i != end {
        return None;
    }
    let value = if scale < 0 { mantissa / pow10(-scale) } else { mantissa * pow10(scale) };
    Some(if negative { -value } else { value })
}

static mut VALUE: [u8; VALUE_CAP] = [0; VALUE_CAP];

/// The configuration value of `key` as a number, or `fallback` when it is missing or not a decimal.
pub fn config_number(key: &str, fallback: f64) -> f64 {
    let mut len = 0u32;
    unsafe {
        if host::config_get(key.as_ptr(), key.len() as u32, VALUE.as_mut_ptr(), VALUE_CAP as u32, &mut len) != status::OK {
            return fallback;
        }
        let len = (len as usize).min(VALUE_CAP);
        parse_decimal(&VALUE[..len]).unwrap_or(fallback)
    }
}

/// As config_number, for a whole number from 0 to 2^32 - 1.
pub fn config_u32(key: &str, fallback: u32) -> u32 {
    let v = config_number(key, f64::NAN);
    if v.is_nan() || v < 0.0 || v > u32::MAX as f64 || (v as u32) as f64 != v {
        return fallback;
    }
    v as u32
}

/// Logs `message` at `level` (at most 256 bytes, as the SDK's Log).
pub fn log(level: host::LogLevel, message: &str) {
    unsafe { host::log(level, message.as_ptr(), message.len().min(256) as u32) };
}

static mut JSON: [u8; JSON_CAP] = [0; JSON_CAP];

/// A JSON object in a static 1 KiB buffer: begin, fields, publish.
pub struct Json {
    len: usize,
    fields: u32,
    overflow: bool,
}

impl Json {
    pub fn begin() -> Json {
        let mut j = Json { len: 0, fields: 0, overflow: false };
        j.put(b'{');
        j
    }

    fn put(&mut self, b: u8) {
        if self.len >= JSON_CAP {
            self.overflow = true;
            return;
        }
        unsafe { JSON[self.len] = b };
        self.len += 1;
    }

    fn put_text(&mut self, s: &str) {
        for &b in s.as_bytes() {
            self.put(b);
        }
    }

    fn room(&mut self, n: usize) -> bool {
        if self.len + n > JSON_CAP {
            self.overflow = true;
            return false;
        }
        true
    }

    fn put_unsigned(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        while n > 0 {
            n -= 1;
            self.put(digits[n]);
        }
    }

    fn key(&mut self, name: &str) {
        if self.fields > 0 {
            self.put(b',');
        }
        self.fields += 1;
        self.put(b'"');
        self.put_text(name);
        self.put(b'"');
        self.put(b':');
    }

    /// A number with two decimals, or null when it is not finite.
    pub fn num(mut self, name: &str, value: f64) -> Json {
        self.key(name);
        if !self.room(23) {
            return self;
        }
        let magnitude = if value < 0.0 { -value } else { value };
        if !(magnitude < DECIMAL_LIMIT) {
            self.put_text("null");
            return self;
        }
        // Math.round as AssemblyScript computes it: ceil, minus one when that
        // overshoots by more than a half. ceil by truncation: the value is
        // non-negative and below 2^64.
        let scaled = magnitude * 100.0;
        let t = scaled as u64;
        let up = if (t as f64) < scaled { t + 1 } else { t };
        let units = if up as f64 - 0.5 > scaled { up - 1 } else { up };
        // A value that rounds to zero prints without a sign ("0.00", not "-0.00").
        if value < 0.0 && units != 0 {
            self.put(b'-');
        }
        self.put_unsigned(units / 100);
        self.put(b'.');
        self.put(b'0' + (units / 10 % 10) as u8);
        self.put(b'0' + (units % 10) as u8);
        self
    }

    pub fn int(mut self, name: &str, value: i64) -> Json {
        self.key(name);
        if self.room(20) {
            if value < 0 {
                self.put(b'-');
            }
            self.put_unsigned(value.unsigned_abs());
        }
        self
    }

    pub fn bool(mut self, name: &str, value: bool) -> Json {
        self.key(name);
        if self.room(5) {
            self.put_text(if value { "true" } else { "false" });
        }
        self
    }

    /// A string field; `value` must need no JSON escaping (the module's own constants).
    pub fn str(mut self, name: &str, value: &str) -> Json {
        self.key(name);
        self.put(b'"');
        self.put_text(value);
        self.put(b'"');
        self
    }

    /// Closes the object and publishes it on `topic`; a status.
    pub fn publish(mut self, topic: &str) -> i32 {
        self.put(b'}');
        if self.overflow {
            return status::NO_SPACE;
        }
        unsafe { telemetry::publish(topic.as_ptr(), topic.len() as u32, JSON.as_ptr(), self.len as u32) }
    }
}
