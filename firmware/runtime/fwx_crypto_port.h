/*
 * fwx_crypto_port.h: the only cryptography the device runtime needs, as a
 * port a board implements with its own library or hardware (the POSIX
 * device uses libsodium, firmware/ports/posix/fwx_crypto_sodium.c).
 *
 * SHA-256 is incremental so a payload in flash is hashed in small chunks;
 * its context is a fixed-size, 8-byte aligned blob so callers can keep it on
 * the stack without knowing the library's type (a port checks at compile
 * time that its state fits). Ed25519 is pure Ed25519 (RFC 8032, no
 * pre-hash) over one contiguous message, as every common library offers it.
 */
#ifndef FWX_CRYPTO_PORT_H
#define FWX_CRYPTO_PORT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FWX_SHA256_BYTES 32u
#define FWX_ED25519_PUBLIC_KEY_BYTES 32u
#define FWX_ED25519_SIGNATURE_BYTES 64u

/* Large enough for libsodium (104 bytes), mbedTLS (108) and tinycrypt (112). */
#ifndef FWX_SHA256_CTX_BYTES
#define FWX_SHA256_CTX_BYTES 128u
#endif

typedef union fwx_sha256 {
    uint64_t align;
    uint8_t state[FWX_SHA256_CTX_BYTES];
} fwx_sha256_t;

void fwx_sha256_init(fwx_sha256_t *ctx);
void fwx_sha256_update(fwx_sha256_t *ctx, const uint8_t *data, uint32_t len);
void fwx_sha256_final(fwx_sha256_t *ctx, uint8_t digest[FWX_SHA256_BYTES]);

/* True only when `signature` is a valid Ed25519 signature of msg[0, len) by
 * `public_key`. An invalid point encoding is a failed verification. */
bool fwx_ed25519_verify(const uint8_t signature[FWX_ED25519_SIGNATURE_BYTES],
                        const uint8_t public_key[FWX_ED25519_PUBLIC_KEY_BYTES],
                        const uint8_t *msg, uint32_t len);

#define FWX_ED25519_SEED_BYTES 32u

/* Signs msg[0, len) with the Ed25519 private key given as its 32-byte seed
 * (RFC 8032 section 5.1.5: what PKCS#8 files and `fwx keys gen` hold). Used
 * for the device's signed answers (docs/package-format.md, "Signed commands
 * and device answers"). False when the library fails. */
bool fwx_ed25519_sign(uint8_t signature[FWX_ED25519_SIGNATURE_BYTES],
                      const uint8_t seed[FWX_ED25519_SEED_BYTES],
                      const uint8_t *msg, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* FWX_CRYPTO_PORT_H */
