/*
 * fuzz_cbor.c: the strict CBOR reader (firmware/runtime/fwx_cbor.c) on
 * arbitrary bytes. Checks, beyond memory safety: a region fwx_cbor_valid()
 * accepts is walked by the cursor as exactly one item (fwx_cbor_skip ends at
 * its last byte), every head the cursor reads lies inside the region, and
 * fwx_cbor_number_key orders the numbers it sees without UB.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fwx_cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t len = size > 0xffffu ? 0xffffu : (uint32_t)size, fail_at = 0;
    fwx_cbor_t c;
    fwx_cbor_item_t it;
    uint64_t key;
    int heads = 0;
    int valid = fwx_cbor_valid(data, len, &fail_at);
    if (!valid && fail_at > len) abort();
    /* The cursor on any bytes (validated or not) stays inside the region. */
    fwx_cbor_init(&c, data, 0u, len);
    while (heads++ < 100000 && fwx_cbor_next(&c, &it)) {
        if (c.pos > len || it.at >= len || it.data > len) abort();
        (void)fwx_cbor_number_key(&it, &key);
    }
    fwx_cbor_init(&c, data, 0u, len);
    if (valid) {
        if (!fwx_cbor_skip(&c) || c.pos != len) abort();
    } else {
        (void)fwx_cbor_skip(&c);
        if (c.pos > len) abort();
    }
    return 0;
}
