/*
 * fwx_pkg_fields.c: the manifest and certificate body, field by field, with
 * the rules of src/pkg/manifest.ts, certificate.ts and fields.ts. Unknown
 * keys are refused: a field this verifier does not understand might restrict
 * something. Every function only reads validated CBOR in RAM.
 */
#include "fwx_pkg_internal.h"

#include <string.h>

static bool item_at(const pkg_doc_t *d, uint32_t at, fwx_cbor_t *c, fwx_cbor_item_t *it)
{
    if (at == FWX_PKG_ABSENT) return false;
    fwx_cbor_init(c, d->buf, at, d->len);
    return fwx_cbor_next(c, it);
}

bool fwx_pkg_map_fields(const pkg_doc_t *d, uint32_t at, uint32_t max_key, uint32_t *value_at)
{
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    uint64_t i;
    uint32_t k;
    for (k = 0u; k <= max_key; k++) value_at[k] = FWX_PKG_ABSENT;
    if (!item_at(d, at, &c, &it) || it.major != FWX_CBOR_MAP) return false;
    for (i = 0u; i < it.arg; i++) {
        fwx_cbor_item_t key;
        if (!fwx_cbor_next(&c, &key) || key.major != FWX_CBOR_UINT) return false;
        if (key.arg == 0u || key.arg > max_key) return false; /* unknown key */
        value_at[key.arg] = c.pos;
        if (!fwx_cbor_skip(&c)) return false;
    }
    return true;
}

bool fwx_pkg_uint(const pkg_doc_t *d, uint32_t at, uint64_t max, uint64_t *out)
{
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    if (!item_at(d, at, &c, &it) || it.major != FWX_CBOR_UINT || it.arg > max) return false;
    *out = it.arg;
    return true;
}

bool fwx_pkg_bytes(const pkg_doc_t *d, uint32_t at, uint32_t exact, uint32_t *data)
{
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    if (!item_at(d, at, &c, &it) || it.major != FWX_CBOR_BYTES || it.arg != exact) return false;
    *data = it.data;
    return true;
}

bool fwx_pkg_text(const pkg_doc_t *d, uint32_t at, uint32_t max_len, pkg_range_t *text)
{
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    if (!item_at(d, at, &c, &it) || it.major != FWX_CBOR_TEXT || it.arg > max_len) return false;
    text->at = it.data;
    text->end = it.data + (uint32_t)it.arg;
    return true;
}

bool fwx_pkg_array(const pkg_doc_t *d, uint32_t at, uint32_t max_items, uint32_t *count, uint32_t *first)
{
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    if (!item_at(d, at, &c, &it) || it.major != FWX_CBOR_ARRAY || it.arg > max_items) return false;
    *count = (uint32_t)it.arg;
    *first = c.pos;
    return true;
}

bool fwx_pkg_item_end(const pkg_doc_t *d, uint32_t at, uint32_t *end)
{
    fwx_cbor_t c;
    fwx_cbor_init(&c, d->buf, at, d->len);
    if (!fwx_cbor_skip(&c)) return false;
    *end = c.pos;
    return true;
}

static bool is_lower_or_digit(uint8_t b) { return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'); }
static bool is_alnum(uint8_t b) { return is_lower_or_digit(b) || (b >= 'A' && b <= 'Z'); }

/* ^[a-z0-9][a-z0-9._-]{0,63}$ (the length bound is the text's) */
static bool module_id_ok(const uint8_t *s, uint32_t n)
{
    uint32_t i;
    if (n == 0u || !is_lower_or_digit(s[0])) return false;
    for (i = 1u; i < n; i++)
        if (!is_lower_or_digit(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-') return false;
    return true;
}

/* ^[A-Za-z0-9*][A-Za-z0-9._-]{0,63}$ */
static bool name_ok(const uint8_t *s, uint32_t n)
{
    uint32_t i;
    if (n == 0u || (!is_alnum(s[0]) && s[0] != '*')) return false;
    for (i = 1u; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-') return false;
    return true;
}

/* src/pkg/manifest.ts SEMVER:
 * ^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$
 * Deterministic: no alternative of the expression can match where this scan stops. */
static bool semver_ok(const uint8_t *s, uint32_t n)
{
    uint32_t i = 0u, part, start;
    for (part = 0u; part < 3u; part++) {
        if (i >= n) return false;
        if (s[i] == '0') i++;
        else if (s[i] >= '1' && s[i] <= '9') {
            while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        } else return false;
        if (part < 2u) {
            if (i >= n || s[i] != '.') return false;
            i++;
        }
    }
    if (i < n && s[i] == '-') {
        start = ++i;
        while (i < n && (is_alnum(s[i]) || s[i] == '.' || s[i] == '-')) i++;
        if (i == start) return false;
    }
    if (i < n && s[i] == '+') {
        start = ++i;
        while (i < n && (is_alnum(s[i]) || s[i] == '.' || s[i] == '-')) i++;
        if (i == start) return false;
    }
    return i == n;
}

static bool bytes_less(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    uint32_t n = an < bn ? an : bn;
    int c = memcmp(a, b, n);
    return c < 0 || (c == 0 && an < bn);
}

/* Interface numbers (src/pkg/manifest.ts INTERFACE_NUMBERS): a number is its position, the list only grows. */
static const char *const interface_names[] = { "core", "timer", "sensor", "gpio", "adc", "pwm", "i2c", "spi", "uart", "kv", "telemetry" };
#define INTERFACE_NUMBERS ((uint32_t)(sizeof interface_names / sizeof interface_names[0]))

bool fwx_pkg_interface_at(const pkg_doc_t *d, uint32_t *pos, const uint8_t **name, uint32_t *name_len, uint64_t *major, uint64_t *minor)
{
    uint64_t id;
    uint32_t at = *pos;
    if (!fwx_pkg_uint(d, at, INTERFACE_NUMBERS - 1u, &id)) return false;
    *name = (const uint8_t *)interface_names[id];
    *name_len = (uint32_t)strlen(interface_names[id]);
    if (!fwx_pkg_item_end(d, at, &at) || !fwx_pkg_uint(d, at, 0xffffu, major)) return false;
    if (!fwx_pkg_item_end(d, at, &at) || !fwx_pkg_uint(d, at, 0xffffu, minor)) return false;
    if (!fwx_pkg_item_end(d, at, &at)) return false;
    *pos = at;
    return true;
}

static bool decode_interfaces(const pkg_doc_t *d, uint32_t at, pkg_manifest_t *m)
{
    uint32_t i, pos, count, prev_len = 0u;
    const uint8_t *prev = NULL;
    if (!fwx_pkg_array(d, at, 64u * 3u, &count, &pos) || count % 3u != 0u) return false;
    m->interfaces_at = at;
    m->interface_count = count / 3u;
    for (i = 0u; i < count / 3u; i++) {
        const uint8_t *name;
        uint32_t len;
        uint64_t major, minor;
        if (!fwx_pkg_interface_at(d, &pos, &name, &len, &major, &minor)) return false;
        /* Ascending by name (the fwx.abi section's order), so unique. */
        if (prev != NULL && !bytes_less(prev, prev_len, name, len)) return false;
        prev = name;
        prev_len = len;
    }
    m->interfaces.at = at;
    m->interfaces.end = pos;
    return true;
}

static bool item_is_null(const pkg_doc_t *d, uint32_t at)
{
    return d->buf[at] == 0xf6u;
}

enum { CONFIG_INTEGER = 0, CONFIG_NUMBER = 1, CONFIG_BOOLEAN = 2, CONFIG_STRING = 3, CONFIG_TENTHS = 4, CONFIG_HUNDREDTHS = 5 };
#define CONFIG_MAX_SETTINGS 64u
/* Decimal integers within +-2^50 (src/pkg/manifest.ts MAX_DECIMAL_MAGNITUDE): there m / 10 and m / 100 keep
 * distinct integers distinct and ordered as doubles, so comparing the integers here agrees with
 * comparing the doubles there. */
#define CONFIG_MAX_DECIMAL ((uint64_t)1u << 50)

/* One setting's skeleton: name, shape (n | code << 2) and where its n values start and the next setting begins. */
static bool config_setting(const pkg_doc_t *d, uint32_t at, uint32_t items_left, pkg_range_t *name, uint64_t *code, uint32_t *n, uint32_t *values, uint32_t *next)
{
    uint64_t shape;
    uint32_t i, pos;
    if (items_left < 2u || !fwx_pkg_text(d, at, 64u, name)) return false;
    if (!fwx_pkg_uint(d, name->end, 23u, &shape)) return false;
    *n = (uint32_t)(shape & 3u);
    *code = shape >> 2;
    if (*n > items_left - 2u) return false;
    if (!fwx_pkg_item_end(d, name->end, &pos)) return false;
    *values = pos;
    for (i = 0u; i < *n; i++)
        if (!fwx_pkg_item_end(d, pos, &pos)) return false;
    *next = pos;
    return true;
}

/* name, shape, then default?, min?, max? (src/pkg/manifest.ts encodeConfig). */
static bool decode_config_setting(const pkg_doc_t *d, uint32_t at, uint32_t items_left, pkg_range_t *name, uint32_t *next)
{
    uint32_t n, i, pos;
    uint64_t code, key[3] = { 0u, 0u, 0u };
    bool has[3] = { false, false, false }, not_tens = false, decimal;
    if (!config_setting(d, at, items_left, name, &code, &n, &pos, next)) return false;
    decimal = code == CONFIG_TENTHS || code == CONFIG_HUNDREDTHS;
    for (i = 0u; i < n; i++) {
        fwx_cbor_t c;
        fwx_cbor_item_t it;
        uint32_t here = pos;
        if (!fwx_pkg_item_end(d, here, &pos)) return false;
        if (item_is_null(d, here)) {
            if (i == n - 1u) return false; /* trailing null */
            continue;
        }
        if (!item_at(d, here, &c, &it)) return false;
        if (decimal) {
            /* Integers m standing for m / 10 or m / 100; the same scale for every value, so their order is m's. */
            uint64_t magnitude;
            if (it.major != FWX_CBOR_UINT && it.major != FWX_CBOR_NINT) return false;
            magnitude = it.major == FWX_CBOR_UINT ? it.arg : it.arg + 1u;
            if (magnitude > CONFIG_MAX_DECIMAL) return false;
            if (magnitude % 10u != 0u) not_tens = true;
        } else if (i == 0u && code == CONFIG_BOOLEAN) {
            if (it.major != FWX_CBOR_SIMPLE || (it.info != FWX_CBOR_FALSE && it.info != FWX_CBOR_TRUE)) return false;
            continue;
        } else if (i == 0u && code == CONFIG_STRING) {
            pkg_range_t t;
            if (!fwx_pkg_text(d, here, 256u, &t)) return false;
            continue;
        } else if (i == 0u && code == CONFIG_INTEGER) {
            /* Floats are never integral here (the CBOR rules refuse that), so an integer setting takes only integers. */
            if (it.major != FWX_CBOR_UINT && it.major != FWX_CBOR_NINT) return false;
        } else if (i > 0u && code != CONFIG_NUMBER && code != CONFIG_INTEGER) {
            return false; /* boolean and string settings have no bounds */
        }
        if (!fwx_cbor_number_key(&it, &key[i])) return false;
        has[i] = true;
    }
    if (decimal && !not_tens) return false; /* every value a multiple of 10: a smaller code carries them */
    if (has[0] && ((has[1] && key[0] < key[1]) || (has[2] && key[0] > key[2]))) return false;
    if (has[1] && has[2] && key[1] > key[2]) return false;
    return true;
}

static bool decode_config(const pkg_doc_t *d, uint32_t at, pkg_manifest_t *m)
{
    uint32_t count, first, pos, used = 0u, settings = 0u;
    if (!fwx_pkg_array(d, at, CONFIG_MAX_SETTINGS * 5u, &count, &first) || count == 0u) return false;
    pos = first;
    while (used < count) {
        pkg_range_t name;
        uint32_t next, scan = first, j;
        if (settings == CONFIG_MAX_SETTINGS) return false;
        if (!decode_config_setting(d, pos, count - used, &name, &next)) return false;
        /* Unique names: compare with every earlier setting (at most 64, so at most 2016 comparisons). */
        for (j = 0u; j < settings; j++) {
            pkg_range_t prev;
            uint64_t code;
            uint32_t n, values, after;
            if (!config_setting(d, scan, count, &prev, &code, &n, &values, &after)) return false;
            if (prev.end - prev.at == name.end - name.at && memcmp(d->buf + prev.at, d->buf + name.at, name.end - name.at) == 0) return false;
            scan = after;
        }
        /* Items used: name, shape and the values between the shape and `next`. */
        {
            uint32_t k = pos;
            while (k < next) {
                if (!fwx_pkg_item_end(d, k, &k)) return false;
                used++;
            }
        }
        settings++;
        pos = next;
    }
    if (used != count) return false;
    m->config.at = at;
    m->config.end = pos;
    m->config_count = settings;
    return true;
}

bool fwx_pkg_decode_manifest(const pkg_doc_t *d, pkg_manifest_t *m, const char **what)
{
    uint32_t v[11], b[3], k;
    uint64_t x;
    static const uint32_t required[] = { 1u, 2u, 3u, 4u, 5u, 6u, 7u, 9u, 10u };
    *what = FWX_WHY("manifest: not a map of known keys");
    if (!fwx_pkg_map_fields(d, 0u, 10u, v)) return false;
    *what = FWX_WHY("manifest: a required key is missing");
    for (k = 0u; k < sizeof required / sizeof required[0]; k++)
        if (v[required[k]] == FWX_PKG_ABSENT) return false;
    *what = FWX_WHY("manifest.id (key 1)");
    if (!fwx_pkg_text(d, v[1], 64u, &m->id_text) || !module_id_ok(d->buf + m->id_text.at, m->id_text.end - m->id_text.at)) return false;
    *what = FWX_WHY("manifest.version (key 2)");
    if (!fwx_pkg_text(d, v[2], 64u, &m->version_text) || !semver_ok(d->buf + m->version_text.at, m->version_text.end - m->version_text.at)) return false;
    *what = FWX_WHY("manifest.sequence (key 3)");
    if (!fwx_pkg_uint(d, v[3], FWX_CBOR_MAX_INT, &m->sequence) || m->sequence < 1u) return false;
    *what = FWX_WHY("manifest.deviceClass (key 4)");
    if (!fwx_pkg_uint(d, v[4], 1u, &x)) return false;
    m->device_class = (uint8_t)x;
    *what = FWX_WHY("manifest.interfaces (key 5)");
    if (!decode_interfaces(d, v[5], m)) return false;
    *what = FWX_WHY("manifest.capabilities (key 6)");
    if (!fwx_pkg_caps_valid(d, v[6])) return false;
    m->capabilities.at = v[6];
    if (!fwx_pkg_item_end(d, v[6], &m->capabilities.end)) return false;
    *what = FWX_WHY("manifest.budgets (key 7)");
    if (!fwx_pkg_map_fields(d, v[7], 2u, b) || !fwx_pkg_uint(d, b[1], 0xffffffffu, &x)) return false;
    m->ram_bytes = (uint32_t)x;
    if (!fwx_pkg_uint(d, b[2], FWX_CBOR_MAX_INT, &m->fuel_per_callback)) return false;
    *what = FWX_WHY("manifest.config (key 8)");
    m->config.at = m->config.end = FWX_PKG_ABSENT;
    m->config_count = 0u;
    if (v[8] != FWX_PKG_ABSENT && !decode_config(d, v[8], m)) return false;
    *what = FWX_WHY("manifest.payloadSha256 (key 9)");
    if (!fwx_pkg_bytes(d, v[9], 32u, &m->sha256_at)) return false;
    *what = FWX_WHY("manifest.fuelInstrumented (key 10)");
    if (d->buf[v[10]] != 0xf4u && d->buf[v[10]] != 0xf5u) return false;
    m->fuel_instrumented = d->buf[v[10]] == 0xf5u;
    *what = NULL;
    return true;
}

bool fwx_pkg_names_ok(const pkg_doc_t *d, uint32_t at)
{
    uint32_t count, pos, i;
    if (!fwx_pkg_array(d, at, 256u, &count, &pos) || count == 0u) return false;
    for (i = 0u; i < count; i++) {
        pkg_range_t t;
        if (!fwx_pkg_text(d, pos, 64u, &t) || !name_ok(d->buf + t.at, t.end - t.at)) return false;
        pos = t.end;
    }
    return true;
}

bool fwx_pkg_decode_certificate(const pkg_doc_t *d, pkg_certificate_t *c, const char **what)
{
    uint32_t v[9], k;
    static const uint32_t required[] = { 1u, 2u, 3u, 4u, 5u, 7u, 8u };
    *what = FWX_WHY("certificate: not a map of known keys");
    if (!fwx_pkg_map_fields(d, 0u, 8u, v)) return false;
    *what = FWX_WHY("certificate: a required key is missing");
    for (k = 0u; k < sizeof required / sizeof required[0]; k++)
        if (v[required[k]] == FWX_PKG_ABSENT) return false;
    *what = FWX_WHY("certificate.integratorId (key 1)");
    if (!fwx_pkg_text(d, v[1], 64u, &c->integrator_id)) return false;
    *what = FWX_WHY("certificate.integratorKey (key 2)");
    if (!fwx_pkg_bytes(d, v[2], 32u, &c->key_at)) return false;
    *what = FWX_WHY("certificate.modulePrefix (key 3)");
    if (!fwx_pkg_text(d, v[3], 64u, &c->prefix)) return false;
    *what = FWX_WHY("certificate.capabilities (key 4)");
    if (!fwx_pkg_caps_valid(d, v[4])) return false;
    c->capabilities_at = v[4];
    *what = FWX_WHY("certificate.customers (key 5)");
    if (!fwx_pkg_names_ok(d, v[5])) return false;
    c->customers_at = v[5];
    *what = FWX_WHY("certificate.groups (key 6)");
    if (v[6] != FWX_PKG_ABSENT && !fwx_pkg_names_ok(d, v[6])) return false;
    c->groups_at = v[6];
    *what = FWX_WHY("certificate.notBefore (key 7)");
    if (!fwx_pkg_uint(d, v[7], FWX_CBOR_MAX_INT, &c->not_before)) return false;
    *what = FWX_WHY("certificate.notAfter (key 8)");
    if (!fwx_pkg_uint(d, v[8], FWX_CBOR_MAX_INT, &c->not_after)) return false;
    if (c->not_after <= c->not_before) return false;
    *what = NULL;
    return true;
}

bool fwx_pkg_name_listed(const pkg_doc_t *d, uint32_t at, const uint8_t *value, uint32_t value_len)
{
    uint32_t count, pos, i;
    if (at == FWX_PKG_ABSENT) return true;
    if (!fwx_pkg_array(d, at, 256u, &count, &pos)) return false;
    for (i = 0u; i < count; i++) {
        pkg_range_t t;
        uint32_t n;
        if (!fwx_pkg_text(d, pos, 64u, &t)) return false;
        n = t.end - t.at;
        if (n == 1u && d->buf[t.at] == '*') return true;
        if (value != NULL && n == value_len && memcmp(d->buf + t.at, value, n) == 0) return true;
        pos = t.end;
    }
    return false;
}

bool fwx_pkg_name_ok(const uint8_t *s, uint32_t n) { return name_ok(s, n); }
