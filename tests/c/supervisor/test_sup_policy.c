/* Restart backoff and quarantine: DEFAULT_RESTART_POLICY of src/agent/supervisor.ts. */
#include <string.h>

#include "fwx_abi_tables.h"
#include "sup_harness.h"

static unsigned imports_timer[] = { FWX_IMPORT_TIMER_START };
static bool init_traps;
static bool timer_traps;
static unsigned inits;

static M3Result init_fn(fake_call_t *c)
{
    inits++;
    c->result = 0;
    if (init_traps) return fake_trap_unreachable;
    return g_timer_start(1u, 1000u, 1u, NULL);
}

static M3Result timer_fn(fake_call_t *c)
{
    (void)c;
    return timer_traps ? fake_trap_unreachable : NULL;
}

static const fake_guest_t crasher = {
    "crasher", imports_timer, 1u, init_fn, timer_fn, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL,
};

void test_sup_policy(void)
{
    fwx_sup_config_t cfg;
    fwx_sup_module_t *m = NULL;
    unsigned i, k;
    static const uint64_t delays[4] = { 1u * SEC, 2u * SEC, 4u * SEC, 8u * SEC };

    memset(&cfg, 0, sizeof cfg);
    cfg.granted = FWX_CAP_BIT(FWX_CAP_TIMER);

    case_begin("policy: restarts back off 1, 2, 4, 8 s; the 5th fault in 10 min quarantines");
    fresh_sup();
    init_traps = true;
    timer_traps = false;
    inits = 0u;
    CHECK(start_guest(&crasher, "crasher", &cfg, &m, NULL) == FWX_SUP_OK);
    for (i = 0u; i < 4u; i++) {
        uint64_t due = test_now + delays[i];
        CHECK(m->state == FWX_SUP_BACKOFF);
        for (k = seen.n; k > 0u && seen.kind[k - 1u] != FWX_SUP_EV_BACKOFF; k--) continue;
        CHECK(k > 0u && seen.after_us[k - 1u] == delays[i]);
        run_until(due - 1u, 100u * MS);
        CHECK(inits == i + 1u);
        run_until(due, 1u);
        CHECK(inits == i + 2u);
    }
    CHECK(m->state == FWX_SUP_QUARANTINED);
    CHECK(count_events(FWX_SUP_EV_QUARANTINED) == 1u && count_events(FWX_SUP_EV_FAULT) == 5u);
    run_until(test_now + 10u * 60u * SEC, 10u * SEC);
    CHECK(inits == 5u);
    CHECK(fake_live_runtimes() == 0u);
    case_end();

    case_begin("policy: faults older than the 10 min window are forgotten");
    fresh_sup();
    init_traps = true;
    inits = 0u;
    CHECK(start_guest(&crasher, "crasher", &cfg, &m, NULL) == FWX_SUP_OK);
    run_until(test_now + 7u * SEC, 100u * MS); /* faults 2, 3, 4 */
    CHECK(inits == 4u && m->state == FWX_SUP_BACKOFF);
    init_traps = false;
    run_until(test_now + 8u * SEC, 100u * MS);
    CHECK(inits == 5u && m->state == FWX_SUP_RUNNING);
    CHECK(count_events(FWX_SUP_EV_STARTED) == 1u);
    run_until(test_now + 11u * 60u * SEC, 30u * SEC);
    timer_traps = true;
    run_until(test_now + 1u * SEC, 100u * MS);
    CHECK(m->state == FWX_SUP_BACKOFF);
    CHECK(seen.kind[seen.n - 1u] == FWX_SUP_EV_BACKOFF && seen.after_us[seen.n - 1u] == 1u * SEC);
    timer_traps = false;
    case_end();
}
