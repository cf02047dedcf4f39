/*
 * fwx_statement.h: the device's signed answers (docs/package-format.md,
 * "Signed commands and device answers"; src/ota/signed-command.ts
 * encodeStatementBody / signStatement). A statement says what this device
 * did about one command (bound to the SHA-256 of the command body); the
 * proof is base64 of CBOR [body, Ed25519(device key, "fwx-device-1\0" || body)].
 */
#ifndef FWX_STATEMENT_H
#define FWX_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#define FWX_STATEMENT_BODY_MAX 400u   /* 64-byte texts, two hashes: well under */
/* base64 of [body, signature]: 4/3 of (body + 64 + a few heads), NUL included */
#define FWX_STATEMENT_PROOF_MAX (((FWX_STATEMENT_BODY_MAX + 80u) / 3u + 1u) * 4u + 1u)

typedef struct fwx_statement {
    const char *device;
    const uint8_t *request;   /* 32 bytes */
    const char *outcome;      /* "ok", "refused", or an install phase */
    const char *code;         /* NULL: absent */
    const uint8_t *package;   /* 32 bytes, NULL: absent */
    const char *module;       /* NULL: absent */
} fwx_statement_t;

/* The statement body as deterministic CBOR; its length, or -1 when it does not fit. */
long fwx_statement_encode(const fwx_statement_t *s, uint8_t *out, uint32_t cap);
/* The proof (NUL-terminated base64) signed with the device key's seed; 0, or -1. */
int fwx_statement_prove(const fwx_statement_t *s, const uint8_t seed[32], char *out, size_t cap);
/* Standard base64 with padding (RFC 4648 section 4); the text's length, or -1 when it does not fit (NUL included). */
long fwx_base64_encode(const uint8_t *p, size_t n, char *out, size_t cap);

#endif /* FWX_STATEMENT_H */
