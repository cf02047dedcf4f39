/* Instruction decoding and operand typing for the install check: see
 * fwx_code_check.h. Mirrors src/wasm/code.ts and src/wasm/opcodes.ts for the
 * features wasm3 runs (every other instruction is refused where it starts),
 * and the validation algorithm of the WebAssembly specification (appendix)
 * for operand types, which the TypeScript validator leaves to V8. */
#include "fwx_code_check.h"

#include <stddef.h>

#include "fwx_check_limits.h"

#define T_ANY 0u /* an operand of unknown type, below an unreachable point */
#define T_I32 0x7fu
#define T_I64 0x7eu
#define T_F32 0x7du
#define T_F64 0x7cu

#define K_BLOCK 0u
#define K_LOOP 1u
#define K_IF 2u
#define K_ELSE 3u
#define K_FUNC 4u

typedef fwx_code_frame_t frame_t;

/* A block type of 0x100 + a type index fits a frame's 16 bits (the module
 * check refuses more than FWX_LIMIT_TYPES types before any body). */
typedef char fwx_block_type_fits_16_bits[(0x100u + FWX_LIMIT_TYPES <= 0xffffu && FWX_LIMIT_OPERAND_STACK <= 0xffffu) ? 1 : -1];


typedef struct typer {
    const fwx_code_ctx_t *ctx;
    fwx_code_result_t *res;
    uint32_t height;
    uint32_t depth;
    uint32_t at; /* the instruction being checked, for errors */
    uint8_t *operands;
    frame_t *frames;
} typer_t;

static bool fail(fwx_code_result_t *res, fwx_code_error_t e, uint32_t at)
{
    if (res->error == FWX_CODE_OK) {
        res->error = e;
        res->at = at;
    }
    return false;
}

static bool read_fail(fwx_code_result_t *res, const fwx_cursor_t *c)
{
    return fail(res, FWX_CODE_READ, c->error_at);
}

int fwx_code_value_type(uint8_t b)
{
    if (b >= 0x7cu && b <= 0x7fu) return 1;
    /* v128, the abstract heap types of reference types, GC and exception
     * handling, and (ref ...) / (ref null ...). */
    if (b == 0x7bu || (b >= 0x69u && b <= 0x74u) || b == 0x63u || b == 0x64u) return 0;
    return -1;
}

/* ---- types of the module ---- */

/* A vector of value types at `*pos` (already validated): its count, and its
 * first byte through *types; *pos moves past it. */
static uint32_t type_vector(const fwx_code_ctx_t *ctx, uint32_t *pos, const uint8_t **types)
{
    fwx_cursor_t c;
    uint32_t n = 0u;
    c.bytes = ctx->bytes;
    c.pos = *pos;
    c.end = 0xffffffffu;
    c.error = FWX_READ_OK;
    c.error_at = 0u;
    (void)fwx_read_u32(&c, &n);
    *types = ctx->bytes + c.pos;
    *pos = c.pos + n;
    return n;
}

static uint32_t func_params(const fwx_code_ctx_t *ctx, uint32_t type_index, const uint8_t **types)
{
    uint32_t pos = ctx->type_offsets[type_index];
    return type_vector(ctx, &pos, types);
}

static uint32_t func_results(const fwx_code_ctx_t *ctx, uint32_t type_index, const uint8_t **types)
{
    uint32_t pos = ctx->type_offsets[type_index];
    const uint8_t *ignored;
    (void)type_vector(ctx, &pos, &ignored);
    return type_vector(ctx, &pos, types);
}

static uint32_t block_params(const fwx_code_ctx_t *ctx, uint32_t bt, const uint8_t **types)
{
    if (bt >= 0x100u) return func_params(ctx, bt - 0x100u, types);
    *types = NULL;
    return 0u;
}

static uint32_t block_results(const fwx_code_ctx_t *ctx, uint32_t bt, const uint8_t **types, uint8_t *single)
{
    if (bt >= 0x100u) return func_results(ctx, bt - 0x100u, types);
    if (bt == 0x40u) {
        *types = NULL;
        return 0u;
    }
    *single = (uint8_t)bt;
    *types = single;
    return 1u;
}

/* What a branch to frame `f` carries: a loop's parameters, else its results. */
static uint32_t label_types(const fwx_code_ctx_t *ctx, const frame_t *f, const uint8_t **types, uint8_t *single)
{
    return f->kind == K_LOOP ? block_params(ctx, f->block_type, types) : block_results(ctx, f->block_type, types, single);
}

/* ---- the operand stack ---- */

static bool push(typer_t *t, uint8_t type)
{
    if (t->height >= FWX_LIMIT_OPERAND_STACK) return fail(t->res, FWX_CODE_LIMIT, t->at);
    t->operands[t->height++] = type;
    return true;
}

/* Pops one operand that must be `expect` (T_ANY: any); *got is what it was. */
static bool pop(typer_t *t, uint8_t expect, uint8_t *got)
{
    const frame_t *f = &t->frames[t->depth - 1u];
    uint8_t actual;
    if (t->height == f->height) {
        if (!f->unreachable) return fail(t->res, FWX_CODE_TYPE, t->at);
        *got = T_ANY;
        return true;
    }
    actual = t->operands[--t->height];
    if (actual != T_ANY && expect != T_ANY && actual != expect) return fail(t->res, FWX_CODE_TYPE, t->at);
    *got = actual;
    return true;
}

static bool pop_type(typer_t *t, uint8_t expect)
{
    uint8_t got;
    return pop(t, expect, &got);
}

static bool pop_types(typer_t *t, const uint8_t *types, uint32_t n)
{
    while (n > 0u)
        if (!pop_type(t, types[--n])) return false;
    return true;
}

static bool push_types(typer_t *t, const uint8_t *types, uint32_t n)
{
    uint32_t i;
    for (i = 0u; i < n; i++)
        if (!push(t, types[i])) return false;
    return true;
}

/* Checks without popping that the top operands match `types` (br_table). */
static bool peek_types(typer_t *t, const uint8_t *types, uint32_t n)
{
    uint32_t h = t->height;
    bool ok = pop_types(t, types, n);
    t->height = h;
    return ok;
}

static void set_unreachable(typer_t *t)
{
    frame_t *f = &t->frames[t->depth - 1u];
    t->height = f->height;
    f->unreachable = 1u;
}

static bool push_frame(typer_t *t, uint8_t kind, uint32_t bt)
{
    const uint8_t *params;
    uint32_t n = block_params(t->ctx, bt, &params);
    if (!pop_types(t, params, n)) return false;
    if (t->depth > FWX_LIMIT_BLOCK_DEPTH) return fail(t->res, FWX_CODE_LIMIT, t->at);
    t->frames[t->depth].block_type = (uint16_t)bt;
    t->frames[t->depth].height = (uint16_t)t->height;
    t->frames[t->depth].kind = kind;
    t->frames[t->depth].unreachable = 0u;
    t->depth++;
    return push_types(t, params, n);
}

/* The end of the innermost frame's instructions: its results, exactly. */
static bool frame_results(typer_t *t)
{
    const frame_t *f = &t->frames[t->depth - 1u];
    const uint8_t *results;
    uint8_t single;
    uint32_t n = block_results(t->ctx, f->block_type, &results, &single);
    if (!pop_types(t, results, n)) return false;
    return t->height == f->height || fail(t->res, FWX_CODE_TYPE, t->at);
}

static bool branch_to(typer_t *t, uint32_t label, bool keep)
{
    const uint8_t *types;
    uint8_t single;
    uint32_t n = label_types(t->ctx, &t->frames[t->depth - 1u - label], &types, &single);
    if (!pop_types(t, types, n)) return false;
    return !keep || push_types(t, types, n);
}

/* ---- immediates ---- */

static bool read_index(fwx_cursor_t *c, uint32_t limit, fwx_code_result_t *res, uint32_t *out)
{
    uint32_t at = c->pos;
    if (!fwx_read_u32(c, out)) return read_fail(res, c);
    return *out < limit || fail(res, FWX_CODE_MALFORMED, at);
}

/* memory.size, memory.grow, memory.fill and each index of memory.copy. */
static bool memory_index(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at)
{
    uint32_t at = c->pos, m;
    if (!fwx_read_u32(c, &m)) return read_fail(res, c);
    if (m >= (ctx->memory_count > 1u ? ctx->memory_count : 1u) || ctx->memory_count == 0u) return fail(res, FWX_CODE_MALFORMED, at);
    return m == 0u || fail(res, FWX_CODE_UNSUPPORTED, op_at); /* multi-memory */
}

/* A memory access of 2^natural bytes. */
static bool memarg(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at, uint32_t natural)
{
    uint32_t align, m;
    uint64_t offset;
    if (!fwx_read_u32(c, &align)) return read_fail(res, c);
    if ((align & 0x40u) != 0u) {
        if (!fwx_read_u32(c, &m)) return read_fail(res, c);
        if (m != 0u) return fail(res, FWX_CODE_UNSUPPORTED, op_at); /* multi-memory */
        if (m >= ctx->memory_count) return fail(res, FWX_CODE_MALFORMED, op_at);
    } else if (ctx->memory_count == 0u) {
        return fail(res, FWX_CODE_MALFORMED, op_at);
    }
    if ((align & ~0x40u) >= 32u) return fail(res, FWX_CODE_MALFORMED, op_at);
    if (!fwx_read_u64(c, &offset)) return read_fail(res, c);
    /* Not past natural alignment; a 32-bit memory's offsets are 32-bit. The
     * multi-memory flag bit itself is left to the engine, as in TypeScript. */
    if ((align & 0x40u) == 0u && align > natural) return fail(res, FWX_CODE_TYPE, op_at);
    return offset <= 0xffffffffu || fail(res, FWX_CODE_TYPE, op_at);
}

static bool block_type(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at, uint32_t *bt)
{
    int64_t idx;
    uint32_t at = c->pos;
    if (c->pos < c->end) {
        uint8_t b = c->bytes[c->pos];
        int kind = fwx_code_value_type(b);
        if (b == 0x40u || kind == 1) {
            c->pos++;
            *bt = b;
            return true;
        }
        if (kind == 0) return fail(res, FWX_CODE_UNSUPPORTED, op_at);
    }
    /* A type index (multi-value), as a non-negative s33. */
    if (!fwx_read_signed(c, 33u, &idx)) return read_fail(res, c);
    if (idx < 0 || idx >= (int64_t)ctx->type_count) return fail(res, FWX_CODE_MALFORMED, at);
    *bt = 0x100u + (uint32_t)idx;
    return true;
}

static bool skip(fwx_cursor_t *c, uint32_t n, fwx_code_result_t *res)
{
    const uint8_t *ignored;
    return fwx_read_bytes(c, n, &ignored) || read_fail(res, c);
}

/* ---- numeric instructions: operand and result types ---- */

/* 0x45..0xc4 as "<operands><result>" in type letters (i I f F, '-' none):
 * one byte per opcode naming one of the few distinct signatures. */
static const char numeric_sigs[23][4] = {
    "ii", "iii", "Ii", "IIi", "ffi", "FFi", "II", "III", "ff", "fff", "FF", "FFF", "fi", "Fi", "iI", "fI", "FI", "if", "If", "Ff", "iF", "IF", "fF"
};
static const uint8_t numeric_sig[0xc4 - 0x45 + 1] = {
    /* 45 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 50 */ 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 5b */ 4, 4, 4, 4, 4, 4,
    /* 61 */ 5, 5, 5, 5, 5, 5,
    /* 67 */ 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 79 */ 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    /* 8b */ 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9,
    /* 99 */ 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11,
    /* a7 */ 2, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16,
    /* b2 */ 17, 17, 18, 18, 19, 20, 20, 21, 21, 22,
    /* bc */ 12, 16, 17, 21,
    /* c0 */ 0, 0, 6, 6, 6
};

static const char *const sat_sig[] = { "fi", "fi", "Fi", "Fi", "fI", "fI", "FI", "FI" };

static uint8_t letter_type(char l)
{
    switch (l) {
    case 'i': return T_I32;
    case 'I': return T_I64;
    case 'f': return T_F32;
    default: return T_F64;
    }
}

/* Pops the operands of `sig` (all but its last letter) and pushes its result. */
static bool apply_sig(typer_t *t, const char *sig, bool has_result)
{
    uint32_t n = 0u, i;
    while (sig[n] != '\0') n++;
    if (has_result) n--;
    for (i = n; i > 0u; i--)
        if (!pop_type(t, letter_type(sig[i - 1u]))) return false;
    return !has_result || push(t, letter_type(sig[n]));
}

/* Loads 0x28..0x35 and stores 0x36..0x3e: the value type and log2 of the width. */
static const uint8_t access_type[] = {
    T_I32, T_I64, T_F32, T_F64, T_I32, T_I32, T_I32, T_I32, T_I64, T_I64, T_I64, T_I64, T_I64, T_I64,
    T_I32, T_I64, T_F32, T_F64, T_I32, T_I32, T_I64, T_I64, T_I64,
};
static const uint8_t access_log2[] = { 2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 3, 2, 3, 0, 1, 0, 1, 2 };

/* ---- instructions ---- */

static bool local_type(typer_t *t, fwx_cursor_t *c, const uint8_t *local_types, uint32_t locals, uint8_t *type)
{
    uint32_t i;
    if (!read_index(c, locals, t->res, &i)) return false;
    *type = local_types[i];
    return true;
}

/* 0xfc instructions: saturating truncation and memory.copy/fill run on
 * wasm3; passive segments and table instructions do not. */
static bool misc_op(typer_t *t, fwx_cursor_t *c)
{
    uint32_t sub;
    if (!fwx_read_u32(c, &sub)) return read_fail(t->res, c);
    if (sub <= 7u) return apply_sig(t, sat_sig[sub], true);
    if (sub == 10u) return memory_index(c, t->ctx, t->res, t->at) && memory_index(c, t->ctx, t->res, t->at) && pop_type(t, T_I32) && pop_type(t, T_I32) && pop_type(t, T_I32);
    if (sub == 11u) return memory_index(c, t->ctx, t->res, t->at) && pop_type(t, T_I32) && pop_type(t, T_I32) && pop_type(t, T_I32);
    if (sub <= 17u) return fail(t->res, FWX_CODE_UNSUPPORTED, t->at);
    return fail(t->res, FWX_CODE_MALFORMED, t->at);
}

static bool br_table(typer_t *t, fwx_cursor_t *c)
{
    uint32_t n, i, label, at = c->pos, arity = 0u;
    if (!fwx_read_u32(c, &n)) return read_fail(t->res, c);
    if (n > c->end - c->pos) return fail(t->res, FWX_CODE_MALFORMED, at);
    if (!pop_type(t, T_I32)) return false;
    for (i = 0u;; i++) {
        const uint8_t *types;
        uint8_t single;
        uint32_t k;
        if (!read_index(c, t->depth, t->res, &label)) return false;
        k = label_types(t->ctx, &t->frames[t->depth - 1u - label], &types, &single);
        if (i == 0u) arity = k;
        else if (k != arity) return fail(t->res, FWX_CODE_TYPE, t->at);
        if (!peek_types(t, types, k)) return false;
        if (i == n) break;
    }
    set_unreachable(t);
    return true;
}

static bool call(typer_t *t, uint32_t type_index)
{
    const uint8_t *types;
    uint32_t n = func_params(t->ctx, type_index, &types);
    if (!pop_types(t, types, n)) return false;
    n = func_results(t->ctx, type_index, &types);
    return push_types(t, types, n);
}

static bool operand(typer_t *t, fwx_cursor_t *c, const uint8_t *local_types, uint32_t locals, uint8_t op)
{
    const fwx_code_ctx_t *ctx = t->ctx;
    int64_t v;
    uint32_t i, at;
    uint8_t type, other;
    if (op >= 0x45u && op <= 0xc4u) return apply_sig(t, numeric_sigs[numeric_sig[op - 0x45u]], true);
    if (op >= 0x28u && op <= 0x3eu) {
        uint32_t k = op - 0x28u;
        if (!memarg(c, ctx, t->res, t->at, access_log2[k])) return false;
        if (op <= 0x35u) return pop_type(t, T_I32) && push(t, access_type[k]);
        return pop_type(t, access_type[k]) && pop_type(t, T_I32);
    }
    switch (op) {
    case 0x00u: set_unreachable(t); return true;
    case 0x01u: return true;
    case 0x0cu:
        if (!read_index(c, t->depth, t->res, &i) || !branch_to(t, i, false)) return false;
        set_unreachable(t);
        return true;
    case 0x0du:
        return read_index(c, t->depth, t->res, &i) && pop_type(t, T_I32) && branch_to(t, i, true);
    case 0x0eu: return br_table(t, c);
    case 0x0fu:
        if (!branch_to(t, t->depth - 1u, false)) return false;
        set_unreachable(t);
        return true;
    case 0x10u:
        return read_index(c, ctx->func_count, t->res, &i) && call(t, ctx->func_types[i]);
    case 0x11u:
        if (!read_index(c, ctx->type_count, t->res, &i)) return false;
        at = c->pos;
        {
            uint32_t table;
            if (!fwx_read_u32(c, &table)) return read_fail(t->res, c);
            if (table >= ctx->table_count) return fail(t->res, FWX_CODE_MALFORMED, at);
            if (table != 0u) return fail(t->res, FWX_CODE_UNSUPPORTED, t->at); /* reference types */
        }
        return pop_type(t, T_I32) && call(t, i);
    case 0x1au: return pop(t, T_ANY, &type);
    case 0x1bu:
        if (!pop_type(t, T_I32) || !pop(t, T_ANY, &type) || !pop(t, T_ANY, &other)) return false;
        if (type != T_ANY && other != T_ANY && type != other) return fail(t->res, FWX_CODE_TYPE, t->at);
        return push(t, type != T_ANY ? type : other);
    case 0x20u: return local_type(t, c, local_types, locals, &type) && push(t, type);
    case 0x21u: return local_type(t, c, local_types, locals, &type) && pop_type(t, type);
    case 0x22u: return local_type(t, c, local_types, locals, &type) && pop_type(t, type) && push(t, type);
    case 0x23u: return read_index(c, ctx->global_count, t->res, &i) && push(t, (uint8_t)(ctx->global_types[i] & 0x7fu));
    case 0x24u:
        if (!read_index(c, ctx->global_count, t->res, &i)) return false;
        if ((ctx->global_types[i] & 0x80u) == 0u) return fail(t->res, FWX_CODE_TYPE, t->at); /* immutable */
        return pop_type(t, (uint8_t)(ctx->global_types[i] & 0x7fu));
    case 0x3fu: return memory_index(c, ctx, t->res, t->at) && push(t, T_I32);
    case 0x40u: return memory_index(c, ctx, t->res, t->at) && pop_type(t, T_I32) && push(t, T_I32);
    case 0x41u: return (fwx_read_signed(c, 32u, &v) || read_fail(t->res, c)) && push(t, T_I32);
    case 0x42u: return (fwx_read_signed(c, 64u, &v) || read_fail(t->res, c)) && push(t, T_I64);
    case 0x43u: return skip(c, 4u, t->res) && push(t, T_F32);
    case 0x44u: return skip(c, 8u, t->res) && push(t, T_F64);
    case 0xfcu: return misc_op(t, c);
    /* Exception handling, tail calls, typed function references, typed
     * select, table.get/set, reference and GC instructions, SIMD, atomics. */
    case 0x06u: case 0x07u: case 0x08u: case 0x09u: case 0x0au:
    case 0x12u: case 0x13u: case 0x14u: case 0x15u: case 0x18u: case 0x19u:
    case 0x1cu: case 0x1fu: case 0x25u: case 0x26u:
    case 0xd0u: case 0xd1u: case 0xd2u: case 0xd3u: case 0xd4u: case 0xd5u: case 0xd6u:
    case 0xfbu: case 0xfdu: case 0xfeu:
        return fail(t->res, FWX_CODE_UNSUPPORTED, t->at);
    default:
        return fail(t->res, FWX_CODE_MALFORMED, t->at);
    }
}

bool fwx_code_check_body(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, uint32_t type_index, const uint8_t *local_types, uint32_t locals, fwx_code_result_t *res)
{
    typer_t t;
    t.ctx = ctx;
    t.res = res;
    t.height = 0u;
    t.depth = 1u;
    t.at = c->pos;
    t.operands = ctx->stack->operands;
    t.frames = ctx->stack->frames;
    t.frames[0].block_type = (uint16_t)(0x100u + type_index);
    t.frames[0].height = 0u;
    t.frames[0].kind = K_FUNC;
    t.frames[0].unreachable = 0u;
    for (;;) {
        uint32_t bt;
        uint8_t op;
        t.at = c->pos;
        if (!fwx_read_u8(c, &op)) return read_fail(res, c);
        if (op >= 0x02u && op <= 0x04u) {
            if (!block_type(c, ctx, res, t.at, &bt)) return false;
            if (op == 0x04u && !pop_type(&t, T_I32)) return false;
            if (!push_frame(&t, op == 0x02u ? K_BLOCK : op == 0x03u ? K_LOOP : K_IF, bt)) return false;
        } else if (op == 0x05u) {
            frame_t *f = &t.frames[t.depth - 1u];
            const uint8_t *params;
            uint32_t n;
            if (f->kind != K_IF) return fail(res, FWX_CODE_MALFORMED, t.at);
            if (!frame_results(&t)) return false;
            f->kind = K_ELSE; /* a second else is then an error */
            f->unreachable = 0u;
            n = block_params(ctx, f->block_type, &params);
            if (!push_types(&t, params, n)) return false;
        } else if (op == 0x0bu) {
            frame_t *f = &t.frames[t.depth - 1u];
            const uint8_t *types, *params;
            uint8_t single;
            uint32_t n, np, i;
            if (!frame_results(&t)) return false;
            n = block_results(ctx, f->block_type, &types, &single);
            if (f->kind == K_IF) {
                /* No else: the missing branch passes its parameters through. */
                np = block_params(ctx, f->block_type, &params);
                if (np != n) return fail(res, FWX_CODE_TYPE, t.at);
                for (i = 0u; i < n; i++)
                    if (params[i] != types[i]) return fail(res, FWX_CODE_TYPE, t.at);
            }
            if (--t.depth == 0u) return true;
            if (!push_types(&t, types, n)) return false;
        } else if (!operand(&t, c, local_types, locals, op)) {
            return false;
        }
    }
}

bool fwx_code_check_expr(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint8_t *single_opcode)
{
    uint32_t count = 0u;
    uint8_t first = 0u;
    int64_t v;
    for (;;) {
        uint32_t at = c->pos, i;
        uint8_t op;
        if (!fwx_read_u8(c, &op)) return read_fail(res, c);
        count++;
        if (count == 1u) first = op;
        switch (op) {
        case 0x0bu:
            *single_opcode = count == 2u ? first : 0u;
            return true;
        case 0x23u: if (!read_index(c, ctx->global_count, res, &i)) return false; break;
        case 0x41u: if (!fwx_read_signed(c, 32u, &v)) return read_fail(res, c); break;
        case 0x42u: if (!fwx_read_signed(c, 64u, &v)) return read_fail(res, c); break;
        case 0x43u: if (!skip(c, 4u, res)) return false; break;
        case 0x44u: if (!skip(c, 8u, res)) return false; break;
        /* ref.null, ref.func, extended constants (i32/i64 add, sub, mul), GC. */
        case 0xd0u: case 0xd2u: case 0x6au: case 0x6bu: case 0x6cu: case 0x7cu: case 0x7du: case 0x7eu: case 0xfbu:
            return fail(res, FWX_CODE_UNSUPPORTED, at);
        default:
            return fail(res, FWX_CODE_MALFORMED, at);
        }
    }
}

bool fwx_code_expr_type(const fwx_code_ctx_t *ctx, uint32_t start, uint8_t type)
{
    fwx_cursor_t c;
    uint32_t i;
    uint8_t op = ctx->bytes[start], got;
    c.bytes = ctx->bytes;
    c.pos = start + 1u;
    c.end = 0xffffffffu;
    c.error = FWX_READ_OK;
    c.error_at = 0u;
    switch (op) {
    case 0x41u: got = T_I32; break;
    case 0x42u: got = T_I64; break;
    case 0x43u: got = T_F32; break;
    case 0x44u: got = T_F64; break;
    case 0x23u:
        /* Only an immutable imported global (MVP constant expressions). */
        if (!fwx_read_u32(&c, &i) || i >= ctx->imported_globals || (ctx->global_types[i] & 0x80u) != 0u) return false;
        got = (uint8_t)(ctx->global_types[i] & 0x7fu);
        break;
    default: return false; /* an empty expression */
    }
    if (op == 0x41u || op == 0x42u) {
        int64_t v;
        (void)fwx_read_signed(&c, op == 0x41u ? 32u : 64u, &v);
    } else if (op == 0x43u) {
        c.pos += 4u;
    } else if (op == 0x44u) {
        c.pos += 8u;
    }
    /* Exactly one value: the next instruction must be the end. */
    return got == type && ctx->bytes[c.pos] == 0x0bu;
}
