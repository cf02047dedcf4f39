/*
 * fuzz_pkg.c: package verification (fwx_pkg_verify) on arbitrary package
 * bytes, linked with fuzz_crypto_stub.c (every signature verifies, every
 * SHA-256 is zero), so mutations reach the certificate, manifest, payload,
 * capability and interface checks behind the signatures. Seeds are the
 * accepted packages of tests/c/pkg/corpus.ts with their manifest's payload
 * hash zeroed.
 * Input: byte 0 = flags (bit 0: a revocation list is kept; bit 1: the
 * device's customer is "plant-a" (the blink seed's); bits 4-7: that
 * read of the package fails, 0 = none), then the package.
 * Checks: reads stay inside the package; an accepted package's spans lie
 * inside it, its texts are at most 64 bytes and its counts agree with the
 * spans; the verdict is the same when the package is verified again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_pkg_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t root_key[32] = { 1 };
/* tests/c/pkg/corpus.ts, the "fixture" packages' device. */
static const uint8_t board[] = {
    0xa7, 0x01, 0x08, 0x02, 0x83, 0x6b, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e', 0x68, 'h', 'u', 'm', 'i', 'd', 'i', 't', 'y',
    0x68, 'p', 'r', 'e', 's', 's', 'u', 'r', 'e', 0x03, 0x83, 0x82, 0x05, 0x09, 0x82, 0x06, 0x03, 0x82, 0x07, 0x08, 0x04, 0x82, 0x00, 0x01,
    0x06, 0x82, 0x82, 0x00, 0x18, 0x48, 0x82, 0x00, 0x18, 0x76, 0x09, 0x81, 0x61, 0x23, 0x0a, 0x19, 0x40, 0x00
};
static const fwx_interface_desc_t offered[] = {
    { "fwx:core@1", "core", 1, 2 }, { "fwx:gpio@1", "gpio", 1, 0 }, { "fwx:sensor@1", "sensor", 1, 1 }, { "fwx:kv@1", "kv", 1, 0 }
};
/* A revocation list file: [body {1: 4, 2: issued, 3: [cert digest], 4: [key, key]}, signature]. */
static const uint8_t rl_file[] = {
    0x82, 0x58, 0x73, 0xa4, 0x01, 0x04, 0x02, 0x1a, 0x6a, 0x1c, 0xcb, 0x80, 0x03, 0x81, 0x58, 0x20,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x04, 0x82, 0x58, 0x20,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x58, 0x20,
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    0x58, 0x40,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

typedef struct mem {
    const uint8_t *bytes;
    uint32_t len;
    int reads, fail_at;
} mem_t;

static int mem_read(void *ctx, uint32_t offset, uint8_t *buf, uint32_t len)
{
    mem_t *m = ctx;
    if (offset > m->len || len > m->len - offset) abort(); /* the verifier checks before it reads */
    if (m->fail_at > 0 && ++m->reads == m->fail_at) return -1;
    memcpy(buf, m->bytes + offset, len);
    return 0;
}

static uint8_t work[140u * 1024u];

static void span_inside(fwx_span_t s, uint32_t len)
{
    if (s.offset > len || s.length > len - s.offset) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mem_t pkg, rl;
    fwx_pkg_source_t src, rl_src;
    fwx_pkg_device_t dev;
    fwx_revocations_t kept;
    fwx_pkg_verified_t out;
    fwx_pkg_error_t err, err2;
    uint8_t rl_work[sizeof rl_file + 32u];
    int rc, rc2;
    if (size < 1 || size > 200000) return 0;
    memset(&dev, 0, sizeof dev);
    dev.root_public_key = root_key;
    dev.now = 1780272000u;
    dev.customer = (const uint8_t *)((data[0] & 2u) ? "plant-a" : "customer-a");
    dev.customer_length = (data[0] & 2u) ? 7u : 10u;
    dev.group = (const uint8_t *)"line-1";
    dev.group_length = 6u;
    dev.device_class = FWX_PKG_CLASS_ANY;
    dev.board_capabilities = board;
    dev.board_capabilities_length = sizeof board;
    dev.offered = offered;
    dev.offered_count = 4u;
    dev.installed_sequence = 0u;
    if (data[0] & 1u) {
        memset(&rl, 0, sizeof rl);
        rl.bytes = rl_file;
        rl.len = sizeof rl_file;
        rl_src.read = mem_read;
        rl_src.ctx = &rl;
        rl_src.length = rl.len;
        if (fwx_revocations_verify(&rl_src, root_key, rl_work, sizeof rl_work, &kept) != FWX_RL_OK) abort();
        dev.revoked = &kept;
    }
    memset(&pkg, 0, sizeof pkg);
    pkg.bytes = data + 1;
    pkg.len = (uint32_t)(size - 1);
    pkg.fail_at = data[0] >> 4;
    src.read = mem_read;
    src.ctx = &pkg;
    src.length = pkg.len;
    rc = fwx_pkg_verify(&src, &dev, work, sizeof work, &out, &err);
    if (getenv("FUZZ_VERBOSE") || rc != err.code) fprintf(stderr, "verdict %d %s at %u: %s (err.code %d)\n", rc, fwx_pkg_error_name(rc), err.offset, err.what ? err.what : "", err.code);
    if (rc != err.code) abort();
    if (rc == FWX_PKG_OK) {
        span_inside(out.manifest, pkg.len);
        span_inside(out.payload, pkg.len);
        span_inside(out.certificate, pkg.len);
        span_inside(out.module_id, pkg.len);
        span_inside(out.version, pkg.len);
        span_inside(out.integrator_id, pkg.len);
        span_inside(out.interfaces, pkg.len);
        span_inside(out.capabilities, pkg.len);
        span_inside(out.config, pkg.len);
        if (out.module_id.length > 64u || out.version.length > 64u || out.integrator_id.length > 64u) abort();
        if (out.interface_count * 3u > out.interfaces.length) abort();
    } else if (err.offset != FWX_PKG_NO_OFFSET && err.offset > pkg.len) {
        abort();
    }
    if (pkg.fail_at == 0) {
        rc2 = fwx_pkg_verify(&src, &dev, work, sizeof work, &out, &err2);
        if (rc2 != rc || err2.offset != err.offset) abort();
    }
    return 0;
}
