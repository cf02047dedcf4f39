/*
 * The supervisor's schedule: per-module timer tables, the board event queue,
 * and fwx_sup_poll, which delivers what is due, restarts modules after their
 * backoff and ends trial windows. Also the HAL functions the runtime itself
 * implements: fwx:timer@1 and the clock, abort and fuel notifications of
 * fwx:core@1 (the board implements every other fwx_hal_*).
 */
#include <stddef.h>
#include <string.h>

#include "fwx_abi.h"
#include "fwx_abi_tables.h"
#include "fwx_rt_port.h"
#include "fwx_sup_internal.h"

#define US_PER_MS 1000u
#define US_PER_S 1000000u

void fwx_sup_clear_schedule(fwx_sup_module_t *m)
{
    /* Queued events carry the generation they were posted for; the caller
     * bumps it, so they are dropped at delivery. */
    memset(m->timers, 0, sizeof m->timers);
}

static fwx_sup_timer_t *find_timer(fwx_sup_module_t *m, uint32_t id)
{
    unsigned i;
    for (i = 0u; i < FWX_SUP_MAX_TIMERS; i++) {
        if (m->timers[i].active && m->timers[i].id == id) return &m->timers[i];
    }
    return NULL;
}

fwx_status_t fwx_hal_timer_start(fwx_module_t *ctx, uint32_t id, uint32_t period_ms, bool periodic)
{
    fwx_sup_module_t *m = fwx_sup_module_of(ctx);
    fwx_sup_timer_t *t = find_timer(m, id);
    fwx_status_t st = FWX_OK;
    unsigned i, running = 0u;
    if (period_ms == 0u) st = FWX_INVALID_ARG;
    if (st == FWX_OK && t == NULL) {
        for (i = 0u; i < FWX_SUP_MAX_TIMERS; i++) {
            if (m->timers[i].active) running++;
            else if (t == NULL) t = &m->timers[i];
        }
        if (running >= m->cfg.max_timers) st = FWX_NO_SPACE;
    }
    if (st == FWX_OK && t != NULL) {
        t->active = true;
        t->id = id;
        t->period_ms = period_ms;
        t->periodic = periodic;
        t->due_us = fwx_port_now_us() + (uint64_t)period_ms * US_PER_MS;
        t->seq = m->sup->timer_seq++;
    }
    fwx_sup_note_host_call(ctx, FWX_IMPORT_TIMER_START, st);
    return st;
}

fwx_status_t fwx_hal_timer_cancel(fwx_module_t *ctx, uint32_t id)
{
    fwx_sup_module_t *m = fwx_sup_module_of(ctx);
    fwx_sup_timer_t *t = find_timer(m, id);
    fwx_status_t st = t == NULL ? FWX_NOT_FOUND : FWX_OK;
    if (t != NULL) t->active = false;
    fwx_sup_note_host_call(ctx, FWX_IMPORT_TIMER_CANCEL, st);
    return st;
}

uint64_t fwx_hal_core_now_us(fwx_module_t *ctx)
{
    uint64_t now = fwx_port_now_us();
    fwx_sup_note_host_call(ctx, FWX_IMPORT_CORE_NOW_US, (int64_t)(now & 0x7fffffffffffffffu));
    return now;
}

uint64_t fwx_hal_core_now_ms(fwx_module_t *ctx)
{
    uint64_t now = fwx_port_now_us() / US_PER_MS;
    fwx_sup_note_host_call(ctx, FWX_IMPORT_CORE_NOW_MS, (int64_t)now);
    return now;
}

void fwx_hal_core_abort(fwx_module_t *ctx, const char *message, uint32_t message_len, const char *file, uint32_t file_len,
                        uint32_t line, uint32_t column)
{
    /* The glue formatted ctx->trap_text and traps after this returns; the
     * fault record takes its text from there. */
    (void)message; (void)message_len; (void)file; (void)file_len; (void)line; (void)column;
    fwx_sup_note_host_call(ctx, FWX_IMPORT_CORE_ABORT, 0);
}

void fwx_hal_core_fuel_exhausted(fwx_module_t *ctx)
{
    fwx_sup_note_host_call(ctx, FWX_IMPORT_CORE_FUEL_EXHAUSTED, 0);
}

bool fwx_sup_post_event(fwx_module_t *ctx, uint32_t kind, uint32_t handle, uint32_t arg)
{
    fwx_sup_module_t *m = fwx_sup_module_of(ctx);
    fwx_sup_t *s = m->sup;
    fwx_sup_queued_event_t *e;
    if (m->state != FWX_SUP_RUNNING || m->on_event == NULL) return false;
    if (s->event_count >= FWX_SUP_EVENT_QUEUE) {
        s->events_dropped++;
        return false;
    }
    e = &s->events[(s->event_head + s->event_count) % FWX_SUP_EVENT_QUEUE];
    e->module = m->index;
    e->generation = m->generation;
    e->kind = kind;
    e->handle = handle;
    e->arg = arg;
    s->event_count++;
    return true;
}

/* Delivers the oldest queued event; false when the queue is empty. */
static bool deliver_event(fwx_sup_t *s)
{
    fwx_sup_queued_event_t e;
    fwx_sup_module_t *m;
    uint32_t args[3];
    if (s->event_count == 0u) return false;
    e = s->events[s->event_head];
    s->event_head = (uint8_t)((s->event_head + 1u) % FWX_SUP_EVENT_QUEUE);
    s->event_count--;
    m = &s->modules[e.module];
    if (m->generation != e.generation || m->state != FWX_SUP_RUNNING || m->on_event == NULL) return true;
    args[0] = e.kind;
    args[1] = e.handle;
    args[2] = e.arg;
    if (fwx_sup_call(m, m->on_event, FWX_EXPORT_ON_EVENT, e.kind, true, m->cfg.fuel_per_callback, 3u, args, NULL)) {
        m->callbacks++;
        fwx_sup_check_trial(m, fwx_port_now_us());
    }
    return true;
}

/* The earliest due timer of a running module: by time, module order, start order. */
static fwx_sup_timer_t *earliest_timer(fwx_sup_t *s, fwx_sup_module_t **owner)
{
    fwx_sup_timer_t *best = NULL;
    unsigned i, k;
    for (i = 0u; i < FWX_SUP_MAX_MODULES; i++) {
        fwx_sup_module_t *m = &s->modules[i];
        if (m->state != FWX_SUP_RUNNING) continue;
        for (k = 0u; k < FWX_SUP_MAX_TIMERS; k++) {
            fwx_sup_timer_t *t = &m->timers[k];
            if (!t->active) continue;
            if (best == NULL || t->due_us < best->due_us || (t->due_us == best->due_us && (*owner)->index == i && t->seq < best->seq)) {
                best = t;
                *owner = m;
            }
        }
    }
    return best;
}

static void deliver_timer(fwx_sup_module_t *m, fwx_sup_timer_t *t, uint64_t now)
{
    uint32_t id = t->id;
    /* Re-armed (or freed) before the call, so the callback may restart or
     * cancel its own timer. A periodic timer that fell behind skips the
     * missed expiries instead of firing them back to back. */
    if (t->periodic) {
        t->due_us += (uint64_t)t->period_ms * US_PER_MS;
        if (t->due_us <= now) t->due_us = now + (uint64_t)t->period_ms * US_PER_MS;
    } else t->active = false;
    if (m->on_timer == NULL) return; /* dropped: the module does not export fwx_on_timer */
    if (fwx_sup_call(m, m->on_timer, FWX_EXPORT_ON_TIMER, id, true, m->cfg.fuel_per_callback, 1u, &id, NULL)) {
        m->callbacks++;
        fwx_sup_check_trial(m, fwx_port_now_us());
    }
}

static uint64_t earlier(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t fwx_sup_poll(fwx_sup_t *s)
{
    uint64_t now = fwx_port_now_us();
    uint64_t next = UINT64_MAX;
    unsigned budget = FWX_SUP_CALLBACKS_PER_POLL;
    unsigned i;
    for (i = 0u; i < FWX_SUP_MAX_MODULES; i++) {
        fwx_sup_module_t *m = &s->modules[i];
        if (m->state == FWX_SUP_BACKOFF && m->restart_at_us <= now && budget > 0u) {
            budget--;
            fwx_sup_restart(m);
        }
        fwx_sup_check_trial(m, now);
    }
    while (budget > 0u && deliver_event(s)) budget--;
    while (budget > 0u) {
        fwx_sup_module_t *owner = NULL;
        fwx_sup_timer_t *t = earliest_timer(s, &owner);
        if (t == NULL || t->due_us > now) break;
        budget--;
        deliver_timer(owner, t, now);
    }
    /* When to come back. */
    if (s->event_count > 0u) next = now;
    for (i = 0u; i < FWX_SUP_MAX_MODULES; i++) {
        fwx_sup_module_t *m = &s->modules[i];
        unsigned k;
        if (m->state == FWX_SUP_BACKOFF) next = earlier(next, m->restart_at_us);
        if (m->state != FWX_SUP_RUNNING) continue;
        for (k = 0u; k < FWX_SUP_MAX_TIMERS; k++) {
            if (m->timers[k].active) next = earlier(next, m->timers[k].due_us);
        }
        if (m->cfg.trial) {
            uint64_t health = m->trial_start_us + (uint64_t)FWX_SUP_HEALTH_SECONDS * US_PER_S;
            uint64_t timeout = m->trial_start_us + (uint64_t)FWX_SUP_HEALTH_TIMEOUT_SECONDS * US_PER_S;
            next = earlier(next, health > now ? health : timeout);
        }
    }
    return next;
}
