/* fwx_statement.c: see fwx_statement.h. */
#include "fwx_statement.h"

#include <string.h>

#include "fwx_cbor_write.h"
#include "fwx_crypto_port.h"
#include "fwx_text.h"

/* STATEMENT_KEYS of src/ota/signed-command.ts */
enum { ST_DEVICE = 1, ST_REQUEST = 2, ST_OUTCOME = 3, ST_CODE = 4, ST_PACKAGE = 5, ST_MODULE = 6 };

static const uint8_t statement_domain[13] = { 'f', 'w', 'x', '-', 'd', 'e', 'v', 'i', 'c', 'e', '-', '1', 0 };

static void text(fwx_cbor_writer_t *w, const char *s) { fwx_cbor_write_text(w, s, (uint32_t)fwx_strnlen(s, 256u)); }

long fwx_statement_encode(const fwx_statement_t *s, uint8_t *out, uint32_t cap)
{
    fwx_cbor_writer_t w;
    uint32_t entries = 3u + (s->code ? 1u : 0u) + (s->package ? 1u : 0u) + (s->module ? 1u : 0u);
    fwx_cbor_writer_init(&w, out, cap);
    fwx_cbor_write_map(&w, entries);
    fwx_cbor_write_uint(&w, ST_DEVICE);
    text(&w, s->device);
    fwx_cbor_write_uint(&w, ST_REQUEST);
    fwx_cbor_write_bytes(&w, s->request, 32u);
    fwx_cbor_write_uint(&w, ST_OUTCOME);
    text(&w, s->outcome);
    if (s->code) {
        fwx_cbor_write_uint(&w, ST_CODE);
        text(&w, s->code);
    }
    if (s->package) {
        fwx_cbor_write_uint(&w, ST_PACKAGE);
        fwx_cbor_write_bytes(&w, s->package, 32u);
    }
    if (s->module) {
        fwx_cbor_write_uint(&w, ST_MODULE);
        text(&w, s->module);
    }
    return w.failed ? -1 : (long)w.len;
}

long fwx_base64_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, k = 0;
    if (cap == 0u || (n + 2u) / 3u * 4u >= cap) return -1;
    for (i = 0; i + 2u < n; i += 3u) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1u] << 8 | p[i + 2u];
        out[k++] = alphabet[v >> 18 & 63u];
        out[k++] = alphabet[v >> 12 & 63u];
        out[k++] = alphabet[v >> 6 & 63u];
        out[k++] = alphabet[v & 63u];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1u < n ? (uint32_t)p[i + 1u] << 8 : 0u);
        out[k++] = alphabet[v >> 18 & 63u];
        out[k++] = alphabet[v >> 12 & 63u];
        out[k++] = i + 1u < n ? alphabet[v >> 6 & 63u] : '=';
        out[k++] = '=';
    }
    out[k] = '\0';
    return (long)k;
}

int fwx_statement_prove(const fwx_statement_t *s, const uint8_t seed[32], char *out, size_t cap)
{
    /* domain || body, then [body, signature] */
    uint8_t msg[sizeof statement_domain + FWX_STATEMENT_BODY_MAX];
    uint8_t env[FWX_STATEMENT_BODY_MAX + 80u];
    uint8_t sig[FWX_ED25519_SIGNATURE_BYTES];
    fwx_cbor_writer_t w;
    long n;
    memcpy(msg, statement_domain, sizeof statement_domain);
    n = fwx_statement_encode(s, msg + sizeof statement_domain, FWX_STATEMENT_BODY_MAX);
    if (n < 0) return -1;
    if (!fwx_ed25519_sign(sig, seed, msg, (uint32_t)(sizeof statement_domain + (size_t)n))) return -1;
    fwx_cbor_writer_init(&w, env, sizeof env);
    fwx_cbor_write_array(&w, 2u);
    fwx_cbor_write_bytes(&w, msg + sizeof statement_domain, (uint32_t)n);
    fwx_cbor_write_bytes(&w, sig, sizeof sig);
    if (w.failed) return -1;
    return fwx_base64_encode(env, w.len, out, cap) < 0 ? -1 : 0;
}
