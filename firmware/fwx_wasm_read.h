/*
 * fwx_wasm_read.h: a bounds-checked cursor over untrusted wasm bytes, shared
 * by the module checker and the fwx.abi reader. Every read checks against
 * `end` with subtraction (never `pos + n`, which could wrap), and the first
 * error sticks: later reads fail without moving, so callers test once.
 */
#ifndef FWX_WASM_READ_H
#define FWX_WASM_READ_H

#include <stdbool.h>
#include <stdint.h>

typedef enum fwx_read_error {
    FWX_READ_OK = 0,
    FWX_READ_TRUNCATED = 1,   /* a value or byte run goes past the end of its enclosing range */
    FWX_READ_LEB_OVERFLOW = 2 /* a LEB128 u32 with more than 5 bytes or bits above bit 31 */
} fwx_read_error_t;

typedef struct fwx_cursor {
    const uint8_t *bytes; /* the whole module: offsets are reported relative to it */
    uint32_t pos;
    uint32_t end;
    fwx_read_error_t error;
    uint32_t error_at;
} fwx_cursor_t;

static inline void fwx_cursor_fail(fwx_cursor_t *c, fwx_read_error_t e, uint32_t at)
{
    if (c->error == FWX_READ_OK) {
        c->error = e;
        c->error_at = at;
    }
}

static inline bool fwx_read_u8(fwx_cursor_t *c, uint8_t *out)
{
    if (c->error != FWX_READ_OK) return false;
    if (c->pos >= c->end) {
        fwx_cursor_fail(c, FWX_READ_TRUNCATED, c->pos);
        return false;
    }
    *out = c->bytes[c->pos++];
    return true;
}

/* The one LEB128 reader of firmware/ (defined in fwx_support.c, out of
 * line: inlined, each user carried its own copy). */
/* An unsigned LEB128 fitting 32 bits: at most 5 bytes, the fifth below 0x10. */
bool fwx_read_u32(fwx_cursor_t *c, uint32_t *out);
/* An unsigned LEB128 of at most 64 bits (memarg offsets). */
bool fwx_read_u64(fwx_cursor_t *c, uint64_t *out);
/* A signed LEB128 of `bits` width (32, 33 or 64): at most ceil(bits/7)
 * bytes, and the unused high bits of the last byte must repeat the sign. */
bool fwx_read_signed(fwx_cursor_t *c, unsigned bits, int64_t *out);

/* n bytes in place; *out points into the checked bytes. */
static inline bool fwx_read_bytes(fwx_cursor_t *c, uint32_t n, const uint8_t **out)
{
    if (c->error != FWX_READ_OK) return false;
    if (n > c->end - c->pos) {
        fwx_cursor_fail(c, FWX_READ_TRUNCATED, c->pos);
        return false;
    }
    *out = c->bytes + c->pos;
    c->pos += n;
    return true;
}

/* A length-prefixed byte string (wasm `name` / `vec(byte)`). */
static inline bool fwx_read_name(fwx_cursor_t *c, const uint8_t **out, uint32_t *len)
{
    return fwx_read_u32(c, len) && fwx_read_bytes(c, *len, out);
}

/* One section header: the section's id and content range [*start, *end); the
 * cursor moves past the content. A size past the end fails with
 * FWX_READ_TRUNCATED at the section's first byte. Every walk over a module's
 * sections in firmware/ reads them with this. */
static inline bool fwx_read_section(fwx_cursor_t *c, uint8_t *id, uint32_t *start, uint32_t *end)
{
    uint32_t at = c->pos, size;
    if (!fwx_read_u8(c, id) || !fwx_read_u32(c, &size)) return false;
    if (size > c->end - c->pos) {
        fwx_cursor_fail(c, FWX_READ_TRUNCATED, at);
        return false;
    }
    *start = c->pos;
    c->pos += size;
    *end = c->pos;
    return true;
}

/* The function whose code holds byte `offset` of a module: its index (imports
 * first) and the range of its instructions, [code_from, code_to), as
 * src/wasm/reader.ts has them (codeOffset, after the local declarations, to
 * bodyEnd). Crash reports carry these so a tool can name a frame through the
 * module's debug map. False when no function body holds the offset or the
 * bytes are malformed (the module was checked at install; still bounded). */
typedef struct fwx_wasm_function_at {
    uint32_t index;
    uint32_t code_from;
    uint32_t code_to;
} fwx_wasm_function_at_t;

bool fwx_wasm_function_at(const uint8_t *bytes, uint32_t len, uint32_t offset, fwx_wasm_function_at_t *out);

#endif /* FWX_WASM_READ_H */
