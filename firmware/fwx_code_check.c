/* Instruction decoding for the install check: see fwx_code_check.h. Mirrors
 * src/wasm/code.ts and src/wasm/opcodes.ts for the features wasm3 runs; every
 * other instruction is refused where it starts, so nothing past it needs
 * decoding. */
#include "fwx_code_check.h"

#include "fwx_check_limits.h"

/* One bit per open block: set while it is an `if` that has not seen `else`.
 * An opening instruction takes at least two bytes, so a body within
 * FWX_LIMIT_BODY_BYTES nests at most half that deep. Static, not on the
 * stack: a microcontroller task stack cannot spare it, and the install check
 * runs one module at a time. */
#define MAX_DEPTH (FWX_LIMIT_BODY_BYTES / 2u + 2u)
static uint8_t open_if[(MAX_DEPTH + 7u) / 8u];

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

static bool index_below(fwx_cursor_t *c, uint32_t limit, fwx_code_result_t *res)
{
    uint32_t at = c->pos, i;
    if (!fwx_read_u32(c, &i)) return read_fail(res, c);
    return i < limit || fail(res, FWX_CODE_MALFORMED, at);
}

/* memory.size, memory.grow, memory.fill and each index of memory.copy. */
static bool memory_index(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at)
{
    uint32_t at = c->pos, m;
    if (!fwx_read_u32(c, &m)) return read_fail(res, c);
    if (m >= (ctx->memory_count > 1u ? ctx->memory_count : 1u) || ctx->memory_count == 0u) return fail(res, FWX_CODE_MALFORMED, at);
    return m == 0u || fail(res, FWX_CODE_UNSUPPORTED, op_at); /* multi-memory */
}

static bool memarg(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at)
{
    uint32_t align, m;
    if (!fwx_read_u32(c, &align)) return read_fail(res, c);
    if ((align & 0x40u) != 0u) {
        if (!fwx_read_u32(c, &m)) return read_fail(res, c);
        if (m != 0u) return fail(res, FWX_CODE_UNSUPPORTED, op_at); /* multi-memory */
        if (m >= ctx->memory_count) return fail(res, FWX_CODE_MALFORMED, op_at);
    } else if (ctx->memory_count == 0u) {
        return fail(res, FWX_CODE_MALFORMED, op_at);
    }
    if ((align & ~0x40u) >= 32u) return fail(res, FWX_CODE_MALFORMED, op_at);
    return fwx_skip_u64(c) || read_fail(res, c);
}

static bool block_type(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at)
{
    int64_t idx;
    uint32_t at = c->pos;
    if (c->pos < c->end) {
        uint8_t b = c->bytes[c->pos];
        int kind = fwx_code_value_type(b);
        if (b == 0x40u || kind == 1) {
            c->pos++;
            return true;
        }
        if (kind == 0) return fail(res, FWX_CODE_UNSUPPORTED, op_at);
    }
    /* A type index (multi-value), as a non-negative s33. */
    if (!fwx_read_signed(c, 33u, &idx)) return read_fail(res, c);
    return (idx >= 0 && idx < (int64_t)ctx->type_count) || fail(res, FWX_CODE_MALFORMED, at);
}

static bool label(fwx_cursor_t *c, uint32_t depth, fwx_code_result_t *res)
{
    return index_below(c, depth, res);
}

static bool skip(fwx_cursor_t *c, uint32_t n, fwx_code_result_t *res)
{
    const uint8_t *ignored;
    return fwx_read_bytes(c, n, &ignored) || read_fail(res, c);
}

/* 0xfc instructions: saturating truncation and memory.copy/fill run on
 * wasm3; passive segments and table instructions do not. */
static bool misc_op(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint32_t op_at)
{
    uint32_t sub;
    if (!fwx_read_u32(c, &sub)) return read_fail(res, c);
    if (sub <= 7u) return true;
    if (sub == 10u) return memory_index(c, ctx, res, op_at) && memory_index(c, ctx, res, op_at);
    if (sub == 11u) return memory_index(c, ctx, res, op_at);
    if (sub <= 17u) return fail(res, FWX_CODE_UNSUPPORTED, op_at);
    return fail(res, FWX_CODE_MALFORMED, op_at);
}

/* Immediates of one supported non-control instruction; false with `res` set otherwise. */
static bool operand(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, uint32_t locals, uint32_t depth, uint8_t op, fwx_code_result_t *res, uint32_t op_at)
{
    int64_t v;
    uint32_t n, i, at;
    if (op == 0x00u || op == 0x01u || op == 0x0fu || op == 0x1au || op == 0x1bu || (op >= 0x45u && op <= 0xc4u)) return true;
    if (op >= 0x28u && op <= 0x3eu) return memarg(c, ctx, res, op_at);
    switch (op) {
    case 0x0cu: case 0x0du: return label(c, depth, res);
    case 0x0eu:
        at = c->pos;
        if (!fwx_read_u32(c, &n)) return read_fail(res, c);
        if (n > c->end - c->pos) return fail(res, FWX_CODE_MALFORMED, at);
        for (i = 0u;; i++) {
            if (!label(c, depth, res)) return false;
            if (i == n) return true;
        }
    case 0x10u: return index_below(c, ctx->func_count, res);
    case 0x11u:
        if (!index_below(c, ctx->type_count, res)) return false;
        at = c->pos;
        if (!fwx_read_u32(c, &n)) return read_fail(res, c);
        if (n >= ctx->table_count) return fail(res, FWX_CODE_MALFORMED, at);
        return n == 0u || fail(res, FWX_CODE_UNSUPPORTED, op_at); /* reference types */
    case 0x20u: case 0x21u: case 0x22u: return index_below(c, locals, res);
    case 0x23u: case 0x24u: return index_below(c, ctx->global_count, res);
    case 0x3fu: case 0x40u: return memory_index(c, ctx, res, op_at);
    case 0x41u: return fwx_read_signed(c, 32u, &v) || read_fail(res, c);
    case 0x42u: return fwx_read_signed(c, 64u, &v) || read_fail(res, c);
    case 0x43u: return skip(c, 4u, res);
    case 0x44u: return skip(c, 8u, res);
    case 0xfcu: return misc_op(c, ctx, res, op_at);
    /* Exception handling, tail calls, typed function references, typed
     * select, table.get/set, reference and GC instructions, SIMD, atomics. */
    case 0x06u: case 0x07u: case 0x08u: case 0x09u: case 0x0au:
    case 0x12u: case 0x13u: case 0x14u: case 0x15u: case 0x18u: case 0x19u:
    case 0x1cu: case 0x1fu: case 0x25u: case 0x26u:
    case 0xd0u: case 0xd1u: case 0xd2u: case 0xd3u: case 0xd4u: case 0xd5u: case 0xd6u:
    case 0xfbu: case 0xfdu: case 0xfeu:
        return fail(res, FWX_CODE_UNSUPPORTED, op_at);
    default:
        return fail(res, FWX_CODE_MALFORMED, op_at);
    }
}

static void set_open_if(uint32_t level, bool is_if)
{
    uint8_t bit = (uint8_t)(1u << (level & 7u));
    if (is_if) open_if[level >> 3] = (uint8_t)(open_if[level >> 3] | bit);
    else open_if[level >> 3] = (uint8_t)(open_if[level >> 3] & (uint8_t)~bit);
}

bool fwx_code_check_body(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, uint32_t locals, fwx_code_result_t *res)
{
    uint32_t depth = 1u; /* the function's own frame */
    set_open_if(0u, false);
    for (;;) {
        uint32_t at = c->pos;
        uint8_t op;
        if (!fwx_read_u8(c, &op)) return read_fail(res, c);
        if (op >= 0x02u && op <= 0x04u) {
            if (!block_type(c, ctx, res, at)) return false;
            if (depth >= MAX_DEPTH) return fail(res, FWX_CODE_MALFORMED, at);
            set_open_if(depth, op == 0x04u);
            depth++;
        } else if (op == 0x05u) {
            if ((open_if[(depth - 1u) >> 3] & (1u << ((depth - 1u) & 7u))) == 0u) return fail(res, FWX_CODE_MALFORMED, at);
            set_open_if(depth - 1u, false); /* a second else is then an error */
        } else if (op == 0x0bu) {
            if (--depth == 0u) return true;
        } else if (!operand(c, ctx, locals, depth, op, res, at)) {
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
        uint32_t at = c->pos;
        uint8_t op;
        if (!fwx_read_u8(c, &op)) return read_fail(res, c);
        count++;
        if (count == 1u) first = op;
        switch (op) {
        case 0x0bu:
            *single_opcode = count == 2u ? first : 0u;
            return true;
        case 0x23u: if (!index_below(c, ctx->global_count, res)) return false; break;
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
