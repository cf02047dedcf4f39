/* Traps become fault records: reason, callback, fuel, memory, last host calls. */
#include <string.h>

#include "fake_hal.h"
#include "fwx_abi_tables.h"
#include "fwx_support.h"
#include "sup_harness.h"

static unsigned imports_all[] = { FWX_IMPORT_TIMER_START, FWX_IMPORT_CORE_NOW_MS, FWX_IMPORT_CORE_LOG,
                                  FWX_IMPORT_CORE_ABORT, FWX_IMPORT_GPIO_WRITE };

static int mode;
static unsigned init_calls;
static int32_t grow_results[8];
static unsigned ngrow;

enum { LOOP, TRAP_AFTER_HOST, OOB_HOST, ABORT, FOREIGN, STACK, DIV, GROW_BOMB, GROW_POLITE, START_LOOP, GROW_BIG_THEN_TRAP };

static M3Result start_fn(fake_call_t *c)
{
    (void)c;
    return mode == START_LOOP ? fake_guest_loop_forever() : fake_guest_burn(10u);
}

static M3Result init_fn(fake_call_t *c)
{
    init_calls++;
    c->result = 0;
    return g_timer_start(1u, 1000u, 1u, NULL);
}

static M3Result timer_fn(fake_call_t *c)
{
    M3Result r;
    (void)c;
    switch (mode) {
    case LOOP: return fake_guest_loop_forever();
    case TRAP_AFTER_HOST:
        r = fake_guest_burn(1234u);
        if (r == NULL) r = g_now_ms(); /* writes the cached fuel back */
        if (r == NULL) r = fake_guest_burn(500u);
        return r != NULL ? r : fake_trap_unreachable;
    case OOB_HOST: return g_log(0xfffffff0u, 64u);
    case ABORT: return g_abort("sensor table corrupt");
    case FOREIGN: return g_gpio_write(5u);
    case STACK: return fake_trap_stack_overflow;
    case DIV: return fake_trap_divide_by_zero;
    case GROW_BOMB:
        /* Grows until refused, then traps as AssemblyScript's allocator does. */
        for (;;) {
            int32_t got = fake_guest_grow(1u);
            if (ngrow < 8u) grow_results[ngrow++] = got;
            if (got < 0) return fake_trap_unreachable;
        }
    case GROW_BIG_THEN_TRAP: {
        /* One large request refused well below the cap, then the allocator gives up. */
        int32_t got = fake_guest_grow(8u);
        if (ngrow < 8u) grow_results[ngrow++] = got;
        return fake_trap_unreachable;
    }
    case GROW_POLITE: {
        int32_t got = fake_guest_grow(4u);
        if (ngrow < 8u) grow_results[ngrow++] = got;
        return NULL;
    }
    default: return NULL;
    }
}

static const fake_guest_t faulty = {
    "faulty", imports_all, 5u, init_fn, timer_fn, NULL, NULL, NULL, start_fn, 1u, false, false, NULL, NULL,
};


/* Starts the guest in `m_`, fires its timer once, returns the fault seen (or NULL). */
static const fwx_fault_t *fault_in_timer(int m_, uint32_t ram_limit)
{
    fwx_sup_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fuel_per_callback = 20000u;
    cfg.ram_limit_bytes = ram_limit;
    cfg.granted = FWX_CAP_BIT(FWX_CAP_TIMER);
    fresh_sup();
    mode = m_;
    ngrow = 0u;
    init_calls = 0u;
    if (start_guest(&faulty, "faulty", &cfg, NULL, NULL) != FWX_SUP_OK) return NULL;
    run_until(test_now + 1u * SEC, 100u * MS);
    return seen.nfaults > 0u ? &seen.fault[0] : NULL;
}

void test_sup_faults(void)
{
    const fwx_fault_t *f;
    fwx_sup_config_t cfg;

    case_begin("fault: a call-free loop ends as fuel-exhausted with exactly the budget used");
    f = fault_in_timer(LOOP, 0u);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(f->reason == FWX_FAULT_FUEL_EXHAUSTED);
        CHECK(strcmp(fwx_fault_reason_name(f->reason), "fuel-exhausted") == 0);
        CHECK(strcmp(f->callback, "fwx_on_timer(1)") == 0);
        CHECK(f->fuel_used == 20000u && f->fuel_budget == 20000u && f->fuel_exact);
        CHECK(f->memory_pages == 1u && f->memory_limit_pages == 1u);
        /* fwx_init's timer.start, then fuel_exhausted from the loop. */
        CHECK(f->ncalls == 2u && f->last_calls[0].fn == FWX_IMPORT_TIMER_START && f->last_calls[1].fn == FWX_IMPORT_CORE_FUEL_EXHAUSTED);
        CHECK(strcmp(f->function, "fwx_on_timer") == 0);
    }
    CHECK(count_events(FWX_SUP_EV_BACKOFF) == 1u);
    case_end();

    case_begin("fault: after a non-fuel trap the fuel used is the written-back lower bound, marked inexact");
    f = fault_in_timer(TRAP_AFTER_HOST, 0u);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(f->reason == FWX_FAULT_UNREACHABLE);
        CHECK(f->fuel_used == 1234u && !f->fuel_exact);
        CHECK(f->ncalls == 2u && f->last_calls[1].fn == FWX_IMPORT_CORE_NOW_MS);
        CHECK(f->last_calls[1].result == (int64_t)(test_now / 1000u) || f->last_calls[1].result > 0);
    }
    case_end();

    case_begin("fault: trap kinds are classified like the agent's faults.ts");
    f = fault_in_timer(OOB_HOST, 0u);
    CHECK(f != NULL && f->reason == FWX_FAULT_OUT_OF_BOUNDS && strcmp(f->detail, fwx_trap_out_of_bounds) == 0);
    CHECK(f != NULL && f->fuel_exact); /* raised by the glue: the fuel was written back before the call */
    f = fault_in_timer(ABORT, 0u);
    CHECK(f != NULL && f->reason == FWX_FAULT_ABORT && strstr(f->detail, "sensor table corrupt") != NULL);
    CHECK(f != NULL && f->ncalls == 2u && f->last_calls[1].fn == FWX_IMPORT_CORE_ABORT);
    f = fault_in_timer(FOREIGN, 0u);
    CHECK(f != NULL && f->reason == FWX_FAULT_FOREIGN_HANDLE);
    f = fault_in_timer(STACK, 0u);
    CHECK(f != NULL && f->reason == FWX_FAULT_STACK_OVERFLOW && !f->fuel_exact);
    f = fault_in_timer(DIV, 0u);
    CHECK(f != NULL && f->reason == FWX_FAULT_TRAP && strcmp(f->detail, "[trap] integer divide by zero") == 0);
    case_end();

    case_begin("fault: a growth bomb sees memory.grow fail at the RAM limit and is reported as memory-limit");
    f = fault_in_timer(GROW_BOMB, 3u * 65536u);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(f->reason == FWX_FAULT_MEMORY_LIMIT);
        CHECK(strstr(f->detail, "cap of 3 pages") != NULL && strstr(f->detail, "unreachable") != NULL);
        CHECK(f->memory_pages == 3u && f->memory_high_water_pages == 3u && f->memory_limit_pages == 3u);
    }
    CHECK(ngrow == 3u && grow_results[0] == 1 && grow_results[1] == 2 && grow_results[2] == -1);
    case_end();

    case_begin("fault: with the instrumenter's refused-grow flag, a trap after a refused grow below the cap is memory-limit");
    f = fault_in_timer(GROW_BIG_THEN_TRAP, 4u * 65536u);
    CHECK(f != NULL && f->reason == FWX_FAULT_MEMORY_LIMIT && f->memory_pages == 1u);
    f = fault_in_timer(DIV, 4u * 65536u);
    CHECK(f != NULL && f->reason == FWX_FAULT_TRAP); /* no grow refused in this callback */
    CHECK(ngrow == 0u);
    fake_guest_grow_flag(false); /* instrumented before the flag: only a memory at its cap says so */
    f = fault_in_timer(GROW_BIG_THEN_TRAP, 4u * 65536u);
    CHECK(f != NULL && f->reason == FWX_FAULT_UNREACHABLE);
    f = fault_in_timer(GROW_BOMB, 3u * 65536u);
    CHECK(f != NULL && f->reason == FWX_FAULT_MEMORY_LIMIT);
    fake_guest_grow_flag(true);
    case_end();

    case_begin("fault: a module that handles a refused grow keeps running");
    f = fault_in_timer(GROW_POLITE, 2u * 65536u);
    CHECK(f == NULL);
    CHECK(ngrow == 1u && grow_results[0] == -1);
    case_end();

    case_begin("fault: a looping start function is stopped by its own budget, not the built-in fuel");
    memset(&cfg, 0, sizeof cfg);
    cfg.fuel_per_callback = 20000u;
    cfg.fuel_start = 5000u;
    fresh_sup();
    mode = START_LOOP;
    init_calls = 0u;
    CHECK(start_guest(&faulty, "faulty", &cfg, NULL, NULL) == FWX_SUP_OK);
    CHECK(seen.nfaults == 1u);
    CHECK(seen.fault[0].reason == FWX_FAULT_FUEL_EXHAUSTED);
    CHECK(strcmp(seen.fault[0].callback, "__fwx_start") == 0);
    CHECK(seen.fault[0].fuel_used == 5000u && seen.fault[0].fuel_budget == 5000u);
    CHECK(init_calls == 0u);
    case_end();
}
