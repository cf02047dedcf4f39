/*
 * fwx_abi_section.h: reads the `fwx.abi` custom section, which names the
 * interfaces a module was built against and the minimum version of each:
 *   u8      format version (1)
 *   varu32  count
 *   count x { varu32 name_len, name (UTF-8), varu32 major, varu32 minor }
 * Entries are sorted by name (bytewise) and unique; nothing may follow them.
 * An iterator, so it needs no storage; every read is bounds-checked.
 */
#ifndef FWX_ABI_SECTION_H
#define FWX_ABI_SECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_wasm_read.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FWX_ABI_SECTION_FORMAT 1u

typedef enum fwx_abi_section_error {
    FWX_ABI_SECTION_OK = 0,
    FWX_ABI_SECTION_TRUNCATED,      /* a count, name or version runs past the payload */
    FWX_ABI_SECTION_LEB_OVERFLOW,   /* a varu32 that does not fit 32 bits */
    FWX_ABI_SECTION_BAD_FORMAT,     /* empty payload or format version other than 1 */
    FWX_ABI_SECTION_BAD_NAME,       /* a name that is not UTF-8 */
    FWX_ABI_SECTION_UNSORTED,       /* names not strictly increasing */
    FWX_ABI_SECTION_TRAILING_BYTES, /* bytes after the last entry */
    FWX_ABI_SECTION_DUPLICATE       /* a module with two fwx.abi sections (reported by the module checker) */
} fwx_abi_section_error_t;

typedef struct fwx_abi_entry {
    const uint8_t *name; /* points into the payload, not NUL-terminated */
    uint32_t name_len;
    uint32_t major;
    uint32_t minor;
    uint32_t offset;     /* of the entry, relative to cursor.bytes */
} fwx_abi_entry_t;

typedef struct fwx_abi_reader {
    fwx_cursor_t cursor;
    uint32_t remaining;
    const uint8_t *prev_name;
    uint32_t prev_len;
    fwx_abi_section_error_t error;
    uint32_t error_at;
} fwx_abi_reader_t;

/* Starts reading a payload [offset, offset + len) of `bytes` (offsets in
 * errors and entries are relative to `bytes`). false on a bad header. */
bool fwx_abi_section_open(fwx_abi_reader_t *r, const uint8_t *bytes, uint32_t offset, uint32_t len);

/* 1: *entry filled; 0: done, the payload was consumed exactly; -1: r->error. */
int fwx_abi_section_next(fwx_abi_reader_t *r, fwx_abi_entry_t *entry);

const char *fwx_abi_section_error_text(fwx_abi_section_error_t e);

#ifdef __cplusplus
}
#endif

#endif /* FWX_ABI_SECTION_H */
