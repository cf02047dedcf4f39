/* Trial: confirm after 10 s AND 3 callbacks AND fwx_health() == 0, else revert. */
#include <string.h>

#include "fwx_abi_tables.h"
#include "sup_harness.h"

static unsigned imports_timer[] = { FWX_IMPORT_TIMER_START };
static uint32_t period_ms;
static unsigned timers, healths;
static unsigned fault_on_timer; /* 0: never */
static int32_t health_verdict;

static M3Result init_fn(fake_call_t *c)
{
    c->result = 0;
    return period_ms == 0u ? NULL : g_timer_start(1u, period_ms, 1u, NULL);
}

static M3Result timer_fn(fake_call_t *c)
{
    (void)c;
    timers++;
    return timers == fault_on_timer ? fake_trap_unreachable : NULL;
}

static M3Result health_fn(fake_call_t *c)
{
    healths++;
    c->result = health_verdict;
    return NULL;
}

static const fake_guest_t trial_guest = {
    "trial", imports_timer, 1u, init_fn, timer_fn, NULL, health_fn, NULL, NULL, 1u, false, false, NULL, NULL,
};

static fwx_sup_module_t *begin(uint32_t period, unsigned fault_on, int32_t verdict)
{
    fwx_sup_config_t cfg;
    fwx_sup_module_t *m = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.granted = FWX_CAP_BIT(FWX_CAP_TIMER);
    cfg.trial = true;
    fresh_sup();
    period_ms = period;
    fault_on_timer = fault_on;
    health_verdict = verdict;
    timers = healths = 0u;
    if (start_guest(&trial_guest, "trial", &cfg, &m, NULL) != FWX_SUP_OK) return NULL;
    return m;
}

void test_sup_trial(void)
{
    fwx_sup_module_t *m;
    uint64_t t0;

    case_begin("trial: 3 callbacks early are not enough; confirmed when 10 s have passed and fwx_health says 0");
    m = begin(1000u, 0u, 0);
    CHECK(m != NULL);
    t0 = test_now;
    run_until(t0 + 2u * SEC, 100u * MS);
    CHECK(m->callbacks == 3u && count_events(FWX_SUP_EV_CONFIRMED) == 0u && healths == 0u);
    run_until(t0 + 10u * SEC - 1u, 100u * MS);
    CHECK(count_events(FWX_SUP_EV_CONFIRMED) == 0u);
    run_until(t0 + 10u * SEC, 1u);
    CHECK(count_events(FWX_SUP_EV_CONFIRMED) == 1u && healths == 1u);
    CHECK(!m->cfg.trial && m->state == FWX_SUP_RUNNING);
    case_end();

    case_begin("trial: after confirmation a fault restarts the module instead of reverting");
    fault_on_timer = timers + 1u;
    run_until(test_now + 1u * SEC, 100u * MS);
    CHECK(count_events(FWX_SUP_EV_REVERT) == 0u && m->state == FWX_SUP_BACKOFF);
    case_end();

    case_begin("trial: a fault after the 3rd callback but inside the 10 s window reverts");
    m = begin(1000u, 4u, 0);
    CHECK(m != NULL);
    run_until(test_now + 5u * SEC, 100u * MS);
    CHECK(m->state == FWX_SUP_FAILED);
    CHECK(count_events(FWX_SUP_EV_REVERT) == 1u && count_events(FWX_SUP_EV_CONFIRMED) == 0u);
    CHECK(strstr(seen.text[seen.n - 1u], "faulted during trial: unreachable in fwx_on_timer(1)") != NULL);
    run_until(test_now + 120u * SEC, 1u * SEC);
    CHECK(timers == 4u && count_events(FWX_SUP_EV_STARTED) == 1u); /* never restarted */
    CHECK(fake_live_runtimes() == 0u);
    case_end();

    case_begin("trial: a module whose timers never fire is reverted at the 60 s timeout");
    m = begin(0u, 0u, 0);
    CHECK(m != NULL);
    t0 = test_now;
    CHECK(fwx_sup_poll(&sup) == t0 + 10u * SEC);
    run_until(t0 + 60u * SEC - 1u, 1u * SEC);
    CHECK(m->state == FWX_SUP_RUNNING && count_events(FWX_SUP_EV_REVERT) == 0u);
    CHECK(fwx_sup_poll(&sup) == t0 + 60u * SEC);
    run_until(t0 + 60u * SEC, 1u);
    CHECK(m->state == FWX_SUP_FAILED && count_events(FWX_SUP_EV_REVERT) == 1u);
    CHECK(strcmp(seen.text[seen.n - 1u], "only 1 of 3 callbacks within 60 s") == 0);
    case_end();

    case_begin("trial: fwx_health's non-zero verdict vetoes confirmation");
    m = begin(1000u, 0u, 2);
    CHECK(m != NULL);
    run_until(test_now + 10u * SEC, 100u * MS);
    CHECK(m->state == FWX_SUP_FAILED && count_events(FWX_SUP_EV_REVERT) == 1u && count_events(FWX_SUP_EV_CONFIRMED) == 0u);
    CHECK(strcmp(seen.text[seen.n - 1u], "fwx_health returned 2 (non-zero vetoes confirmation)") == 0);
    case_end();

    case_begin("trial: a fault in the first timer callback reverts at once");
    m = begin(1000u, 1u, 0);
    CHECK(m != NULL);
    run_until(test_now + 1u * SEC, 100u * MS);
    CHECK(m->state == FWX_SUP_FAILED && count_events(FWX_SUP_EV_REVERT) == 1u);
    case_end();
}
