/*
 * fuzz_device_verify.c: the device core's package verifier
 * (firmware/runtime/device/fwx_device_verify.c: fwx_pkg_verify, then the
 * module info, grants, config schema and telemetry topics the device reads
 * from the package bytes), behind fuzz_crypto_stub.c, on the same inputs
 * as fuzz_pkg.c (byte 0: flags, bit 1: customer "plant-a"; then the
 * package). Checks: a refusal has a code and a terminated message; an
 * accepted package's info lies inside it; every config field reads with a
 * terminated name and default; topic checks stay inside the package.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_device_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t board[] = {
    0xa7, 0x01, 0x08, 0x02, 0x83, 0x6b, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e', 0x68, 'h', 'u', 'm', 'i', 'd', 'i', 't', 'y',
    0x68, 'p', 'r', 'e', 's', 's', 'u', 'r', 'e', 0x03, 0x83, 0x82, 0x05, 0x09, 0x82, 0x06, 0x03, 0x82, 0x07, 0x08, 0x04, 0x82, 0x00, 0x01,
    0x06, 0x82, 0x82, 0x00, 0x18, 0x48, 0x82, 0x00, 0x18, 0x76, 0x09, 0x81, 0x61, 0x23, 0x0a, 0x19, 0x40, 0x00
};
static fwx_verify_work work;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *topics[] = { "temp", "a/b/c", "#", "x" };
    fwx_device_trust trust;
    fwx_device_verifier v;
    fwx_pkg_info info;
    const char *code = NULL;
    char message[160];
    uint8_t *pkg;
    uint32_t len, k;
    if (size < 1 || size > 65536u) return 0;
    len = (uint32_t)(size - 1);
    pkg = malloc(len ? len : 1u); /* exactly the package: ASan sees any read past it */
    if (!pkg) return 0;
    memcpy(pkg, data + 1, len);
    memset(&trust, 0, sizeof trust);
    memset(trust.root_public_key, 1, sizeof trust.root_public_key);
    trust.customer = (data[0] & 2u) ? "plant-a" : "customer-a";
    trust.group = "line-1";
    trust.board_caps = board;
    trust.board_caps_len = sizeof board;
    trust.work = &work;
    fwx_device_verifier_init(&v, &trust);
    memset(message, 0x55, sizeof message);
    if (v.verify(v.ctx, pkg, len, 1780272000000LL, 0u, &info, &code, message, sizeof message) != 0) {
        if (code == NULL || memchr(message, 0, sizeof message) == NULL) abort();
    } else {
        if (memchr(info.module, 0, sizeof info.module) == NULL || memchr(info.version, 0, sizeof info.version) == NULL) abort();
        if (info.payload_offset > len || info.payload_len > len - info.payload_offset) abort();
        if (info.caps_offset > len || info.caps_len > len - info.caps_offset) abort();
        if (info.config_offset > len || info.config_len > len - info.config_offset) abort();
        if (info.nconfig > info.config_count) abort();
        for (k = 0; k < info.nconfig; k++) {
            fwx_config_field f;
            if (fwx_pkg_config_field(pkg, &info, k, &f) != 0) abort();
            if (memchr(f.name, 0, sizeof f.name) == NULL || f.name[0] == '\0' || memchr(f.def, 0, sizeof f.def) == NULL) abort();
            if ((f.has_min && f.min - f.min != 0.0) || (f.has_max && f.max - f.max != 0.0)) abort();
        }
        for (k = 0; k < sizeof topics / sizeof topics[0]; k++) (void)fwx_pkg_topic_granted(pkg, &info, topics[k], (uint32_t)strlen(topics[k]));
    }
    free(pkg);
    return 0;
}
