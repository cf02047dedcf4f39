/* Reader of the fwx.abi custom section (format in fwx_abi_section.h). */
#include "fwx_abi_section.h"

#include <stddef.h>
#include <string.h>

#include "fwx_support.h"

static bool fail(fwx_abi_reader_t *r, fwx_abi_section_error_t e, uint32_t at)
{
    if (r->error == FWX_ABI_SECTION_OK) {
        r->error = e;
        r->error_at = at;
    }
    return false;
}

/* Carries a cursor error over as the reader's error. */
static bool cursor_failed(fwx_abi_reader_t *r)
{
    if (r->cursor.error == FWX_READ_TRUNCATED) return fail(r, FWX_ABI_SECTION_TRUNCATED, r->cursor.error_at);
    return fail(r, FWX_ABI_SECTION_LEB_OVERFLOW, r->cursor.error_at);
}

bool fwx_abi_section_open(fwx_abi_reader_t *r, const uint8_t *bytes, uint32_t offset, uint32_t len)
{
    uint8_t format;
    memset(r, 0, sizeof *r);
    r->cursor.bytes = bytes;
    r->cursor.pos = offset;
    /* A range that would wrap past 2^32 cannot lie inside `bytes`. */
    if (len > UINT32_MAX - offset) return fail(r, FWX_ABI_SECTION_TRUNCATED, offset);
    r->cursor.end = offset + len;
    if (len == 0u) return fail(r, FWX_ABI_SECTION_BAD_FORMAT, offset);
    if (!fwx_read_u8(&r->cursor, &format)) return cursor_failed(r);
    if (format != FWX_ABI_SECTION_FORMAT) return fail(r, FWX_ABI_SECTION_BAD_FORMAT, offset);
    if (!fwx_read_u32(&r->cursor, &r->remaining)) return cursor_failed(r);
    return true;
}

/* Bytewise comparison, shorter first on a common prefix. */
static int compare_names(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
    uint32_t n = alen < blen ? alen : blen;
    int c = n == 0u ? 0 : memcmp(a, b, n);
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int fwx_abi_section_next(fwx_abi_reader_t *r, fwx_abi_entry_t *entry)
{
    uint32_t at = r->cursor.pos;
    if (r->error != FWX_ABI_SECTION_OK) return -1;
    if (r->remaining == 0u) {
        if (r->cursor.pos != r->cursor.end) {
            fail(r, FWX_ABI_SECTION_TRAILING_BYTES, r->cursor.pos);
            return -1;
        }
        return 0;
    }
    if (!fwx_read_name(&r->cursor, &entry->name, &entry->name_len) || !fwx_read_u32(&r->cursor, &entry->major) ||
        !fwx_read_u32(&r->cursor, &entry->minor)) {
        cursor_failed(r);
        return -1;
    }
    if (!fwx_utf8_valid(entry->name, entry->name_len)) {
        fail(r, FWX_ABI_SECTION_BAD_NAME, at);
        return -1;
    }
    if (r->prev_name != NULL && compare_names(r->prev_name, r->prev_len, entry->name, entry->name_len) >= 0) {
        fail(r, FWX_ABI_SECTION_UNSORTED, at);
        return -1;
    }
    r->prev_name = entry->name;
    r->prev_len = entry->name_len;
    r->remaining--;
    entry->offset = at;
    return 1;
}

const char *fwx_abi_section_error_text(fwx_abi_section_error_t e)
{
    switch (e) {
    case FWX_ABI_SECTION_OK: return "ok";
    case FWX_ABI_SECTION_TRUNCATED: return "fwx.abi section truncated";
    case FWX_ABI_SECTION_LEB_OVERFLOW: return "fwx.abi section has a LEB128 value above 32 bits";
    case FWX_ABI_SECTION_BAD_FORMAT: return "fwx.abi section is empty or has an unknown format version";
    case FWX_ABI_SECTION_BAD_NAME: return "fwx.abi interface name is not UTF-8";
    case FWX_ABI_SECTION_UNSORTED: return "fwx.abi entries are not sorted and unique";
    case FWX_ABI_SECTION_TRAILING_BYTES: return "fwx.abi section has bytes after its last entry";
    case FWX_ABI_SECTION_DUPLICATE: return "module has more than one fwx.abi section";
    }
    return "unknown fwx.abi section error";
}
