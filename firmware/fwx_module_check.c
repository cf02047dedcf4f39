/* Install-time module check: see fwx_module_check.h. */
#include "fwx_module_check.h"

#include <stddef.h>
#include <string.h>

#include "fwx_support.h"
#include "fwx_wasm_read.h"

#define SECTION_CUSTOM 0u
#define SECTION_TYPE 1u
#define SECTION_IMPORT 2u
#define SECTION_FUNCTION 3u
#define SECTION_EXPORT 7u
#define FUNC_TYPE_FORM 0x60u

typedef struct walk {
    const uint8_t *bytes;
    fwx_module_check_t *check;
    bool have_types;
    uint32_t types_start; /* type section content */
    uint32_t types_end;
    uint32_t type_count;
    uint32_t imports_start; /* import section content, 0/0 when absent */
    uint32_t imports_end;
    uint32_t imported_functions;
    uint32_t functions_start; /* function section content */
    uint32_t functions_end;
    uint32_t defined_functions;
} walk_t;

static bool set_error(fwx_module_check_t *check, fwx_check_error_t e, uint32_t at)
{
    if (check->error == FWX_CHECK_OK) {
        check->error = e;
        check->error_offset = at;
    }
    return false;
}

static bool cursor_error(fwx_module_check_t *check, const fwx_cursor_t *c)
{
    return set_error(check, c->error == FWX_READ_LEB_OVERFLOW ? FWX_CHECK_LEB_OVERFLOW : FWX_CHECK_TRUNCATED, c->error_at);
}

static fwx_cursor_t cursor(const uint8_t *bytes, uint32_t start, uint32_t end)
{
    fwx_cursor_t c;
    c.bytes = bytes;
    c.pos = start;
    c.end = end;
    c.error = FWX_READ_OK;
    c.error_at = 0u;
    return c;
}

/* Rank of a non-custom section id in the order the wasm spec requires; 0 for
 * ids that do not exist. 13 (tag) sits between memory and global. */
static unsigned section_rank(uint8_t id)
{
    static const uint8_t rank[14] = { 0u, 1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 10u, 12u, 13u, 11u, 6u };
    return id < 14u ? rank[id] : 0u;
}

/* Value types in fwx_imports spelling; 'v' and 'r' never match an ABI
 * signature but are well-formed. 0 for a byte that is no value type. */
static char value_type_char(uint8_t b)
{
    switch (b) {
    case 0x7fu: return 'i';
    case 0x7eu: return 'I';
    case 0x7du: return 'f';
    case 0x7cu: return 'F';
    case 0x7bu: return 'v';
    case 0x70u: case 0x6fu: return 'r';
    default: return 0;
    }
}

static bool check_value_types(fwx_cursor_t *c, fwx_module_check_t *check)
{
    uint32_t n, i;
    if (!fwx_read_u32(c, &n)) return cursor_error(check, c);
    for (i = 0u; i < n; i++) {
        uint8_t b;
        uint32_t at = c->pos;
        if (!fwx_read_u8(c, &b)) return cursor_error(check, c);
        if (value_type_char(b) == 0) return set_error(check, FWX_CHECK_MALFORMED, at);
    }
    return true;
}

static bool check_type_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t i;
    if (!fwx_read_u32(&c, &w->type_count)) return cursor_error(w->check, &c);
    for (i = 0u; i < w->type_count; i++) {
        uint8_t form;
        uint32_t at = c.pos;
        if (!fwx_read_u8(&c, &form)) return cursor_error(w->check, &c);
        if (form != FUNC_TYPE_FORM) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        if (!check_value_types(&c, w->check) || !check_value_types(&c, w->check)) return false;
    }
    if (c.pos != end) return set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
    w->have_types = true;
    w->types_start = start;
    w->types_end = end;
    return true;
}

/* Whether the next vector of value types spells `expect` exactly. */
static bool value_types_match(fwx_cursor_t *c, const char *expect)
{
    uint32_t n, i;
    if (!fwx_read_u32(c, &n) || n != (uint32_t)strlen(expect)) return false;
    for (i = 0u; i < n; i++) {
        uint8_t b;
        if (!fwx_read_u8(c, &b) || value_type_char(b) != expect[i]) return false;
    }
    return true;
}

static void skip_value_types(fwx_cursor_t *c)
{
    uint32_t n;
    const uint8_t *ignored;
    if (fwx_read_u32(c, &n)) (void)fwx_read_bytes(c, n, &ignored);
}

/* Whether type `index` (< type_count, section already checked) is
 * params -> results. */
static bool type_matches(const walk_t *w, uint32_t index, const char *params, const char *results)
{
    fwx_cursor_t c = cursor(w->bytes, w->types_start, w->types_end);
    uint32_t count, i;
    uint8_t form;
    if (!fwx_read_u32(&c, &count)) return false;
    for (i = 0u; i < index; i++) {
        (void)fwx_read_u8(&c, &form);
        skip_value_types(&c);
        skip_value_types(&c);
    }
    return fwx_read_u8(&c, &form) && value_types_match(&c, params) && value_types_match(&c, results);
}

static bool bytes_equal_cstr(const uint8_t *b, uint32_t n, const char *s)
{
    size_t len = strlen(s);
    return len == n && (n == 0u || memcmp(b, s, n) == 0);
}

static int find_interface(const uint8_t *name, uint32_t len)
{
    unsigned i;
    for (i = 0u; i < FWX_INTERFACE_COUNT; i++)
        if (bytes_equal_cstr(name, len, fwx_interfaces[i].name)) return (int)i;
    return -1;
}

/* Splits "fwx:<name>@<major>" (major: decimal, no leading zero, < 10^9). */
static bool parse_fwx_module(const uint8_t *m, uint32_t len, const uint8_t **name, uint32_t *name_len, uint32_t *major)
{
    uint32_t at = 0u, i, digits;
    if (len < 6u || memcmp(m, "fwx:", 4u) != 0) return false;
    for (i = 4u; i < len && m[i] != '@'; i++) {}
    if (i == len || i == 4u) return false;
    at = i + 1u;
    digits = len - at;
    if (digits == 0u || digits > 9u || (digits > 1u && m[at] == '0')) return false;
    *major = 0u;
    for (i = at; i < len; i++) {
        if (m[i] < '0' || m[i] > '9') return false;
        *major = *major * 10u + (uint32_t)(m[i] - '0');
    }
    *name = m + 4;
    *name_len = at - 5u;
    return true;
}

static fwx_import_verdict_t judge_function(const walk_t *w, fwx_import_check_t *ic)
{
    const uint8_t *iface_name;
    uint32_t iface_len, major;
    int iface;
    unsigned i;
    if (!parse_fwx_module(ic->module, ic->module_len, &iface_name, &iface_len, &major)) return FWX_IMPORT_NOT_FWX;
    iface = find_interface(iface_name, iface_len);
    if (iface < 0) return FWX_IMPORT_UNKNOWN_INTERFACE;
    ic->iface = (int16_t)iface;
    if (major != fwx_interfaces[iface].major) return FWX_IMPORT_MAJOR_MISMATCH;
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) {
        const fwx_import_desc_t *d = &fwx_imports[i];
        if (d->iface == (unsigned)iface && bytes_equal_cstr(ic->name, ic->name_len, d->name)) {
            ic->known = (int16_t)i;
            return type_matches(w, ic->type_index, d->params, d->results) ? FWX_IMPORT_OK : FWX_IMPORT_SIGNATURE_MISMATCH;
        }
    }
    return FWX_IMPORT_UNKNOWN_FUNCTION;
}

static bool skip_limits_quiet(fwx_cursor_t *c)
{
    uint8_t flags;
    uint32_t v;
    if (!fwx_read_u8(c, &flags) || flags > 3u || !fwx_read_u32(c, &v)) return false;
    return (flags & 1u) == 0u || fwx_read_u32(c, &v);
}

/* Skips one import description the import section walk already validated. */
static bool read_import_desc_quiet(fwx_cursor_t *c, fwx_import_check_t *ic)
{
    uint8_t b;
    if (!fwx_read_u8(c, &ic->kind)) return false;
    switch (ic->kind) {
    case 0u: return fwx_read_u32(c, &ic->type_index);
    case 1u: return fwx_read_u8(c, &b) && skip_limits_quiet(c);
    case 2u: return skip_limits_quiet(c);
    case 3u: return fwx_read_u8(c, &b) && fwx_read_u8(c, &b);
    case 4u: return fwx_read_u8(c, &b) && fwx_read_u32(c, &ic->type_index);
    default: return false;
    }
}

static bool skip_limits(fwx_cursor_t *c, fwx_module_check_t *check)
{
    uint8_t flags;
    uint32_t v, at = c->pos;
    if (!fwx_read_u8(c, &flags)) return cursor_error(check, c);
    /* 0/1: min [max]; 2/3: shared (threads). 64-bit limits are not wasm32. */
    if (flags > 3u) return set_error(check, FWX_CHECK_MALFORMED, at);
    if (!fwx_read_u32(c, &v)) return cursor_error(check, c);
    if ((flags & 1u) != 0u && !fwx_read_u32(c, &v)) return cursor_error(check, c);
    return true;
}

/* Reads one import's description; false on a structural error. */
static bool read_import_desc(walk_t *w, fwx_cursor_t *c, fwx_import_check_t *ic, uint32_t at)
{
    uint8_t b;
    uint32_t at_desc = c->pos;
    if (!fwx_read_u8(c, &ic->kind)) return cursor_error(w->check, c);
    switch (ic->kind) {
    case 0u: /* function */
        if (!fwx_read_u32(c, &ic->type_index)) return cursor_error(w->check, c);
        if (!w->have_types || ic->type_index >= w->type_count) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        return true;
    case 1u: /* table */
        if (!fwx_read_u8(c, &b)) return cursor_error(w->check, c);
        if (b != 0x70u && b != 0x6fu) return set_error(w->check, FWX_CHECK_MALFORMED, at_desc + 1u);
        return skip_limits(c, w->check);
    case 2u: /* memory */
        return skip_limits(c, w->check);
    case 3u: /* global */
        if (!fwx_read_u8(c, &b)) return cursor_error(w->check, c);
        if (value_type_char(b) == 0) return set_error(w->check, FWX_CHECK_MALFORMED, at_desc + 1u);
        if (!fwx_read_u8(c, &b)) return cursor_error(w->check, c);
        if (b > 1u) return set_error(w->check, FWX_CHECK_MALFORMED, at_desc + 2u);
        return true;
    case 4u: /* tag (exception handling) */
        if (!fwx_read_u8(c, &b) || !fwx_read_u32(c, &ic->type_index)) return cursor_error(w->check, c);
        return true;
    default:
        return set_error(w->check, FWX_CHECK_MALFORMED, at_desc);
    }
}

static bool check_import_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_module_check_t *check = w->check;
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t count, i;
    if (!fwx_read_u32(&c, &count)) return cursor_error(check, &c);
    if (count > FWX_CHECK_MAX_IMPORTS) return set_error(check, FWX_CHECK_TOO_MANY_IMPORTS, start);
    for (i = 0u; i < count; i++) {
        fwx_import_check_t ic;
        uint32_t at = c.pos;
        memset(&ic, 0, sizeof ic);
        ic.offset = at;
        ic.known = -1;
        ic.iface = -1;
        if (!fwx_read_name(&c, &ic.module, &ic.module_len) || !fwx_read_name(&c, &ic.name, &ic.name_len)) return cursor_error(check, &c);
        if (!fwx_utf8_valid(ic.module, ic.module_len) || !fwx_utf8_valid(ic.name, ic.name_len)) return set_error(check, FWX_CHECK_MALFORMED, at);
        if (!read_import_desc(w, &c, &ic, at)) return false;
        if (ic.kind == 0u) w->imported_functions++;
        ic.verdict = (uint8_t)(ic.kind == 0u ? judge_function(w, &ic) : FWX_IMPORT_NOT_A_FUNCTION);
        if (ic.verdict != FWX_IMPORT_OK) check->imports_rejected++;
        if (check->imports != NULL && i < check->imports_cap) check->imports[i] = ic;
        check->import_count++;
    }
    if (c.pos != end) return set_error(check, FWX_CHECK_MALFORMED, c.pos);
    w->imports_start = start;
    w->imports_end = end;
    return true;
}

static bool check_function_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t i, type_index;
    if (!fwx_read_u32(&c, &w->defined_functions)) return cursor_error(w->check, &c);
    for (i = 0u; i < w->defined_functions; i++) {
        uint32_t at = c.pos;
        if (!fwx_read_u32(&c, &type_index)) return cursor_error(w->check, &c);
        if (!w->have_types || type_index >= w->type_count) return set_error(w->check, FWX_CHECK_MALFORMED, at);
    }
    if (c.pos != end) return set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
    w->functions_start = start;
    w->functions_end = end;
    return true;
}

/* Type index of function `index` (imports first, then the function
 * section); both sections were checked already. */
static bool function_type(const walk_t *w, uint32_t index, uint32_t *type_index)
{
    fwx_cursor_t c;
    uint32_t count, i, seen = 0u;
    if (index < w->imported_functions) {
        c = cursor(w->bytes, w->imports_start, w->imports_end);
        if (!fwx_read_u32(&c, &count)) return false;
        for (i = 0u; i < count; i++) {
            const uint8_t *ignored;
            uint32_t n;
            fwx_import_check_t ic;
            memset(&ic, 0, sizeof ic);
            if (!fwx_read_name(&c, &ignored, &n) || !fwx_read_name(&c, &ignored, &n) || !read_import_desc_quiet(&c, &ic)) return false;
            if (ic.kind == 0u && seen++ == index) {
                *type_index = ic.type_index;
                return true;
            }
        }
        return false;
    }
    index -= w->imported_functions;
    if (index >= w->defined_functions) return false;
    c = cursor(w->bytes, w->functions_start, w->functions_end);
    if (!fwx_read_u32(&c, &count)) return false;
    for (i = 0u; i <= index; i++)
        if (!fwx_read_u32(&c, type_index)) return false;
    return true;
}

static bool check_export_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_module_check_t *check = w->check;
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t count, i, k;
    if (!fwx_read_u32(&c, &count)) return cursor_error(check, &c);
    for (i = 0u; i < count; i++) {
        const uint8_t *name;
        uint32_t name_len, index, type_index, at = c.pos;
        uint8_t kind;
        if (!fwx_read_name(&c, &name, &name_len) || !fwx_read_u8(&c, &kind) || !fwx_read_u32(&c, &index)) return cursor_error(check, &c);
        if (!fwx_utf8_valid(name, name_len) || kind > 4u) return set_error(check, FWX_CHECK_MALFORMED, at);
        /* Subtraction, not imported + defined, which could wrap. */
        if (kind == 0u && index >= w->imported_functions && index - w->imported_functions >= w->defined_functions)
            return set_error(check, FWX_CHECK_MALFORMED, at);
        for (k = 0u; k < FWX_EXPORT_COUNT; k++) {
            const fwx_export_desc_t *d = &fwx_exports[k];
            if (!bytes_equal_cstr(name, name_len, d->name)) continue;
            /* Export names are unique in wasm. Refusing a repeat also bounds the
             * work: each lifecycle name walks the function tables at most once. */
            if (check->exports[k] != FWX_EXPORT_ABSENT) return set_error(check, FWX_CHECK_MALFORMED, at);
            if (kind != 0u) check->exports[k] = FWX_EXPORT_NOT_A_FUNCTION;
            else if (function_type(w, index, &type_index) && type_matches(w, type_index, d->params, d->results)) check->exports[k] = FWX_EXPORT_OK;
            else check->exports[k] = FWX_EXPORT_SIGNATURE_MISMATCH;
        }
    }
    if (c.pos != end) return set_error(check, FWX_CHECK_MALFORMED, c.pos);
    return true;
}

static bool check_abi_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_module_check_t *check = w->check;
    fwx_abi_reader_t r;
    fwx_abi_entry_t e;
    int got;
    if (check->has_abi_section) {
        check->abi_error = FWX_ABI_SECTION_DUPLICATE;
        return set_error(check, FWX_CHECK_BAD_ABI_SECTION, start);
    }
    check->has_abi_section = true;
    if (fwx_abi_section_open(&r, w->bytes, start, end - start)) {
        while ((got = fwx_abi_section_next(&r, &e)) == 1) {
            fwx_requirement_check_t rc;
            int iface = find_interface(e.name, e.name_len);
            rc.entry = e;
            rc.iface = (int16_t)iface;
            if (iface < 0) rc.verdict = FWX_REQUIREMENT_UNKNOWN_INTERFACE;
            else if (e.major != fwx_interfaces[iface].major) rc.verdict = FWX_REQUIREMENT_MAJOR_MISMATCH;
            else if (e.minor > fwx_interfaces[iface].minor) rc.verdict = FWX_REQUIREMENT_NEWER_MINOR;
            else rc.verdict = FWX_REQUIREMENT_OK;
            if (rc.verdict != FWX_REQUIREMENT_OK) check->requirements_rejected++;
            if (check->requirements != NULL && check->requirement_count < check->requirements_cap)
                check->requirements[check->requirement_count] = rc;
            check->requirement_count++;
        }
        if (got == 0) return true;
    }
    check->abi_error = r.error;
    return set_error(check, FWX_CHECK_BAD_ABI_SECTION, r.error_at);
}

static bool check_custom_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    const uint8_t *name;
    uint32_t name_len;
    if (!fwx_read_name(&c, &name, &name_len)) return cursor_error(w->check, &c);
    if (!fwx_utf8_valid(name, name_len)) return set_error(w->check, FWX_CHECK_MALFORMED, start);
    if (bytes_equal_cstr(name, name_len, FWX_ABI_SECTION_NAME)) return check_abi_section(w, c.pos, end);
    return true;
}

bool fwx_check_module(const uint8_t *bytes, uint32_t len, fwx_module_check_t *check)
{
    static const uint8_t header[8] = { 0x00u, 0x61u, 0x73u, 0x6du, 0x01u, 0x00u, 0x00u, 0x00u };
    walk_t w;
    fwx_cursor_t c;
    unsigned last_rank = 0u, i;
    check->error = FWX_CHECK_OK;
    check->error_offset = 0u;
    check->abi_error = FWX_ABI_SECTION_OK;
    check->import_count = 0u;
    check->imports_rejected = 0u;
    check->has_abi_section = false;
    check->requirement_count = 0u;
    check->requirements_rejected = 0u;
    memset(check->exports, 0, sizeof check->exports);
    check->exports_rejected = 0u;
    memset(&w, 0, sizeof w);
    w.bytes = bytes;
    w.check = check;
    if (bytes == NULL || len < 4u || memcmp(bytes, header, 4u) != 0) return set_error(check, FWX_CHECK_NOT_WASM, 0u);
    if (len < 8u) return set_error(check, FWX_CHECK_TRUNCATED, len);
    if (memcmp(bytes + 4, header + 4, 4u) != 0) return set_error(check, FWX_CHECK_NOT_WASM, 4u);
    c = cursor(bytes, 8u, len);
    while (c.pos < c.end) {
        uint8_t id;
        uint32_t size, at = c.pos, start;
        unsigned rank;
        bool ok = true;
        if (!fwx_read_u8(&c, &id) || !fwx_read_u32(&c, &size)) return cursor_error(check, &c);
        if (size > c.end - c.pos) return set_error(check, FWX_CHECK_TRUNCATED, at);
        start = c.pos;
        c.pos += size;
        if (id != SECTION_CUSTOM) {
            rank = section_rank(id);
            if (rank == 0u || rank <= last_rank) return set_error(check, FWX_CHECK_MALFORMED, at);
            last_rank = rank;
        }
        if (id == SECTION_TYPE) ok = check_type_section(&w, start, c.pos);
        else if (id == SECTION_IMPORT) ok = check_import_section(&w, start, c.pos);
        else if (id == SECTION_FUNCTION) ok = check_function_section(&w, start, c.pos);
        else if (id == SECTION_EXPORT) ok = check_export_section(&w, start, c.pos);
        else if (id == SECTION_CUSTOM) ok = check_custom_section(&w, start, c.pos);
        if (!ok) return false;
    }
    for (i = 0u; i < FWX_EXPORT_COUNT; i++) {
        if (check->exports[i] == FWX_EXPORT_ABSENT && fwx_exports[i].required) check->exports[i] = FWX_EXPORT_MISSING;
        if (check->exports[i] != FWX_EXPORT_ABSENT && check->exports[i] != FWX_EXPORT_OK) check->exports_rejected++;
    }
    return check->imports_rejected == 0u && check->requirements_rejected == 0u && check->exports_rejected == 0u;
}
