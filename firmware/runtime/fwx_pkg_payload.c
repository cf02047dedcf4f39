/*
 * fwx_pkg_payload.c: step 12 of the verification order. The payload (in
 * flash, read in small windows) must be a wasm 1.0 module whose sections
 * run exactly to its end, with no custom section name twice, a fwx.fuel
 * section exactly when the manifest says it is instrumented, and a fwx.abi
 * section (when present) listing exactly the manifest's interfaces. The
 * same walk as src/pkg/wasm-sections.ts, with firmware/fwx_wasm_read.h's
 * LEB128 reader on each window.
 */
#include "fwx_pkg_internal.h"

#include <string.h>

#include "fwx_support.h" /* fwx_utf8_sequence: the one UTF-8 check of firmware/ */
#include "fwx_wasm_read.h"

/* Enough for a section id and two LEB128 u32s (size, name length). */
#define WINDOW_BYTES 11u

typedef struct walker {
    const fwx_pkg_source_t *src;
    uint32_t base;      /* file offset of the payload */
    uint8_t w[WINDOW_BYTES];
    fwx_cursor_t c;
} walker_t;

/* Loads up to WINDOW_BYTES at payload offset pos, never past limit. */
static int window(walker_t *k, uint32_t pos, uint32_t limit)
{
    uint32_t n = limit - pos < WINDOW_BYTES ? limit - pos : WINDOW_BYTES;
    if (fwx_pkg_read(k->src, k->base + pos, k->w, n) != 0) return FWX_PKG_E_IO;
    k->c.bytes = k->w;
    k->c.pos = 0u;
    k->c.end = n;
    k->c.error = FWX_READ_OK;
    k->c.error_at = 0u;
    return FWX_PKG_OK;
}

typedef struct custom_name {
    uint32_t at;   /* payload offset of the name */
    uint32_t len;
    uint32_t hash; /* FNV-1a, to skip most byte comparisons */
} custom_name_t;

static int names_equal(walker_t *k, const custom_name_t *x, const custom_name_t *y, bool *equal)
{
    uint8_t a[32], b[32];
    uint32_t done = 0u;
    *equal = false;
    if (x->len != y->len || x->hash != y->hash) return FWX_PKG_OK;
    while (done < x->len) {
        uint32_t n = x->len - done < 32u ? x->len - done : 32u;
        if (fwx_pkg_read(k->src, k->base + x->at + done, a, n) != 0 || fwx_pkg_read(k->src, k->base + y->at + done, b, n) != 0) return FWX_PKG_E_IO;
        if (memcmp(a, b, n) != 0) return FWX_PKG_OK;
        done += n;
    }
    *equal = true;
    return FWX_PKG_OK;
}

static int refuse(fwx_pkg_error_t *err, uint32_t offset, const char *what)
{
    err->code = FWX_PKG_E_PAYLOAD;
    err->offset = offset;
    err->what = what;
    return FWX_PKG_E_PAYLOAD;
}

/* The fwx.abi section at [at, end) against the manifest's interface list. */
static int check_abi(walker_t *k, uint32_t at, uint32_t end, const pkg_doc_t *d, const pkg_manifest_t *m, fwx_pkg_error_t *err)
{
    uint8_t fmt, name[32];
    uint32_t count, i, pos;
    int rc;
    const char *mismatch = FWX_WHY("payload: fwx.abi section does not list exactly the manifest's interfaces");
    if (at >= end) return refuse(err, k->base + at, FWX_WHY("payload: fwx.abi section is empty"));
    if ((rc = window(k, at, end)) != 0) return rc;
    if (!fwx_read_u8(&k->c, &fmt) || fmt != 1u || !fwx_read_u32(&k->c, &count)) return refuse(err, k->base + at, FWX_WHY("payload: fwx.abi section format"));
    at += k->c.pos;
    if (count != m->interface_count) return refuse(err, k->base + at, mismatch);
    if (!fwx_pkg_array(d, m->interfaces_at, 64u * 3u, &count, &pos)) return refuse(err, k->base + at, mismatch);
    for (i = 0u; i < count / 3u; i++) {
        uint32_t len, want_len;
        uint32_t major, minor;
        uint64_t want_major, want_minor;
        const uint8_t *want;
        if (!fwx_pkg_interface_at(d, &pos, &want, &want_len, &want_major, &want_minor)) return refuse(err, k->base + at, mismatch);
        if ((rc = window(k, at, end)) != 0) return rc;
        if (!fwx_read_u32(&k->c, &len)) return refuse(err, k->base + at, FWX_WHY("payload: fwx.abi entry"));
        at += k->c.pos;
        if (len != want_len || len > end - at) return refuse(err, k->base + at, mismatch);
        if (fwx_pkg_read(k->src, k->base + at, name, len) != 0) return FWX_PKG_E_IO;
        if (memcmp(name, want, len) != 0) return refuse(err, k->base + at, mismatch);
        at += len;
        if ((rc = window(k, at, end)) != 0) return rc;
        if (!fwx_read_u32(&k->c, &major) || !fwx_read_u32(&k->c, &minor)) return refuse(err, k->base + at, FWX_WHY("payload: fwx.abi entry"));
        if (major != want_major || minor != want_minor) return refuse(err, k->base + at, mismatch);
        at += k->c.pos;
    }
    if (at != end) return refuse(err, k->base + at, FWX_WHY("payload: trailing bytes in the fwx.abi section"));
    return FWX_PKG_OK;
}

int fwx_pkg_check_payload(const fwx_pkg_source_t *src, uint32_t payload_at, uint32_t payload_len,
                          const pkg_doc_t *manifest, const pkg_manifest_t *m, fwx_pkg_error_t *err)
{
    static const uint8_t wasm_header[8] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    static const uint8_t fuel_name[8] = { 'f', 'w', 'x', '.', 'f', 'u', 'e', 'l' };
    static const uint8_t abi_name[7] = { 'f', 'w', 'x', '.', 'a', 'b', 'i' };
    custom_name_t seen[FWX_PKG_MAX_CUSTOM_SECTIONS];
    uint32_t seen_count = 0u, pos = 8u, abi_at = 0u, abi_end = 0u, i;
    bool fuel = false, abi = false;
    uint8_t head[8];
    walker_t k;
    int rc;
    k.src = src;
    k.base = payload_at;
    if (payload_len < 8u) return refuse(err, payload_at, FWX_WHY("payload: not a wasm 1.0 module"));
    if (fwx_pkg_read(src, payload_at, head, 8u) != 0) return FWX_PKG_E_IO;
    if (memcmp(head, wasm_header, 8u) != 0) return refuse(err, payload_at, FWX_WHY("payload: not a wasm 1.0 module"));
    while (pos < payload_len) {
        uint8_t id;
        uint32_t size, body, end, name_len, name_at, done;
        custom_name_t cur;
        uint8_t chunk[32 + 3]; /* up to 3 bytes of a sequence cut by the previous read, then the next read */
        uint32_t carry;
        uint8_t first[8];
        if ((rc = window(&k, pos, payload_len)) != 0) return rc;
        if (!fwx_read_u8(&k.c, &id) || !fwx_read_u32(&k.c, &size)) return refuse(err, payload_at + pos, FWX_WHY("payload: section header runs past the end"));
        body = pos + k.c.pos;
        if (size > payload_len - body) return refuse(err, payload_at + pos, FWX_WHY("payload: section runs past the end"));
        end = body + size;
        if (id == 0u) {
            /* The name length is read from the payload, not the section, as the TypeScript walk does. */
            if (!fwx_read_u32(&k.c, &name_len)) return refuse(err, payload_at + body, FWX_WHY("payload: custom section name length"));
            name_at = pos + k.c.pos;
            if (name_at > end || name_len > end - name_at) return refuse(err, payload_at + body, FWX_WHY("payload: custom section name runs past its section"));
            cur.at = name_at;
            cur.len = name_len;
            cur.hash = 2166136261u;
            memset(first, 0, sizeof first);
            carry = 0u;
            for (done = 0u; done < name_len;) {
                uint32_t n = name_len - done < 32u ? name_len - done : 32u;
                uint32_t have, at = 0u;
                if (fwx_pkg_read(src, payload_at + name_at + done, chunk + carry, n) != 0) return FWX_PKG_E_IO;
                for (i = 0u; i < n; i++) {
                    cur.hash = (cur.hash ^ chunk[carry + i]) * 16777619u;
                    if (done + i < 8u) first[done + i] = chunk[carry + i];
                }
                done += n;
                have = carry + n;
                /* Whole sequences through fwx_utf8_valid's own step; a short tail that may be a sequence cut by
                 * the read waits for the next read (at the end of the name it is simply invalid). */
                while (at < have) {
                    unsigned len = fwx_utf8_sequence(chunk + at, have - at);
                    if (len == 0u) {
                        if (done < name_len && have - at < 4u) break;
                        return refuse(err, payload_at + name_at, FWX_WHY("payload: custom section name is not UTF-8"));
                    }
                    at += len;
                }
                carry = have - at;
                for (i = 0u; i < carry; i++) chunk[i] = chunk[at + i]; /* forward copy to a lower address: safe */
            }
            for (i = 0u; i < seen_count; i++) {
                bool equal;
                if ((rc = names_equal(&k, &seen[i], &cur, &equal)) != 0) return rc;
                if (equal) return refuse(err, payload_at + pos, FWX_WHY("payload: a custom section name appears twice"));
            }
            if (seen_count == FWX_PKG_MAX_CUSTOM_SECTIONS) return refuse(err, payload_at + pos, FWX_WHY("payload: more custom sections than FWX_PKG_MAX_CUSTOM_SECTIONS"));
            seen[seen_count++] = cur;
            if (name_len == sizeof fuel_name && memcmp(first, fuel_name, sizeof fuel_name) == 0) fuel = true;
            if (name_len == sizeof abi_name && memcmp(first, abi_name, sizeof abi_name) == 0) {
                abi = true;
                abi_at = name_at + name_len;
                abi_end = end;
            }
        }
        pos = end;
    }
    if (fuel != m->fuel_instrumented) return refuse(err, payload_at, FWX_WHY("payload: fwx.fuel section presence contradicts manifest key 10"));
    if (abi) return check_abi(&k, abi_at, abi_end, manifest, m, err);
    return FWX_PKG_OK;
}
