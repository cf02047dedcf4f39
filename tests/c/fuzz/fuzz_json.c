/*
 * fuzz_json.c: the strict JSON reader (firmware/runtime/fwx_json.c) on
 * arbitrary text, the way fwx_ota.c uses it: validate, then walk members and
 * elements, unescape strings into small buffers, read integers. Checks
 * spans stay inside the text and unescaped strings are NUL-free and
 * terminated within their buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *text_start, *text_end;

static void inside(fwx_json_span v)
{
    if (v.p < text_start || v.p + v.len > text_end || v.p + v.len < v.p) abort();
}

static void leaf(fwx_json_span v)
{
    char small[8], big[300];
    int64_t n;
    long k;
    inside(v);
    k = fwx_json_string(v, small, sizeof small);
    if (k >= (long)sizeof small || (k >= 0 && strlen(small) != (size_t)k)) abort();
    k = fwx_json_string(v, big, sizeof big);
    if (k >= (long)sizeof big || (k >= 0 && strlen(big) != (size_t)k)) abort();
    if (fwx_json_int(v, INT64_MIN, INT64_MAX, &n) == 0 && fwx_json_kind_of(v) != FWX_JSON_NUMBER) abort();
    (void)fwx_json_int(v, 0, 65535, &n);
}

static void walk(fwx_json_span v, int depth)
{
    size_t pos = 0;
    fwx_json_span k, e;
    int count = 0;
    inside(v);
    if (depth > FWX_JSON_MAX_DEPTH + 1) abort();
    leaf(v);
    switch (fwx_json_kind_of(v)) {
    case FWX_JSON_OBJECT:
        while (count++ < 10000 && fwx_json_next_member(v, &pos, &k, &e)) {
            leaf(k);
            walk(e, depth + 1);
        }
        (void)fwx_json_get(v, "op");
        (void)fwx_json_get(v, "session");
        break;
    case FWX_JSON_ARRAY:
        while (count++ < 10000 && fwx_json_next_element(v, &pos, &e)) walk(e, depth + 1);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fwx_json_span whole;
    text_start = (const char *)data;
    text_end = text_start + size;
    whole.p = text_start;
    whole.len = size;
    /* fwx_ota.c walks only text fwx_json_valid accepted; walk the rest too (spans must stay inside). */
    if (fwx_json_valid(text_start, size)) walk(whole, 0);
    else if (size > 0) {
        size_t pos = 0;
        fwx_json_span k, e;
        int count = 0;
        while (count++ < 10000 && fwx_json_next_member(whole, &pos, &k, &e)) inside(e);
    }
    return 0;
}
