/*
 * fwx_pkg_verify.c: the verification order of docs/package-format.md,
 * step for step as verifyPackage (src/pkg/verify.ts). Nothing is decoded
 * from a part before the signature covering it has been checked; the first
 * failing step's code is returned and nothing is partially accepted.
 */
#include "fwx_pkg_verify.h"

#include <string.h>

#include "fwx_crypto_port.h"
#include "fwx_pkg_internal.h"

static const uint8_t magic[4] = { 0x89, 0x46, 0x57, 0x58 };
static const uint8_t cert_domain[11] = { 'f', 'w', 'x', '-', 'c', 'e', 'r', 't', '-', '1', 0 };
static const uint8_t pkg_domain[10] = { 'f', 'w', 'x', '-', 'p', 'k', 'g', '-', '1', 0 };
static const uint8_t sig_head[2] = { 0x58, 0x40 }; /* bytes(64) */

int fwx_pkg_read(const fwx_pkg_source_t *src, uint32_t offset, uint8_t *buf, uint32_t len)
{
    if (len == 0u) return FWX_PKG_OK;
    if (offset > src->length || len > src->length - offset) return FWX_PKG_E_IO;
    return src->read(src->ctx, offset, buf, len) == 0 ? FWX_PKG_OK : FWX_PKG_E_IO;
}

int fwx_pkg_memory_read(void *ctx, uint32_t offset, uint8_t *buf, uint32_t len)
{
    const fwx_pkg_memory_t *m = (const fwx_pkg_memory_t *)ctx;
    if (offset > m->length || len > m->length - offset) return -1;
    memcpy(buf, m->bytes + offset, len);
    return 0;
}

static int fail(fwx_pkg_error_t *err, int code, uint32_t offset, const char *what)
{
    err->code = code;
    err->offset = offset;
    err->what = what;
    err->value = 0u;
    return code;
}

/* fail() with the package's side of the comparison that failed (fwx_pkg_error_t.value). */
static int fail_value(fwx_pkg_error_t *err, int code, const char *what, uint64_t value)
{
    (void)fail(err, code, FWX_PKG_NO_OFFSET, what);
    err->value = value;
    return code;
}

static uint32_t c_string_length(const char *s, uint32_t max)
{
    uint32_t n = 0u;
    while (n < max && s[n] != '\0') n++;
    return n;
}

static bool same_bytes(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* Is `needle` (32 bytes) one of `count` entries 34 bytes apart from `at` in the kept list file? */
static int listed(const fwx_revocations_t *rl, uint32_t at, uint32_t count, const uint8_t *needle, bool *found)
{
    uint32_t i;
    uint8_t entry[32];
    *found = false;
    if (count > 0u && (at > rl->source.length || (uint64_t)count * FWX_REVOCATION_ENTRY_STRIDE > (uint64_t)(rl->source.length - at) + 2u)) return FWX_PKG_E_CONTEXT;
    for (i = 0u; i < count; i++) {
        if (fwx_pkg_read(&rl->source, at + i * FWX_REVOCATION_ENTRY_STRIDE, entry, 32u) != 0) return FWX_PKG_E_IO;
        if (memcmp(entry, needle, 32u) == 0) *found = true;
    }
    return FWX_PKG_OK;
}

/* Required interfaces against what the firmware offers: same name and major, minor at least. */
static bool interfaces_offered(const pkg_doc_t *d, const pkg_manifest_t *m, const fwx_pkg_device_t *dev)
{
    uint32_t count, pos, i, j;
    if (!fwx_pkg_array(d, m->interfaces_at, 64u * 3u, &count, &pos)) return false;
    for (i = 0u; i < count / 3u; i++) {
        uint64_t major, minor;
        const uint8_t *name;
        uint32_t name_len;
        bool ok = false;
        if (!fwx_pkg_interface_at(d, &pos, &name, &name_len, &major, &minor)) return false;
        for (j = 0u; j < dev->offered_count && !ok; j++) {
            const fwx_interface_desc_t *o = &dev->offered[j];
            uint32_t len = o->name ? c_string_length(o->name, 33u) : 0u;
            ok = same_bytes((const uint8_t *)o->name, len, name, name_len) && o->major == major && o->minor >= minor;
        }
        if (!ok) return false;
    }
    return true;
}

static int check_device_inputs(const fwx_pkg_device_t *dev, pkg_doc_t *board)
{
    uint32_t at;
    if (dev->root_public_key == NULL || (dev->customer == NULL && dev->customer_length) || (dev->group == NULL && dev->group_length)) return FWX_PKG_E_CONTEXT;
    if (dev->offered == NULL && dev->offered_count) return FWX_PKG_E_CONTEXT;
    board->buf = dev->board_capabilities;
    board->len = dev->board_capabilities_length;
    if (board->buf == NULL || !fwx_cbor_valid(board->buf, board->len, &at) || !fwx_pkg_caps_valid(board, 0u)) return FWX_PKG_E_CONTEXT;
    return FWX_PKG_OK;
}

int fwx_pkg_verify(const fwx_pkg_source_t *src, const fwx_pkg_device_t *device,
                   uint8_t *work, uint32_t work_len,
                   fwx_pkg_verified_t *out, fwx_pkg_error_t *err)
{
    fwx_pkg_error_t local;
    uint8_t hdr[FWX_PKG_HEADER_BYTES], sb[5], heads[4], root_sig[64], pkg_sig[64], digest[32], hash[32];
    uint32_t len, m_len, p_len, s_len, s0, end, body_len, body_head, body_at, i, bad_at;
    pkg_doc_t cert_doc, man_doc, board;
    pkg_certificate_t cert;
    pkg_manifest_t man;
    fwx_sha256_t sha;
    const char *what;
    int rc;
    uint8_t *cert_msg, *pkg_msg;

    if (err == NULL) err = &local;
    err->code = FWX_PKG_OK;
    err->offset = FWX_PKG_NO_OFFSET;
    err->what = NULL;
    err->value = 0u;
    if (src == NULL || src->read == NULL || device == NULL || out == NULL || work == NULL) return fail(err, FWX_PKG_E_CONTEXT, FWX_PKG_NO_OFFSET, FWX_WHY("missing argument"));
    if (check_device_inputs(device, &board) != 0) return fail(err, FWX_PKG_E_CONTEXT, FWX_PKG_NO_OFFSET, FWX_WHY("device inputs (root key, names, board capabilities)"));

    /* 1. Header. */
    len = src->length;
    if (len < FWX_PKG_HEADER_BYTES) return fail(err, FWX_PKG_E_TRUNCATED, len, FWX_WHY("shorter than the 16-byte header"));
    if (fwx_pkg_read(src, 0u, hdr, FWX_PKG_HEADER_BYTES) != 0) return fail(err, FWX_PKG_E_IO, 0u, FWX_WHY("reading the header"));
    for (i = 0u; i < 4u; i++)
        if (hdr[i] != magic[i]) return fail(err, FWX_PKG_E_MAGIC, i, FWX_WHY("magic (not a .fwx package)"));
    if (hdr[4] != FWX_PKG_FORMAT_VERSION) return fail(err, FWX_PKG_E_VERSION, 4u, FWX_WHY("format version (this verifier reads only 2)"));
    if (hdr[5] != 0u) return fail(err, FWX_PKG_E_HEADER, 5u, FWX_WHY("reserved byte 5"));
    if (hdr[14] != 0u || hdr[15] != 0u) return fail(err, FWX_PKG_E_HEADER, hdr[14] != 0u ? 14u : 15u, FWX_WHY("reserved bytes 14-15"));
    m_len = (uint32_t)hdr[6] | ((uint32_t)hdr[7] << 8);
    p_len = (uint32_t)hdr[8] | ((uint32_t)hdr[9] << 8) | ((uint32_t)hdr[10] << 16) | ((uint32_t)hdr[11] << 24);
    s_len = (uint32_t)hdr[12] | ((uint32_t)hdr[13] << 8);
    if (m_len == 0u) return fail(err, FWX_PKG_E_HEADER, 6u, FWX_WHY("manifest length is 0"));
    if (p_len == 0u || p_len > FWX_PKG_MAX_PAYLOAD_BYTES) return fail(err, FWX_PKG_E_HEADER, 8u, FWX_WHY("payload length outside 1..16777216"));
    if (s_len == 0u) return fail(err, FWX_PKG_E_HEADER, 12u, FWX_WHY("signature block length is 0"));
    s0 = FWX_PKG_HEADER_BYTES + m_len + p_len; /* at most 16 + 65535 + 2^24: no wrap */
    end = s0 + s_len;
    if (len < end) return fail(err, FWX_PKG_E_TRUNCATED, len, FWX_WHY("shorter than the lengths the header declares"));
    if (len > end) return fail(err, FWX_PKG_E_TRAILING, end, FWX_WHY("bytes after the signature block"));
    if (work_len < FWX_PKG_WORK_BYTES(m_len, s_len)) return fail(err, FWX_PKG_E_TOO_LARGE, 6u, FWX_WHY("manifest and signature block exceed the work buffer"));

    /* 2. Signature block: 82 82 <bytes head> body 58 40 root-sig 58 40 package-sig, nothing else. */
    if (fwx_pkg_read(src, s0, sb, s_len < 5u ? s_len : 5u) != 0) return fail(err, FWX_PKG_E_IO, s0, FWX_WHY("reading the signature block"));
    if (s_len < 3u || sb[0] != 0x82u || sb[1] != 0x82u || (sb[2] >> 5) != 2u) return fail(err, FWX_PKG_E_SIGBLOCK, s0, FWX_WHY("signature block is not [[body, signature], signature]"));
    if ((sb[2] & 0x1fu) < 24u) {
        body_head = 1u;
        body_len = sb[2] & 0x1fu;
    } else if ((sb[2] & 0x1fu) == 24u && s_len >= 4u && sb[3] >= 24u) {
        body_head = 2u;
        body_len = sb[3];
    } else if ((sb[2] & 0x1fu) == 25u && s_len >= 5u && ((uint32_t)sb[3] << 8 | sb[4]) >= 0x100u) {
        body_head = 3u;
        body_len = (uint32_t)sb[3] << 8 | sb[4];
    } else {
        return fail(err, FWX_PKG_E_SIGBLOCK, s0 + 2u, FWX_WHY("certificate body head"));
    }
    if (s_len != 2u + body_head + body_len + 132u) return fail(err, FWX_PKG_E_SIGBLOCK, s0, FWX_WHY("signature block length does not fit its parts"));
    body_at = s0 + 2u + body_head;
    if (fwx_pkg_read(src, body_at + body_len, heads, 2u) != 0 || fwx_pkg_read(src, end - 66u, heads + 2, 2u) != 0) return fail(err, FWX_PKG_E_IO, s0, FWX_WHY("reading the signature block"));
    if (memcmp(heads, sig_head, 2u) != 0 || memcmp(heads + 2, sig_head, 2u) != 0) return fail(err, FWX_PKG_E_SIGBLOCK, s0, FWX_WHY("a signature is not bytes(64)"));

    /* 3. Root signature over "fwx-cert-1\0" || body. */
    cert_msg = work;
    memcpy(cert_msg, cert_domain, sizeof cert_domain);
    if (fwx_pkg_read(src, body_at, cert_msg + sizeof cert_domain, body_len) != 0 || fwx_pkg_read(src, body_at + body_len + 2u, root_sig, 64u) != 0 ||
        fwx_pkg_read(src, end - 64u, pkg_sig, 64u) != 0)
        return fail(err, FWX_PKG_E_IO, s0, FWX_WHY("reading the certificate"));
    if (!fwx_ed25519_verify(root_sig, device->root_public_key, cert_msg, (uint32_t)sizeof cert_domain + body_len))
        return fail(err, FWX_PKG_E_CERT_SIG, s0 + 1u, FWX_WHY("certificate is not signed by this product root key"));

    /* 4. Certificate content. */
    cert_doc.buf = cert_msg + sizeof cert_domain;
    cert_doc.len = body_len;
    if (!fwx_cbor_valid(cert_doc.buf, cert_doc.len, &bad_at)) return fail(err, FWX_PKG_E_CERT, body_at + bad_at, FWX_WHY("certificate: malformed CBOR"));
    if (!fwx_pkg_decode_certificate(&cert_doc, &cert, &what)) return fail(err, FWX_PKG_E_CERT, body_at, what);
    fwx_sha256_init(&sha);
    fwx_sha256_update(&sha, cert_doc.buf, cert_doc.len);
    fwx_sha256_final(&sha, digest);

    /* 5. Package signature over "fwx-pkg-1\0" || header || manifest, with the integrator key. */
    pkg_msg = cert_msg + sizeof cert_domain + body_len;
    memcpy(pkg_msg, pkg_domain, sizeof pkg_domain);
    if (fwx_pkg_read(src, 0u, pkg_msg + sizeof pkg_domain, FWX_PKG_HEADER_BYTES + m_len) != 0) return fail(err, FWX_PKG_E_IO, 0u, FWX_WHY("reading the manifest"));
    if (!fwx_ed25519_verify(pkg_sig, cert_doc.buf + cert.key_at, pkg_msg, (uint32_t)sizeof pkg_domain + FWX_PKG_HEADER_BYTES + m_len))
        return fail(err, FWX_PKG_E_SIG, end - 64u, FWX_WHY("package signature does not verify with the integrator key"));

    /* 6. Manifest content. */
    man_doc.buf = pkg_msg + sizeof pkg_domain + FWX_PKG_HEADER_BYTES;
    man_doc.len = m_len;
    if (!fwx_cbor_valid(man_doc.buf, man_doc.len, &bad_at)) return fail(err, FWX_PKG_E_MANIFEST, FWX_PKG_HEADER_BYTES + bad_at, FWX_WHY("manifest: malformed CBOR"));
    if (!fwx_pkg_decode_manifest(&man_doc, &man, &what)) return fail(err, FWX_PKG_E_MANIFEST, FWX_PKG_HEADER_BYTES, what);

    /* 7. Payload hash, streamed; all 32 bytes compared. */
    {
        uint8_t chunk[FWX_PKG_CHUNK_BYTES];
        uint32_t done = 0u, p0 = s0 - p_len;
        uint8_t diff = 0u;
        fwx_sha256_init(&sha);
        while (done < p_len) {
            uint32_t n = p_len - done < FWX_PKG_CHUNK_BYTES ? p_len - done : FWX_PKG_CHUNK_BYTES;
            if (fwx_pkg_read(src, p0 + done, chunk, n) != 0) return fail(err, FWX_PKG_E_IO, p0 + done, FWX_WHY("reading the payload"));
            fwx_sha256_update(&sha, chunk, n);
            done += n;
        }
        fwx_sha256_final(&sha, hash);
        for (i = 0u; i < 32u; i++) diff |= (uint8_t)(hash[i] ^ man_doc.buf[man.sha256_at + i]);
        if (diff != 0u) return fail(err, FWX_PKG_E_HASH, p0, FWX_WHY("payload SHA-256 differs from the manifest's"));
    }

    /* 8. Validity against the device clock: [not before, not after). */
    if (device->now < cert.not_before) return fail_value(err, FWX_PKG_E_NOT_YET_VALID, FWX_WHY("certificate not valid yet"), cert.not_before);
    if (device->now >= cert.not_after) return fail_value(err, FWX_PKG_E_EXPIRED, FWX_WHY("certificate expired"), cert.not_after);

    /* 9. Revocation: the certificate's digest, then its integrator key. */
    if (device->revoked != NULL) {
        const fwx_revocations_t *rl = device->revoked;
        bool found;
        if (rl->source.read == NULL) return fail(err, FWX_PKG_E_CONTEXT, FWX_PKG_NO_OFFSET, FWX_WHY("revocation list reader"));
        if ((rc = listed(rl, rl->certificates_at, rl->certificate_count, digest, &found)) != 0) return fail(err, rc, FWX_PKG_NO_OFFSET, FWX_WHY("reading the revocation list"));
        if (found) return fail(err, FWX_PKG_E_REVOKED, FWX_PKG_NO_OFFSET, FWX_WHY("certificate is revoked"));
        if ((rc = listed(rl, rl->keys_at, rl->key_count, cert_doc.buf + cert.key_at, &found)) != 0) return fail(err, rc, FWX_PKG_NO_OFFSET, FWX_WHY("reading the revocation list"));
        if (found) return fail(err, FWX_PKG_E_REVOKED, FWX_PKG_NO_OFFSET, FWX_WHY("integrator key is revoked"));
    }

    /* 10. Scope: module prefix (bytewise), customer, group (exact names or "*"). */
    {
        uint32_t prefix_len = cert.prefix.end - cert.prefix.at, id_len = man.id_text.end - man.id_text.at;
        if (prefix_len > id_len || memcmp(man_doc.buf + man.id_text.at, cert_doc.buf + cert.prefix.at, prefix_len) != 0)
            return fail(err, FWX_PKG_E_SCOPE_MODULE, FWX_PKG_HEADER_BYTES + man.id_text.at, FWX_WHY("module id outside the certificate's prefix"));
    }
    if (!fwx_pkg_name_listed(&cert_doc, cert.customers_at, device->customer, device->customer_length))
        return fail(err, FWX_PKG_E_SCOPE_CUSTOMER, FWX_PKG_NO_OFFSET, FWX_WHY("device's customer not covered"));
    if (!fwx_pkg_name_listed(&cert_doc, cert.groups_at, device->group, device->group_length))
        return fail(err, FWX_PKG_E_SCOPE_GROUP, FWX_PKG_NO_OFFSET, FWX_WHY("device's group not covered"));

    /* 11. Device class and metering. */
    if (device->device_class != FWX_PKG_CLASS_ANY && man.device_class != device->device_class)
        return fail_value(err, FWX_PKG_E_DEVICE_CLASS, FWX_WHY("package for another device class"), man.device_class);
    if (man.device_class == FWX_PKG_CLASS_MCU && !man.fuel_instrumented)
        return fail(err, FWX_PKG_E_NOT_INSTRUMENTED, FWX_PKG_NO_OFFSET, FWX_WHY("mcu package without fuel instrumentation"));
    if (man.device_class == FWX_PKG_CLASS_GATEWAY && man.fuel_instrumented)
        return fail(err, FWX_PKG_E_PREINSTRUMENTED, FWX_PKG_NO_OFFSET, FWX_WHY("gateway package with a fuel-instrumented payload"));

    /* 12. The payload's own sections agree with the manifest. */
    if ((rc = fwx_pkg_check_payload(src, s0 - p_len, p_len, &man_doc, &man, err)) != 0) {
        /* The walk fills *err for its refusals but only returns a reader error: fill it here, or the
         * caller would read FWX_PKG_OK from *err beside a refusal. */
        if (err->code != rc) return fail(err, rc, s0 - p_len, FWX_WHY("reading the payload"));
        return rc;
    }

    /* 13. Capabilities: package within certificate, then within the board. */
    if (!fwx_pkg_caps_within(&man_doc, man.capabilities.at, &cert_doc, cert.capabilities_at))
        return fail(err, FWX_PKG_E_CAPS_CERT, FWX_PKG_HEADER_BYTES + man.capabilities.at, FWX_WHY("capabilities beyond the certificate"));
    if (!fwx_pkg_caps_within(&man_doc, man.capabilities.at, &board, 0u))
        return fail(err, FWX_PKG_E_CAPS_DEVICE, FWX_PKG_HEADER_BYTES + man.capabilities.at, FWX_WHY("capabilities beyond what the board can grant"));

    /* 14. Interfaces. */
    if (!interfaces_offered(&man_doc, &man, device))
        return fail(err, FWX_PKG_E_INTERFACE, FWX_PKG_HEADER_BYTES + man.interfaces.at, FWX_WHY("required interface not offered"));

    /* 15. Anti-rollback. */
    if (device->installed_sequence != 0u && man.sequence <= device->installed_sequence)
        return fail_value(err, FWX_PKG_E_ROLLBACK, FWX_WHY("sequence not above the installed one"), man.sequence);

    memset(out, 0, sizeof *out);
    out->manifest.offset = FWX_PKG_HEADER_BYTES;
    out->manifest.length = m_len;
    out->payload.offset = s0 - p_len;
    out->payload.length = p_len;
    out->certificate.offset = s0 + 1u;
    out->certificate.length = s_len - 67u;
    out->module_id.offset = FWX_PKG_HEADER_BYTES + man.id_text.at;
    out->module_id.length = man.id_text.end - man.id_text.at;
    out->version.offset = FWX_PKG_HEADER_BYTES + man.version_text.at;
    out->version.length = man.version_text.end - man.version_text.at;
    out->integrator_id.offset = body_at + cert.integrator_id.at;
    out->integrator_id.length = cert.integrator_id.end - cert.integrator_id.at;
    out->sequence = man.sequence;
    out->device_class = man.device_class;
    out->fuel_instrumented = man.fuel_instrumented;
    out->ram_bytes = man.ram_bytes;
    out->fuel_per_callback = man.fuel_per_callback;
    out->interfaces.offset = FWX_PKG_HEADER_BYTES + man.interfaces.at;
    out->interfaces.length = man.interfaces.end - man.interfaces.at;
    out->interface_count = man.interface_count;
    out->capabilities.offset = FWX_PKG_HEADER_BYTES + man.capabilities.at;
    out->capabilities.length = man.capabilities.end - man.capabilities.at;
    if (man.config.at != FWX_PKG_ABSENT) {
        out->config.offset = FWX_PKG_HEADER_BYTES + man.config.at;
        out->config.length = man.config.end - man.config.at;
        out->config_count = man.config_count;
    }
    out->cert_not_before = cert.not_before;
    out->cert_not_after = cert.not_after;
    memcpy(out->payload_sha256, hash, 32u);
    memcpy(out->certificate_digest, digest, 32u);
    return FWX_PKG_OK;
}

const char *fwx_pkg_error_name(int code)
{
    static const char *const names[] = {
        "FWX_PKG_OK", "FWX_PKG_E_TRUNCATED", "FWX_PKG_E_MAGIC", "FWX_PKG_E_VERSION", "FWX_PKG_E_HEADER",
        "FWX_PKG_E_TRAILING", "FWX_PKG_E_SIGBLOCK", "FWX_PKG_E_CERT_SIG", "FWX_PKG_E_CERT", "FWX_PKG_E_SIG",
        "FWX_PKG_E_MANIFEST", "FWX_PKG_E_HASH", "FWX_PKG_E_NOT_YET_VALID", "FWX_PKG_E_EXPIRED", "FWX_PKG_E_REVOKED",
        "FWX_PKG_E_SCOPE_MODULE", "FWX_PKG_E_SCOPE_CUSTOMER", "FWX_PKG_E_SCOPE_GROUP", "FWX_PKG_E_DEVICE_CLASS",
        "FWX_PKG_E_NOT_INSTRUMENTED", "FWX_PKG_E_PREINSTRUMENTED", "FWX_PKG_E_PAYLOAD", "FWX_PKG_E_CAPS_CERT",
        "FWX_PKG_E_CAPS_DEVICE", "FWX_PKG_E_INTERFACE", "FWX_PKG_E_ROLLBACK"
    };
    if (code >= 0 && code < (int)(sizeof names / sizeof names[0])) return names[code];
    if (code == FWX_PKG_E_IO) return "FWX_PKG_E_IO";
    if (code == FWX_PKG_E_TOO_LARGE) return "FWX_PKG_E_TOO_LARGE";
    if (code == FWX_PKG_E_CONTEXT) return "FWX_PKG_E_CONTEXT";
    return "unknown";
}
