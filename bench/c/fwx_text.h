/* What the C ports need of the AssemblyScript SDK, written the way a C
 * programmer would: config numbers parsed in place, decimal formatting, one
 * static JSON object buffer and one static log line buffer. Every routine
 * produces the same bytes as its SDK counterpart (assembly/internal/number.ts,
 * json.ts, log.ts, config.ts), so a port replays the example's recordings.
 * Single header, static functions: each port is one translation unit. */
#ifndef FWX_BENCH_TEXT_H
#define FWX_BENCH_TEXT_H

#include "fwx_abi.h"

#define LIT(s) (s), (uint32_t)(sizeof(s) - 1)

static double pow10_(int n) {
  double r = 1, base = 10;
  while (n > 0) {
    if (n & 1) r *= base;
    base *= base;
    n >>= 1;
  }
  return r;
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* [+-]digits[.digits][(e|E)[+-]digits] with optional spaces; NaN otherwise. */
static double parse_decimal(const uint8_t *p, uint32_t len) {
  uint32_t i = 0;
  int negative = 0, digits = 0, scale = 0;
  double mantissa = 0, value;
  while (i < len && p[i] == ' ') i++;
  while (len > i && p[len - 1] == ' ') len--;
  if (i == len) return __builtin_nan("");
  if (p[i] == '-' || p[i] == '+') negative = p[i++] == '-';
  for (; i < len && is_digit(p[i]); i++, digits++) mantissa = mantissa * 10 + (double)(p[i] - '0');
  if (i < len && p[i] == '.')
    for (i++; i < len && is_digit(p[i]); i++, digits++, scale--) mantissa = mantissa * 10 + (double)(p[i] - '0');
  if (digits == 0) return __builtin_nan("");
  if (i < len && (p[i] | 0x20) == 'e') {
    int exp_negative = 0, exp = 0, exp_digits = 0;
    i++;
    if (i < len && (p[i] == '-' || p[i] == '+')) exp_negative = p[i++] == '-';
    for (; i < len && is_digit(p[i]); i++, exp_digits++)
      if (exp < 10000) exp = exp * 10 + (p[i] - '0');
    if (exp_digits == 0) return __builtin_nan("");
    scale += exp_negative ? -exp : exp;
  }
  if (i != len) return __builtin_nan("");
  value = scale < 0 ? mantissa / pow10_(-scale) : mantissa * pow10_(scale);
  return negative ? -value : value;
}

static uint32_t format_unsigned(uint8_t *p, uint64_t v) {
  uint32_t digits = 1, i;
  for (uint64_t t = v / 10; t != 0; t /= 10) digits++;
  for (i = digits; i-- > 0; v /= 10) p[i] = (uint8_t)('0' + v % 10);
  return digits;
}

/* `decimals` fraction digits; 0 for NaN, the infinities and |v| >= 1e15 (the caller words those). */
static uint32_t format_decimal(uint8_t *p, double value, int decimals) {
  double magnitude = __builtin_fabs(value), scale, scaled, up;
  uint64_t units, divisor, frac;
  uint32_t pos = 0;
  if (!(magnitude < 1e15)) return 0;
  scale = pow10_(decimals);
  scaled = magnitude * scale;
  up = __builtin_ceil(scaled);
  units = (uint64_t)(up - (double)(up - 0.5 > scaled));
  if (value < 0 && units != 0) p[pos++] = '-';
  divisor = (uint64_t)scale;
  pos += format_unsigned(p + pos, units / divisor);
  if (decimals > 0) {
    p[pos++] = '.';
    frac = units % divisor;
    for (int d = decimals - 1; d >= 0; d--, frac /= 10) p[pos + (uint32_t)d] = (uint8_t)('0' + frac % 10);
    pos += (uint32_t)decimals;
  }
  return pos;
}

static void copy(uint8_t *to, const char *from, uint32_t n) {
  while (n--) *to++ = (uint8_t)*from++;
}

/* Config.getNumber: the value parsed, or `fallback` when missing or malformed. */
static double config_number(const char *key, uint32_t key_len, double fallback) {
  static uint8_t value[64];
  uint32_t len = 0;
  double v;
  if (core_config_get(key, key_len, value, sizeof value, &len) != FWX_OK) return fallback;
  v = parse_decimal(value, len);
  return v != v ? fallback : v;
}

/* Config.getU32: a whole number in 0..2^32-1, or `fallback`. */
static uint32_t config_u32(const char *key, uint32_t key_len, uint32_t fallback) {
  double v = config_number(key, key_len, __builtin_nan(""));
  if (v != v || v < 0 || v > 4294967295.0 || v != __builtin_floor(v)) return fallback;
  return (uint32_t)v;
}

static uint32_t kv_get_u32(const char *key, uint32_t key_len, uint32_t fallback) {
  static uint32_t word[2];
  uint32_t len = 0;
  if (kv_get(key, key_len, word, sizeof word, &len) != FWX_OK || len != 4) return fallback;
  return word[0];
}

static void kv_set_u32(const char *key, uint32_t key_len, uint32_t value) {
  kv_set(key, key_len, &value, 4);
}

/* One JSON object at a time; the ports' messages are far below the 1 KiB telemetry limit. */
static uint8_t json[1024];
static uint32_t json_len;

static void json_key(const char *name, uint32_t len) {
  json[json_len] = json_len == 0 ? '{' : ',';
  json_len++;
  json[json_len++] = '"';
  copy(json + json_len, name, len);
  json_len += len;
  json[json_len++] = '"';
  json[json_len++] = ':';
}

static void json_str(const char *name, uint32_t len, const char *value, uint32_t value_len) {
  json_key(name, len);
  json[json_len++] = '"';
  copy(json + json_len, value, value_len);
  json_len += value_len;
  json[json_len++] = '"';
}

static void json_num(const char *name, uint32_t len, double value, int decimals) {
  uint32_t n;
  json_key(name, len);
  n = format_decimal(json + json_len, value, decimals);
  if (n == 0) {
    copy(json + json_len, "null", 4);
    n = 4;
  }
  json_len += n;
}

static void json_uint(const char *name, uint32_t len, uint64_t value) {
  json_key(name, len);
  json_len += format_unsigned(json + json_len, value);
}

static void json_bool(const char *name, uint32_t len, int value) {
  json_key(name, len);
  copy(json + json_len, value ? "true" : "false", value ? 4 : 5);
  json_len += value ? 4 : 5;
}

static void json_publish(const char *topic, uint32_t len) {
  json[json_len++] = '}';
  telemetry_publish(topic, len, json, json_len);
  json_len = 0;
}

#endif
