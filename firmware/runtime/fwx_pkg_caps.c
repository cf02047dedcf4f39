/*
 * fwx_pkg_caps.c: capability maps (docs/package-format.md "Capability map")
 * as manifests, certificates and board profiles encode them: validation with
 * the rules of src/pkg/caps-codec.ts + parseCapabilities, and the "within"
 * test of capabilityExcess in src/caps/capabilities.ts. Lists hold at most
 * 1024 items, so a subset test is at most about a million comparisons.
 */
#include "fwx_pkg_internal.h"

#include <string.h>

enum {
    CAP_TIMERS = 1, CAP_SENSORS = 2, CAP_GPIO = 3, CAP_ADC = 4, CAP_PWM = 5,
    CAP_I2C = 6, CAP_SPI = 7, CAP_UART = 8, CAP_TELEMETRY = 9, CAP_KV = 10,
    CAP_MAX_KEY = 10
};
#define CAP_MAX_ITEMS 1024u
#define PIN_MODE_MASK_LIMIT 32u /* five modes: masks 1..31 */

/* A [u32, u32] pair. */
static bool pair_at(const pkg_doc_t *d, uint32_t at, uint64_t *a, uint64_t *b, uint32_t *end)
{
    uint32_t n, first, second;
    if (!fwx_pkg_array(d, at, CAP_MAX_ITEMS, &n, &first) || n != 2u) return false;
    if (!fwx_pkg_uint(d, first, 0xffffffffu, a) || !fwx_pkg_item_end(d, first, &second)) return false;
    if (!fwx_pkg_uint(d, second, 0xffffffffu, b)) return false;
    return fwx_pkg_item_end(d, second, end);
}

static bool topic_ok(const uint8_t *t, uint32_t n)
{
    uint32_t i;
    bool hash = false;
    if (n == 0u) return false;
    for (i = 0u; i < n; i++) {
        if (t[i] == '+' || t[i] == 0u) return false;
        if (t[i] == '#') hash = true;
    }
    /* As parseCapabilities: a '#' is allowed when the topic is "#" or ends with "/#". */
    return !hash || n == 1u || (n >= 2u && t[n - 2u] == '/' && t[n - 1u] == '#');
}

static bool list_ok(const pkg_doc_t *d, uint32_t key, uint32_t at)
{
    uint32_t count, pos, i;
    if (!fwx_pkg_array(d, at, CAP_MAX_ITEMS, &count, &pos)) return false;
    for (i = 0u; i < count; i++) {
        uint64_t a, b;
        pkg_range_t t;
        switch (key) {
        case CAP_SENSORS:
        case CAP_TELEMETRY:
            if (!fwx_pkg_text(d, pos, 64u, &t) || t.end == t.at) return false;
            if (key == CAP_TELEMETRY && !topic_ok(d->buf + t.at, t.end - t.at)) return false;
            pos = t.end;
            break;
        case CAP_GPIO:
        case CAP_I2C:
        case CAP_SPI:
            if (!pair_at(d, pos, &a, &b, &pos)) return false;
            if (key == CAP_GPIO && (b == 0u || b >= PIN_MODE_MASK_LIMIT)) return false;
            if (key == CAP_I2C && b > 0x7fu) return false;
            break;
        default: /* adc, pwm, uart */
            if (!fwx_pkg_uint(d, pos, 0xffffffffu, &a) || !fwx_pkg_item_end(d, pos, &pos)) return false;
            break;
        }
    }
    return true;
}

bool fwx_pkg_caps_valid(const pkg_doc_t *d, uint32_t at)
{
    uint32_t v[CAP_MAX_KEY + 1], k;
    uint64_t x;
    if (!fwx_pkg_map_fields(d, at, CAP_MAX_KEY, v)) return false;
    if (v[CAP_TIMERS] != FWX_PKG_ABSENT && !fwx_pkg_uint(d, v[CAP_TIMERS], 64u, &x)) return false;
    if (v[CAP_KV] != FWX_PKG_ABSENT && !fwx_pkg_uint(d, v[CAP_KV], 0xffffffffu, &x)) return false;
    for (k = CAP_SENSORS; k <= CAP_TELEMETRY; k++)
        if (v[k] != FWX_PKG_ABSENT && !list_ok(d, k, v[k])) return false;
    return true;
}

static uint64_t count_or_zero(const pkg_doc_t *d, uint32_t at)
{
    uint64_t x = 0u;
    if (at != FWX_PKG_ABSENT) (void)fwx_pkg_uint(d, at, FWX_CBOR_MAX_INT, &x);
    return x;
}

/* One list element as the comparison needs it: a text, a number or a pair. */
typedef struct cap_elem {
    const uint8_t *text;
    uint32_t text_len;
    uint64_t a, b;
} cap_elem_t;

static bool elem_at(const pkg_doc_t *d, uint32_t key, uint32_t *pos, cap_elem_t *e)
{
    pkg_range_t t;
    e->text = NULL;
    e->text_len = 0u;
    e->a = e->b = 0u;
    switch (key) {
    case CAP_SENSORS:
    case CAP_TELEMETRY:
        if (!fwx_pkg_text(d, *pos, 64u, &t)) return false;
        e->text = d->buf + t.at;
        e->text_len = t.end - t.at;
        *pos = t.end;
        return true;
    case CAP_GPIO:
    case CAP_I2C:
    case CAP_SPI:
        return pair_at(d, *pos, &e->a, &e->b, pos);
    default:
        return fwx_pkg_uint(d, *pos, 0xffffffffu, &e->a) && fwx_pkg_item_end(d, *pos, pos);
    }
}

static bool text_eq(const cap_elem_t *x, const cap_elem_t *y)
{
    return x->text_len == y->text_len && memcmp(x->text, y->text, x->text_len) == 0;
}

/* p is a prefix pattern ending in "/#": does t start with p minus its '#'? */
static bool under_prefix(const cap_elem_t *p, const cap_elem_t *t)
{
    uint32_t n = p->text_len;
    if (n < 2u || p->text[n - 2u] != '/' || p->text[n - 1u] != '#') return false;
    return t->text_len >= n - 1u && memcmp(t->text, p->text, n - 1u) == 0;
}

static bool is_all(const cap_elem_t *p)
{
    return p->text_len == 1u && p->text[0] == '#';
}

/* Whether the allowed element `al` covers requested `rq` (gpio: the modes it adds to `*modes`). */
static bool covers(uint32_t key, const cap_elem_t *rq, const cap_elem_t *al, uint64_t *modes)
{
    switch (key) {
    case CAP_SENSORS:
        return text_eq(rq, al);
    case CAP_TELEMETRY:
        if (is_all(al)) return true;
        /* A requested prefix needs an equal or wider prefix; an exact topic may also match exactly. */
        if (rq->text_len > 0u && rq->text[rq->text_len - 1u] == '#') return under_prefix(al, rq);
        return text_eq(rq, al) || under_prefix(al, rq);
    case CAP_GPIO:
        if (rq->a == al->a) *modes |= al->b;
        return (rq->b & ~*modes) == 0u;
    case CAP_I2C:
    case CAP_SPI:
        return rq->a == al->a && rq->b == al->b;
    default:
        return rq->a == al->a;
    }
}

static bool list_within(const pkg_doc_t *r, uint32_t r_at, const pkg_doc_t *a, uint32_t a_at, uint32_t key)
{
    uint32_t r_count, r_pos, a_count = 0u, a_first = 0u, i, j;
    if (!fwx_pkg_array(r, r_at, CAP_MAX_ITEMS, &r_count, &r_pos)) return false;
    if (a_at != FWX_PKG_ABSENT && !fwx_pkg_array(a, a_at, CAP_MAX_ITEMS, &a_count, &a_first)) return false;
    for (i = 0u; i < r_count; i++) {
        cap_elem_t rq;
        uint32_t a_pos = a_first;
        uint64_t modes = 0u;
        bool ok = false;
        if (!elem_at(r, key, &r_pos, &rq)) return false;
        for (j = 0u; j < a_count && !ok; j++) {
            cap_elem_t al;
            if (!elem_at(a, key, &a_pos, &al)) return false;
            ok = covers(key, &rq, &al, &modes);
        }
        if (!ok) return false;
    }
    return true;
}

bool fwx_pkg_caps_within(const pkg_doc_t *r, uint32_t r_at, const pkg_doc_t *a, uint32_t a_at)
{
    uint32_t rv[CAP_MAX_KEY + 1], av[CAP_MAX_KEY + 1], k;
    if (!fwx_pkg_map_fields(r, r_at, CAP_MAX_KEY, rv) || !fwx_pkg_map_fields(a, a_at, CAP_MAX_KEY, av)) return false;
    if (count_or_zero(r, rv[CAP_TIMERS]) > count_or_zero(a, av[CAP_TIMERS])) return false;
    if (count_or_zero(r, rv[CAP_KV]) > count_or_zero(a, av[CAP_KV])) return false;
    for (k = CAP_SENSORS; k <= CAP_TELEMETRY; k++)
        if (rv[k] != FWX_PKG_ABSENT && !list_within(r, rv[k], a, av[k], k)) return false;
    return true;
}
