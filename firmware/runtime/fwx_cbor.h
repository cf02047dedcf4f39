/*
 * fwx_cbor.h: the deterministic CBOR subset of docs/package-format.md, read
 * in place from RAM. Two layers:
 *   - fwx_cbor_valid() checks that a region is exactly one item in the one
 *     encoding the subset allows (the same rules as src/pkg/cbor.ts). It is
 *     iterative with a fixed stack of FWX_CBOR_MAX_DEPTH + 1 levels, so a
 *     hostile nesting depth costs no native stack.
 *   - a cursor (fwx_cbor_next / fwx_cbor_skip) that walks a region
 *     fwx_cbor_valid() accepted. It is still bounds-checked, but it relies on
 *     validation for the encoding rules.
 * Also the one UTF-8 validator of the runtime (incremental, so names read
 * from flash in chunks use it too).
 */
#ifndef FWX_CBOR_H
#define FWX_CBOR_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FWX_CBOR_MAX_DEPTH 16u
/* 2^53 - 1: the largest integer (and length) the subset allows. */
#define FWX_CBOR_MAX_INT 0x1fffffffffffffull

enum {
    FWX_CBOR_UINT = 0,
    FWX_CBOR_NINT = 1,
    FWX_CBOR_BYTES = 2,
    FWX_CBOR_TEXT = 3,
    FWX_CBOR_ARRAY = 4,
    FWX_CBOR_MAP = 5,
    FWX_CBOR_SIMPLE = 7 /* false, true, null, float64 */
};

#define FWX_CBOR_FALSE 20u
#define FWX_CBOR_TRUE 21u
#define FWX_CBOR_NULL 22u
#define FWX_CBOR_FLOAT64 27u


/* Where a region first failed validation (relative to its start). */
bool fwx_cbor_valid(const uint8_t *buf, uint32_t len, uint32_t *fail_at);

typedef struct fwx_cbor_item {
    uint8_t major;
    uint8_t info;   /* additional information: FWX_CBOR_TRUE, FWX_CBOR_FLOAT64, ... */
    uint64_t arg;   /* integer value, string length, item/entry count, or float bits */
    uint32_t at;    /* offset of the head */
    uint32_t data;  /* strings: offset of the content */
} fwx_cbor_item_t;

typedef struct fwx_cbor {
    const uint8_t *buf;
    uint32_t pos;
    uint32_t end;
} fwx_cbor_t;

void fwx_cbor_init(fwx_cbor_t *c, const uint8_t *buf, uint32_t pos, uint32_t end);
/* Reads one head; strings and floats are stepped over whole, arrays and maps
 * are entered (their items follow). False at the end or on a short region. */
bool fwx_cbor_next(fwx_cbor_t *c, fwx_cbor_item_t *it);
/* Steps over one complete item, however deeply nested, without recursion. */
bool fwx_cbor_skip(fwx_cbor_t *c);

/* A number (integer or float64) as a key whose unsigned order is numeric
 * order, so bounds compare exactly without floating-point code. */
bool fwx_cbor_number_key(const fwx_cbor_item_t *it, uint64_t *key);

#ifdef __cplusplus
}
#endif

#endif /* FWX_CBOR_H */
