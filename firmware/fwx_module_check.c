/* Install-time module check: see fwx_module_check.h. */
#include "fwx_module_check.h"

#include <stddef.h>
#include <string.h>

#include "fwx_check_limits.h"
#include "fwx_code_check.h"
#include "fwx_support.h"
#include "fwx_wasm_read.h"

#define SECTION_CUSTOM 0u
#define SECTION_TYPE 1u
#define SECTION_IMPORT 2u
#define SECTION_FUNCTION 3u
#define SECTION_TABLE 4u
#define SECTION_MEMORY 5u
#define SECTION_GLOBAL 6u
#define SECTION_EXPORT 7u
#define SECTION_START 8u
#define SECTION_ELEMENT 9u
#define SECTION_CODE 10u
#define SECTION_DATA 11u
#define SECTION_DATA_COUNT 12u
#define SECTION_TAG 13u
#define PAGE_BYTES 65536u
#define OP_I32_CONST 0x41u
#define FUNC_TYPE_FORM 0x60u

typedef struct walk {
    const uint8_t *bytes;
    fwx_check_work_t *work;     /* the caller's tables (fwx_module_check.h) */
    fwx_module_check_t *check;
    bool have_types;
    uint32_t types_end;
    uint32_t type_count;
    uint32_t imported_functions;
    uint32_t defined_functions;
    uint32_t table_count;       /* imported and defined */
    uint32_t memory_count;
    uint32_t global_count;
    uint32_t imported_globals;
    uint32_t globals_start;     /* global section content, 0/0 when absent */
    uint32_t globals_end;
    uint32_t elem_count;
    bool have_data_count;
    uint32_t data_count;
    uint32_t data_segments;
    bool saw_code;
    bool have_memory0;          /* memory 0's initial size, for the RAM budget */
    uint32_t memory0_initial;
    uint64_t data_end;          /* one past the last byte an i32.const-placed segment fills */
    uint32_t lowest_data;
    bool have_data;             /* any active segment */
    bool have_sp_name;          /* the name section names a global __stack_pointer */
    uint32_t sp_name_index;
    uint32_t pointer_import;    /* 1 + index of the first accepted import that takes a pointer, 0: none */
    uint32_t timer_import;      /* 1 + index of the first accepted timer.start import, 0: none */
} walk_t;


static bool read_memory_type(walk_t *w, fwx_cursor_t *c);
static bool read_table_type(walk_t *w, fwx_cursor_t *c);

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
        /* v128 and reference types are well-formed but wasm3 runs neither. */
        if (fwx_code_value_type(b) != 1) return set_error(check, FWX_CHECK_UNSUPPORTED, at);
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
        /* Recursion groups, subtypes, struct and array types: GC. */
        if (form == 0x4eu || form == 0x4fu || form == 0x50u || form == 0x5eu || form == 0x5fu) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at);
        if (form != FUNC_TYPE_FORM) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        w->work->type_offsets[i] = c.pos;
        if (!check_value_types(&c, w->check) || !check_value_types(&c, w->check)) return false;
    }
    if (c.pos != end) return set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
    w->have_types = true;
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


/* Whether type `index` (< type_count, section already checked) is
 * params -> results. */
static bool type_matches(const walk_t *w, uint32_t index, const char *params, const char *results)
{
    fwx_cursor_t c = cursor(w->bytes, w->work->type_offsets[index], w->types_end);
    return value_types_match(&c, params) && value_types_match(&c, results);
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
        return read_table_type(w, c);
    case 2u: /* memory */
        return read_memory_type(w, c);
    case 3u: /* global */
        if (!fwx_read_u8(c, &b)) return cursor_error(w->check, c);
        if (fwx_code_value_type(b) != 1) return set_error(w->check, fwx_code_value_type(b) == 0 ? FWX_CHECK_UNSUPPORTED : FWX_CHECK_MALFORMED, at_desc + 1u);
        w->work->global_types[w->global_count] = b;
        if (!fwx_read_u8(c, &b)) return cursor_error(w->check, c);
        if (b > 1u) return set_error(w->check, FWX_CHECK_MALFORMED, at_desc + 2u);
        if (b == 1u) w->work->global_types[w->global_count] = (uint8_t)(w->work->global_types[w->global_count] | 0x80u);
        w->global_count++;
        w->imported_globals++;
        return true;
    case 4u: /* tag: exception handling */
        return set_error(w->check, FWX_CHECK_UNSUPPORTED, at_desc);
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
        if (ic.kind == 0u) w->work->func_types[w->imported_functions++] = (uint16_t)ic.type_index;
        ic.verdict = (uint8_t)(ic.kind == 0u ? judge_function(w, &ic) : FWX_IMPORT_NOT_A_FUNCTION);
        if (ic.verdict != FWX_IMPORT_OK && check->imports_rejected++ == 0u) check->first_import_verdict = ic.verdict;
        if (ic.verdict == FWX_IMPORT_OK && w->pointer_import == 0u && strchr(fwx_imports[ic.known].wasm3_signature, '*') != NULL) w->pointer_import = i + 1u;
        if (ic.verdict == FWX_IMPORT_OK && w->timer_import == 0u && ic.known == (int16_t)FWX_IMPORT_TIMER_START) w->timer_import = i + 1u;
        if (check->imports != NULL && i < check->imports_cap) check->imports[i] = ic;
        check->import_count++;
    }
    if (c.pos != end) return set_error(check, FWX_CHECK_MALFORMED, c.pos);
    /* Two imported memories: no feature the TypeScript reader names, but no
     * engine without multi-memory validates it. */
    if (w->memory_count > 1u) return set_error(check, FWX_CHECK_INVALID, start);
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
        w->work->func_types[w->imported_functions + i] = (uint16_t)type_index;
    }
    if (c.pos != end) return set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
    return true;
}

/* Type index of function `index` (imports first, then the function
 * section), from the table both sections filled. */
static bool function_type(const walk_t *w, uint32_t index, uint32_t *type_index)
{
    if (index >= w->imported_functions + w->defined_functions) return false;
    *type_index = w->work->func_types[index];
    return true;
}

static bool code_error(fwx_module_check_t *check, const fwx_cursor_t *c, const fwx_code_result_t *res)
{
    if (res->error == FWX_CODE_READ) return cursor_error(check, c);
    return set_error(check, res->error == FWX_CODE_UNSUPPORTED ? FWX_CHECK_UNSUPPORTED
                     : res->error == FWX_CODE_TYPE ? FWX_CHECK_INVALID
                     : res->error == FWX_CODE_LIMIT ? FWX_CHECK_LIMIT : FWX_CHECK_MALFORMED, res->at);
}

static fwx_code_ctx_t code_ctx(const walk_t *w)
{
    fwx_code_ctx_t ctx;
    ctx.type_count = w->type_count;
    ctx.func_count = w->imported_functions + w->defined_functions;
    ctx.table_count = w->table_count;
    ctx.memory_count = w->memory_count;
    ctx.global_count = w->global_count;
    ctx.elem_count = w->elem_count;
    ctx.imported_globals = w->imported_globals;
    ctx.bytes = w->bytes;
    ctx.type_offsets = w->work->type_offsets;
    ctx.func_types = w->work->func_types;
    ctx.global_types = w->work->global_types;
    ctx.stack = &w->work->stack;
    return ctx;
}

/* A constant expression; `offset` ones (segment offsets) must be integers.
 * *value is the i32 of a lone i32.const, *is_i32 whether it is one. */
static bool check_const_expr(walk_t *w, fwx_cursor_t *c, uint32_t global_count, uint8_t type, bool offset, bool *is_i32, uint32_t *value)
{
    fwx_code_ctx_t ctx = code_ctx(w);
    fwx_code_result_t res;
    uint32_t at = c->pos;
    uint8_t single;
    res.error = FWX_CODE_OK;
    res.at = 0u;
    ctx.global_count = global_count;
    if (!fwx_code_check_expr(c, &ctx, &res, &single)) return code_error(w->check, c, &res);
    if (offset && (single == 0x43u || single == 0x44u)) return set_error(w->check, FWX_CHECK_MALFORMED, at);
    if (!fwx_code_expr_type(&ctx, at, type)) return set_error(w->check, FWX_CHECK_INVALID, at);
    *is_i32 = single == OP_I32_CONST;
    *value = 0u;
    if (*is_i32) {
        fwx_cursor_t v = cursor(w->bytes, at + 1u, c->end);
        int64_t x = 0;
        (void)fwx_read_signed(&v, 32u, &x);
        *value = (uint32_t)(x & 0xffffffff);
    }
    return true;
}

/* Limits of a table or memory: flags already read. 64-bit forms are refused
 * by the caller; max below initial is malformed. */
static bool read_limits(walk_t *w, fwx_cursor_t *c, uint8_t flags, uint32_t *initial)
{
    uint32_t max, at = c->pos;
    if (!fwx_read_u32(c, initial)) return cursor_error(w->check, c);
    if ((flags & 1u) != 0u) {
        if (!fwx_read_u32(c, &max)) return cursor_error(w->check, c);
        if (max < *initial) return set_error(w->check, FWX_CHECK_MALFORMED, at);
    }
    return true;
}

/* A memory type, imported or defined: one memory of 64 KiB pages, not
 * shared, not 64-bit. Memory 0's initial size is kept for the RAM budget. */
static bool read_memory_type(walk_t *w, fwx_cursor_t *c)
{
    uint8_t flags;
    uint32_t initial, at = c->pos;
    if (!fwx_read_u8(c, &flags)) return cursor_error(w->check, c);
    if (flags > 0x0fu) return set_error(w->check, FWX_CHECK_MALFORMED, at);
    /* shared (threads), 64-bit, custom page size */
    if ((flags & 0x0eu) != 0u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at);
    if (!read_limits(w, c, flags, &initial)) return false;
    if (initial > 65536u) return set_error(w->check, FWX_CHECK_MALFORMED, at);
    if (w->memory_count++ == 0u) {
        w->have_memory0 = true;
        w->memory0_initial = initial;
    }
    return true;
}

/* A table type, imported or defined: one funcref table within the limit. */
static bool read_table_type(walk_t *w, fwx_cursor_t *c)
{
    uint8_t elem, flags;
    uint32_t initial, at = c->pos;
    if (!fwx_read_u8(c, &elem)) return cursor_error(w->check, c);
    if (elem != 0x70u) return set_error(w->check, fwx_code_value_type(elem) == 0 && elem != 0x7bu ? FWX_CHECK_UNSUPPORTED : FWX_CHECK_MALFORMED, at);
    if (!fwx_read_u8(c, &flags)) return cursor_error(w->check, c);
    if (flags == 4u || flags == 5u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at); /* table64 */
    if (flags > 1u) return set_error(w->check, FWX_CHECK_MALFORMED, at + 1u);
    if (!read_limits(w, c, flags, &initial)) return false;
    if (initial > FWX_LIMIT_TABLE_ENTRIES) return set_error(w->check, FWX_CHECK_LIMIT, at);
    w->table_count++;
    return true;
}

static bool check_table_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t n, i;
    if (!fwx_read_u32(&c, &n)) return cursor_error(w->check, &c);
    for (i = 0u; i < n; i++) {
        uint32_t at = c.pos;
        if (c.pos < c.end && c.bytes[c.pos] == 0x40u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at); /* table initialiser */
        if (!read_table_type(w, &c)) return false;
        if (w->table_count > 1u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at); /* reference types */
    }
    return c.pos == end || set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
}

static bool check_memory_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t n, i;
    if (!fwx_read_u32(&c, &n)) return cursor_error(w->check, &c);
    for (i = 0u; i < n; i++) {
        uint32_t at = c.pos;
        if (!read_memory_type(w, &c)) return false;
        /* More than one memory, imports included (one imported and one defined
         * is left to the engine, as src/wasm/module-sections.ts does). */
        if (w->memory_count > 1u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at); /* multi-memory */
    }
    return c.pos == end || set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
}

static bool check_global_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t n, i, value;
    bool is_i32;
    if (!fwx_read_u32(&c, &n)) return cursor_error(w->check, &c);
    for (i = 0u; i < n; i++) {
        uint8_t type, mut;
        uint32_t at = c.pos;
        if (!fwx_read_u8(&c, &type)) return cursor_error(w->check, &c);
        if (fwx_code_value_type(type) != 1) return set_error(w->check, fwx_code_value_type(type) == 0 ? FWX_CHECK_UNSUPPORTED : FWX_CHECK_MALFORMED, at);
        if (!fwx_read_u8(&c, &mut)) return cursor_error(w->check, &c);
        if (mut > 1u) return set_error(w->check, FWX_CHECK_MALFORMED, at + 1u);
        if (!check_const_expr(w, &c, w->global_count, type, false, &is_i32, &value)) return false;
        w->work->global_types[w->global_count] = (uint8_t)(type | (mut == 1u ? 0x80u : 0u));
        w->global_count++;
    }
    if (c.pos != end) return set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
    w->globals_start = start;
    w->globals_end = end;
    return true;
}

/* Global `index`: whether it is a defined, mutable-or-not i32 global whose
 * initialiser is a lone i32.const (then *value), as the RAM figures need. */
static bool global_i32_init(const walk_t *w, uint32_t index, bool *mutable_global, uint32_t *value)
{
    fwx_cursor_t c;
    uint32_t n, i;
    if (index < w->imported_globals || w->globals_end == 0u) return false;
    c = cursor(w->bytes, w->globals_start, w->globals_end);
    if (!fwx_read_u32(&c, &n)) return false;
    for (i = 0u; i < n; i++) {
        uint8_t type, mut, op;
        uint32_t at;
        int64_t x = 0;
        if (!fwx_read_u8(&c, &type) || !fwx_read_u8(&c, &mut)) return false;
        at = c.pos;
        /* Initialisers were checked: skip to the end of this one. */
        if (!fwx_read_u8(&c, &op)) return false;
        if (op == OP_I32_CONST && fwx_read_signed(&c, 32u, &x) && c.pos < c.end && c.bytes[c.pos] == 0x0bu) {
            c.pos++;
            if (i + w->imported_globals == index) {
                *mutable_global = mut == 1u;
                *value = (uint32_t)(x & 0xffffffff);
                return type == 0x7fu;
            }
            continue;
        }
        if (i + w->imported_globals == index) return false;
        {
            fwx_code_ctx_t ctx = code_ctx(w);
            fwx_code_result_t res;
            uint8_t single;
            res.error = FWX_CODE_OK;
            c.pos = at;
            if (!fwx_code_check_expr(&c, &ctx, &res, &single)) return false;
        }
    }
    return false;
}

static bool check_start_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t index, type_index;
    if (!fwx_read_u32(&c, &index)) return cursor_error(w->check, &c);
    if (!function_type(w, index, &type_index) || !type_matches(w, type_index, "", "")) return set_error(w->check, FWX_CHECK_MALFORMED, start);
    return c.pos == end || set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
}

static bool check_element_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t n, i, j, count, f, value, entries = 0u;
    bool is_i32;
    if (!fwx_read_u32(&c, &n)) return cursor_error(w->check, &c);
    w->elem_count = n;
    for (i = 0u; i < n; i++) {
        uint32_t flags, at = c.pos;
        if (!fwx_read_u32(&c, &flags)) return cursor_error(w->check, &c);
        if (flags > 7u) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        /* Passive, declarative, explicit-table and expression segments. */
        if (flags != 0u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at);
        if (w->table_count == 0u) return set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
        if (!check_const_expr(w, &c, w->global_count, 0x7fu, true, &is_i32, &value)) return false;
        at = c.pos;
        if (!fwx_read_u32(&c, &count)) return cursor_error(w->check, &c);
        if (count > c.end - c.pos) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        entries += count;
        if (entries > FWX_LIMIT_ELEMENT_ENTRIES) return set_error(w->check, FWX_CHECK_LIMIT, start);
        for (j = 0u; j < count; j++) {
            at = c.pos;
            if (!fwx_read_u32(&c, &f)) return cursor_error(w->check, &c);
            if (f >= w->imported_functions + w->defined_functions) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        }
    }
    return c.pos == end || set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
}

/* Parameter count of type `index` (checked already). */
static uint32_t type_param_count(const walk_t *w, uint32_t index)
{
    fwx_cursor_t c = cursor(w->bytes, w->work->type_offsets[index], w->types_end);
    uint32_t n = 0u;
    (void)fwx_read_u32(&c, &n);
    return n;
}

static bool check_code_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    fwx_code_ctx_t ctx = code_ctx(w);
    uint32_t n, i;
    w->saw_code = true;
    if (!fwx_read_u32(&c, &n)) return cursor_error(w->check, &c);
    if (n != w->defined_functions) return set_error(w->check, FWX_CHECK_MALFORMED, start);
    for (i = 0u; i < n; i++) {
        fwx_cursor_t body;
        fwx_code_result_t res;
        uint32_t size, groups, g, type_index = 0u, at = c.pos, body_end;
        uint64_t locals;
        if (!fwx_read_u32(&c, &size)) return cursor_error(w->check, &c);
        if (size > c.end - c.pos) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        if (size > FWX_LIMIT_BODY_BYTES) return set_error(w->check, FWX_CHECK_LIMIT, at);
        body_end = c.pos + size;
        body = cursor(w->bytes, c.pos, body_end);
        type_index = w->work->func_types[w->imported_functions + i];
        locals = type_param_count(w, type_index);
        {
            const uint8_t *params = NULL;
            uint32_t k, pos = w->work->type_offsets[type_index], np = 0u;
            fwx_cursor_t pc = cursor(w->bytes, pos, end);
            if (!fwx_read_u32(&pc, &np) || !fwx_read_bytes(&pc, np, &params)) np = 0u;
            for (k = 0u; k < np && k < FWX_LIMIT_LOCALS_PER_FUNCTION; k++) w->work->local_types[k] = params[k];
        }
        if (!fwx_read_u32(&body, &groups)) return cursor_error(w->check, &body);
        for (g = 0u; g < groups; g++) {
            uint32_t count, gat = body.pos;
            uint8_t type;
            if (!fwx_read_u32(&body, &count)) return cursor_error(w->check, &body);
            locals += count;
            if (locals > FWX_CHECK_MAX_LOCALS) return set_error(w->check, FWX_CHECK_MALFORMED, gat);
            gat = body.pos;
            if (!fwx_read_u8(&body, &type)) return cursor_error(w->check, &body);
            if (fwx_code_value_type(type) != 1) return set_error(w->check, fwx_code_value_type(type) == 0 ? FWX_CHECK_UNSUPPORTED : FWX_CHECK_MALFORMED, gat);
            {
                uint64_t k;
                for (k = locals - count; k < locals && k < FWX_LIMIT_LOCALS_PER_FUNCTION; k++) w->work->local_types[k] = type;
            }
        }
        if (locals > FWX_LIMIT_LOCALS_PER_FUNCTION) return set_error(w->check, FWX_CHECK_LIMIT, at);
        res.error = FWX_CODE_OK;
        res.at = 0u;
        if (!fwx_code_check_body(&body, &ctx, type_index, w->work->local_types, (uint32_t)locals, &res)) return code_error(w->check, &body, &res);
        if (body.pos != body_end) return set_error(w->check, FWX_CHECK_MALFORMED, body.pos);
        c.pos = body_end;
    }
    return c.pos == end || set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
}

static bool check_data_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t n, i, value, size;
    bool is_i32;
    const uint8_t *ignored;
    if (!fwx_read_u32(&c, &n)) return cursor_error(w->check, &c);
    for (i = 0u; i < n; i++) {
        uint32_t flags, at = c.pos;
        if (!fwx_read_u32(&c, &flags)) return cursor_error(w->check, &c);
        if (flags == 1u || flags == 2u) return set_error(w->check, FWX_CHECK_UNSUPPORTED, at); /* passive; memory index */
        if (flags != 0u || w->memory_count == 0u) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        if (!check_const_expr(w, &c, w->global_count, 0x7fu, true, &is_i32, &value)) return false;
        if (!fwx_read_u32(&c, &size) || !fwx_read_bytes(&c, size, &ignored)) return cursor_error(w->check, &c);
        w->have_data = true;
        if (is_i32 && (uint64_t)value + size > w->data_end) w->data_end = (uint64_t)value + size;
        w->data_segments++;
    }
    return c.pos == end || set_error(w->check, FWX_CHECK_MALFORMED, c.pos);
}

/* The "name" section: engines ignore a malformed one, but the fuel
 * instrumenter does not, so it is refused (as src/wasm/reader.ts does). Also
 * finds the global named __stack_pointer, for the RAM figures. */
static bool check_name_section(walk_t *w, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    while (c.pos < c.end) {
        uint8_t id;
        uint32_t size, at = c.pos;
        if (!fwx_read_u8(&c, &id) || !fwx_read_u32(&c, &size)) return cursor_error(w->check, &c);
        if (size > c.end - c.pos) return set_error(w->check, FWX_CHECK_MALFORMED, at);
        if (id == 1u || id == 7u) {
            fwx_cursor_t sub = cursor(w->bytes, c.pos, c.pos + size);
            uint32_t count, k, index, len, cat = sub.pos;
            const uint8_t *name;
            if (!fwx_read_u32(&sub, &count)) return cursor_error(w->check, &sub);
            if (count > (sub.end - sub.pos) / 2u) return set_error(w->check, FWX_CHECK_MALFORMED, cat);
            for (k = 0u; k < count; k++) {
                if (!fwx_read_u32(&sub, &index) || !fwx_read_name(&sub, &name, &len)) return cursor_error(w->check, &sub);
                if (!fwx_utf8_valid(name, len)) return set_error(w->check, FWX_CHECK_MALFORMED, (uint32_t)(name - w->bytes));
                if (id == 7u && bytes_equal_cstr(name, len, "__stack_pointer")) {
                    w->have_sp_name = true;
                    w->sp_name_index = index;
                }
            }
        }
        c.pos += size;
    }
    return true;
}

/* Whether the module exports a `kind` item called `name`; *index is its index. */
static bool find_export(const walk_t *w, uint32_t start, uint32_t end, const char *name, int kind, uint32_t *index)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t count, i;
    if (end == 0u || !fwx_read_u32(&c, &count)) return false;
    for (i = 0u; i < count; i++) {
        const uint8_t *n;
        uint32_t len, idx;
        uint8_t k;
        if (!fwx_read_name(&c, &n, &len) || !fwx_read_u8(&c, &k) || !fwx_read_u32(&c, &idx)) return false;
        if (bytes_equal_cstr(n, len, name) && (kind < 0 || k == (uint8_t)kind)) {
            *index = idx;
            return true;
        }
    }
    return false;
}

/* The RAM figures of src/validate/ram.ts: initial memory within the budget
 * (one page is always allowed: wasm3 caps it), and the static layout (data,
 * heap base, stack pointer) within it too. */
static bool check_ram(walk_t *w, uint32_t exports_start, uint32_t exports_end)
{
    uint64_t budget = w->check->ram_budget_bytes != 0u ? w->check->ram_budget_bytes : FWX_CHECK_DEFAULT_RAM_BUDGET;
    uint64_t need = w->data_end, heap_base = 0u;
    uint32_t index, value;
    bool mut, have_sp = false;
    if (w->have_memory0 && (uint64_t)w->memory0_initial * PAGE_BYTES > (budget > PAGE_BYTES ? budget : PAGE_BYTES))
        return set_error(w->check, FWX_CHECK_OVER_BUDGET, 8u);
    if (find_export(w, exports_start, exports_end, "__heap_base", 3, &index) && global_i32_init(w, index, &mut, &value)) heap_base = value;
    if (heap_base > need) need = heap_base;
    if (w->have_sp_name) {
        index = w->sp_name_index;
        have_sp = true;
    } else if (find_export(w, exports_start, exports_end, "__heap_base", -1, &index) || find_export(w, exports_start, exports_end, "__data_end", -1, &index)) {
        for (index = w->imported_globals; index < w->global_count; index++)
            if (global_i32_init(w, index, &mut, &value) && mut) break;
        have_sp = index < w->global_count;
    }
    if (have_sp && global_i32_init(w, index, &mut, &value) && mut && value > need) need = value;
    if (need > budget) return set_error(w->check, FWX_CHECK_OVER_BUDGET, 8u);
    return true;
}

/* Whether one of the first `before` exports is called `name` (export names
 * are unique in wasm; at most FWX_LIMIT_EXPORTS^2 comparisons). */
static bool export_name_seen(const walk_t *w, uint32_t start, uint32_t before, const uint8_t *name, uint32_t len)
{
    fwx_cursor_t c = cursor(w->bytes, start, (uint32_t)(name - w->bytes)); /* the earlier exports lie before this name */
    uint32_t count, i, idx, n;
    const uint8_t *other;
    uint8_t kind;
    if (!fwx_read_u32(&c, &count)) return false;
    for (i = 0u; i < before; i++) {
        if (!fwx_read_name(&c, &other, &n) || !fwx_read_u8(&c, &kind) || !fwx_read_u32(&c, &idx)) return false;
        if (n == len && (n == 0u || memcmp(other, name, n) == 0)) return true;
    }
    return false;
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
        if ((kind == 1u && index >= w->table_count) || (kind == 2u && index >= w->memory_count) || (kind == 3u && index >= w->global_count) || kind == 4u)
            return set_error(check, FWX_CHECK_MALFORMED, at);
        if (export_name_seen(w, start, i, name, name_len)) return set_error(check, FWX_CHECK_MALFORMED, at);
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
    if (end - c.pos > FWX_LIMIT_SECTION_BYTES) return set_error(w->check, FWX_CHECK_LIMIT, start);
    if (bytes_equal_cstr(name, name_len, "name")) {
        if (end - c.pos > FWX_LIMIT_NAME_SECTION_BYTES) return set_error(w->check, FWX_CHECK_LIMIT, start);
        return check_name_section(w, c.pos, end);
    }
    if (bytes_equal_cstr(name, name_len, FWX_ABI_SECTION_NAME)) return check_abi_section(w, c.pos, end);
    return true;
}

/* Section-level limits, read before the section is: its payload size and
 * the count that opens it (as src/validate/resource-limits.ts). */
static bool section_within_limits(walk_t *w, uint8_t id, uint32_t start, uint32_t end)
{
    fwx_cursor_t c = cursor(w->bytes, start, end);
    uint32_t count, limit;
    if (id == SECTION_CUSTOM) {
        const uint8_t *name = NULL;
        uint32_t name_len = 0u;
        if (!fwx_read_name(&c, &name, &name_len)) return cursor_error(w->check, &c);
        if (bytes_equal_cstr(name, name_len, "name") && end - c.pos > FWX_LIMIT_NAME_SECTION_BYTES) return set_error(w->check, FWX_CHECK_LIMIT, start);
        return end - c.pos <= FWX_LIMIT_SECTION_BYTES || set_error(w->check, FWX_CHECK_LIMIT, start);
    }
    if (end - start > FWX_LIMIT_SECTION_BYTES) return set_error(w->check, FWX_CHECK_LIMIT, start);
    switch (id) {
    case SECTION_TYPE: limit = FWX_LIMIT_TYPES; break;
    case SECTION_IMPORT:
        if (start == end || !fwx_read_u32(&c, &count)) return true;
        return count <= FWX_LIMIT_IMPORTS || set_error(w->check, FWX_CHECK_TOO_MANY_IMPORTS, start);
    case SECTION_FUNCTION: limit = FWX_LIMIT_FUNCTIONS; break;
    case SECTION_GLOBAL: limit = FWX_LIMIT_GLOBALS; break;
    case SECTION_EXPORT: limit = FWX_LIMIT_EXPORTS; break;
    case SECTION_ELEMENT: limit = FWX_LIMIT_ELEMENT_SEGMENTS; break;
    case SECTION_DATA: limit = FWX_LIMIT_DATA_SEGMENTS; break;
    default: return true;
    }
    if (start == end || !fwx_read_u32(&c, &count)) return true; /* the section's own check reports it */
    return count <= limit || set_error(w->check, FWX_CHECK_LIMIT, start);
}

/* What the accepted imports need from the rest of the module: a memory when
 * any takes a pointer, and fwx_on_timer when timers are started. */
static bool check_imports_need(walk_t *w, uint32_t exports_start, uint32_t exports_end)
{
    uint32_t index;
    bool no_memory = w->pointer_import != 0u && w->memory_count == 0u;
    bool no_timer = w->timer_import != 0u && !find_export(w, exports_start, exports_end, "fwx_on_timer", -1, &index);
    /* The first import, in section order, that needs what the module lacks. */
    if (no_memory && (!no_timer || w->pointer_import <= w->timer_import)) { w->check->needs_error = FWX_CHECK_NO_MEMORY; return false; }
    if (no_timer) { w->check->needs_error = FWX_CHECK_NO_TIMER_CALLBACK; return false; }
    return true;
}

bool fwx_check_module(const uint8_t *bytes, uint32_t len, fwx_module_check_t *check)
{
    static const uint8_t header[8] = { 0x00u, 0x61u, 0x73u, 0x6du, 0x01u, 0x00u, 0x00u, 0x00u };
    walk_t w;
    fwx_cursor_t c;
    unsigned last_rank = 0u, i;
    uint32_t exports_start = 0u, exports_end = 0u;
    check->error = FWX_CHECK_OK;
    check->error_offset = 0u;
    check->needs_error = FWX_CHECK_OK;
    check->abi_error = FWX_ABI_SECTION_OK;
    check->import_count = 0u;
    check->imports_rejected = 0u;
    check->first_import_verdict = FWX_IMPORT_OK;
    check->has_abi_section = false;
    check->requirement_count = 0u;
    check->requirements_rejected = 0u;
    memset(check->exports, 0, sizeof check->exports);
    check->exports_rejected = 0u;
    memset(&w, 0, sizeof w);
    w.bytes = bytes;
    w.check = check;
    w.work = check->work;
    if (w.work == NULL) return set_error(check, FWX_CHECK_NO_WORK, 0u);
    if (bytes == NULL || len < 4u || memcmp(bytes, header, 4u) != 0) return set_error(check, FWX_CHECK_NOT_WASM, 0u);
    if (len < 8u) return set_error(check, FWX_CHECK_TRUNCATED, len);
    if (memcmp(bytes + 4, header + 4, 4u) != 0) return set_error(check, FWX_CHECK_NOT_WASM, 4u);
    if (len > FWX_LIMIT_MODULE_BYTES) return set_error(check, FWX_CHECK_LIMIT, 0u);
    /* First the section headers, sizes, order and limits, as the validator
     * does before it reads any section's content. */
    c = cursor(bytes, 8u, len);
    while (c.pos < c.end) {
        uint8_t id;
        uint32_t at = c.pos, start, end;
        unsigned rank;
        if (!fwx_read_section(&c, &id, &start, &end)) return cursor_error(check, &c);
        if (id == SECTION_CUSTOM) {
            fwx_cursor_t n = cursor(bytes, start, end);
            const uint8_t *name;
            uint32_t name_len;
            if (!fwx_read_name(&n, &name, &name_len)) return cursor_error(check, &n);
            if (!fwx_utf8_valid(name, name_len)) return set_error(check, FWX_CHECK_MALFORMED, start);
            continue;
        }
        rank = section_rank(id);
        if (rank == 0u || rank <= last_rank) return set_error(check, FWX_CHECK_MALFORMED, at);
        last_rank = rank;
    }
    c = cursor(bytes, 8u, len);
    while (c.pos < c.end) {
        uint8_t id;
        uint32_t start, end;
        if (!fwx_read_section(&c, &id, &start, &end)) return cursor_error(check, &c);
        if (!section_within_limits(&w, id, start, end)) return false;
    }
    c = cursor(bytes, 8u, len);
    while (c.pos < c.end) {
        uint8_t id;
        uint32_t at = c.pos, start, end;
        bool ok = true;
        if (!fwx_read_section(&c, &id, &start, &end)) return cursor_error(check, &c);
        if (id == SECTION_TYPE) ok = check_type_section(&w, start, c.pos);
        else if (id == SECTION_IMPORT) ok = check_import_section(&w, start, c.pos);
        else if (id == SECTION_FUNCTION) ok = check_function_section(&w, start, c.pos);
        else if (id == SECTION_TABLE) ok = check_table_section(&w, start, c.pos);
        else if (id == SECTION_MEMORY) ok = check_memory_section(&w, start, c.pos);
        else if (id == SECTION_GLOBAL) ok = check_global_section(&w, start, c.pos);
        else if (id == SECTION_EXPORT) {
            ok = check_export_section(&w, start, c.pos);
            exports_start = start;
            exports_end = c.pos;
        }
        else if (id == SECTION_START) ok = check_start_section(&w, start, c.pos);
        else if (id == SECTION_ELEMENT) ok = check_element_section(&w, start, c.pos);
        else if (id == SECTION_DATA_COUNT) {
            fwx_cursor_t dc = cursor(bytes, start, c.pos);
            ok = fwx_read_u32(&dc, &w.data_count) ? (dc.pos == c.pos || set_error(check, FWX_CHECK_MALFORMED, dc.pos)) : cursor_error(check, &dc);
            w.have_data_count = true;
        }
        else if (id == SECTION_CODE) ok = check_code_section(&w, start, c.pos);
        else if (id == SECTION_DATA) ok = check_data_section(&w, start, c.pos);
        else if (id == SECTION_TAG) ok = set_error(check, FWX_CHECK_UNSUPPORTED, at); /* exception handling */
        else if (id == SECTION_CUSTOM) ok = check_custom_section(&w, start, c.pos);
        if (!ok) return false;
    }
    if (!w.saw_code && w.defined_functions > 0u) return set_error(check, FWX_CHECK_MALFORMED, len);
    if (w.have_data_count && w.data_count != w.data_segments) return set_error(check, FWX_CHECK_MALFORMED, len);
    if (!check_ram(&w, exports_start, exports_end)) return false;
    for (i = 0u; i < FWX_EXPORT_COUNT; i++) {
        if (check->exports[i] == FWX_EXPORT_ABSENT && fwx_exports[i].required) check->exports[i] = FWX_EXPORT_MISSING;
        if (check->exports[i] != FWX_EXPORT_ABSENT && check->exports[i] != FWX_EXPORT_OK) check->exports_rejected++;
    }
    if (check->imports_rejected == 0u) (void)check_imports_need(&w, exports_start, exports_end);
    return check->imports_rejected == 0u && check->requirements_rejected == 0u && check->exports_rejected == 0u && check->needs_error == FWX_CHECK_OK;
}
