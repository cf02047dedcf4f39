/*
 * Scripted guests for the fake wasm3 (see fake_wasm3.h): the module bytes the
 * install-time check reads, and the behaviour of an mcu-instrumented module
 * (src/fuel/mcu.ts) when the supervisor calls it.
 */
#include <stdlib.h>
#include <string.h>

#include "fake_wasm3.h"
#include "fake_wasm3_internal.h"
#include "fwx_abi_tables.h"

#define MAX_REGISTERED 32u
#define PAGE 65536u

static struct {
    const uint8_t *bytes;
    uint32_t len;
    const fake_guest_t *guest;
    const char *names[FAKE_MAX_EXPORTS];   /* the defined functions, in order */
    uint32_t code_at[FAKE_MAX_EXPORTS];    /* each one's first instruction in bytes */
    unsigned ndefs;
} registered[MAX_REGISTERED];
static unsigned nregistered;
static IM3Runtime current; /* the runtime whose guest code is running */
static bool no_grow_flag;  /* fake_guest_grow_flag(false) */

void fake_guest_grow_flag(bool exported) { no_grow_flag = !exported; }

const fake_guest_t *fake_guest_for_bytes(const uint8_t *bytes, uint32_t len)
{
    unsigned i;
    for (i = 0u; i < nregistered; i++) {
        if (registered[i].bytes == bytes && registered[i].len == len) return registered[i].guest;
    }
    return NULL;
}

uint32_t fake_guest_code_offset(const fake_guest_t *g, const char *name)
{
    unsigned i, k;
    for (i = 0u; i < nregistered; i++) {
        if (registered[i].guest != g) continue;
        for (k = 0u; k < registered[i].ndefs; k++) {
            if (strcmp(registered[i].names[k], name) == 0) return registered[i].code_at[k];
        }
    }
    return 0u;
}

/* ---- the module bytes ---- */

typedef struct out {
    uint8_t *buf;
    uint32_t cap, len;
    bool overflow;
} out_t;

static void put(out_t *o, uint8_t b)
{
    if (o->len < o->cap) o->buf[o->len] = b;
    else o->overflow = true;
    o->len++;
}

static void put_u32(out_t *o, uint32_t v)
{
    do {
        uint8_t b = (uint8_t)(v & 0x7fu);
        v >>= 7;
        put(o, (uint8_t)(v != 0u ? b | 0x80u : b));
    } while (v != 0u);
}

static void put_name(out_t *o, const char *s)
{
    put_u32(o, (uint32_t)strlen(s));
    while (*s != '\0') put(o, (uint8_t)*s++);
}

static uint8_t valtype(char c)
{
    return c == 'i' ? 0x7fu : c == 'I' ? 0x7eu : c == 'f' ? 0x7du : 0x7cu;
}

static void put_type(out_t *o, const char *params, const char *results)
{
    put(o, 0x60u);
    put_u32(o, (uint32_t)strlen(params));
    while (*params != '\0') put(o, valtype(*params++));
    put_u32(o, (uint32_t)strlen(results));
    while (*results != '\0') put(o, valtype(*results++));
}

typedef struct def {
    const char *name, *params, *results;
} def_t;

/* The exports a guest has, in a fixed order. */
static unsigned guest_exports(const fake_guest_t *g, def_t *d)
{
    unsigned n = 0u;
    d[n++] = (def_t){ "fwx_init", "", "i" };
    if (g->on_timer != NULL) d[n++] = (def_t){ "fwx_on_timer", "i", "" };
    if (g->on_event != NULL) d[n++] = (def_t){ "fwx_on_event", "iii", "" };
    if (g->health != NULL) d[n++] = (def_t){ "fwx_health", "", "i" };
    if (g->deinit != NULL) d[n++] = (def_t){ "fwx_deinit", "", "" };
    if (g->start != NULL) d[n++] = (def_t){ "__fwx_start", "", "" };
    if (!g->no_fuel_exports) {
        d[n++] = (def_t){ "__fwx_fuel_set", "I", "" };
        d[n++] = (def_t){ "__fwx_fuel_get", "", "I" };
    }
    if (!g->no_limit_export) d[n++] = (def_t){ "__fwx_mem_limit_set", "i", "" };
    if (!g->no_fuel_exports && !no_grow_flag) d[n++] = (def_t){ "__fwx_grow_refused", "", "i" };
    if (!g->no_fuel_exports && !g->no_limit_export) {
        d[n++] = (def_t){ "__fwx_ram_limit_set", "i", "" };
        d[n++] = (def_t){ "__fwx_ram_fault", "", "I" };
    }
    return n;
}

/* The guest's imports plus fuel_exhausted when it is instrumented. */
static unsigned guest_imports(const fake_guest_t *g, unsigned *idx)
{
    unsigned i, n = 0u;
    bool has_fuel = false;
    for (i = 0u; i < g->nimports && n < FAKE_MAX_IMPORTS - 1u; i++) {
        idx[n++] = g->imports[i];
        if (g->imports[i] == FWX_IMPORT_CORE_FUEL_EXHAUSTED) has_fuel = true;
    }
    if (!g->no_fuel_exports && !has_fuel) idx[n++] = FWX_IMPORT_CORE_FUEL_EXHAUSTED;
    return n;
}

static uint32_t leb_len(uint32_t v)
{
    uint32_t n = 1u;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

static void section(out_t *o, uint8_t id, const out_t *body)
{
    uint32_t i;
    put(o, id);
    put_u32(o, body->len);
    for (i = 0u; i < body->len && i < body->cap; i++) put(o, body->buf[i]);
    if (body->overflow) o->overflow = true;
}

uint32_t fake_guest_module(const fake_guest_t *g, uint8_t *buf, uint32_t cap)
{
    static uint8_t scratch[4096];
    unsigned imports[FAKE_MAX_IMPORTS];
    def_t defs[FAKE_MAX_EXPORTS];
    unsigned ni = guest_imports(g, imports), nd = guest_exports(g, defs), i;
    uint32_t code_at[FAKE_MAX_EXPORTS], code_base;
    out_t o = { buf, cap, 0u, false };
    out_t s;
    static const uint8_t header[8] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    for (i = 0u; i < 8u; i++) put(&o, header[i]);
    /* type: one per import, then one per defined function */
    s = (out_t){ scratch, sizeof scratch, 0u, false };
    put_u32(&s, ni + nd);
    for (i = 0u; i < ni; i++) put_type(&s, fwx_imports[imports[i]].params, fwx_imports[imports[i]].results);
    for (i = 0u; i < nd; i++) put_type(&s, defs[i].params, defs[i].results);
    section(&o, 1u, &s);
    /* import */
    s = (out_t){ scratch, sizeof scratch, 0u, false };
    put_u32(&s, ni);
    for (i = 0u; i < ni; i++) {
        put_name(&s, fwx_imports[imports[i]].module);
        put_name(&s, fwx_imports[imports[i]].name);
        put(&s, 0x00u);
        put_u32(&s, i);
    }
    section(&o, 2u, &s);
    /* function */
    s = (out_t){ scratch, sizeof scratch, 0u, false };
    put_u32(&s, nd);
    for (i = 0u; i < nd; i++) put_u32(&s, ni + i);
    section(&o, 3u, &s);
    /* memory */
    s = (out_t){ scratch, sizeof scratch, 0u, false };
    put_u32(&s, 1u);
    put(&s, 0x00u);
    put_u32(&s, g->initial_pages);
    section(&o, 5u, &s);
    /* export */
    s = (out_t){ scratch, sizeof scratch, 0u, false };
    put_u32(&s, nd);
    for (i = 0u; i < nd; i++) {
        put_name(&s, defs[i].name);
        put(&s, 0x00u);
        put_u32(&s, ni + i);
    }
    section(&o, 7u, &s);
    /* code: every body returns zeros (the fake runs the C guest instead) */
    s = (out_t){ scratch, sizeof scratch, 0u, false };
    put_u32(&s, nd);
    for (i = 0u; i < nd; i++) {
        const char *r = defs[i].results;
        code_at[i] = s.len + 2u; /* after the body's size and its empty local declarations (one byte each) */
        if (r[0] == 'i') { put(&s, 4u); put(&s, 0u); put(&s, 0x41u); put(&s, 0u); put(&s, 0x0bu); }
        else if (r[0] == 'I') { put(&s, 4u); put(&s, 0u); put(&s, 0x42u); put(&s, 0u); put(&s, 0x0bu); }
        else { put(&s, 2u); put(&s, 0u); put(&s, 0x0bu); }
    }
    code_base = o.len + 1u + leb_len(s.len);
    section(&o, 10u, &s);
    if (o.overflow || s.overflow || nregistered >= MAX_REGISTERED) return 0u;
    registered[nregistered].bytes = buf;
    registered[nregistered].len = o.len;
    registered[nregistered].guest = g;
    registered[nregistered].ndefs = nd;
    for (i = 0u; i < nd; i++) {
        registered[nregistered].names[i] = defs[i].name;
        registered[nregistered].code_at[i] = code_base + code_at[i];
    }
    nregistered++;
    return o.len;
}

/* ---- running a guest ---- */

static M3Result run(IM3Runtime rt, fake_guest_fn fn, const uint64_t *args, unsigned nargs, uint64_t *results)
{
    IM3Runtime saved = current;
    uint32_t a[3] = { 0u, 0u, 0u };
    fake_call_t call;
    M3Result r;
    unsigned i;
    for (i = 0u; i < nargs && i < 3u; i++) a[i] = (uint32_t)args[i];
    call.args = a;
    call.result = 0;
    call.state = rt->module->guest->state;
    current = rt;
    rt->spent = 0;
    r = fn(&call);
    /* Normal end: the cached fuel is written back. A trap skips that, as
     * instrumented code on wasm3 does (defect 6 of issue 9). */
    if (r == NULL) {
        rt->fuel -= rt->spent;
        results[0] = (uint64_t)(uint32_t)call.result;
    }
    rt->spent = 0;
    current = saved;
    return r;
}

#define GUEST_EXPORT(name, field, n)                                                   \
    static M3Result name(void *state, const uint64_t *args, uint64_t *results)         \
    {                                                                                  \
        IM3Runtime rt = state;                                                         \
        return run(rt, rt->module->guest->field, args, n, results);                    \
    }
GUEST_EXPORT(call_init, init, 0u)
GUEST_EXPORT(call_on_timer, on_timer, 1u)
GUEST_EXPORT(call_on_event, on_event, 3u)
GUEST_EXPORT(call_health, health, 0u)
GUEST_EXPORT(call_deinit, deinit, 0u)
GUEST_EXPORT(call_start, start, 0u)

static M3Result fuel_set(void *state, const uint64_t *args, uint64_t *results)
{
    IM3Runtime rt = state;
    int64_t v;
    (void)results;
    memcpy(&v, &args[0], sizeof v);
    rt->fuel = v >= 0 ? v : 0;
    rt->grow_refused = false; /* setting the budget starts a callback */
    return NULL;
}

static M3Result fuel_get(void *state, const uint64_t *args, uint64_t *results)
{
    IM3Runtime rt = state;
    (void)args;
    memcpy(&results[0], &rt->fuel, sizeof rt->fuel);
    return NULL;
}

static M3Result grow_refused_get(void *state, const uint64_t *args, uint64_t *results)
{
    IM3Runtime rt = state;
    (void)args;
    results[0] = rt->grow_refused ? 1u : 0u;
    return NULL;
}

static M3Result ram_limit_set(void *state, const uint64_t *args, uint64_t *results)
{
    IM3Runtime rt = state;
    (void)results;
    rt->ram_limit_bytes = (uint32_t)args[0];
    return NULL;
}

static M3Result ram_fault_get(void *state, const uint64_t *args, uint64_t *results)
{
    IM3Runtime rt = state;
    (void)args;
    memcpy(&results[0], &rt->ram_fault, sizeof rt->ram_fault);
    return NULL;
}

static M3Result limit_set(void *state, const uint64_t *args, uint64_t *results)
{
    IM3Runtime rt = state;
    (void)results;
    rt->mem_limit_pages = (uint32_t)args[0];
    return NULL;
}

void fake_guest_load(IM3Runtime rt, const fake_guest_t *g)
{
    unsigned imports[FAKE_MAX_IMPORTS];
    def_t defs[FAKE_MAX_EXPORTS];
    unsigned ni = guest_imports(g, imports), nd = guest_exports(g, defs), i;
    for (i = 0u; i < ni; i++) {
        const fwx_import_desc_t *d = &fwx_imports[imports[i]];
        fake_module_declare_import(rt->module, d->module, d->name, d->wasm3_signature);
    }
    for (i = 0u; i < nd; i++) {
        fake_export_t e;
        const char *n = defs[i].name;
        e.name = n;
        e.params = defs[i].params;
        e.results = defs[i].results;
        e.state = rt;
        e.call = strcmp(n, "fwx_init") == 0 ? call_init
                 : strcmp(n, "fwx_on_timer") == 0 ? call_on_timer
                 : strcmp(n, "fwx_on_event") == 0 ? call_on_event
                 : strcmp(n, "fwx_health") == 0 ? call_health
                 : strcmp(n, "fwx_deinit") == 0 ? call_deinit
                 : strcmp(n, "__fwx_start") == 0 ? call_start
                 : strcmp(n, "__fwx_fuel_set") == 0 ? fuel_set
                 : strcmp(n, "__fwx_fuel_get") == 0 ? fuel_get
                 : strcmp(n, "__fwx_grow_refused") == 0 ? grow_refused_get
                 : strcmp(n, "__fwx_ram_limit_set") == 0 ? ram_limit_set
                 : strcmp(n, "__fwx_ram_fault") == 0 ? ram_fault_get
                 : limit_set;
        fake_runtime_add_export(rt, &e);
    }
    rt->mem_limit_pages = 65536u;
    rt->ram_limit_bytes = 0xffffffffu;
    rt->ram_fault = -1;
    rt->fuel = 1000000; /* the instrumenter's built-in instantiate fuel */
    if (g->initial_pages > 0u) fake_resize_memory(rt, g->initial_pages * PAGE);
}

M3Result fake_guest_host(unsigned import_index, uint64_t *sp)
{
    IM3Runtime rt = current;
    const fwx_import_desc_t *d;
    if (rt == NULL || import_index >= FWX_IMPORT_COUNT) abort();
    d = &fwx_imports[import_index];
    /* Instrumented code writes the cached fuel back before every call. */
    rt->fuel -= rt->spent;
    rt->spent = 0;
    return fake_runtime_invoke(rt, d->module, d->name, sp);
}

M3Result fake_guest_burn(uint64_t fuel)
{
    IM3Runtime rt = current;
    if (rt == NULL) abort();
    if (rt->module->guest->no_fuel_exports) return NULL;
    rt->spent += (int64_t)fuel;
    if (rt->fuel - rt->spent < 0) {
        uint64_t none = 0u;
        /* __fwx_fuel_out: zero the counter, then the trapping import. */
        rt->spent = 0;
        rt->fuel = 0;
        return fake_guest_host(FWX_IMPORT_CORE_FUEL_EXHAUSTED, &none);
    }
    return NULL;
}

M3Result fake_guest_loop_forever(void)
{
    for (;;) {
        M3Result r = fake_guest_burn(7u);
        if (r != NULL) return r;
    }
}

int32_t fake_guest_grow(uint32_t delta)
{
    IM3Runtime rt = current;
    uint32_t pages, limit;
    if (rt == NULL) abort();
    pages = rt->size / PAGE;
    limit = rt->mem_limit_pages;
    if (pages > limit || delta > limit - pages || delta > 64u) {
        rt->grow_refused = true;
        return -1;
    }
    fake_resize_memory(rt, (pages + delta) * PAGE);
    return (int32_t)pages;
}

M3Result fake_guest_access(uint32_t addr, uint32_t len)
{
    IM3Runtime rt = current;
    uint32_t limit;
    if (rt == NULL) abort();
    limit = rt->ram_limit_bytes;
    if (len <= limit && addr <= limit - len) return NULL;
    rt->ram_fault = (int64_t)((uint64_t)addr | (uint64_t)(len > 0x7fffffffu ? 0x7fffffffu : len) << 32);
    return fake_trap_unreachable;
}

uint8_t *fake_guest_memory(uint32_t *size)
{
    if (current == NULL) abort();
    *size = current->size;
    return current->memory;
}

void *fake_guest_context(void)
{
    fake_import_t *imp;
    if (current == NULL || current->module == NULL || current->module->nimports == 0u) return NULL;
    imp = &current->module->imports[0];
    return (void *)(uintptr_t)imp->userdata;
}
