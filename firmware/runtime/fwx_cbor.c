/*
 * fwx_cbor.c: strict deterministic CBOR (see fwx_cbor.h). Mirrors the
 * decoder of src/pkg/cbor.ts rule for rule; tests/c/pkg compares the two on
 * every bit flip of the test packages.
 */
#include "fwx_cbor.h"

#include "fwx_support.h" /* fwx_utf8_valid: the one UTF-8 check of firmware/ */

void fwx_cbor_init(fwx_cbor_t *c, const uint8_t *buf, uint32_t pos, uint32_t end)
{
    c->buf = buf;
    c->pos = pos;
    c->end = end;
}

/* One head in shortest form with an argument of at most 2^53 - 1 (except
 * for major 7, whose argument is a float's bits). Strings and floats are
 * stepped over. */
bool fwx_cbor_next(fwx_cbor_t *c, fwx_cbor_item_t *it)
{
    uint8_t ib;
    uint32_t size, i;
    if (c->pos >= c->end) return false;
    it->at = c->pos;
    ib = c->buf[c->pos++];
    it->major = (uint8_t)(ib >> 5);
    it->info = (uint8_t)(ib & 0x1fu);
    it->arg = it->info;
    it->data = c->pos;
    if (it->info >= 24u) {
        static const uint64_t shortest[4] = { 24u, 0x100u, 0x10000u, 0x100000000ull };
        if (it->info > 27u) return false; /* reserved 28..30, indefinite 31 */
        size = 1u << (it->info - 24u);
        if (size > c->end - c->pos) return false;
        it->arg = 0u;
        for (i = 0u; i < size; i++) it->arg = (it->arg << 8) | c->buf[c->pos++];
        it->data = c->pos;
        if (it->major != FWX_CBOR_SIMPLE) {
            if (it->arg < shortest[it->info - 24u]) return false;
            if (it->arg > FWX_CBOR_MAX_INT) return false;
        }
    }
    if (it->major == FWX_CBOR_BYTES || it->major == FWX_CBOR_TEXT) {
        if (it->arg > (uint64_t)(c->end - c->pos)) return false;
        c->pos += (uint32_t)it->arg;
    }
    return true;
}

bool fwx_cbor_skip(fwx_cbor_t *c)
{
    uint64_t pending = 1u;
    while (pending > 0u) {
        fwx_cbor_item_t it;
        if (!fwx_cbor_next(c, &it)) return false;
        pending--;
        if (it.major == FWX_CBOR_ARRAY) pending += it.arg;
        else if (it.major == FWX_CBOR_MAP) pending += 2u * it.arg;
        /* A count can claim at most one item per remaining byte. */
        if (pending > (uint64_t)(c->end - c->pos)) return false;
    }
    return true;
}

/* Finite and not integral, as src/pkg/cbor.ts demands of every float64. */
static bool float_allowed(uint64_t bits)
{
    uint32_t biased = (uint32_t)((bits >> 52) & 0x7ffu);
    uint64_t mantissa = bits & 0xfffffffffffffull;
    int32_t e;
    if (biased == 0x7ffu) return false;         /* NaN or infinity */
    if (biased == 0u) return mantissa != 0u;    /* zero is integral; subnormals are not */
    e = (int32_t)biased - 1023;
    if (e < 0) return true;                     /* 0 < |v| < 1 */
    if (e >= 52) return false;                  /* no fraction bits left */
    return (mantissa & ((1ull << (uint32_t)(52 - e)) - 1u)) != 0u;
}

typedef struct level {
    uint64_t last_key;
    uint32_t remaining;
    uint8_t is_map;
    uint8_t expect_key;
    uint8_t has_last;
} level_t;

bool fwx_cbor_valid(const uint8_t *buf, uint32_t len, uint32_t *fail_at)
{
    level_t st[FWX_CBOR_MAX_DEPTH + 1u];
    uint32_t sp = 0u;
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    fwx_cbor_init(&c, buf, 0u, len);
    for (;;) {
        if (sp > 0u && st[sp - 1u].is_map && st[sp - 1u].expect_key) {
            level_t *l = &st[sp - 1u];
            if (!fwx_cbor_next(&c, &it) || it.major != FWX_CBOR_UINT) goto fail;
            if (l->has_last && it.arg <= l->last_key) goto fail; /* duplicate or unordered */
            l->last_key = it.arg;
            l->has_last = 1u;
            l->expect_key = 0u;
            continue;
        }
        if (sp > FWX_CBOR_MAX_DEPTH) goto fail; /* an item at depth 17 */
        if (!fwx_cbor_next(&c, &it)) goto fail;
        switch (it.major) {
        case FWX_CBOR_UINT:
        case FWX_CBOR_BYTES:
            break;
        case FWX_CBOR_NINT:
            if (it.arg == FWX_CBOR_MAX_INT) goto fail; /* -2^53 */
            break;
        case FWX_CBOR_TEXT:
            if (!fwx_utf8_valid(buf + it.data, (uint32_t)it.arg)) goto fail;
            break;
        case FWX_CBOR_ARRAY:
        case FWX_CBOR_MAP: {
            uint64_t min_bytes = it.major == FWX_CBOR_MAP ? 2u * it.arg : it.arg;
            if (min_bytes > (uint64_t)(len - c.pos)) goto fail;
            if (it.arg == 0u) break;
            st[sp].remaining = (uint32_t)it.arg;
            st[sp].is_map = it.major == FWX_CBOR_MAP;
            st[sp].expect_key = st[sp].is_map;
            st[sp].has_last = 0u;
            st[sp].last_key = 0u;
            sp++;
            continue;
        }
        case FWX_CBOR_SIMPLE:
            if (it.info == FWX_CBOR_FALSE || it.info == FWX_CBOR_TRUE || it.info == FWX_CBOR_NULL) break;
            if (it.info == FWX_CBOR_FLOAT64 && float_allowed(it.arg)) break;
            goto fail;
        default: /* tags */
            goto fail;
        }
        /* An item is complete: count it against its containers, closing full ones. */
        while (sp > 0u) {
            level_t *l = &st[sp - 1u];
            l->remaining--;
            if (l->is_map) l->expect_key = 1u;
            if (l->remaining > 0u) break;
            sp--;
        }
        if (sp == 0u) break;
    }
    if (c.pos != len) goto fail; /* trailing bytes */
    return true;
fail:
    if (fail_at) *fail_at = c.pos;
    return false;
}

/* mag is at most 2^53 (an argument of at most 2^53 - 1, plus one for a
 * negative): 2^53 itself is the cursor's -2^53, which validation refuses but
 * the cursor can still be handed, so the scan starts at bit 53. */
static uint64_t double_bits_of_int(uint64_t mag, bool negative)
{
    uint32_t top = 53u;
    uint64_t bits, mantissa;
    if (mag == 0u || mag > (1ull << 53)) return 0u;
    while (((mag >> top) & 1u) == 0u) top--;
    mantissa = top > 52u ? mag >> (top - 52u) : mag << (52u - top);
    bits = ((uint64_t)(top + 1023u) << 52) | (mantissa & 0xfffffffffffffull);
    return negative ? bits | 0x8000000000000000ull : bits;
}

bool fwx_cbor_number_key(const fwx_cbor_item_t *it, uint64_t *key)
{
    uint64_t bits;
    if (it->major == FWX_CBOR_UINT) bits = double_bits_of_int(it->arg, false);
    else if (it->major == FWX_CBOR_NINT) bits = double_bits_of_int(it->arg + 1u, true);
    else if (it->major == FWX_CBOR_SIMPLE && it->info == FWX_CBOR_FLOAT64) bits = it->arg;
    else return false;
    /* Integers up to 2^53 - 1 are exact doubles; -0 never occurs (it is integral, so refused as a float). */
    *key = (bits & 0x8000000000000000ull) ? ~bits : bits | 0x8000000000000000ull;
    return true;
}
