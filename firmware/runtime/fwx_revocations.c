/*
 * fwx_revocations.c: a root-signed revocation list (docs/package-format.md
 * "Revocation list"), checked as verifyRevocationList (src/pkg/revocation.ts)
 * checks it. The list stays where it is (flash): the verifier only records
 * where its entries are, and fwx_pkg_verify() reads them through the reader.
 */
#include "fwx_pkg_verify.h"

#include <string.h>

#include "fwx_crypto_port.h"
#include "fwx_pkg_internal.h"

static const uint8_t rl_domain[18] = { 'f', 'w', 'x', '-', 'r', 'e', 'v', 'o', 'c', 'a', 't', 'i', 'o', 'n', 's', '-', '1', 0 };

/* An array (<= 65536) of bytes(32): its count and the file offset of the first digest. */
static bool entries(const pkg_doc_t *d, uint32_t at, uint32_t body_at, uint32_t *count, uint32_t *first_at)
{
    uint32_t pos, i, data;
    if (!fwx_pkg_array(d, at, 65536u, count, &pos)) return false;
    *first_at = body_at + pos + 2u;
    for (i = 0u; i < *count; i++) {
        if (!fwx_pkg_bytes(d, pos, 32u, &data)) return false;
        pos = data + 32u;
    }
    return true;
}

int fwx_revocations_verify(const fwx_pkg_source_t *src, const uint8_t root_public_key[32],
                           uint8_t *work, uint32_t work_len, fwx_revocations_t *out)
{
    uint8_t h[6], sig_head[2], sig[64];
    uint32_t len, head, body_len, body_at, v[5], bad_at;
    pkg_doc_t d;
    fwx_revocations_t rl;
    if (src == NULL || src->read == NULL || root_public_key == NULL || work == NULL || out == NULL) return FWX_RL_E_MALFORMED;
    len = src->length;
    if (len < 3u) return FWX_RL_E_MALFORMED;
    if (fwx_pkg_read(src, 0u, h, len < 6u ? len : 6u) != 0) return FWX_RL_E_IO;
    if (h[0] != 0x82u || (h[1] >> 5) != 2u) return FWX_RL_E_MALFORMED;
    /* The body's byte-string head in shortest form: the only encoding of [body, signature]. */
    switch (h[1] & 0x1fu) {
    case 24u: head = 2u; body_len = len >= 3u ? h[2] : 0u; if (body_len < 24u) return FWX_RL_E_MALFORMED; break;
    case 25u: if (len < 4u) return FWX_RL_E_MALFORMED; head = 3u; body_len = (uint32_t)h[2] << 8 | h[3]; if (body_len < 0x100u) return FWX_RL_E_MALFORMED; break;
    case 26u:
        if (len < 6u) return FWX_RL_E_MALFORMED;
        head = 5u;
        body_len = (uint32_t)h[2] << 24 | (uint32_t)h[3] << 16 | (uint32_t)h[4] << 8 | h[5];
        if (body_len < 0x10000u) return FWX_RL_E_MALFORMED;
        break;
    default:
        if ((h[1] & 0x1fu) >= 24u) return FWX_RL_E_MALFORMED;
        head = 1u;
        body_len = h[1] & 0x1fu;
        break;
    }
    body_at = 1u + head;
    if (body_len > len - body_at || len - body_at - body_len != 66u) return FWX_RL_E_MALFORMED;
    if (fwx_pkg_read(src, body_at + body_len, sig_head, 2u) != 0) return FWX_RL_E_IO;
    if (sig_head[0] != 0x58u || sig_head[1] != 0x40u) return FWX_RL_E_MALFORMED;
    if (work_len < sizeof rl_domain || body_len > work_len - sizeof rl_domain) return FWX_RL_E_TOO_LARGE;
    memcpy(work, rl_domain, sizeof rl_domain);
    if (fwx_pkg_read(src, body_at, work + sizeof rl_domain, body_len) != 0 || fwx_pkg_read(src, len - 64u, sig, 64u) != 0) return FWX_RL_E_IO;
    if (!fwx_ed25519_verify(sig, root_public_key, work, (uint32_t)sizeof rl_domain + body_len)) return FWX_RL_E_SIG;

    d.buf = work + sizeof rl_domain;
    d.len = body_len;
    memset(&rl, 0, sizeof rl);
    rl.source = *src;
    if (!fwx_cbor_valid(d.buf, d.len, &bad_at) || !fwx_pkg_map_fields(&d, 0u, 4u, v)) return FWX_RL_E_CONTENT;
    if (!fwx_pkg_uint(&d, v[1], FWX_CBOR_MAX_INT, &rl.serial) || !fwx_pkg_uint(&d, v[2], FWX_CBOR_MAX_INT, &rl.issued_at)) return FWX_RL_E_CONTENT;
    if (!entries(&d, v[3], body_at, &rl.certificate_count, &rl.certificates_at)) return FWX_RL_E_CONTENT;
    if (!entries(&d, v[4], body_at, &rl.key_count, &rl.keys_at)) return FWX_RL_E_CONTENT;
    *out = rl;
    return FWX_RL_OK;
}
