/*
 * fwx_cbor_write.h: a bounded writer for the deterministic CBOR subset of
 * docs/package-format.md (shortest heads, definite lengths), the encoder
 * side of fwx_cbor.h. The device writes only small documents with it (its
 * signed answers), so it writes into a caller's buffer and records overflow
 * instead of failing each call: check `failed` once at the end.
 * Map keys are written in the order given; deterministic CBOR needs them in
 * ascending order, which for the small integer keys of fwx documents is
 * numeric order.
 */
#ifndef FWX_CBOR_WRITE_H
#define FWX_CBOR_WRITE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct fwx_cbor_writer {
    uint8_t *buf;
    uint32_t cap;
    uint32_t len;
    bool failed;
} fwx_cbor_writer_t;

void fwx_cbor_writer_init(fwx_cbor_writer_t *w, uint8_t *buf, uint32_t cap);
void fwx_cbor_write_uint(fwx_cbor_writer_t *w, uint64_t v);
void fwx_cbor_write_bytes(fwx_cbor_writer_t *w, const uint8_t *p, uint32_t n);
void fwx_cbor_write_text(fwx_cbor_writer_t *w, const char *s, uint32_t n);
void fwx_cbor_write_array(fwx_cbor_writer_t *w, uint32_t items);
void fwx_cbor_write_map(fwx_cbor_writer_t *w, uint32_t entries);

#endif /* FWX_CBOR_WRITE_H */
