/*
 * pkg_harness.c: runs the C verifier over the corpus tests/c/pkg/corpus.ts
 * wrote (see its header for the line format) and compares every verdict
 * with the TypeScript one; then checks what only the C side has (reader
 * errors, the work-buffer limit, malformed device inputs, bounded reads).
 * Exit 0 only when everything agrees. Test code: libc is fine here.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_cbor.h"
#include "fwx_pkg_internal.h"
#include "fwx_pkg_verify.h"

static unsigned long compared, mismatches;

#define MISMATCH(...)                                   \
    do {                                                \
        mismatches++;                                   \
        if (mismatches <= 30) {                         \
            fprintf(stderr, "MISMATCH: " __VA_ARGS__);  \
            fputc('\n', stderr);                        \
        }                                               \
    } while (0)

typedef struct mem {
    const uint8_t *bytes;
    uint32_t len;
    uint32_t max_read;   /* largest single read */
    int fail_at_read;    /* > 0: that read (1-based) fails */
    int reads;
    int out_of_range;
    uint32_t watch_lo, watch_hi; /* the payload: no read of it larger than a chunk */
    int big_payload_read;
} mem_t;

static int mem_read(void *ctx, uint32_t offset, uint8_t *buf, uint32_t len)
{
    mem_t *m = ctx;
    m->reads++;
    if (m->fail_at_read > 0 && m->reads == m->fail_at_read) return -1;
    if (offset > m->len || len > m->len - offset) {
        m->out_of_range = 1;
        return -1;
    }
    if (len > m->max_read) m->max_read = len;
    if (m->watch_hi > 0 && offset < m->watch_hi && offset + len > m->watch_lo && len > FWX_PKG_CHUNK_BYTES) m->big_payload_read = 1;
    memcpy(buf, m->bytes + offset, len);
    return 0;
}

static uint8_t *unhex(const char *h, uint32_t *len)
{
    size_t n = strcmp(h, "-") == 0 ? 0 : strlen(h) / 2, i;
    uint8_t *b = malloc(n ? n : 1);
    for (i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    *len = (uint32_t)n;
    return b;
}

/* ---- the device inputs of the records that follow (ctx-* lines) */
static uint8_t root[32];
static uint64_t now_s, installed;
static uint8_t *customer, *group, *board, *revoked_file;
static uint32_t customer_len, group_len, board_len, revoked_len;
static int has_customer, has_group, device_class;
static fwx_interface_desc_t offered[16];
static char offered_names[16][40];
static uint32_t offered_count;
static mem_t revoked_mem;
static fwx_revocations_t revoked;
static int has_revoked;
static uint8_t work[256 * 1024];
static uint8_t rl_work[64 * 1024];

static void set_ctx(const char *field, const char *value)
{
    uint32_t n;
    if (strcmp(field, "ctx-root") == 0) {
        uint8_t *b = unhex(value, &n);
        memcpy(root, b, 32);
        free(b);
    } else if (strcmp(field, "ctx-now") == 0) {
        now_s = strtoull(value, NULL, 10);
    } else if (strcmp(field, "ctx-customer") == 0) {
        free(customer);
        has_customer = strcmp(value, "-") != 0;
        customer = unhex(value, &customer_len);
    } else if (strcmp(field, "ctx-group") == 0) {
        free(group);
        has_group = strcmp(value, "-") != 0;
        group = unhex(value, &group_len);
    } else if (strcmp(field, "ctx-class") == 0) {
        device_class = atoi(value);
    } else if (strcmp(field, "ctx-board") == 0) {
        free(board);
        board = unhex(value, &board_len);
    } else if (strcmp(field, "ctx-offered") == 0) {
        char copy[1024], *save = NULL, *tok;
        offered_count = 0;
        snprintf(copy, sizeof copy, "%s", value);
        for (tok = strtok_r(copy, ",", &save); tok && strcmp(tok, "-") != 0 && offered_count < 16; tok = strtok_r(NULL, ",", &save)) {
            unsigned major, minor;
            char name[40];
            sscanf(tok, "%39[^:]:%u:%u", name, &major, &minor);
            snprintf(offered_names[offered_count], sizeof offered_names[0], "%s", name);
            offered[offered_count].module = "";
            offered[offered_count].name = offered_names[offered_count];
            offered[offered_count].major = (uint16_t)major;
            offered[offered_count].minor = (uint16_t)minor;
            offered_count++;
        }
    } else if (strcmp(field, "ctx-installed") == 0) {
        installed = strtoull(value, NULL, 10);
    } else if (strcmp(field, "ctx-revoked") == 0) {
        free(revoked_file);
        revoked_file = unhex(value, &revoked_len);
        has_revoked = revoked_len > 0;
        if (has_revoked) {
            fwx_pkg_source_t src;
            int rc;
            memset(&revoked_mem, 0, sizeof revoked_mem);
            revoked_mem.bytes = revoked_file;
            revoked_mem.len = revoked_len;
            src.read = mem_read;
            src.ctx = &revoked_mem;
            src.length = revoked_len;
            rc = fwx_revocations_verify(&src, root, rl_work, sizeof rl_work, &revoked);
            if (rc != 0) MISMATCH("kept revocation list does not verify in C (%d)", rc);
        }
    }
}

static fwx_pkg_device_t device_inputs(void)
{
    fwx_pkg_device_t d;
    memset(&d, 0, sizeof d);
    d.root_public_key = root;
    d.now = now_s;
    d.customer = has_customer ? customer : NULL;
    d.customer_length = customer_len;
    d.group = has_group ? group : NULL;
    d.group_length = group_len;
    d.device_class = (uint8_t)device_class;
    d.board_capabilities = board;
    d.board_capabilities_length = board_len;
    d.offered = offered;
    d.offered_count = offered_count;
    d.installed_sequence = installed;
    d.revoked = has_revoked ? &revoked : NULL;
    return d;
}

static int verify(const uint8_t *bytes, uint32_t len, fwx_pkg_verified_t *out, mem_t *m)
{
    fwx_pkg_source_t src;
    fwx_pkg_device_t d = device_inputs();
    fwx_pkg_error_t err;
    int rc;
    memset(m, 0, sizeof *m);
    m->bytes = bytes;
    m->len = len;
    src.read = mem_read;
    src.ctx = m;
    src.length = len;
    rc = fwx_pkg_verify(&src, &d, work, sizeof work, out, &err);
    if (m->out_of_range) MISMATCH("verifier read outside the file (len %u)", len);
    if (rc != 0 && err.code != rc) MISMATCH("error struct code %d differs from the return value %d", err.code, rc);
    if (rc != 0 && err.what == NULL) MISMATCH("refusal %d without a description", rc);
    return rc;
}

static void compare(const char *label, long index, int want, int got)
{
    compared++;
    if (want != got) MISMATCH("%s[%ld]: TypeScript %s (%d), C %s (%d)", label, index, fwx_pkg_error_name(want), want, fwx_pkg_error_name(got), got);
}

static void check_span_hex(const char *label, const char *what, const uint8_t *pkg, fwx_span_t s, const char *want_hex)
{
    uint32_t n;
    uint8_t *want = unhex(want_hex, &n);
    compared++;
    if (n != s.length || memcmp(pkg + s.offset, want, n) != 0) MISMATCH("%s: %s differs", label, what);
    free(want);
}

static void check_bytes_hex(const char *label, const char *what, const uint8_t *got, const char *want_hex)
{
    uint32_t n;
    uint8_t *want = unhex(want_hex, &n);
    compared++;
    if (n != 32 || memcmp(got, want, 32) != 0) MISMATCH("%s: %s differs", label, what);
    free(want);
}

static void check_uint(const char *label, const char *what, unsigned long long got, const char *want)
{
    compared++;
    if (got != strtoull(want, NULL, 10)) MISMATCH("%s: %s is %llu, TypeScript says %s", label, what, got, want);
}

static void run_line(char *line)
{
    char *save = NULL;
    char *kind = strtok_r(line, " \n", &save);
    if (!kind) return;
    if (strncmp(kind, "ctx-", 4) == 0) {
        set_ctx(kind, strtok_r(NULL, " \n", &save));
    } else if (strcmp(kind, "pkg") == 0) {
        char *label = strtok_r(NULL, " \n", &save);
        int want = atoi(strtok_r(NULL, " \n", &save));
        uint32_t len;
        uint8_t *bytes = unhex(strtok_r(NULL, " \n", &save), &len);
        fwx_pkg_verified_t out;
        mem_t m;
        compare(label, -1, want, verify(bytes, len, &out, &m));
        free(bytes);
    } else if (strcmp(kind, "flips") == 0 || strcmp(kind, "truncs") == 0) {
        char *label = strtok_r(NULL, " \n", &save);
        uint32_t len, i;
        uint8_t *good = unhex(strtok_r(NULL, " \n", &save), &len);
        char *codes = strtok_r(NULL, " \n", &save), *cs = NULL, *tok = strtok_r(codes, ",", &cs);
        uint8_t *bad = malloc(len);
        fwx_pkg_verified_t out;
        mem_t m;
        bool flips = strcmp(kind, "flips") == 0;
        for (i = 0; tok != NULL && i < (flips ? len * 8u : len); i++, tok = strtok_r(NULL, ",", &cs)) {
            memcpy(bad, good, len);
            if (flips) bad[i / 8] ^= (uint8_t)(1u << (i % 8));
            compare(label, (long)i, atoi(tok), verify(bad, flips ? len : i, &out, &m));
        }
        if (i != (flips ? len * 8u : len)) MISMATCH("%s %s: corpus has %u codes", kind, label, i);
        free(bad);
        free(good);
    } else if (strcmp(kind, "accept") == 0) {
        char *label = strtok_r(NULL, " \n", &save), *f[13];
        uint32_t len, i;
        uint8_t *bytes = unhex(strtok_r(NULL, " \n", &save), &len);
        fwx_pkg_verified_t out;
        mem_t m;
        int rc;
        for (i = 0; i < 13; i++) f[i] = strtok_r(NULL, " \n", &save);
        rc = verify(bytes, len, &out, &m);
        compare(label, -1, 0, rc);
        if (rc == 0) {
            check_span_hex(label, "module id", bytes, out.module_id, f[0]);
            check_span_hex(label, "version", bytes, out.version, f[1]);
            check_uint(label, "sequence", out.sequence, f[2]);
            check_uint(label, "payload offset", out.payload.offset, f[3]);
            check_uint(label, "payload length", out.payload.length, f[4]);
            check_bytes_hex(label, "payload SHA-256", out.payload_sha256, f[5]);
            check_bytes_hex(label, "certificate digest", out.certificate_digest, f[6]);
            check_uint(label, "RAM budget", out.ram_bytes, f[7]);
            check_uint(label, "fuel per callback", out.fuel_per_callback, f[8]);
            check_uint(label, "interface count", out.interface_count, f[9]);
            check_uint(label, "config count", out.config_count, f[10]);
            check_uint(label, "device class", out.device_class, f[11]);
            check_uint(label, "fuel instrumented", out.fuel_instrumented, f[12]);
            /* The payload is hashed and walked in chunks, never read whole. */
            {
                fwx_pkg_source_t src;
                fwx_pkg_device_t d = device_inputs();
                fwx_pkg_verified_t again;
                mem_t w;
                memset(&w, 0, sizeof w);
                w.bytes = bytes;
                w.len = len;
                w.watch_lo = out.payload.offset;
                w.watch_hi = out.payload.offset + out.payload.length;
                src.read = mem_read;
                src.ctx = &w;
                src.length = len;
                compare(label, -2, 0, fwx_pkg_verify(&src, &d, work, sizeof work, &again, NULL));
                compared++;
                if (w.big_payload_read) MISMATCH("%s: the payload was read in a piece larger than %u bytes", label, FWX_PKG_CHUNK_BYTES);
            }
        }
        free(bytes);
    } else if (strcmp(kind, "rl") == 0) {
        char *label = strtok_r(NULL, " \n", &save);
        int ok = atoi(strtok_r(NULL, " \n", &save));
        char *serial = strtok_r(NULL, " \n", &save), *certs = strtok_r(NULL, " \n", &save), *keys = strtok_r(NULL, " \n", &save);
        uint32_t len;
        uint8_t *bytes = unhex(strtok_r(NULL, " \n", &save), &len);
        fwx_pkg_source_t src;
        fwx_revocations_t rl;
        mem_t m;
        int rc;
        memset(&m, 0, sizeof m);
        m.bytes = bytes;
        m.len = len;
        src.read = mem_read;
        src.ctx = &m;
        src.length = len;
        rc = fwx_revocations_verify(&src, root, rl_work, sizeof rl_work, &rl);
        compared++;
        if ((rc == 0) != (ok == 1)) MISMATCH("revocation list %s: TypeScript %s, C %d", label, ok ? "accepts" : "refuses", rc);
        if (rc == 0 && ok == 1) {
            check_uint(label, "serial", rl.serial, serial);
            check_uint(label, "revoked certificates", rl.certificate_count, certs);
            check_uint(label, "revoked keys", rl.key_count, keys);
        }
        free(bytes);
    } else if (strcmp(kind, "cbor") == 0) {
        int ok = atoi(strtok_r(NULL, " \n", &save));
        char *h = strtok_r(NULL, " \n", &save);
        uint32_t len, at;
        uint8_t *bytes = unhex(h, &len);
        bool got = fwx_cbor_valid(bytes, len, &at);
        compared++;
        if (got != (ok == 1)) MISMATCH("CBOR %s: TypeScript %s, C %s", h, ok ? "accepts" : "refuses", got ? "accepts" : "refuses");
        free(bytes);
    } else {
        MISMATCH("unknown corpus line kind %s", kind);
    }
}

/* What only the device has: the reader, the work buffer, its own inputs. Uses the first accepted package. */
static void device_only_checks(const uint8_t *good, uint32_t len)
{
    fwx_pkg_source_t src;
    fwx_pkg_device_t d = device_inputs();
    fwx_pkg_verified_t out;
    fwx_pkg_error_t err;
    mem_t m;
    int rc, reads, i;
    uint32_t m_len = (uint32_t)good[6] | (uint32_t)good[7] << 8, s_len = (uint32_t)good[12] | (uint32_t)good[13] << 8;
    static const uint8_t bad_board[] = { 0xa1, 0x01, 0x18, 0x41 }; /* timers 65 */

    memset(&m, 0, sizeof m);
    m.bytes = good;
    m.len = len;
    src.read = mem_read;
    src.ctx = &m;
    src.length = len;
    rc = fwx_pkg_verify(&src, &d, work, FWX_PKG_WORK_BYTES(m_len, s_len), &out, &err);
    compare("exact work buffer", -1, 0, rc);
    reads = m.reads;
    m.reads = 0;
    compare("work buffer one byte short", -1, FWX_PKG_E_TOO_LARGE, fwx_pkg_verify(&src, &d, work, FWX_PKG_WORK_BYTES(m_len, s_len) - 1u, &out, &err));
    /* Every read failing in turn gives FWX_PKG_E_IO, never a verdict. */
    for (i = 1; i <= reads; i++) {
        memset(&m, 0, sizeof m);
        m.bytes = good;
        m.len = len;
        m.fail_at_read = i;
        compare("reader fails", i, FWX_PKG_E_IO, fwx_pkg_verify(&src, &d, work, sizeof work, &out, &err));
    }
    memset(&m, 0, sizeof m);
    m.bytes = good;
    m.len = len;
    d.board_capabilities = bad_board;
    d.board_capabilities_length = sizeof bad_board;
    compare("malformed board capabilities", -1, FWX_PKG_E_CONTEXT, fwx_pkg_verify(&src, &d, work, sizeof work, &out, &err));
    {
        /* The RAM reader the header offers gives the same verdict. */
        fwx_pkg_memory_t ram;
        fwx_pkg_source_t ram_src;
        fwx_revocations_t a, b;
        ram.bytes = good;
        ram.length = len;
        ram_src.read = fwx_pkg_memory_read;
        ram_src.ctx = &ram;
        ram_src.length = len;
        d = device_inputs();
        compare("memory reader", -1, 0, fwx_pkg_verify(&ram_src, &d, work, sizeof work, &out, &err));
        ram_src.length = len + 1u; /* claims a byte the memory does not have */
        compare("memory reader past its bytes", -1, FWX_PKG_E_TRAILING, fwx_pkg_verify(&ram_src, &d, work, sizeof work, &out, &err));
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.serial = 5;
        b.serial = 5;
        compared++;
        if (fwx_revocations_newer(&a, &b) || !fwx_revocations_newer(&a, NULL)) MISMATCH("equal serial must not replace the kept list");
        b.serial = 4;
        compared++;
        if (!fwx_revocations_newer(&a, &b) || fwx_revocations_newer(&b, &a)) MISMATCH("higher serial replaces, lower does not");
    }
    d = device_inputs();
    d.root_public_key = NULL;
    compare("no root key", -1, FWX_PKG_E_CONTEXT, fwx_pkg_verify(&src, &d, work, sizeof work, &out, &err));
}

/* The decoders on hostile bytes without signatures in the way: random damage
 * to the accepted package's manifest and certificate body, each decoded
 * directly (under ASan/UBSan in the suite). Nothing to compare: reaching the
 * end without a sanitizer report is the result. */
static void decoder_fuzz(const uint8_t *good, uint32_t len)
{
    uint32_t m_len = (uint32_t)good[6] | (uint32_t)good[7] << 8, p_len, s0, body_at, body_len, i, at;
    uint8_t *doc = malloc(65536u);
    unsigned long seed = 12345u, decoded = 0u;
    int round;
    p_len = (uint32_t)good[8] | (uint32_t)good[9] << 8 | (uint32_t)good[10] << 16 | (uint32_t)good[11] << 24;
    s0 = 16u + m_len + p_len;
    body_at = s0 + 2u + (good[s0 + 2] == 0x58u ? 2u : good[s0 + 2] == 0x59u ? 3u : 1u);
    body_len = good[s0 + 2] == 0x58u ? good[s0 + 3] : good[s0 + 2] == 0x59u ? ((uint32_t)good[s0 + 3] << 8 | good[s0 + 4]) : (good[s0 + 2] & 0x1fu);
    (void)len;
    for (round = 0; round < 60000; round++) {
        const uint8_t *src = round % 2 ? good + 16 : good + body_at;
        uint32_t n = round % 2 ? m_len : body_len, edits;
        pkg_doc_t d, board_doc;
        memcpy(doc, src, n);
        seed = seed * 1103515245u + 12345u;
        edits = 1u + (uint32_t)(seed >> 16) % 4u;
        for (i = 0; i < edits; i++) {
            seed = seed * 1103515245u + 12345u;
            doc[(seed >> 8) % n] = (uint8_t)(seed >> 20);
        }
        if (round % 7 == 0) n = (uint32_t)(seed >> 4) % (n + 1u);
        d.buf = doc;
        d.len = n;
        if (!fwx_cbor_valid(doc, n, &at)) continue;
        decoded++;
        if (round % 2) {
            pkg_manifest_t m;
            const char *what;
            if (fwx_pkg_decode_manifest(&d, &m, &what)) {
                board_doc.buf = board;
                board_doc.len = board_len;
                (void)fwx_pkg_caps_within(&d, m.capabilities.at, &board_doc, 0u);
                (void)fwx_pkg_caps_within(&board_doc, 0u, &d, m.capabilities.at);
            }
        } else {
            pkg_certificate_t c;
            const char *what;
            (void)fwx_pkg_decode_certificate(&d, &c, &what);
        }
    }
    compared++;
    if (decoded < 1000u) MISMATCH("decoder fuzz reached the decoders only %lu times", decoded);
    free(doc);
}

/* Number keys order exactly as the numbers do: config bounds compare without floating point. */
static void number_key_checks(void)
{
    static const char *const ascending[] = {
        "3b001ffffffffffffe", /* -(2^53 - 1) */
        "3a7fffffff",         /* -2^31 */
        "fbc0450ccccccccccd", /* -42.1 */
        "3829",               /* -42 */
        "20",                 /* -1 */
        "fbbfe0000000000000", /* -0.5 */
        "fbbc90000000000000", /* -2^-54 */
        "00",                 /* 0 */
        "fb0000000000000001", /* the smallest subnormal */
        "fb3c90000000000000", /* 2^-54 */
        "fb3fe0000000000000", /* 0.5 */
        "01",                 /* 1 */
        "fb3ff8000000000000", /* 1.5 */
        "1b001fffffffffffff", /* 2^53 - 1 */
    };
    uint64_t prev = 0;
    unsigned i;
    for (i = 0; i < sizeof ascending / sizeof ascending[0]; i++) {
        uint32_t n, at;
        uint8_t *b = unhex(ascending[i], &n);
        fwx_cbor_t c;
        fwx_cbor_item_t it;
        uint64_t key = 0;
        fwx_cbor_init(&c, b, 0, n);
        compared++;
        if (!fwx_cbor_valid(b, n, &at) || !fwx_cbor_next(&c, &it) || !fwx_cbor_number_key(&it, &key) || (i > 0 && key <= prev))
            MISMATCH("number key order at %s", ascending[i]);
        prev = key;
        free(b);
    }
}

int main(int argc, char **argv)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    uint8_t *first_good = NULL;
    uint32_t first_len = 0;
    if (argc != 2 || (f = fopen(argv[1], "r")) == NULL) {
        fprintf(stderr, "usage: pkg_harness <corpus file>\n");
        return 2;
    }
    while (getline(&line, &cap, f) > 0) {
        if (first_good == NULL && strncmp(line, "accept ", 7) == 0) {
            char *copy = strdup(line), *save = NULL;
            strtok_r(copy, " ", &save);
            strtok_r(NULL, " ", &save);
            first_good = unhex(strtok_r(NULL, " ", &save), &first_len);
            free(copy);
            run_line(line);
            device_only_checks(first_good, first_len);
            decoder_fuzz(first_good, first_len);
            continue;
        }
        run_line(line);
    }
    fclose(f);
    free(line);
    number_key_checks();
    free(first_good);
    free(customer);
    free(group);
    free(board);
    free(revoked_file);
    printf("pkg-verify: %lu verdicts compared, %lu mismatches\n", compared, mismatches);
    return mismatches == 0 && compared > 0 ? 0 : 1;
}
