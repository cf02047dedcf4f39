/*
 * fwx_pkg_verify.h: .fwx package verification on the device, the C twin of
 * verifyPackage (src/pkg/verify.ts) and docs/package-format.md: the same
 * checks in the same order with the same FWX_PKG_E_* numbers, proven on the
 * same corruption corpus by tests/c/suites/pkg-verify.mjs.
 *
 * The package is read through a reader, so it can sit in flash. RAM:
 *   - a caller-supplied work buffer of FWX_PKG_WORK_BYTES(M, S) bytes (the
 *     manifest and the certificate body, each behind its signature domain,
 *     because Ed25519 verifies one contiguous message): about 700 bytes for
 *     a typical package;
 *   - stack: about 1.5 KiB on Cortex-M4 -Os (-fstack-usage: fwx_pkg_verify
 *     792 bytes, the deepest call chain below it about 700; CBOR validation
 *     stack of 17 levels, SHA-256 context,
 *     a FWX_PKG_CHUNK_BYTES read buffer, the custom-section table), plus
 *     what the crypto port needs for Ed25519.
 * The payload is hashed and walked in chunks and never held in RAM.
 * No allocation, no recursion, no libc beyond memcpy/memset/memcmp.
 */
#ifndef FWX_PKG_VERIFY_H
#define FWX_PKG_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_abi_tables.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The shared table (src/pkg/errors.ts, docs/package-format.md). */
enum {
    FWX_PKG_OK = 0,
    FWX_PKG_E_TRUNCATED = 1,
    FWX_PKG_E_MAGIC = 2,
    FWX_PKG_E_VERSION = 3,
    FWX_PKG_E_HEADER = 4,
    FWX_PKG_E_TRAILING = 5,
    FWX_PKG_E_SIGBLOCK = 6,
    FWX_PKG_E_CERT_SIG = 7,
    FWX_PKG_E_CERT = 8,
    FWX_PKG_E_SIG = 9,
    FWX_PKG_E_MANIFEST = 10,
    FWX_PKG_E_HASH = 11,
    FWX_PKG_E_NOT_YET_VALID = 12,
    FWX_PKG_E_EXPIRED = 13,
    FWX_PKG_E_REVOKED = 14,
    FWX_PKG_E_SCOPE_MODULE = 15,
    FWX_PKG_E_SCOPE_CUSTOMER = 16,
    FWX_PKG_E_SCOPE_GROUP = 17,
    FWX_PKG_E_DEVICE_CLASS = 18,
    FWX_PKG_E_NOT_INSTRUMENTED = 19,
    FWX_PKG_E_PREINSTRUMENTED = 20,
    FWX_PKG_E_PAYLOAD = 21,
    FWX_PKG_E_CAPS_CERT = 22,
    FWX_PKG_E_CAPS_DEVICE = 23,
    FWX_PKG_E_INTERFACE = 24,
    FWX_PKG_E_ROLLBACK = 25,
    /* Device-side outcomes that the TypeScript verifier cannot have (never sent as package verdicts). */
    FWX_PKG_E_IO = 100,        /* the reader failed */
    FWX_PKG_E_TOO_LARGE = 101, /* manifest + signature block exceed the work buffer */
    FWX_PKG_E_CONTEXT = 102    /* the device inputs are malformed (board capabilities, keys) */
};

#define FWX_PKG_HEADER_BYTES 16u
/* Header byte 4. 2: no build provenance in the manifest, a flat config schema. */
#define FWX_PKG_FORMAT_VERSION 2u
#define FWX_PKG_MAX_PAYLOAD_BYTES (16u * 1024u * 1024u)
#define FWX_PKG_NO_OFFSET 0xffffffffu
/* Work buffer for a package whose header declares manifest M and signature block S bytes. */
#define FWX_PKG_WORK_BYTES(m, s) ((uint32_t)(m) + (uint32_t)(s) + 37u)

/* Payload read granularity; custom sections remembered for the duplicate-name rule.
 * A payload with more custom sections is refused (FWX_PKG_E_PAYLOAD): the one
 * place the device is stricter than verifyPackage, which has no limit. */
#ifndef FWX_PKG_CHUNK_BYTES
#define FWX_PKG_CHUNK_BYTES 128u
#endif
#ifndef FWX_PKG_MAX_CUSTOM_SECTIONS
#define FWX_PKG_MAX_CUSTOM_SECTIONS 16u
#endif

enum { FWX_PKG_CLASS_MCU = 0, FWX_PKG_CLASS_GATEWAY = 1, FWX_PKG_CLASS_ANY = 0xff };

/* Reads len bytes at offset into buf; 0 on success. Offsets are checked
 * against the declared length before every call. */
typedef int (*fwx_pkg_read_fn)(void *ctx, uint32_t offset, uint8_t *buf, uint32_t len);

typedef struct fwx_pkg_source {
    fwx_pkg_read_fn read;
    void *ctx;
    uint32_t length; /* bytes in the file */
} fwx_pkg_source_t;

/* Bytes [offset, offset + length) of the package (or list) file. */
typedef struct fwx_span {
    uint32_t offset;
    uint32_t length;
} fwx_span_t;

/* The kept revocation list, as fwx_revocations_verify() located it in its
 * file: entries are read through `source` when a package is checked. */
typedef struct fwx_revocations {
    fwx_pkg_source_t source;
    uint64_t serial;
    uint64_t issued_at;
    uint32_t certificates_at;  /* first revoked certificate digest (32 bytes) */
    uint32_t certificate_count;
    uint32_t keys_at;          /* first revoked integrator key (32 bytes) */
    uint32_t key_count;
} fwx_revocations_t;
/* Entries are bytes(32) items, 34 bytes apart (2-byte head, 32 bytes). */
#define FWX_REVOCATION_ENTRY_STRIDE 34u

typedef struct fwx_pkg_device {
    const uint8_t *root_public_key;          /* 32 bytes, the only thing trusted */
    uint64_t now;                            /* device clock, whole Unix seconds */
    const uint8_t *customer;                 /* not NUL-terminated */
    uint32_t customer_length;
    const uint8_t *group;
    uint32_t group_length;
    uint8_t device_class;                    /* FWX_PKG_CLASS_MCU / _GATEWAY (_ANY skips the check) */
    const uint8_t *board_capabilities;       /* CBOR capability map (the manifest's encoding) */
    uint32_t board_capabilities_length;
    const fwx_interface_desc_t *offered;     /* usually fwx_interfaces */
    uint32_t offered_count;                  /* usually FWX_INTERFACE_COUNT */
    uint64_t installed_sequence;             /* 0 = nothing installed */
    const fwx_revocations_t *revoked;        /* NULL = no list kept */
} fwx_pkg_device_t;

/* What the device needs after a package verified. Spans are file offsets. */
typedef struct fwx_pkg_verified {
    fwx_span_t manifest;          /* the manifest CBOR map */
    fwx_span_t payload;           /* the wasm module */
    fwx_span_t certificate;       /* the embedded .cert bytes */
    fwx_span_t module_id;         /* text, not NUL-terminated, <= 64 bytes */
    fwx_span_t version;           /* text, <= 64 bytes */
    fwx_span_t integrator_id;     /* text, <= 64 bytes */
    uint64_t sequence;
    uint8_t device_class;
    bool fuel_instrumented;
    uint32_t ram_bytes;
    uint64_t fuel_per_callback;
    fwx_span_t interfaces;        /* CBOR array of flat [number, major, minor] triples (docs/package-format.md) */
    uint32_t interface_count;     /* triples */
    fwx_span_t capabilities;      /* CBOR capability map granted to the module */
    fwx_span_t config;            /* the flat CBOR config array (docs/package-format.md); length 0 when there are none */
    uint32_t config_count;        /* settings in it */
    uint64_t cert_not_before;
    uint64_t cert_not_after;
    uint8_t payload_sha256[32];
    uint8_t certificate_digest[32];
} fwx_pkg_verified_t;

/* Why a package was refused: the code, the file offset when the problem has
 * one, and a constant string naming the check or field. `value` is the
 * package's side of a comparison that failed, for the caller's message:
 * the certificate's not-before (FWX_PKG_E_NOT_YET_VALID) or not-after
 * (FWX_PKG_E_EXPIRED) in Unix seconds, the manifest's FWX_PKG_CLASS_*
 * (FWX_PKG_E_DEVICE_CLASS), its sequence (FWX_PKG_E_ROLLBACK); else 0. */
typedef struct fwx_pkg_error {
    int code;
    uint32_t offset;
    const char *what;
    uint64_t value;
} fwx_pkg_error_t;

/* Verifies the package behind `src`. Returns FWX_PKG_OK and fills `out`, or
 * a code (and `err`, which may be NULL). `out` is filled only on success. */
int fwx_pkg_verify(const fwx_pkg_source_t *src, const fwx_pkg_device_t *device,
                   uint8_t *work, uint32_t work_len,
                   fwx_pkg_verified_t *out, fwx_pkg_error_t *err);

/* Verifies a revocation list file (`[body, root signature]`, domain
 * "fwx-revocations-1\0") and locates its entries. The body is held in `work`
 * (body length + 18 bytes). Keep it only if its serial is above the kept one
 * (fwx_revocations_newer). out->source is a copy of *src: its ctx must stay
 * valid as long as the list is passed to fwx_pkg_verify.
 * Returns 0, or FWX_RL_E_*. */
enum {
    FWX_RL_OK = 0,
    FWX_RL_E_MALFORMED = 1, /* not [bytes, bytes(64)] */
    FWX_RL_E_SIG = 2,       /* not signed by this root */
    FWX_RL_E_CONTENT = 3,   /* body is not a valid list */
    FWX_RL_E_IO = FWX_PKG_E_IO,
    FWX_RL_E_TOO_LARGE = FWX_PKG_E_TOO_LARGE
};
int fwx_revocations_verify(const fwx_pkg_source_t *src, const uint8_t root_public_key[32],
                           uint8_t *work, uint32_t work_len, fwx_revocations_t *out);

/* A list replaces the kept one only when its serial is higher: an older list would un-revoke entries. */
bool fwx_revocations_newer(const fwx_revocations_t *candidate, const fwx_revocations_t *kept);

/* A reader over bytes already in RAM (or memory-mapped flash): ctx is a fwx_pkg_memory_t. */
typedef struct fwx_pkg_memory {
    const uint8_t *bytes;
    uint32_t length;
} fwx_pkg_memory_t;
int fwx_pkg_memory_read(void *ctx, uint32_t offset, uint8_t *buf, uint32_t len);

/* "FWX_PKG_E_HASH" for 11, and so on; "unknown" otherwise. */
const char *fwx_pkg_error_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* FWX_PKG_VERIFY_H */
