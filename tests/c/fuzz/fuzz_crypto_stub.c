/*
 * fuzz_crypto_stub.c: a crypto port for fuzzing what lies behind signatures
 * and hashes. Every Ed25519 signature verifies, every SHA-256 digest is 32
 * zero bytes (so a package whose manifest names a zero payload hash gets past
 * the hash check whatever its payload), and signing writes zeros. The fuzzer
 * then reaches the certificate, manifest, payload and command parsers with
 * any bytes. Only for the harnesses in this directory.
 */
#include <string.h>

#include "fwx_crypto_port.h"

void fwx_sha256_init(fwx_sha256_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
}

void fwx_sha256_update(fwx_sha256_t *ctx, const uint8_t *data, uint32_t len)
{
    uint32_t i;
    /* Touch every byte, so ASan sees each read. */
    for (i = 0u; i < len; i++) ctx->state[i % FWX_SHA256_CTX_BYTES] ^= data[i];
}

void fwx_sha256_final(fwx_sha256_t *ctx, uint8_t digest[FWX_SHA256_BYTES])
{
    (void)ctx;
    memset(digest, 0, FWX_SHA256_BYTES);
}

bool fwx_ed25519_verify(const uint8_t signature[FWX_ED25519_SIGNATURE_BYTES],
                        const uint8_t public_key[FWX_ED25519_PUBLIC_KEY_BYTES],
                        const uint8_t *msg, uint32_t len)
{
    volatile uint8_t sink = 0u;
    uint32_t i;
    for (i = 0u; i < FWX_ED25519_SIGNATURE_BYTES; i++) sink ^= signature[i];
    for (i = 0u; i < FWX_ED25519_PUBLIC_KEY_BYTES; i++) sink ^= public_key[i];
    for (i = 0u; i < len; i++) sink ^= msg[i];
    (void)sink;
    return true;
}

bool fwx_ed25519_sign(uint8_t signature[FWX_ED25519_SIGNATURE_BYTES],
                      const uint8_t seed[FWX_ED25519_SEED_BYTES],
                      const uint8_t *msg, uint32_t len)
{
    (void)seed;
    (void)msg;
    (void)len;
    memset(signature, 0, FWX_ED25519_SIGNATURE_BYTES);
    return true;
}
