/* The supervisor tests' harness and main (see sup_harness.h). */
#include <sanitizer/common_interface_defs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fake_hal.h"
#include "fwx_abi_tables.h"
#include "fwx_rt_port.h"
#include "sup_harness.h"

unsigned tests_passed;
unsigned tests_failed;
bool case_failed;
char case_name[192];
uint64_t test_now;
fwx_sup_t sup;
static fwx_check_work_t check_work; /* the install check's tables, lent to the supervisor */
seen_t seen;

void case_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(case_name, sizeof case_name, fmt, ap);
    va_end(ap);
    case_failed = false;
}

void case_end(void)
{
    if (case_failed) tests_failed++;
    else tests_passed++;
}

void check_failed(const char *file, int line, const char *what)
{
    if (!case_failed) printf("FAIL %s\n", case_name);
    printf("  %s:%d: %s\n", file, line, what);
    case_failed = true;
}

uint64_t fwx_port_now_us(void) { return test_now; }

static void on_event(void *user, const fwx_sup_event_t *e)
{
    (void)user;
    if (seen.n < 64u) {
        seen.kind[seen.n] = e->kind;
        seen.after_us[seen.n] = e->after_us;
        snprintf(seen.text[seen.n], sizeof seen.text[seen.n], "%s", e->text != NULL ? e->text : "");
        seen.n++;
    }
    if (e->kind == FWX_SUP_EV_FAULT && seen.nfaults < 8u) seen.fault[seen.nfaults++] = *e->fault;
}

void fresh_sup(void)
{
    unsigned i;
    for (i = 0u; i < FWX_SUP_MAX_MODULES; i++) {
        if (sup.modules[i].state != FWX_SUP_EMPTY) fwx_sup_stop(&sup, &sup.modules[i], "test end");
    }
    memset(&seen, 0, sizeof seen);
    test_now = 5 * SEC;
    fake_hal_reset();
    fwx_sup_init(&sup, m3_NewEnvironment(), &check_work, on_event, NULL);
    memset(&seen, 0, sizeof seen);
}

static uint8_t pool[16][2048];
static const fake_guest_t *pool_guest[16];
static uint32_t pool_len[16];
static unsigned npool;

const uint8_t *guest_bytes(const fake_guest_t *g, uint32_t *len)
{
    unsigned i;
    for (i = 0u; i < npool; i++) {
        if (pool_guest[i] == g) {
            *len = pool_len[i];
            return pool[i];
        }
    }
    if (npool >= 16u) return NULL;
    pool_len[npool] = fake_guest_module(g, pool[npool], sizeof pool[npool]);
    pool_guest[npool] = g;
    *len = pool_len[npool];
    return pool[npool++];
}

fwx_sup_status_t start_guest(const fake_guest_t *g, const char *id, const fwx_sup_config_t *cfg, fwx_sup_module_t **out,
                             const char **error)
{
    uint32_t len = 0u;
    const uint8_t *bytes = guest_bytes(g, &len);
    return fwx_sup_start(&sup, id, bytes, len, cfg, out, error);
}

unsigned count_events(fwx_sup_event_kind_t kind)
{
    unsigned i, n = 0u;
    for (i = 0u; i < seen.n; i++) n += seen.kind[i] == kind ? 1u : 0u;
    return n;
}

void run_until(uint64_t t, uint64_t step)
{
    while (test_now < t) {
        test_now = test_now + step < t ? test_now + step : t;
        (void)fwx_sup_poll(&sup);
    }
}

/* Writes i32 args after `results` result slots, as wasm3 lays a raw call's stack out. */
M3Result g_timer_start(uint32_t id, uint32_t period_ms, uint32_t periodic, int32_t *status)
{
    uint64_t sp[4] = { 0u, id, period_ms, periodic };
    M3Result r = fake_guest_host(FWX_IMPORT_TIMER_START, sp);
    if (status != NULL) *status = (int32_t)(uint32_t)sp[0];
    return r;
}

M3Result g_now_ms(void)
{
    uint64_t sp[1] = { 0u };
    return fake_guest_host(FWX_IMPORT_CORE_NOW_MS, sp);
}

M3Result g_log(uint32_t ptr, uint32_t len)
{
    uint64_t sp[4] = { 0u, 1u, ptr, len };
    return fake_guest_host(FWX_IMPORT_CORE_LOG, sp);
}

M3Result g_abort(const char *message)
{
    uint32_t size = 0u, n = (uint32_t)strlen(message);
    uint8_t *mem = fake_guest_memory(&size);
    uint64_t sp[6] = { 0u, n, 0u, 0u, 12u, 3u };
    memcpy(mem, message, n);
    return fake_guest_host(FWX_IMPORT_CORE_ABORT, sp);
}

M3Result g_gpio_write(uint32_t handle)
{
    uint64_t sp[3] = { 0u, handle, 1u };
    return fake_guest_host(FWX_IMPORT_GPIO_WRITE, sp);
}

static void on_sanitizer_death(void)
{
    printf("FAIL %s (the sanitizer report on stderr says why)\n", case_name);
    fflush(stdout);
}

int main(void)
{
    __sanitizer_set_death_callback(on_sanitizer_death);
    test_sup_lifecycle();
    test_sup_faults();
    test_sup_ram();
    test_sup_policy();
    test_sup_trial();
    fresh_sup();
    printf("{\"suite\":\"c-supervisor\",\"passed\":%u,\"failed\":%u}\n", tests_passed, tests_failed);
    printf("%u passed, %u failed\n", tests_passed, tests_failed);
    return tests_failed == 0u ? 0 : 1;
}
