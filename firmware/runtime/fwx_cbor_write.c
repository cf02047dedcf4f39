/* fwx_cbor_write.c: see fwx_cbor_write.h. */
#include "fwx_cbor_write.h"

#include <string.h>

#include "fwx_cbor.h"

void fwx_cbor_writer_init(fwx_cbor_writer_t *w, uint8_t *buf, uint32_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0u;
    w->failed = false;
}

static void put(fwx_cbor_writer_t *w, const uint8_t *p, uint32_t n)
{
    if (w->failed || n > w->cap - w->len) {
        w->failed = true;
        return;
    }
    if (n) memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* The shortest head for `arg`: what the reader's fwx_cbor_valid() demands. */
static void head(fwx_cbor_writer_t *w, uint8_t major, uint64_t arg)
{
    uint8_t h[9];
    uint32_t n, i;
    uint32_t m = (uint32_t)major << 5;
    if (arg > FWX_CBOR_MAX_INT) {
        w->failed = true; /* outside the subset: no reader would take it */
        return;
    }
    if (arg < 24u) {
        h[0] = (uint8_t)(m | (uint32_t)arg);
        put(w, h, 1u);
        return;
    }
    if (arg <= 0xffu) { h[0] = (uint8_t)(m | 24u); n = 1u; }
    else if (arg <= 0xffffu) { h[0] = (uint8_t)(m | 25u); n = 2u; }
    else if (arg <= 0xffffffffu) { h[0] = (uint8_t)(m | 26u); n = 4u; }
    else { h[0] = (uint8_t)(m | 27u); n = 8u; }
    for (i = 0u; i < n; i++) h[1u + i] = (uint8_t)(arg >> (8u * (n - 1u - i)));
    put(w, h, 1u + n);
}

void fwx_cbor_write_uint(fwx_cbor_writer_t *w, uint64_t v) { head(w, FWX_CBOR_UINT, v); }

void fwx_cbor_write_bytes(fwx_cbor_writer_t *w, const uint8_t *p, uint32_t n)
{
    head(w, FWX_CBOR_BYTES, n);
    put(w, p, n);
}

void fwx_cbor_write_text(fwx_cbor_writer_t *w, const char *s, uint32_t n)
{
    head(w, FWX_CBOR_TEXT, n);
    put(w, (const uint8_t *)s, n);
}

void fwx_cbor_write_array(fwx_cbor_writer_t *w, uint32_t items) { head(w, FWX_CBOR_ARRAY, items); }
void fwx_cbor_write_map(fwx_cbor_writer_t *w, uint32_t entries) { head(w, FWX_CBOR_MAP, entries); }
