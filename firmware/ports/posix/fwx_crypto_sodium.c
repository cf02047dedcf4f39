/*
 * fwx_crypto_sodium.c: the crypto port on libsodium (Debian libsodium-dev,
 * installed by scripts/ensure-c-libs.mjs). sodium_init is idempotent and
 * thread-safe, so it is called on first use rather than demanding a start-up
 * hook from every caller.
 */
#include "fwx_crypto_port.h"

#include <sodium.h>

/* The port's promise: libsodium's state fits the runtime's fixed-size context. */
typedef char fwx_sha256_state_fits[(sizeof(crypto_hash_sha256_state) <= FWX_SHA256_CTX_BYTES) ? 1 : -1];

static crypto_hash_sha256_state *state_of(fwx_sha256_t *ctx)
{
    return (crypto_hash_sha256_state *)(void *)ctx->state;
}

void fwx_sha256_init(fwx_sha256_t *ctx)
{
    (void)crypto_hash_sha256_init(state_of(ctx));
}

void fwx_sha256_update(fwx_sha256_t *ctx, const uint8_t *data, uint32_t len)
{
    (void)crypto_hash_sha256_update(state_of(ctx), data, (unsigned long long)len);
}

void fwx_sha256_final(fwx_sha256_t *ctx, uint8_t digest[FWX_SHA256_BYTES])
{
    (void)crypto_hash_sha256_final(state_of(ctx), digest);
}

bool fwx_ed25519_verify(const uint8_t signature[FWX_ED25519_SIGNATURE_BYTES],
                        const uint8_t public_key[FWX_ED25519_PUBLIC_KEY_BYTES],
                        const uint8_t *msg, uint32_t len)
{
    if (sodium_init() < 0) return false;
    return crypto_sign_ed25519_verify_detached(signature, msg, (unsigned long long)len, public_key) == 0;
}

bool fwx_ed25519_sign(uint8_t signature[FWX_ED25519_SIGNATURE_BYTES],
                      const uint8_t seed[FWX_ED25519_SEED_BYTES],
                      const uint8_t *msg, uint32_t len)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    int rc;
    if (sodium_init() < 0) return false;
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0) return false;
    rc = crypto_sign_detached(signature, NULL, msg, (unsigned long long)len, sk);
    sodium_memzero(sk, sizeof sk); /* the expanded key lives only for this call */
    return rc == 0;
}
