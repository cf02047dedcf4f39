/*
 * Hostile-argument tests of the generated wasm3 glue: pointers and lengths
 * at and past the end of memory or wrapping, out-pointers, foreign handles,
 * out-of-range values, malformed UTF-8, missing capabilities, check order
 * and modules without memory. Harness in test_glue.c.
 */
#include <stdint.h>
#include <string.h>

#include "fake_hal.h"
#include "fake_wasm3.h"
#include "fwx_abi_wasm3.h"
#include "fwx_guest_memory.h"
#include "fwx_support.h"
#include "glue_harness.h"
#include "test_desc.h"
#include "test_util.h"

typedef struct { const char *what; uint32_t ptr; uint32_t len; bool traps; } range_case_t;

static void test_pointer_bounds(const test_fn_desc_t *d)
{
    static const range_case_t cases[] = {
        { "pointer at the end, length 1", MEM, 1u, true },
        { "last byte one past the end", MEM - 15u, 16u, true },
        { "length 0xFFFFFFFF", 0u, 0xffffffffu, true },
        { "pointer + length wraps to a small number", 0xfffffff0u, 0x20u, true },
        { "pointer past the end, length 0", MEM + 1u, 0u, true },
        { "length = memory size from offset 1", 1u, MEM, true },
        { "pointer at the end, length 0", MEM, 0u, false },
        { "offset 0, whole memory", 0u, MEM, false },
        { "offset 0, length 0", 0u, 0u, false },
    };
    uint64_t expect[FAKE_MAX_PARAMS];
    unsigned k, c;
    for (k = 0u; k < d->nparams; k++) {
        const test_param_desc_t *p = &d->params[k];
        if (p->kind < TP_STRING) continue;
        for (c = 0u; c < sizeof cases / sizeof cases[0]; c++) {
            const void *r;
            case_begin("%s.%s: %s %s", imp(d)->module, imp(d)->name, p->name, cases[c].what);
            fresh(MEM);
            setup_valid(d, expect);
            set_slot32(p->slot, cases[c].ptr);
            set_slot32(p->slot + 1u, cases[c].len);
            if (!cases[c].traps && p->kind == TP_STRING) {
                /* The whole memory becomes the string: make all of it ASCII. */
                uint8_t *mem = memory();
                unsigned i;
                for (i = 0u; i < MEM; i++) if (mem[i] >= 0x80u) mem[i] = 0x20u;
            }
            fake_hal.status = FWX_OK;
            r = invoke(d);
            if (cases[c].traps) {
                expect_refused(d, r, fwx_trap_out_of_bounds, FWX_OK);
                CHECK(fwx_trap_kind(&ctx, (const char *)r) == FWX_TRAP_OUT_OF_BOUNDS);
            } else {
                CHECK(fake_hal.calls == 1u);
                CHECK(fake_hal.ptr[k] == memory() + cases[c].ptr);
                CHECK_EQ_U64(fake_hal.len[k], cases[c].len);
                if (d->result == 'n') check_never_trap(d, r);
                else CHECK(r == NULL && fwx_slot_u32(slots, 0u) == FWX_OK);
            }
            case_end();
        }
    }
}

static void test_output_bounds(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    unsigned k;
    for (k = 0u; k < d->nouts; k++) {
        const test_output_desc_t *o = &d->outs[k];
        const uint32_t bad[] = { MEM - o->size + 1u, MEM, 0xffffffffu, 0xfffffffcu };
        unsigned b;
        for (b = 0u; b < sizeof bad / sizeof bad[0]; b++) {
            case_begin("%s.%s: out-pointer %s at 0x%x traps", imp(d)->module, imp(d)->name, o->name, bad[b]);
            fresh(MEM);
            setup_valid(d, expect);
            set_slot32(o->slot, bad[b]);
            expect_refused(d, invoke(d), fwx_trap_out_of_bounds, FWX_OK);
            case_end();
        }
        case_begin("%s.%s: out-pointer %s at offset 0 and at the last %u bytes", imp(d)->module, imp(d)->name, o->name, o->size);
        fresh(MEM);
        setup_valid(d, expect);
        set_slot32(o->slot, MEM - o->size);
        fake_hal.set_out[k] = true;
        fake_hal.out[k] = out_value(o);
        CHECK(invoke(d) == NULL && fake_hal.calls == 1u);
        if (o->size == 8u) CHECK_EQ_U64(fwx_load_u64(memory() + MEM - 8u), fake_hal.out[k]);
        else CHECK_EQ_U64(fwx_load_u32(memory() + MEM - 4u), (uint32_t)fake_hal.out[k]);
        set_slot32(o->slot, 0u);
        fake_hal.calls = 0u;
        CHECK(invoke(d) == NULL && fake_hal.calls == 1u);
        if (o->size == 8u) CHECK_EQ_U64(fwx_load_u64(memory()), fake_hal.out[k]);
        else CHECK_EQ_U64(fwx_load_u32(memory()), (uint32_t)fake_hal.out[k]);
        case_end();
    }
}

static void test_handles(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    unsigned k;
    for (k = 0u; k < d->nparams; k++) {
        const test_param_desc_t *p = &d->params[k];
        const void *r;
        if (p->kind != TP_HANDLE) continue;
        case_begin("%s.%s: %s not owned traps before the HAL", imp(d)->module, imp(d)->name, p->name);
        fresh(MEM);
        setup_valid(d, expect);
        set_slot32(p->slot, OWNED + 1u);
        r = invoke(d);
        expect_refused(d, r, fwx_trap_handle_not_owned, FWX_OK);
        CHECK(strcmp((const char *)r, "[trap] fwx: handle not owned by module") == 0);
        CHECK(fwx_trap_kind(&ctx, (const char *)r) == FWX_TRAP_HANDLE);
        case_end();

        case_begin("%s.%s: %s of another kind traps", imp(d)->module, imp(d)->name, p->name);
        fresh(MEM);
        setup_valid(d, expect);
        fake_hal.owned_kind = (fwx_handle_kind_t)(p->handle_kind + 1u);
        expect_refused(d, invoke(d), fwx_trap_handle_not_owned, FWX_OK);
        case_end();
    }
}

/* Bad values of a checked parameter, into `out`; returns how many. */
static unsigned bad_values(const test_param_desc_t *p, uint32_t *out)
{
    unsigned n = 0u, i, bit;
    switch (p->kind) {
    case TP_INT:
        if (p->is_signed) {
            out[n++] = (uint32_t)(int32_t)(p->max + 1);
            out[n++] = (uint32_t)(int32_t)(p->min - 1);
            out[n++] = 0x80000000u;
            out[n++] = 0x7fffffffu;
        } else {
            out[n++] = (uint32_t)(p->max + 1);
            out[n++] = 0xffffffffu;
            out[n++] = 0x80000000u;
        }
        break;
    case TP_BOOL: out[n++] = 2u; out[n++] = 0xffffffffu; out[n++] = 0x100u; break;
    case TP_ENUM: {
        uint32_t lo = p->enum_values[0], hi = p->enum_values[0], v;
        for (i = 0u; i < p->enum_count; i++) {
            if (p->enum_values[i] < lo) lo = p->enum_values[i];
            if (p->enum_values[i] > hi) hi = p->enum_values[i];
        }
        out[n++] = hi + 1u;
        out[n++] = 0xffffffffu;
        if (lo > 0u) out[n++] = lo - 1u;
        for (v = lo; v < hi && n < 8u; v++) {
            bool listed = false;
            for (i = 0u; i < p->enum_count; i++) listed = listed || p->enum_values[i] == v;
            if (!listed) out[n++] = v;
        }
        break;
    }
    case TP_FLAGS:
        for (bit = 0u; bit < 32u && n < 3u; bit++)
            if ((p->flags_mask & (1u << bit)) == 0u) out[n++] = p->flags_mask | (1u << bit);
        out[n++] = 0x80000000u;
        break;
    default: break;
    }
    return n;
}

static const struct { const char *what; const char *bytes; } bad_utf8[] = {
    { "overlong NUL", "\xc0\x80" },
    { "UTF-16 surrogate", "\xed\xa0\x80" },
    { "truncated 3-byte sequence", "ok\xe2\x82" },
    { "lead byte F5", "\xf5\x80\x80\x80" },
    { "stray continuation byte", "a\x80" },
    { "above U+10FFFF", "\xf4\x90\x80\x80" },
    { "overlong 3-byte", "\xe0\x80\x80" },
};

static void test_checked_values(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    unsigned k, i, n;
    uint32_t bad[8];
    for (k = 0u; k < d->nparams; k++) {
        const test_param_desc_t *p = &d->params[k];
        if (!p->checked) continue;
        if (p->kind == TP_STRING) {
            for (i = 0u; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
                case_begin("%s.%s: %s with %s is refused", imp(d)->module, imp(d)->name, p->name, bad_utf8[i].what);
                fresh(MEM);
                setup_valid(d, expect);
                memcpy(memory() + param_off[k], bad_utf8[i].bytes, strlen(bad_utf8[i].bytes));
                set_slot32(p->slot + 1u, (uint32_t)strlen(bad_utf8[i].bytes));
                expect_refused(d, invoke(d), NULL, FWX_INVALID_ARG);
                case_end();
            }
            continue;
        }
        n = bad_values(p, bad);
        for (i = 0u; i < n; i++) {
            case_begin("%s.%s: %s = 0x%x is refused", imp(d)->module, imp(d)->name, p->name, bad[i]);
            fresh(MEM);
            setup_valid(d, expect);
            set_slot32(p->slot, bad[i]);
            expect_refused(d, invoke(d), NULL, FWX_INVALID_ARG);
            case_end();
        }
        /* The edges of the valid range reach the HAL unchanged. */
        case_begin("%s.%s: %s boundary values are accepted", imp(d)->module, imp(d)->name, p->name);
        {
            uint32_t edges[2];
            unsigned e, ne = 0u;
            if (p->kind == TP_INT) { edges[ne++] = (uint32_t)(int32_t)p->min; edges[ne++] = (uint32_t)(int32_t)p->max; }
            else if (p->kind == TP_BOOL) { edges[ne++] = 0u; edges[ne++] = 1u; }
            else if (p->kind == TP_ENUM) { edges[ne++] = p->enum_values[0]; edges[ne++] = p->enum_values[p->enum_count - 1u]; }
            else if (p->kind == TP_FLAGS) { edges[ne++] = 0u; edges[ne++] = p->flags_mask; }
            for (e = 0u; e < ne; e++) {
                fresh(MEM);
                setup_valid(d, expect);
                set_slot32(p->slot, edges[e]);
                (void)invoke(d);
                CHECK(fake_hal.calls == 1u);
                if (p->kind == TP_INT && p->is_signed) CHECK_EQ_U64(fake_hal.value[k], (uint64_t)(int64_t)(int32_t)edges[e]);
                else CHECK_EQ_U64(fake_hal.value[k], edges[e]);
            }
        }
        case_end();
    }
}

static void test_capability(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    if (d->capability == FWX_CAP_NONE) {
        case_begin("%s.%s: needs no capability", imp(d)->module, imp(d)->name);
        fresh(MEM);
        setup_valid(d, expect);
        ctx.granted = 0u;
        (void)invoke(d);
        CHECK(fake_hal.calls == 1u);
        case_end();
        return;
    }
    case_begin("%s.%s: without its capability kind %s", imp(d)->module, imp(d)->name,
               d->gated ? "answers not-permitted before the HAL" : "is gated by handle ownership only");
    fresh(MEM);
    setup_valid(d, expect);
    ctx.granted = ~FWX_CAP_BIT(d->capability);
    fake_hal.status = FWX_OK;
    if (d->gated) {
        expect_refused(d, invoke(d), NULL, FWX_NOT_PERMITTED);
    } else {
        CHECK(invoke(d) == NULL);
        CHECK(fake_hal.calls == 1u);
    }
    case_end();
}

static void test_check_order(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    int ptr = -1, handle = -1, checked = -1;
    unsigned k;
    for (k = 0u; k < d->nparams; k++) {
        if (d->params[k].kind >= TP_STRING && ptr < 0) ptr = (int)k;
        if (d->params[k].kind == TP_HANDLE && handle < 0) handle = (int)k;
        if (d->params[k].checked && d->params[k].kind != TP_STRING && checked < 0) checked = (int)k;
    }
    if (ptr >= 0 && (handle >= 0 || checked >= 0)) {
        case_begin("%s.%s: a bad pointer traps even when other arguments are also bad", imp(d)->module, imp(d)->name);
        fresh(MEM);
        setup_valid(d, expect);
        set_slot32(d->params[ptr].slot, 0xffffffffu);
        if (handle >= 0) set_slot32(d->params[handle].slot, OWNED + 1u);
        if (checked >= 0) set_slot32(d->params[checked].slot, 0xffffffffu);
        expect_refused(d, invoke(d), fwx_trap_out_of_bounds, FWX_OK);
        case_end();
    }
    if (handle >= 0 && checked >= 0) {
        case_begin("%s.%s: a foreign handle traps even with an invalid argument", imp(d)->module, imp(d)->name);
        fresh(MEM);
        setup_valid(d, expect);
        set_slot32(d->params[handle].slot, OWNED + 1u);
        set_slot32(d->params[checked].slot, 0xffffffffu);
        expect_refused(d, invoke(d), fwx_trap_handle_not_owned, FWX_OK);
        case_end();
    }
}

static void test_no_memory(const test_fn_desc_t *d)
{
    unsigned k;
    for (k = 0u; k < d->nparams; k++) {
        const test_param_desc_t *p = &d->params[k];
        if (p->kind < TP_STRING) continue;
        case_begin("%s.%s: module without memory: empty %s passes as NULL, 1 byte traps", imp(d)->module, imp(d)->name, p->name);
        fresh(0u);
        fake_hal.owned_handle = OWNED;
        {
            unsigned i;
            for (i = 0u; i < sizeof slots / sizeof slots[0]; i++) slots[i] = 0u;
            for (i = 0u; i < d->nparams; i++) {
                if (d->params[i].kind == TP_HANDLE) { set_slot32(d->params[i].slot, OWNED); fake_hal.owned_kind = (fwx_handle_kind_t)d->params[i].handle_kind; }
                if (d->params[i].kind == TP_ENUM) set_slot32(d->params[i].slot, d->params[i].enum_values[0]);
            }
        }
        if (d->nouts == 0u) {
            const void *r = invoke(d);
            CHECK(fake_hal.calls == 1u);
            CHECK(fake_hal.ptr[k] == NULL && fake_hal.len[k] == 0u);
            if (d->result == 'n') check_never_trap(d, r);
        }
        fake_hal.calls = 0u;
        set_slot32(p->slot + 1u, 1u);
        CHECK(invoke(d) == fwx_trap_out_of_bounds);
        CHECK(fake_hal.calls == 0u);
        case_end();
    }
}

void test_glue_hostile(const test_fn_desc_t *d)
{
    test_pointer_bounds(d);
    test_output_bounds(d);
    test_handles(d);
    test_checked_values(d);
    test_capability(d);
    test_check_order(d);
    test_no_memory(d);
}
