/* Trap texts, UTF-8 validation, the abort message builder, the one LEB128
 * reader and the function locator of crash reports. */
#include "fwx_support.h"
#include "fwx_wasm_read.h"

#include <stddef.h>
#include <string.h>

/* The abort text needs room for at least its prefix and the "..." mark. */
typedef char fwx_trap_text_max_too_small[(FWX_TRAP_TEXT_MAX >= 32u) ? 1 : -1];

const char fwx_trap_out_of_bounds[] = "[trap] fwx: out of bounds memory access";
const char fwx_trap_handle_not_owned[] = "[trap] fwx: handle not owned by module";
const char fwx_trap_fuel_exhausted[] = "[trap] fwx: fuel exhausted";

fwx_trap_kind_t fwx_trap_kind(const fwx_module_t *m, const char *result)
{
    if (result == NULL) return FWX_TRAP_NONE;
    if (result == fwx_trap_out_of_bounds) return FWX_TRAP_OUT_OF_BOUNDS;
    if (result == fwx_trap_handle_not_owned) return FWX_TRAP_HANDLE;
    if (result == fwx_trap_fuel_exhausted) return FWX_TRAP_FUEL;
    if (m != NULL && result == m->trap_text) return FWX_TRAP_ABORT;
    return FWX_TRAP_RUNTIME;
}

static bool is_continuation(uint8_t b) { return (b & 0xc0u) == 0x80u; }

unsigned fwx_utf8_sequence(const uint8_t *p, uint32_t n)
{
    uint8_t b0, lo = 0x80u, hi = 0xbfu;
    unsigned len, i;
    if (n == 0u) return 0u;
    b0 = p[0];
    if (b0 < 0x80u) return 1u;
    if (b0 < 0xc2u) return 0u; /* continuation byte or overlong 2-byte lead */
    if (b0 < 0xe0u) len = 2u;
    else if (b0 < 0xf0u) {
        len = 3u;
        if (b0 == 0xe0u) lo = 0xa0u;      /* overlong */
        else if (b0 == 0xedu) hi = 0x9fu; /* UTF-16 surrogates */
    } else if (b0 < 0xf5u) {
        len = 4u;
        if (b0 == 0xf0u) lo = 0x90u;      /* overlong */
        else if (b0 == 0xf4u) hi = 0x8fu; /* above U+10FFFF */
    } else return 0u;
    if (n < len) return 0u;
    if (p[1] < lo || p[1] > hi) return 0u;
    for (i = 2u; i < len; i++)
        if (!is_continuation(p[i])) return 0u;
    return len;
}

bool fwx_utf8_valid(const uint8_t *p, uint32_t n)
{
    uint32_t at = 0u;
    while (at < n) {
        unsigned len = fwx_utf8_sequence(p + at, n - at);
        if (len == 0u) return false;
        at += len;
    }
    return true;
}

/* Bounded text writer: keeps room for "..." and the NUL so a cut text is
 * always marked as cut. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    bool cut;
} text_writer;

#define ELLIPSIS_ROOM 4u /* "..." + NUL */

static bool writer_fits(const text_writer *w, size_t n)
{
    return !w->cut && w->len + n + ELLIPSIS_ROOM <= w->cap;
}

static void write_bytes(text_writer *w, const char *s, size_t n)
{
    if (!writer_fits(w, n)) {
        w->cut = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void write_ascii(text_writer *w, const char *s)
{
    write_bytes(w, s, strlen(s));
}

static void write_guest_text(text_writer *w, const uint8_t *p, uint32_t n)
{
    uint32_t at = 0u;
    while (at < n && !w->cut) {
        unsigned len = fwx_utf8_sequence(p + at, n - at);
        bool control = len == 1u && (p[at] < 0x20u || p[at] == 0x7fu);
        /* C1 controls U+0080..U+009F are C2 80..C2 9F. */
        bool c1 = len == 2u && p[at] == 0xc2u && p[at + 1u] < 0xa0u;
        if (len == 0u || control || c1) {
            write_bytes(w, "?", 1u);
            at += len == 0u ? 1u : len;
        } else {
            write_bytes(w, (const char *)(p + at), len);
            at += len;
        }
    }
}

static void write_u32(text_writer *w, uint32_t v)
{
    char digits[10];
    char out[10];
    size_t n = 0u, i;
    do {
        digits[n++] = (char)('0' + (char)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    for (i = 0u; i < n; i++) out[i] = digits[n - 1u - i];
    write_bytes(w, out, n);
}

const char *fwx_abort_trap(fwx_module_t *m, const uint8_t *message, uint32_t message_len,
                           const uint8_t *file, uint32_t file_len, uint32_t line, uint32_t column)
{
    text_writer w;
    w.buf = m->trap_text;
    w.cap = sizeof m->trap_text;
    w.len = 0u;
    w.cut = false;
    write_ascii(&w, "[trap] fwx: abort: ");
    write_guest_text(&w, message, message_len);
    if (file_len == 0u && line != 0u) {
        /* An abort fwx build's compiler made: no file, the line is a site id that the
         * module's debug map names (the Node agent's "at abort site N", src/agent/faults.ts). */
        write_ascii(&w, message_len != 0u ? " at abort site " : "at abort site ");
        write_u32(&w, line);
    } else {
        write_ascii(&w, " at ");
        write_guest_text(&w, file, file_len);
        write_ascii(&w, ":");
        write_u32(&w, line);
        write_ascii(&w, ":");
        write_u32(&w, column);
    }
    if (w.cut) {
        memcpy(w.buf + w.len, "...", 3u);
        w.len += 3u;
    }
    w.buf[w.len] = '\0';
    return m->trap_text;
}

/* ---- the LEB128 reader of fwx_wasm_read.h ---- */

bool fwx_read_u32(fwx_cursor_t *c, uint32_t *out)
{
    uint32_t result = 0u, at = c->pos;
    unsigned i;
    if (c->error != FWX_READ_OK) return false;
    for (i = 0u; i < 5u; i++) {
        uint8_t b;
        if (c->pos >= c->end) {
            fwx_cursor_fail(c, FWX_READ_TRUNCATED, c->pos);
            return false;
        }
        b = c->bytes[c->pos++];
        /* The fifth byte carries bits 28..31 only and must end the number. */
        if (i == 4u && b > 0x0fu) {
            fwx_cursor_fail(c, FWX_READ_LEB_OVERFLOW, at);
            return false;
        }
        result |= (uint32_t)(b & 0x7fu) << (7u * i);
        if ((b & 0x80u) == 0u) {
            *out = result;
            return true;
        }
    }
    fwx_cursor_fail(c, FWX_READ_LEB_OVERFLOW, at);
    return false;
}

bool fwx_read_u64(fwx_cursor_t *c, uint64_t *out)
{
    uint64_t result = 0u;
    uint32_t at = c->pos;
    unsigned i;
    if (c->error != FWX_READ_OK) return false;
    for (i = 0u; i < 10u; i++) {
        uint8_t b;
        if (c->pos >= c->end) {
            fwx_cursor_fail(c, FWX_READ_TRUNCATED, c->pos);
            return false;
        }
        b = c->bytes[c->pos++];
        if (i == 9u && (b & 0xfeu) != 0u) {
            fwx_cursor_fail(c, FWX_READ_LEB_OVERFLOW, at);
            return false;
        }
        result |= (uint64_t)(b & 0x7fu) << (7u * i);
        if ((b & 0x80u) == 0u) {
            *out = result;
            return true;
        }
    }
    fwx_cursor_fail(c, FWX_READ_LEB_OVERFLOW, at);
    return false;
}

bool fwx_read_signed(fwx_cursor_t *c, unsigned bits, int64_t *out)
{
    uint64_t result = 0u;
    uint32_t at = c->pos;
    unsigned i, max_bytes = (bits + 6u) / 7u;
    if (c->error != FWX_READ_OK) return false;
    for (i = 0u; i < max_bytes; i++) {
        uint8_t b;
        if (c->pos >= c->end) {
            fwx_cursor_fail(c, FWX_READ_TRUNCATED, c->pos);
            return false;
        }
        b = c->bytes[c->pos++];
        result |= (uint64_t)(b & 0x7fu) << (7u * i);
        if ((b & 0x80u) == 0u) {
            if (i == max_bytes - 1u) {
                unsigned used = bits - 7u * i;
                unsigned rest = (unsigned)(b & 0x7fu) >> (used - 1u);
                if (rest != 0u && rest != (0x7fu >> (used - 1u))) {
                    fwx_cursor_fail(c, FWX_READ_LEB_OVERFLOW, at);
                    return false;
                }
            }
            if ((b & 0x40u) != 0u && 7u * (i + 1u) < 64u) result |= ~(uint64_t)0u << (7u * (i + 1u));
            *out = (int64_t)result;
            return true;
        }
    }
    fwx_cursor_fail(c, FWX_READ_LEB_OVERFLOW, at);
    return false;
}

/* Skips a table or memory type's limits (flags, min, max when flag bit 0). */
static bool skip_limits(fwx_cursor_t *c)
{
    uint8_t flags;
    uint64_t v;
    if (!fwx_read_u8(c, &flags) || !fwx_read_u64(c, &v)) return false;
    return (flags & 1u) == 0u || fwx_read_u64(c, &v);
}

/* Function imports before the defined functions: they come first in the index space. */
static bool count_function_imports(fwx_cursor_t c, uint32_t *count)
{
    uint32_t n, i, skip;
    const uint8_t *name;
    uint8_t kind, b;
    *count = 0u;
    if (!fwx_read_u32(&c, &n)) return false;
    for (i = 0u; i < n; i++) {
        if (!fwx_read_name(&c, &name, &skip) || !fwx_read_name(&c, &name, &skip) || !fwx_read_u8(&c, &kind)) return false;
        if (kind == 0u) { /* function: type index */
            if (!fwx_read_u32(&c, &skip)) return false;
            (*count)++;
        } else if (kind == 1u) { /* table: reference type, limits */
            if (!fwx_read_u8(&c, &b) || !skip_limits(&c)) return false;
        } else if (kind == 2u) { /* memory: limits */
            if (!skip_limits(&c)) return false;
        } else if (kind == 3u) { /* global: value type, mutability */
            if (!fwx_read_u8(&c, &b) || !fwx_read_u8(&c, &b)) return false;
        } else if (kind == 4u) { /* tag: attribute, type index */
            if (!fwx_read_u8(&c, &b) || !fwx_read_u32(&c, &skip)) return false;
        } else {
            return false;
        }
    }
    return true;
}

bool fwx_wasm_function_at(const uint8_t *bytes, uint32_t len, uint32_t offset, fwx_wasm_function_at_t *out)
{
    fwx_cursor_t c = { bytes, 8u, len, FWX_READ_OK, 0u };
    uint32_t imported = 0u;
    if (bytes == NULL || len < 8u || out == NULL) return false;
    while (c.pos < c.end) {
        uint8_t id;
        uint32_t start, end, n, i;
        if (!fwx_read_section(&c, &id, &start, &end)) return false;
        if (id == 2u) {
            fwx_cursor_t s = { bytes, start, end, FWX_READ_OK, 0u };
            if (!count_function_imports(s, &imported)) return false;
        } else if (id == 10u) {
            fwx_cursor_t s = { bytes, start, end, FWX_READ_OK, 0u };
            if (offset < start || offset >= end || !fwx_read_u32(&s, &n)) return false;
            for (i = 0u; i < n; i++) {
                uint32_t size, body_end, groups, g, count;
                uint8_t type;
                if (!fwx_read_u32(&s, &size) || size > s.end - s.pos) return false;
                body_end = s.pos + size;
                if (offset >= body_end) {
                    s.pos = body_end;
                    continue;
                }
                if (!fwx_read_u32(&s, &groups)) return false;
                for (g = 0u; g < groups; g++) {
                    if (!fwx_read_u32(&s, &count) || !fwx_read_u8(&s, &type)) return false;
                }
                if (s.pos > body_end || offset < s.pos) return false; /* in the size or the local declarations */
                out->index = imported + i;
                out->code_from = s.pos;
                out->code_to = body_end;
                return true;
            }
            return false;
        }
    }
    return false;
}
