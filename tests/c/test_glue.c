/*
 * Generic tests of the generated wasm3 glue: every ABI function, found
 * through the generated descriptor table, is called through the fake wasm3
 * runtime against the recording fake HAL. This file: the harness, valid
 * calls, output semantics and moving memory; test_glue_hostile.c: hostile
 * arguments.
 */
#include <stdint.h>
#include <string.h>

#include "fake_hal.h"
#include "fake_wasm3.h"
#include "fwx_abi_wasm3.h"
#include "fwx_guest_memory.h"
#include "fwx_support.h"
#include "test_desc.h"
#include "test_util.h"
#include "glue_harness.h"


fwx_module_t ctx;
uint64_t slots[SLOT_COUNT];
uint32_t param_off[FAKE_MAX_PARAMS];
uint32_t param_len[FAKE_MAX_PARAMS];

static const char valid_text[] = "h\xc3\xa9llo \xc2\xb0" "C \xf0\x9d\x84\x9e"; /* "héllo °C 𝄞" */

const fwx_import_desc_t *imp(const test_fn_desc_t *d) { return &fwx_imports[d->import]; }

uint8_t *memory(void)
{
    uint32_t size;
    return m3_GetMemory(fake_runtime(), &size, 0u);
}

/* A fresh runtime with every ABI function imported and linked to ctx. */
void fresh(uint32_t mem_size)
{
    unsigned i;
    fake_reset(mem_size);
    fake_hal_reset();
    memset(&ctx, 0, sizeof ctx);
    ctx.granted = 0xffffffffu;
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) fake_declare_import(fwx_imports[i].module, fwx_imports[i].name, fwx_imports[i].wasm3_signature);
    if (fwx_link(fake_module(), &ctx, NULL) != NULL) check_failed(__FILE__, __LINE__, "fwx_link failed");
}

static uint64_t int_value(const test_param_desc_t *p)
{
    if (p->is_signed) {
        switch (p->bits) {
        case 8: return (uint64_t)(int64_t)-100;
        case 16: return (uint64_t)(int64_t)-30000;
        case 32: return (uint64_t)(int64_t)-123456789;
        default: return (uint64_t)(int64_t)-0x123456789ll;
        }
    }
    switch (p->bits) {
    case 8: return 0xabu;
    case 16: return 0xabcdu;
    case 32: return 0x89abcdefu;
    default: return 0x0123456789abcdefull;
    }
}

void set_slot32(unsigned slot, uint32_t v) { fwx_slot_set_u32(slots, slot, v); }

/* Fills slots and memory with a valid call; returns expected recorded bits per param. */
void setup_valid(const test_fn_desc_t *d, uint64_t *expect)
{
    unsigned k, region = 0u;
    uint8_t *mem = memory();
    for (k = 0u; k < sizeof slots / sizeof slots[0]; k++) slots[k] = GARBAGE;
    memset(mem, 0, MEM);
    for (k = 0u; k < d->nparams; k++) {
        const test_param_desc_t *p = &d->params[k];
        float f32;
        double f64;
        expect[k] = 0u;
        switch (p->kind) {
        case TP_INT:
            expect[k] = int_value(p);
            if (p->bits == 64) fwx_slot_set_u64(slots, p->slot, expect[k]);
            else set_slot32(p->slot, (uint32_t)expect[k]);
            break;
        case TP_FLOAT:
            if (p->bits == 32) {
                f32 = 1.5f;
                expect[k] = fwx_f32_bits(f32);
                set_slot32(p->slot, fwx_f32_bits(f32));
            } else {
                f64 = -2.25;
                expect[k] = fwx_f64_bits(f64);
                fwx_slot_set_u64(slots, p->slot, expect[k]);
            }
            break;
        case TP_BOOL: expect[k] = 1u; set_slot32(p->slot, 1u); break;
        case TP_ENUM: expect[k] = p->enum_values[p->enum_count - 1u]; set_slot32(p->slot, (uint32_t)expect[k]); break;
        case TP_FLAGS: expect[k] = p->flags_mask; set_slot32(p->slot, p->flags_mask); break;
        case TP_HANDLE:
            expect[k] = OWNED;
            set_slot32(p->slot, OWNED);
            fake_hal.owned_handle = OWNED;
            fake_hal.owned_kind = (fwx_handle_kind_t)p->handle_kind;
            break;
        default:
            /* The first region starts at offset 0: a valid wasm address. */
            param_off[k] = region * 512u;
            param_len[k] = p->kind == TP_STRING ? (uint32_t)strlen(valid_text) : 32u;
            if (p->kind == TP_STRING) memcpy(mem + param_off[k], valid_text, param_len[k]);
            else if (p->kind == TP_BUFFER) memset(mem + param_off[k], 0x11 * (int)(k + 1u), param_len[k]);
            set_slot32(p->slot, param_off[k]);
            set_slot32(p->slot + 1u, param_len[k]);
            region++;
        }
    }
    for (k = 0u; k < d->nouts; k++) {
        set_slot32(d->outs[k].slot, OUT_BASE + 16u * k);
        memset(mem + OUT_BASE + 16u * k, PRESET, 16u);
    }
}

uint64_t out_value(const test_output_desc_t *o)
{
    float f32 = 3.25f;
    switch (o->kind) {
    case 'b': return 1u;
    case 'f': return o->bits == 32 ? fwx_f32_bits(f32) : fwx_f64_bits(-1e300);
    case 's': return (uint64_t)(int64_t)-7;
    default:
        return o->bits == 8 ? 0xc3u : o->bits == 16 ? 0xc3d2u : o->bits == 32 ? 0xc3d2e1f0u : 0xc3d2e1f001234567ull;
    }
}

const void *invoke(const test_fn_desc_t *d)
{
    return fake_invoke(imp(d)->module, imp(d)->name, slots);
}

bool preset_untouched(uint32_t off, unsigned n)
{
    const uint8_t *mem = memory();
    unsigned i;
    for (i = 0u; i < n; i++)
        if (mem[off + i] != PRESET) return false;
    return true;
}

/* The trap a never-returning function raises when it runs normally. */
void check_never_trap(const test_fn_desc_t *d, const void *r)
{
    if (strcmp(imp(d)->name, "fuel_exhausted") == 0) {
        CHECK(r == fwx_trap_fuel_exhausted);
        CHECK(strcmp((const char *)r, "[trap] fwx: fuel exhausted") == 0);
        CHECK(fwx_trap_kind(&ctx, (const char *)r) == FWX_TRAP_FUEL);
    } else {
        CHECK(r == ctx.trap_text);
        CHECK(strncmp(ctx.trap_text, "[trap] fwx: abort: ", 19u) == 0);
        CHECK(fwx_trap_kind(&ctx, (const char *)r) == FWX_TRAP_ABORT);
    }
}

/* A call the glue must refuse before the HAL: a trap or a status. */
void expect_refused(const test_fn_desc_t *d, const void *r, const void *trap, fwx_status_t status)
{
    CHECK(fake_hal.calls == 0u);
    if (trap != NULL) {
        CHECK(r == trap);
    } else if (d->result == 'n') {
        check_never_trap(d, r);
    } else {
        CHECK(r == NULL);
        CHECK_EQ_U64(fwx_slot_u32(slots, 0u), (uint32_t)status);
    }
    if (trap == NULL || trap != fwx_trap_out_of_bounds) {
        unsigned k;
        for (k = 0u; k < d->nouts; k++) CHECK(preset_untouched(OUT_BASE + 16u * k, 16u));
    }
}

static void test_valid_call(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    const void *r;
    unsigned k;
    uint8_t *mem;
    case_begin("%s.%s: valid call reaches the HAL with converted arguments", imp(d)->module, imp(d)->name);
    fresh(MEM);
    setup_valid(d, expect);
    fake_hal.status = FWX_OK;
    fake_hal.result = 0xfedcba9876543210ull;
    fake_hal.fill = 0x5a;
    for (k = 0u; k < d->nouts; k++) {
        fake_hal.set_out[k] = true;
        fake_hal.out[k] = out_value(&d->outs[k]);
    }
    r = invoke(d);
    mem = memory();
    CHECK(fake_hal.calls == 1u);
    CHECK(fake_hal.fn == (int)d->import);
    CHECK(fake_hal.m == &ctx);
    for (k = 0u; k < d->nparams; k++) {
        const test_param_desc_t *p = &d->params[k];
        if (p->kind >= TP_STRING) {
            CHECK(fake_hal.ptr[k] == mem + param_off[k]);
            CHECK_EQ_U64(fake_hal.len[k], param_len[k]);
            if (p->kind == TP_MUT_BUFFER) CHECK(mem[param_off[k]] == 0x5a && mem[param_off[k] + param_len[k] - 1u] == 0x5a);
        } else {
            CHECK_EQ_U64(fake_hal.value[k], expect[k]);
        }
        if (p->kind == TP_HANDLE) CHECK(fake_hal.owned_kind_asked == (fwx_handle_kind_t)p->handle_kind);
    }
    if (d->result == 'n') {
        check_never_trap(d, r);
    } else {
        CHECK(r == NULL);
        if (d->result == 's') CHECK_EQ_U64(fwx_slot_u32(slots, 0u), FWX_OK);
        if (d->result == 'v' && d->result_bits == 64) CHECK_EQ_U64(fwx_slot_u64(slots, 0u), fake_hal.result);
        if (d->result == 'v' && d->result_bits == 32) CHECK_EQ_U64(fwx_slot_u32(slots, 0u), (uint32_t)fake_hal.result);
    }
    for (k = 0u; k < d->nouts; k++) {
        const test_output_desc_t *o = &d->outs[k];
        const uint8_t *at = mem + OUT_BASE + 16u * k;
        if (o->size == 8u) CHECK_EQ_U64(fwx_load_u64(at), fake_hal.out[k]);
        else CHECK_EQ_U64(fwx_load_u32(at), (uint32_t)fake_hal.out[k]);
        CHECK(at[o->size] == PRESET); /* nothing written past the value */
    }
    case_end();
}

static void test_error_status_outputs(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    const void *r;
    unsigned k;
    fwx_status_t err = FWX_OK;
    if (d->result != 's' || d->nouts == 0u) return;
    for (k = 31u; k > 0u; k--)
        if ((fwx_imports[d->import].statuses & FWX_STATUS_BIT(k)) != 0u) {
            err = (fwx_status_t)k;
            break;
        }
    if (err == FWX_OK) err = FWX_OTHER; /* a HAL bug the glue still handles: outputs stay put */
    case_begin("%s.%s: non-ok status stores only outputs the HAL set", imp(d)->module, imp(d)->name);
    fresh(MEM);
    setup_valid(d, expect);
    fake_hal.status = err;
    fake_hal.set_out[0] = true;
    /* A value that differs from what the preset bytes decode to (a bool
     * preset of 0xeeeeeeee reads as true). */
    fake_hal.out[0] = d->outs[0].kind == 'b' ? 0u : out_value(&d->outs[0]);
    r = invoke(d);
    CHECK(r == NULL);
    CHECK_EQ_U64(fwx_slot_u32(slots, 0u), (uint32_t)err);
    if (d->outs[0].size == 8u) CHECK_EQ_U64(fwx_load_u64(memory() + OUT_BASE), fake_hal.out[0]);
    else CHECK_EQ_U64(fwx_load_u32(memory() + OUT_BASE), (uint32_t)fake_hal.out[0]);
    for (k = 1u; k < d->nouts; k++) CHECK(preset_untouched(OUT_BASE + 16u * k, 16u));
    case_end();
}

static void move_memory(void) { fake_move_memory(MEM * 2u); }

static void test_memory_moves(const test_fn_desc_t *d)
{
    uint64_t expect[FAKE_MAX_PARAMS];
    unsigned k;
    if (d->nouts == 0u) return;
    case_begin("%s.%s: outputs land in memory that moved during the HAL call", imp(d)->module, imp(d)->name);
    fresh(MEM);
    setup_valid(d, expect);
    fake_hal.during = move_memory;
    for (k = 0u; k < d->nouts; k++) {
        fake_hal.set_out[k] = true;
        fake_hal.out[k] = out_value(&d->outs[k]);
    }
    CHECK(invoke(d) == NULL);
    for (k = 0u; k < d->nouts; k++) {
        const uint8_t *at = memory() + OUT_BASE + 16u * k;
        if (d->outs[k].size == 8u) CHECK_EQ_U64(fwx_load_u64(at), fake_hal.out[k]);
        else CHECK_EQ_U64(fwx_load_u32(at), (uint32_t)fake_hal.out[k]);
    }
    case_end();
}

void test_glue(void)
{
    unsigned i;
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) {
        const test_fn_desc_t *d = &fwx_test_functions[i];
        test_valid_call(d);
        test_error_status_outputs(d);
        test_memory_moves(d);
        test_glue_hostile(d);
    }
    case_begin("descriptor table covers every import in order");
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) CHECK(fwx_test_functions[i].import == i);
    case_end();
}
