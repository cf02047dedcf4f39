/* Install, start, timers, events, stop, refusals. */
#include <string.h>

#include "fake_hal.h"
#include "fwx_abi_tables.h"
#include "sup_harness.h"

static unsigned imports_timer[] = { FWX_IMPORT_TIMER_START, FWX_IMPORT_TIMER_CANCEL, FWX_IMPORT_CORE_NOW_MS, FWX_IMPORT_CORE_LOG };

static struct {
    unsigned starts, inits, timers, events, deinits;
    uint32_t last_timer, ev[3];
    int32_t start_status[4];
    uint32_t periodic;
    int32_t init_result;
} g;

static M3Result start_fn(fake_call_t *c)
{
    (void)c;
    g.starts++;
    return fake_guest_burn(100u);
}

static M3Result init_fn(fake_call_t *c)
{
    M3Result r;
    g.inits++;
    r = g_timer_start(7u, 100u, g.periodic, &g.start_status[0]);
    if (r == NULL) r = fake_guest_burn(10u);
    c->result = g.init_result;
    return r;
}

static M3Result timer_fn(fake_call_t *c)
{
    g.timers++;
    g.last_timer = c->args[0];
    /* 3000 per callback: more than one budget of 10000 over the run, never in one callback. */
    return fake_guest_burn(3000u);
}

static M3Result event_fn(fake_call_t *c)
{
    g.events++;
    memcpy(g.ev, c->args, sizeof g.ev);
    return NULL;
}

static M3Result deinit_fn(fake_call_t *c)
{
    (void)c;
    g.deinits++;
    return NULL;
}

static M3Result init_three_timers(fake_call_t *c)
{
    M3Result r = g_timer_start(1u, 50u, 1u, &g.start_status[0]);
    if (r == NULL) r = g_timer_start(2u, 50u, 1u, &g.start_status[1]);
    if (r == NULL) r = g_timer_start(3u, 50u, 1u, &g.start_status[2]);
    if (r == NULL) r = g_timer_start(1u, 70u, 0u, &g.start_status[3]); /* restart of a running id: no new slot */
    c->result = 0;
    return r;
}

static M3Result deinit_loop(fake_call_t *c)
{
    (void)c;
    g.deinits++;
    return fake_guest_loop_forever();
}

static const fake_guest_t stuck_deinit = {
    "stuck", imports_timer, 4u, init_fn, timer_fn, event_fn, NULL, deinit_loop, NULL, 1u, false, false, NULL, NULL,
};

static const fake_guest_t ticker = {
    "ticker", imports_timer, 4u, init_fn, timer_fn, event_fn, NULL, deinit_fn, start_fn, 1u, false, false, NULL, NULL,
};
static const fake_guest_t three = {
    "three", imports_timer, 4u, init_three_timers, timer_fn, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL,
};
static const fake_guest_t uninstrumented = {
    "plain", imports_timer, 4u, init_fn, NULL, NULL, NULL, NULL, NULL, 1u, true, true, NULL, NULL,
};
static const fake_guest_t old_tool = {
    "old", imports_timer, 4u, init_fn, NULL, NULL, NULL, NULL, NULL, 1u, false, true, NULL, NULL,
};
static const fake_guest_t big = {
    "big", imports_timer, 4u, init_fn, NULL, NULL, NULL, NULL, NULL, 3u, false, false, NULL, NULL,
};
static const fake_guest_t simd = {
    "simd", imports_timer, 4u, init_fn, NULL, NULL, NULL, NULL, NULL, 1u, false, false, "unknown opcode", NULL,
};

void test_sup_lifecycle(void)
{
    fwx_sup_config_t cfg;
    fwx_sup_module_t *m = NULL;
    const char *error = NULL;
    uint32_t len = 0u;
    uint8_t corrupt[2048];

    memset(&cfg, 0, sizeof cfg);
    cfg.fuel_per_callback = 10000u;
    cfg.granted = FWX_CAP_BIT(FWX_CAP_TIMER);

    case_begin("supervisor: start runs __fwx_start, then fwx_init, reads its result, reports STARTED");
    fresh_sup();
    memset(&g, 0, sizeof g);
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_OK);
    CHECK(m != NULL && m->state == FWX_SUP_RUNNING);
    CHECK(g.starts == 1u && g.inits == 1u);
    CHECK(g.start_status[0] == FWX_OK);
    CHECK(count_events(FWX_SUP_EV_STARTED) == 1u && count_events(FWX_SUP_EV_FAULT) == 0u);
    CHECK(fake_live_runtimes() == 1u);
    case_end();

    case_begin("supervisor: a one-shot timer fires once, at its time, with its id");
    run_until(test_now + 99u * MS, 10u * MS);
    CHECK(g.timers == 0u);
    run_until(test_now + 1u * MS, 1u * MS);
    CHECK(g.timers == 1u && g.last_timer == 7u);
    run_until(test_now + 1u * SEC, 50u * MS);
    CHECK(g.timers == 1u);
    case_end();

    case_begin("supervisor: a periodic timer gets a fresh fuel budget per callback");
    fresh_sup();
    memset(&g, 0, sizeof g);
    g.periodic = 1u;
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_OK);
    run_until(test_now + 1u * SEC, 10u * MS);
    CHECK(g.timers == 10u);
    CHECK(count_events(FWX_SUP_EV_FAULT) == 0u); /* 30000 spent in all, 3000 per 10000 budget */
    case_end();

    case_begin("supervisor: fwx_sup_poll says when the next timer is due");
    CHECK(fwx_sup_poll(&sup) == test_now + 100u * MS);
    case_end();

    case_begin("supervisor: board events reach the module that subscribed, in order");
    CHECK(fwx_sup_post_event(&m->ctx, 2u, 33u, 1u));
    CHECK(fwx_sup_poll(&sup) <= test_now + 100u * MS);
    CHECK(g.events == 1u && g.ev[0] == 2u && g.ev[1] == 33u && g.ev[2] == 1u);
    case_end();

    case_begin("supervisor: stop calls fwx_deinit, frees the runtime and drops queued events");
    CHECK(fwx_sup_post_event(&m->ctx, 2u, 34u, 0u));
    fwx_sup_stop(&sup, m, "replaced");
    CHECK(g.deinits == 1u);
    CHECK(fake_live_runtimes() == 0u);
    CHECK(count_events(FWX_SUP_EV_STOPPED) == 1u);
    (void)fwx_sup_poll(&sup);
    CHECK(g.events == 1u);
    CHECK(fwx_sup_find(&sup, "ticker") == NULL);
    case_end();

    case_begin("supervisor: a full event queue refuses and counts; events of a dead instance are dropped");
    fresh_sup();
    memset(&g, 0, sizeof g);
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_OK);
    {
        unsigned i, accepted = 0u;
        for (i = 0u; i < FWX_SUP_EVENT_QUEUE + 3u; i++) accepted += fwx_sup_post_event(&m->ctx, 1u, i, 0u) ? 1u : 0u;
        CHECK(accepted == FWX_SUP_EVENT_QUEUE && sup.events_dropped == 3u);
    }
    (void)fwx_sup_poll(&sup);
    CHECK(g.events == FWX_SUP_EVENT_QUEUE && g.ev[1] == FWX_SUP_EVENT_QUEUE - 1u);
    CHECK(fwx_sup_post_event(&m->ctx, 9u, 9u, 9u));
    m->generation++; /* as a fault and restart would */
    (void)fwx_sup_poll(&sup);
    CHECK(g.events == FWX_SUP_EVENT_QUEUE);
    case_end();

    case_begin("supervisor: a periodic timer that fell behind skips missed expiries; a poll runs a bounded number");
    fresh_sup();
    memset(&g, 0, sizeof g);
    g.periodic = 1u;
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_OK);
    test_now += 60u * SEC; /* the device was busy elsewhere for a minute */
    CHECK(fwx_sup_poll(&sup) == test_now + 100u * MS);
    CHECK(g.timers == 1u);
    case_end();

    case_begin("supervisor: fwx_deinit runs under a budget; its fault is reported and nothing restarts");
    fresh_sup();
    memset(&g, 0, sizeof g);
    CHECK(start_guest(&stuck_deinit, "stuck", &cfg, &m, &error) == FWX_SUP_OK);
    fwx_sup_stop(&sup, m, "removed");
    CHECK(g.deinits == 1u);
    CHECK(seen.nfaults == 1u && seen.fault[0].reason == FWX_FAULT_FUEL_EXHAUSTED && strcmp(seen.fault[0].callback, "fwx_deinit") == 0);
    CHECK(count_events(FWX_SUP_EV_BACKOFF) == 0u && count_events(FWX_SUP_EV_STOPPED) == 1u);
    CHECK(fake_live_runtimes() == 0u && fwx_sup_find(&sup, "stuck") == NULL);
    run_until(test_now + 5u * SEC, 1u * SEC);
    CHECK(g.inits == 1u);
    case_end();

    case_begin("supervisor: a module without fwx_on_event gets no events");
    fresh_sup();
    memset(&g, 0, sizeof g);
    CHECK(start_guest(&three, "three", &cfg, &m, &error) == FWX_SUP_OK);
    CHECK(!fwx_sup_post_event(&m->ctx, 1u, 1u, 1u));
    case_end();

    case_begin("supervisor: the timer table holds max_timers; restarting an id takes no slot");
    fresh_sup();
    memset(&g, 0, sizeof g);
    cfg.max_timers = 2u;
    CHECK(start_guest(&three, "three", &cfg, &m, &error) == FWX_SUP_OK);
    CHECK(g.start_status[0] == FWX_OK && g.start_status[1] == FWX_OK);
    CHECK(g.start_status[2] == FWX_NO_SPACE);
    CHECK(g.start_status[3] == FWX_OK);
    run_until(test_now + 60u * MS, 10u * MS);
    CHECK(g.timers == 1u && g.last_timer == 2u); /* id 1 was restarted with 70 ms */
    run_until(test_now + 10u * MS, 10u * MS);
    CHECK(g.timers == 2u && g.last_timer == 1u);
    cfg.max_timers = 0u;
    case_end();

    case_begin("supervisor: refusals leave nothing behind");
    fresh_sup();
    memset(&g, 0, sizeof g);
    CHECK(start_guest(&uninstrumented, "plain", &cfg, &m, &error) == FWX_SUP_E_FUEL);
    CHECK(error != NULL && strstr(error, "not fuel-instrumented") != NULL);
    CHECK(start_guest(&old_tool, "old", &cfg, &m, &error) == FWX_SUP_E_MEMORY);
    CHECK(error != NULL && strstr(error, "__fwx_mem_limit_set") != NULL);
    CHECK(start_guest(&big, "big", &cfg, &m, &error) == FWX_SUP_E_MEMORY); /* 3 pages, limit 1 */
    CHECK(start_guest(&simd, "simd", &cfg, &m, &error) == FWX_SUP_E_LOAD);
    CHECK(error != NULL && strcmp(error, "unknown opcode") == 0);
    fake_fail_next_runtime();
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_E_LOAD);
    memcpy(corrupt, guest_bytes(&ticker, &len), len);
    corrupt[9] ^= 0x40u; /* the type section's size */
    CHECK(fwx_sup_start(&sup, "bad", corrupt, len, &cfg, &m, &error) == FWX_SUP_E_CHECK);
    CHECK(error != NULL);
    CHECK(g.inits == 0u);
    CHECK(fake_live_runtimes() == 0u);
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_OK);
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_E_DUPLICATE);
    CHECK(start_guest(&ticker, "", &cfg, &m, &error) == FWX_SUP_E_ARG);
    CHECK(start_guest(&ticker, "a-module-id-that-is-far-too-long-for-the-fixed-slot", &cfg, &m, &error) == FWX_SUP_E_ARG);
    CHECK(fake_live_runtimes() == 1u);
    case_end();

    case_begin("supervisor: fwx_init returning non-zero is an init-failed fault");
    fresh_sup();
    memset(&g, 0, sizeof g);
    g.init_result = 3;
    CHECK(start_guest(&ticker, "ticker", &cfg, &m, &error) == FWX_SUP_OK);
    CHECK(seen.nfaults == 1u && seen.fault[0].reason == FWX_FAULT_INIT_FAILED);
    CHECK(strcmp(seen.fault[0].detail, "fwx_init returned 3") == 0);
    CHECK(m->state == FWX_SUP_BACKOFF);
    CHECK(fake_live_runtimes() == 0u);
    case_end();
}
