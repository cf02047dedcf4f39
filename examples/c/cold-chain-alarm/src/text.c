/* Text helpers of the cold-chain module; see text.h. */
#include "text.h"

#define VALUE_CAP 64u
#define JSON_CAP 1024u
/* Integers above 2^53 are no longer exact in a double: such values print as null. */
#define DECIMAL_LIMIT 1e15

static uint32_t length_of(const char *s)
{
    uint32_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

/* 10^n by square-and-multiply (no libm pow). */
static double pow10_of(int32_t n)
{
    double r = 1, base = 10;
    while (n > 0) {
        if (n & 1) r *= base;
        base *= base;
        n >>= 1;
    }
    return r;
}

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* `[+-]digits[.digits][(e|E)[+-]digits]` with optional surrounding spaces; NaN otherwise. */
static double parse_decimal(const uint8_t *p, uint32_t len)
{
    uint32_t i = 0;
    bool negative = false;
    double mantissa = 0, value;
    int32_t digits = 0, scale = 0;
    while (i < len && p[i] == ' ') i++;
    while (len > i && p[len - 1] == ' ') len--;
    if (i == len) return __builtin_nan("");
    if (p[i] == '-' || p[i] == '+') negative = p[i++] == '-';
    for (; i < len && is_digit(p[i]); i++, digits++) mantissa = mantissa * 10 + (double)(p[i] - '0');
    if (i < len && p[i] == '.') {
        for (i++; i < len && is_digit(p[i]); i++, digits++, scale--) mantissa = mantissa * 10 + (double)(p[i] - '0');
    }
    if (digits == 0) return __builtin_nan("");
    if (i < len && (p[i] | 0x20) == 'e') {
        bool exp_negative = false;
        int32_t exp = 0, exp_digits = 0;
        i++;
        if (i < len && (p[i] == '-' || p[i] == '+')) exp_negative = p[i++] == '-';
        for (; i < len && is_digit(p[i]); i++, exp_digits++) {
            if (exp < 10000) exp = exp * 10 + (int32_t)(p[i] - '0');
        }
        if (exp_digits == 0) return __builtin_nan("");
        scale += exp_negative ? -exp : exp;
    }
    if (i != len) return __builtin_nan("");
    value = scale < 0 ? mantissa / pow10_of(-scale) : mantissa * pow10_of(scale);
    return negative ? -value : value;
}

double config_number(const char *key, double fallback)
{
    static uint8_t value[VALUE_CAP];
    uint32_t len = 0;
    double v;
    if (fwx_core_config_get(key, length_of(key), value, VALUE_CAP, &len) != FWX_OK) return fallback;
    v = parse_decimal(value, len);
    return v != v ? fallback : v;
}

uint32_t config_u32(const char *key, uint32_t fallback)
{
    double v = config_number(key, __builtin_nan(""));
    if (v != v || v < 0 || v > 4294967295.0 || v != __builtin_floor(v)) return fallback;
    return (uint32_t)v;
}

void log_text(fwx_core_log_level_t level, const char *message)
{
    uint32_t len = length_of(message);
    fwx_core_log(level, message, len > 256u ? 256u : len);
}

static uint8_t json[JSON_CAP];
static uint32_t json_len;
static uint32_t json_fields;
static bool json_overflow;

static void put(uint8_t b)
{
    if (json_len >= JSON_CAP) {
        json_overflow = true;
        return;
    }
    json[json_len++] = b;
}

static void put_text(const char *s)
{
    while (*s != '\0') put((uint8_t)*s++);
}

static bool room(uint32_t n)
{
    if (json_len + n > JSON_CAP) {
        json_overflow = true;
        return false;
    }
    return true;
}

static void put_unsigned(uint64_t v)
{
    uint8_t digits[20];
    uint32_t n = 0;
    do {
        digits[n++] = (uint8_t)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
}

static void key(const char *name)
{
    if (json_fields > 0) put(',');
    json_fields++;
    put('"');
    put_text(name);
    put('"');
    put(':');
}

void json_begin(void)
{
    json_len = 0;
    json_fields = 0;
    json_overflow = false;
    put('{');
}

void json_num(const char *name, double value)
{
    double magnitude = value < 0 ? -value : value, scaled, up;
    uint64_t units;
    key(name);
    if (!room(23)) return;
    if (!(magnitude < DECIMAL_LIMIT)) {
        put_text("null");
        return;
    }
    /* Math.round as AssemblyScript computes it: ceil, minus one when that overshoots by more than a half. */
    scaled = magnitude * 100;
    up = __builtin_ceil(scaled);
    units = (uint64_t)(up - 0.5 > scaled ? up - 1 : up);
    /* A value that rounds to zero prints without a sign ("0.00", not "-0.00"). */
    if (value < 0 && units != 0) put('-');
    put_unsigned(units / 100u);
    put('.');
    put((uint8_t)('0' + units / 10u % 10u));
    put((uint8_t)('0' + units % 10u));
}

void json_int(const char *name, int64_t value)
{
    key(name);
    if (!room(20)) return;
    if (value < 0) {
        put('-');
        put_unsigned(0u - (uint64_t)value);
    } else {
        put_unsigned((uint64_t)value);
    }
}

void json_bool(const char *name, bool value)
{
    key(name);
    if (room(5)) put_text(value ? "true" : "false");
}

void json_str(const char *name, const char *value)
{
    key(name);
    put('"');
    put_text(value);
    put('"');
}

int32_t json_publish(const char *topic)
{
    put('}');
    if (json_overflow) return FWX_NO_SPACE;
    return fwx_telemetry_publish(topic, length_of(topic), json, json_len);
}
