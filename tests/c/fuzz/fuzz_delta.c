/*
 * fuzz_delta.c: the delta decoder (firmware/runtime/fwx_delta.c) on an
 * arbitrary delta against an arbitrary base. Input: byte 0 = which read
 * fails (0: none), byte 1 = the transfer limit in KiB, bytes 2-3 = base
 * length (big-endian), then the base, then the delta. Checks every read is
 * inside its object, every write inside the declared target and the limit,
 * a delta that applies wrote exactly target_size bytes, and a failed read
 * (whatever it left in the buffer) fails the apply.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct io_ctx {
    const uint8_t *delta, *base;
    uint32_t delta_len, base_len, max;
    uint32_t high; /* end of the furthest write */
    int reads, fail_read, failed;
    uint8_t target[64u * 1024u];
} io_ctx;

static io_ctx io_state;

static int fail_now(io_ctx *x)
{
    if (x->fail_read > 0 && ++x->reads == x->fail_read) {
        x->failed = 1;
        return 1;
    }
    return 0;
}

static int read_delta(void *ctx, uint32_t offset, uint8_t *out, size_t n)
{
    io_ctx *x = ctx;
    if (offset > x->delta_len || n > x->delta_len - offset) abort();
    if (fail_now(x)) {
        /* What a failed read leaves behind (here: an insert of 0 bytes) must not be used. */
        memset(out, 0, n);
        out[0] = 0x01;
        return -1;
    }
    memcpy(out, x->delta + offset, n);
    return 0;
}

static int read_base(void *ctx, uint32_t offset, uint8_t *out, size_t n)
{
    io_ctx *x = ctx;
    if (offset > x->base_len || n > x->base_len - offset) abort();
    if (fail_now(x)) return -1;
    memcpy(out, x->base + offset, n);
    return 0;
}

static int write_target(void *ctx, uint32_t offset, const uint8_t *d, size_t n)
{
    io_ctx *x = ctx;
    if (offset > x->max || n > x->max - offset) abort();
    memcpy(x->target + offset, d, n);
    if (offset + n > x->high) x->high = (uint32_t)(offset + n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    io_ctx *x = &io_state;
    fwx_delta_io io;
    fwx_delta_result r;
    uint32_t blen;
    if (size < 4) return 0;
    memset(x, 0, offsetof(io_ctx, target));
    x->fail_read = data[0];
    x->max = (uint32_t)data[1] * 256u; /* up to 64 KiB - 256 */
    blen = (uint32_t)data[2] << 8 | data[3];
    if (blen > size - 4) blen = (uint32_t)(size - 4);
    x->base = data + 4;
    x->base_len = blen;
    x->delta = data + 4 + blen;
    x->delta_len = (uint32_t)(size - 4 - blen);
    io.ctx = x;
    io.read_delta = read_delta;
    io.delta_size = x->delta_len;
    io.read_base = read_base;
    io.base_size = x->base_len;
    io.write_target = write_target;
    io.max_target = x->max;
    if (fwx_delta_target_size(&io, &r) == 0 && r.target_size > x->max) abort();
    x->reads = 0;
    x->failed = 0;
    if (fwx_delta_apply(&io, &r) == 0) {
        if (x->failed || r.target_size > x->max || x->high != r.target_size || r.message[0] != '\0') abort();
    } else if (r.message[0] == '\0' || memchr(r.message, 0, sizeof r.message) == NULL) {
        abort();
    }
    return 0;
}
