/* fwx_command.c: see fwx_command.h. Field rules as decodeCommandBody in
 * src/ota/signed-command.ts and decodeOperatorCertificateBody /
 * checkOperatorCertificate in src/pkg/identity.ts, on the verifier's CBOR
 * reader and name helpers (fwx_pkg_fields.c). */
#include "fwx_command.h"

#include <string.h>

#include "fwx_crypto_port.h"
#include "fwx_json.h"
#include "fwx_pkg_internal.h"
#include "fwx_text.h"

/* COMMAND_KEYS of src/ota/signed-command.ts */
enum {
    K_OP = 1, K_DEVICE, K_COUNTER, K_REQ, K_FROM, K_MODULE, K_SESSION, K_WINDOW, K_SHA256, K_SIZE, K_VERSION,
    K_SEQUENCE, K_DELTA, K_CUSTOMERS, K_GROUPS, K_VALUES, K_REVOCATIONS, K_PREEMPT, K_LAST = K_PREEMPT
};
/* OPCERT_KEYS of src/pkg/identity.ts */
enum { O_ID = 1, O_KEY, O_OPERATIONS, O_CUSTOMERS, O_GROUPS, O_DEVICES, O_NOT_BEFORE, O_NOT_AFTER, O_LAST = O_NOT_AFTER };

static const uint8_t cmd_domain[10] = { 'f', 'w', 'x', '-', 'c', 'm', 'd', '-', '1', 0 };
static const uint8_t opcert_domain[13] = { 'f', 'w', 'x', '-', 'o', 'p', 'c', 'e', 'r', 't', '-', '1', 0 };
static const char *const operations[] = { "begin", "abort", "rollback", "remove", "config", "revocations" };

static bool text_at(const pkg_doc_t *d, uint32_t at, uint32_t max, fwx_cmd_text *out)
{
    pkg_range_t t;
    if (!fwx_pkg_text(d, at, max, &t)) return false;
    out->at = t.at;
    out->len = (int32_t)(t.end - t.at);
    return true;
}

static bool opt_text(const pkg_doc_t *d, uint32_t at, uint32_t max, fwx_cmd_text *out)
{
    out->at = 0u;
    out->len = -1;
    return at == FWX_PKG_ABSENT || text_at(d, at, max, out);
}

/* An array of at most 64 texts of at most 64 bytes (customers, groups). */
static bool texts_ok(const pkg_doc_t *d, uint32_t at)
{
    uint32_t count, pos, i;
    if (at == FWX_PKG_ABSENT) return true;
    if (!fwx_pkg_array(d, at, 64u, &count, &pos)) return false;
    for (i = 0u; i < count; i++) {
        pkg_range_t t;
        if (!fwx_pkg_text(d, pos, 64u, &t)) return false;
        pos = t.end;
    }
    return true;
}

static bool bytes_less(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    uint32_t n = an < bn ? an : bn;
    int c = memcmp(a, b, n);
    return c < 0 || (c == 0 && an < bn);
}

/* [[key, value], ...]: keys ≤ 64 bytes, unique, ascending (UTF-8 byte order is code point order); values ≤ 256 bytes. */
static bool values_ok(const pkg_doc_t *d, uint32_t at)
{
    uint32_t count, pos, i, pair_n, first;
    pkg_range_t last = { 0u, 0u };
    if (at == FWX_PKG_ABSENT) return true;
    if (!fwx_pkg_array(d, at, 64u, &count, &pos)) return false;
    for (i = 0u; i < count; i++) {
        pkg_range_t k, v;
        if (!fwx_pkg_array(d, pos, 2u, &pair_n, &first) || pair_n != 2u) return false;
        if (!fwx_pkg_text(d, first, 64u, &k) || !fwx_pkg_text(d, k.end, 256u, &v)) return false;
        if (i > 0u && !bytes_less(d->buf + last.at, last.end - last.at, d->buf + k.at, k.end - k.at)) return false;
        last = k;
        pos = v.end;
    }
    return true;
}

static bool decode_body(const pkg_doc_t *d, fwx_cmd *c)
{
    uint32_t v[K_LAST + 1u];
    uint64_t u;
    if (!fwx_pkg_map_fields(d, 0u, K_LAST, v)) return false; /* unknown keys refused */
    if (!text_at(d, v[K_OP], 16u, &c->op) || !text_at(d, v[K_DEVICE], 64u, &c->device) ||
        !fwx_pkg_uint(d, v[K_COUNTER], FWX_CBOR_MAX_INT, &c->counter) || !text_at(d, v[K_REQ], 64u, &c->req) ||
        !text_at(d, v[K_FROM], 64u, &c->from))
        return false;
    if (!opt_text(d, v[K_MODULE], 64u, &c->module)) return false;
    c->has_session = v[K_SESSION] != FWX_PKG_ABSENT;
    if (c->has_session) {
        if (!fwx_pkg_uint(d, v[K_SESSION], 0xffffu, &u)) return false;
        c->session = (uint32_t)u;
    }
    c->has_window = v[K_WINDOW] != FWX_PKG_ABSENT;
    if (c->has_window) {
        if (!fwx_pkg_uint(d, v[K_WINDOW], 1024u, &u)) return false;
        c->window = (uint32_t)u;
    }
    c->has_package = v[K_SHA256] != FWX_PKG_ABSENT;
    c->version.len = -1;
    if (c->has_package) {
        if (!fwx_pkg_bytes(d, v[K_SHA256], 32u, &c->sha256_at) || !fwx_pkg_uint(d, v[K_SIZE], FWX_CBOR_MAX_INT, &c->size) ||
            !text_at(d, v[K_VERSION], 64u, &c->version) || !fwx_pkg_uint(d, v[K_SEQUENCE], FWX_CBOR_MAX_INT, &c->sequence))
            return false;
    } else if (v[K_SIZE] != FWX_PKG_ABSENT || v[K_VERSION] != FWX_PKG_ABSENT || v[K_SEQUENCE] != FWX_PKG_ABSENT) {
        return false; /* given without sha256 */
    }
    c->has_delta = v[K_DELTA] != FWX_PKG_ABSENT;
    if (c->has_delta) {
        uint32_t n, pos, end;
        if (!fwx_pkg_array(d, v[K_DELTA], 3u, &n, &pos) || n != 3u || !fwx_pkg_bytes(d, pos, 32u, &c->base_at)) return false;
        pos = c->base_at + 32u;
        if (!fwx_pkg_uint(d, pos, FWX_CBOR_MAX_INT, &c->delta_size) || !fwx_pkg_item_end(d, pos, &end) ||
            !fwx_pkg_bytes(d, end, 32u, &c->delta_sha_at))
            return false;
    }
    if (!texts_ok(d, v[K_CUSTOMERS]) || !texts_ok(d, v[K_GROUPS]) || !values_ok(d, v[K_VALUES])) return false;
    c->customers_at = v[K_CUSTOMERS];
    c->groups_at = v[K_GROUPS];
    c->values_at = v[K_VALUES];
    c->revocations_at = FWX_CMD_ABSENT;
    c->revocations_len = 0u;
    if (v[K_REVOCATIONS] != FWX_PKG_ABSENT) {
        fwx_cbor_t cur;
        fwx_cbor_item_t it;
        fwx_cbor_init(&cur, d->buf, v[K_REVOCATIONS], d->len);
        if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES) return false;
        c->revocations_at = it.data;
        c->revocations_len = (uint32_t)it.arg;
    }
    c->preempt = 0;
    if (v[K_PREEMPT] != FWX_PKG_ABSENT) {
        fwx_cbor_t cur;
        fwx_cbor_item_t it;
        fwx_cbor_init(&cur, d->buf, v[K_PREEMPT], d->len);
        if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_SIMPLE || (it.info != FWX_CBOR_TRUE && it.info != FWX_CBOR_FALSE)) return false;
        c->preempt = it.info == FWX_CBOR_TRUE;
    }
    return true;
}

int fwx_cmd_open(const uint8_t *payload, uint32_t len, fwx_cmd *out)
{
    fwx_cbor_t cur;
    fwx_cbor_item_t it;
    uint32_t fail_at;
    pkg_doc_t body;
    fwx_sha256_t h;
    memset(out, 0, sizeof *out);
    if (len > FWX_CMD_MAX || !fwx_cbor_valid(payload, len, &fail_at)) return -1;
    fwx_cbor_init(&cur, payload, 0u, len);
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_ARRAY || it.arg != 3u) return -1;
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES) return -1;
    out->body = payload + it.data;
    out->body_len = (uint32_t)it.arg;
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES || it.arg != FWX_ED25519_SIGNATURE_BYTES) return -1;
    out->signature = payload + it.data;
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES) return -1;
    out->opcert = payload + it.data;
    out->opcert_len = (uint32_t)it.arg;
    if (!fwx_cbor_valid(out->body, out->body_len, &fail_at)) return -1;
    body.buf = out->body;
    body.len = out->body_len;
    if (!decode_body(&body, out)) return -1;
    fwx_sha256_init(&h);
    fwx_sha256_update(&h, out->body, out->body_len);
    fwx_sha256_final(&h, out->digest);
    return 0;
}

static int refuse(const char **code, const char *what, char *message, size_t cap, const char *a, const char *b, const char *c)
{
    fwx_text t;
    *code = what;
    fwx_text_init(&t, message, cap);
    if (a) fwx_text_str(&t, a);
    if (b) fwx_text_str(&t, b);
    if (c) fwx_text_str(&t, c);
    return -1;
}

/* A certificate's validity refused with its bound named, as the Node agent names it (identity.ts
 * validity()): "<what> is not valid yet: valid from <time>" or "<what> expired at <time>". */
static int refuse_validity(const char **code, bool expired, char *message, size_t cap, const char *what, uint64_t bound)
{
    char when[32];
    fwx_text t;
    fwx_text_init(&t, when, sizeof when);
    fwx_text_iso_time(&t, bound);
    return expired ? refuse(code, "expired", message, cap, what, " expired at ", when)
                   : refuse(code, "not-yet-valid", message, cap, what, " is not valid yet: valid from ", when);
}

static bool same_text(const uint8_t *buf, fwx_cmd_text t, const char *s)
{
    size_t n = fwx_strlen(s);
    return t.len >= 0 && (size_t)t.len == n && memcmp(buf + t.at, s, n) == 0;
}

/* Every entry "*" or one of OPERATIONS (identity.ts operationList). */
static bool operations_ok(const pkg_doc_t *d, uint32_t at)
{
    uint32_t count, pos, i, k;
    if (!fwx_pkg_names_ok(d, at) || !fwx_pkg_array(d, at, 256u, &count, &pos)) return false;
    for (i = 0u; i < count; i++) {
        fwx_cmd_text t;
        bool known = false;
        if (!text_at(d, pos, 64u, &t)) return false;
        known = same_text(d->buf, t, "*");
        for (k = 0u; k < sizeof operations / sizeof operations[0] && !known; k++) known = same_text(d->buf, t, operations[k]);
        if (!known) return false;
        pos = t.at + (uint32_t)t.len;
    }
    return true;
}

int fwx_cmd_check(fwx_cmd_gate *g, const fwx_cmd *c, int64_t now_s, const char **code, char *message, size_t cap)
{
    fwx_cbor_t cur;
    fwx_cbor_item_t it;
    uint32_t fail_at, v[O_LAST + 1u], key_at;
    const uint8_t *cert_body, *cert_sig;
    uint32_t cert_len;
    uint64_t not_before, not_after;
    pkg_doc_t d;
    fwx_cmd_text op_id;
    char op[17];
    if (!same_text(c->body, c->device, g->device_id)) return refuse(code, "out-of-scope", message, cap, "command is addressed to another device, this is ", g->device_id, NULL);
    /* The operator certificate: [body, root signature] */
    if (!fwx_cbor_valid(c->opcert, c->opcert_len, &fail_at)) return refuse(code, "bad-signature", message, cap, "operator certificate is malformed", NULL, NULL);
    fwx_cbor_init(&cur, c->opcert, 0u, c->opcert_len);
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_ARRAY || it.arg != 2u || !fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES)
        return refuse(code, "bad-signature", message, cap, "operator certificate is malformed: expected [body, signature]", NULL, NULL);
    cert_body = c->opcert + it.data;
    cert_len = (uint32_t)it.arg;
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES || it.arg != FWX_ED25519_SIGNATURE_BYTES)
        return refuse(code, "bad-signature", message, cap, "operator certificate is malformed: expected [body, signature]", NULL, NULL);
    cert_sig = c->opcert + it.data;
    if (cert_len > sizeof g->work - sizeof opcert_domain) return refuse(code, "bad-signature", message, cap, "operator certificate is too large", NULL, NULL);
    memcpy(g->work, opcert_domain, sizeof opcert_domain);
    memcpy(g->work + sizeof opcert_domain, cert_body, cert_len);
    if (!fwx_ed25519_verify(cert_sig, g->root_public_key, g->work, (uint32_t)sizeof opcert_domain + cert_len))
        return refuse(code, "bad-signature", message, cap, "operator certificate is not signed by this device's product root", NULL, NULL);
    d.buf = cert_body;
    d.len = cert_len;
    if (!fwx_cbor_valid(cert_body, cert_len, &fail_at) || !fwx_pkg_map_fields(&d, 0u, O_LAST, v) || !text_at(&d, v[O_ID], 64u, &op_id) ||
        !fwx_pkg_name_ok(cert_body + op_id.at, (uint32_t)op_id.len) || cert_body[op_id.at] == '*' ||
        !fwx_pkg_bytes(&d, v[O_KEY], 32u, &key_at) || !operations_ok(&d, v[O_OPERATIONS]) || !fwx_pkg_names_ok(&d, v[O_CUSTOMERS]) ||
        (v[O_GROUPS] != FWX_PKG_ABSENT && !fwx_pkg_names_ok(&d, v[O_GROUPS])) ||
        (v[O_DEVICES] != FWX_PKG_ABSENT && !fwx_pkg_names_ok(&d, v[O_DEVICES])) ||
        !fwx_pkg_uint(&d, v[O_NOT_BEFORE], FWX_CBOR_MAX_INT, &not_before) || !fwx_pkg_uint(&d, v[O_NOT_AFTER], FWX_CBOR_MAX_INT, &not_after) ||
        not_after <= not_before)
        return refuse(code, "bad-signature", message, cap, "operator certificate body is malformed", NULL, NULL);
    /* Revocation before validity, as checkOperatorCertificate: the certificate's digest, then the operator key. */
    if (g->revocations != NULL) {
        uint8_t digest[32];
        fwx_sha256_t sha;
        int by;
        fwx_sha256_init(&sha);
        fwx_sha256_update(&sha, cert_body, cert_len);
        fwx_sha256_final(&sha, digest);
        by = g->revocations->lists(g->revocations->ctx, digest, cert_body + key_at);
        if (by != 0) {
            char id[65], serial[24];
            fwx_text t;
            memcpy(id, cert_body + op_id.at, (size_t)op_id.len);
            id[op_id.len] = '\0';
            fwx_text_init(&t, serial, sizeof serial);
            fwx_text_u64(&t, g->revocations->serial(g->revocations->ctx));
            (void)refuse(code, "revoked", message, cap, "operator \"", id, by == 1 ? "\"'s certificate is revoked (revocation list serial " : "\"'s key is revoked (revocation list serial ");
            t.buf = message; /* appended to, not cleared */
            t.cap = cap;
            t.len = fwx_strlen(message);
            fwx_text_str(&t, serial);
            fwx_text_str(&t, ")");
            return -1;
        }
    }
    if (now_s < 0 || (uint64_t)now_s < not_before) return refuse_validity(code, false, message, cap, "operator certificate", not_before);
    if ((uint64_t)now_s >= not_after) return refuse_validity(code, true, message, cap, "operator certificate", not_after);
    fwx_cmd_copy(c, c->op, op, sizeof op);
    if (!fwx_pkg_name_listed(&d, v[O_OPERATIONS], (const uint8_t *)op, (uint32_t)fwx_strlen(op)))
        return refuse(code, "operation-not-allowed", message, cap, "operator may not ", op, NULL);
    if (!fwx_pkg_name_listed(&d, v[O_CUSTOMERS], (const uint8_t *)g->customer, (uint32_t)fwx_strlen(g->customer)))
        return refuse(code, "out-of-scope", message, cap, "operator is not certified for customer ", g->customer, NULL);
    if (!fwx_pkg_name_listed(&d, v[O_GROUPS], (const uint8_t *)g->group, (uint32_t)fwx_strlen(g->group)))
        return refuse(code, "out-of-scope", message, cap, "operator is not certified for group ", g->group, NULL);
    if (!fwx_pkg_name_listed(&d, v[O_DEVICES], (const uint8_t *)g->device_id, (uint32_t)fwx_strlen(g->device_id)))
        return refuse(code, "out-of-scope", message, cap, "operator is not certified for device ", g->device_id, NULL);
    /* The command's signature under the certified operator key. */
    if (c->body_len > sizeof g->work - sizeof cmd_domain) return refuse(code, "bad-signature", message, cap, "command body is too large", NULL, NULL);
    {
        uint8_t op_key[32];
        memcpy(op_key, cert_body + key_at, 32u);
        memcpy(g->work, cmd_domain, sizeof cmd_domain);
        memcpy(g->work + sizeof cmd_domain, c->body, c->body_len);
        if (!fwx_ed25519_verify(c->signature, op_key, g->work, (uint32_t)sizeof cmd_domain + c->body_len))
            return refuse(code, "bad-signature", message, cap, "command signature does not verify under the operator's key", NULL, NULL);
    }
    if (c->counter <= g->counter) {
        char a[24], b[24];
        fwx_text t;
        fwx_text_init(&t, a, sizeof a);
        fwx_text_u64(&t, c->counter);
        fwx_text_init(&t, b, sizeof b);
        fwx_text_u64(&t, g->counter);
        (void)refuse(code, "replayed", message, cap, "counter ", a, " is not above ");
        t.buf = message; /* appended to, not cleared */
        t.cap = cap;
        t.len = fwx_strlen(message);
        fwx_text_str(&t, b);
        fwx_text_str(&t, ", the highest this device accepted");
        return -1;
    }
    return 0;
}

int fwx_cmd_admit(fwx_cmd_gate *g, const fwx_cmd *c, int64_t now_s, const char **code, char *message, size_t cap)
{
    if (fwx_cmd_check(g, c, now_s, code, message, cap) != 0) return -1;
    /* Recorded before the command runs: a crash after this point can lose the command, never replay it. */
    if (g->counter_port.save && g->counter_port.save(g->counter_port.ctx, c->counter) != 0)
        return refuse(code, "internal", message, cap, "cannot record the command counter", NULL, NULL);
    g->counter = c->counter;
    return 0;
}

int fwx_cmd_allows(const fwx_cmd *c, uint32_t list_at, const char *value)
{
    pkg_doc_t d;
    d.buf = c->body;
    d.len = c->body_len;
    return fwx_pkg_name_listed(&d, list_at == FWX_CMD_ABSENT ? FWX_PKG_ABSENT : list_at, (const uint8_t *)value, (uint32_t)fwx_strlen(value));
}

void fwx_cmd_names(const fwx_cmd *c, uint32_t list_at, char *out, size_t cap)
{
    pkg_doc_t d;
    fwx_text t;
    uint32_t count, pos, i;
    fwx_text_init(&t, out, cap);
    if (list_at == FWX_CMD_ABSENT) return;
    d.buf = c->body;
    d.len = c->body_len;
    if (!fwx_pkg_array(&d, list_at, 256u, &count, &pos)) return;
    for (i = 0u; i < count; i++) {
        pkg_range_t r;
        if (!fwx_pkg_text(&d, pos, 64u, &r)) return;
        if (i > 0u) fwx_text_str(&t, ", ");
        fwx_text_n(&t, (const char *)d.buf + r.at, (size_t)(r.end - r.at));
        pos = r.end;
    }
}

void fwx_cmd_copy(const fwx_cmd *c, fwx_cmd_text t, char *out, size_t cap)
{
    size_t n = t.len < 0 ? 0u : (size_t)t.len;
    if (cap == 0u) return;
    if (n >= cap) n = cap - 1u;
    if (n) memcpy(out, c->body + t.at, n);
    out[n] = '\0';
}

static void jw_text(fwx_json_writer *w, const fwx_cmd *c, fwx_cmd_text t) { fwx_jw_string_n(w, (const char *)c->body + t.at, (size_t)t.len); }

static void jw_hex(fwx_json_writer *w, const uint8_t *p)
{
    char hex[65];
    fwx_text t;
    fwx_text_init(&t, hex, sizeof hex);
    fwx_text_hex(&t, p, 32u);
    fwx_jw_string(w, hex);
}

long fwx_cmd_to_json(const fwx_cmd *c, char *out, size_t cap)
{
    fwx_json_writer w;
    fwx_jw_init(&w, out, cap);
    fwx_jw_begin_object(&w);
    fwx_jw_key(&w, "op"); jw_text(&w, c, c->op);
    fwx_jw_key(&w, "req"); jw_text(&w, c, c->req);
    fwx_jw_key(&w, "from"); jw_text(&w, c, c->from);
    if (c->module.len >= 0) { fwx_jw_key(&w, "module"); jw_text(&w, c, c->module); }
    if (c->has_session) { fwx_jw_key(&w, "session"); fwx_jw_int(&w, c->session); }
    if (c->has_window) { fwx_jw_key(&w, "window"); fwx_jw_int(&w, c->window); }
    if (c->has_package) {
        fwx_jw_key(&w, "package");
        fwx_jw_begin_object(&w);
        fwx_jw_key(&w, "module");
        if (c->module.len >= 0) jw_text(&w, c, c->module);
        else fwx_jw_null(&w);
        fwx_jw_key(&w, "version"); jw_text(&w, c, c->version);
        fwx_jw_key(&w, "sequence"); fwx_jw_int(&w, (int64_t)c->sequence);
        fwx_jw_key(&w, "sha256"); jw_hex(&w, c->body + c->sha256_at);
        fwx_jw_key(&w, "size"); fwx_jw_int(&w, (int64_t)c->size);
        fwx_jw_end_object(&w);
    }
    if (c->has_delta) {
        fwx_jw_key(&w, "delta");
        fwx_jw_begin_object(&w);
        fwx_jw_key(&w, "base"); jw_hex(&w, c->body + c->base_at);
        fwx_jw_key(&w, "size"); fwx_jw_int(&w, (int64_t)c->delta_size);
        fwx_jw_key(&w, "sha256"); jw_hex(&w, c->body + c->delta_sha_at);
        fwx_jw_end_object(&w);
    }
    if (c->values_at != FWX_CMD_ABSENT) {
        pkg_doc_t d;
        uint32_t count, pos, i, n, first;
        d.buf = c->body;
        d.len = c->body_len;
        fwx_jw_key(&w, "values");
        fwx_jw_begin_object(&w);
        if (fwx_pkg_array(&d, c->values_at, 64u, &count, &pos)) {
            for (i = 0u; i < count; i++) {
                pkg_range_t k, v;
                char key[65];
                if (!fwx_pkg_array(&d, pos, 2u, &n, &first) || !fwx_pkg_text(&d, first, 64u, &k) || !fwx_pkg_text(&d, k.end, 256u, &v)) break;
                memcpy(key, c->body + k.at, k.end - k.at);
                key[k.end - k.at] = '\0';
                fwx_jw_key(&w, key);
                fwx_jw_string_n(&w, (const char *)c->body + v.at, v.end - v.at);
                pos = v.end;
            }
        }
        fwx_jw_end_object(&w);
    }
    fwx_jw_end_object(&w);
    return fwx_jw_finish(&w);
}

/* DEVCERT_KEYS of src/pkg/identity.ts */
enum { D_ID = 1, D_KEY, D_CUSTOMER, D_GROUP, D_NOT_BEFORE, D_NOT_AFTER, D_LAST = D_NOT_AFTER };
static const uint8_t devcert_domain[14] = { 'f', 'w', 'x', '-', 'd', 'e', 'v', 'c', 'e', 'r', 't', '-', '1', 0 };

int fwx_cmd_check_device_cert(fwx_cmd_gate *g, const uint8_t *cert, uint32_t len, const uint8_t seed[32], int64_t now_s, char *message, size_t cap)
{
    const char *code;
    fwx_cbor_t cur;
    fwx_cbor_item_t it;
    uint32_t fail_at, v[D_LAST + 1u], key_at;
    const uint8_t *body, *sig;
    uint32_t body_len;
    uint64_t not_before, not_after;
    pkg_doc_t d;
    fwx_cmd_text id, customer, group;
    uint8_t probe_sig[FWX_ED25519_SIGNATURE_BYTES];
    static const uint8_t probe[] = { 'f', 'w', 'x', '-', 'k', 'e', 'y', '-', 'c', 'h', 'e', 'c', 'k' };
    if (!fwx_cbor_valid(cert, len, &fail_at)) return refuse(&code, "bad-signature", message, cap, "device certificate is not CBOR", NULL, NULL);
    fwx_cbor_init(&cur, cert, 0u, len);
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_ARRAY || it.arg != 2u || !fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES)
        return refuse(&code, "bad-signature", message, cap, "device certificate is not [body, signature]", NULL, NULL);
    body = cert + it.data;
    body_len = (uint32_t)it.arg;
    if (!fwx_cbor_next(&cur, &it) || it.major != FWX_CBOR_BYTES || it.arg != FWX_ED25519_SIGNATURE_BYTES || body_len > sizeof g->work - sizeof devcert_domain)
        return refuse(&code, "bad-signature", message, cap, "device certificate is not [body, signature]", NULL, NULL);
    sig = cert + it.data;
    memcpy(g->work, devcert_domain, sizeof devcert_domain);
    memcpy(g->work + sizeof devcert_domain, body, body_len);
    if (!fwx_ed25519_verify(sig, g->root_public_key, g->work, (uint32_t)sizeof devcert_domain + body_len))
        return refuse(&code, "bad-signature", message, cap, "device certificate is not signed by the product root", NULL, NULL);
    d.buf = body;
    d.len = body_len;
    if (!fwx_cbor_valid(body, body_len, &fail_at) || !fwx_pkg_map_fields(&d, 0u, D_LAST, v) || !text_at(&d, v[D_ID], 64u, &id) ||
        !fwx_pkg_bytes(&d, v[D_KEY], 32u, &key_at) || !text_at(&d, v[D_CUSTOMER], 64u, &customer) || !text_at(&d, v[D_GROUP], 64u, &group) ||
        !fwx_pkg_uint(&d, v[D_NOT_BEFORE], FWX_CBOR_MAX_INT, &not_before) || !fwx_pkg_uint(&d, v[D_NOT_AFTER], FWX_CBOR_MAX_INT, &not_after) ||
        not_after <= not_before)
        return refuse(&code, "bad-signature", message, cap, "device certificate body is malformed", NULL, NULL);
    if (!same_text(body, id, g->device_id)) return refuse(&code, "out-of-scope", message, cap, "device certificate is for another device than ", g->device_id, NULL);
    if (now_s < 0 || (uint64_t)now_s < not_before) return refuse_validity(&code, false, message, cap, "device certificate", not_before);
    if ((uint64_t)now_s >= not_after) return refuse_validity(&code, true, message, cap, "device certificate", not_after);
    /* The key it certifies is this device's key: a signature made with the seed verifies under it. */
    {
        uint8_t key[32];
        memcpy(key, body + key_at, 32u);
        if (!fwx_ed25519_sign(probe_sig, seed, probe, (uint32_t)sizeof probe) || !fwx_ed25519_verify(probe_sig, key, probe, (uint32_t)sizeof probe))
            return refuse(&code, "out-of-scope", message, cap, "device certificate certifies another key than the device key", NULL, NULL);
    }
    return 0;
}
