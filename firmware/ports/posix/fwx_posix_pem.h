/* PEM files as `fwx keys gen` writes them (RFC 7468): one block, its base64
 * body decoded to DER. The POSIX device reads its keys through this one
 * decoder: --root (an Ed25519 SubjectPublicKeyInfo) and --device-key (an
 * Ed25519 PKCS#8 private key). */
#ifndef FWX_POSIX_PEM_H
#define FWX_POSIX_PEM_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the body between "-----BEGIN <label>-----" and "-----END <label>-----"
 * in the NUL-terminated text. White space in the body is skipped and '=' ends
 * it. The DER's length, or -1 when the block is missing, the body has a
 * character that is not base64, or the DER would not fit in cap bytes. */
long fwx_posix_pem_decode(const char *text, const char *label, uint8_t *der, size_t cap);

/* The 32-byte Ed25519 key from a SubjectPublicKeyInfo (RFC 8410: a fixed
 * 12-byte prefix, then the key) or the seed from a PKCS#8 private key (a fixed
 * 16-byte prefix, then the seed); 0, or -1 when the DER is not exactly that. */
int fwx_posix_ed25519_public_from_spki(const uint8_t *der, size_t len, uint8_t out[32]);
int fwx_posix_ed25519_seed_from_pkcs8(const uint8_t *der, size_t len, uint8_t out[32]);

#endif
