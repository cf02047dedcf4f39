/*
 * Opt-in: the supervisor on the REAL wasm3 (built by tests/c/wasm3-real/run.mjs
 * against a wasm3 source tree the user supplies; never part of npm test).
 * Runs one module on a virtual clock that jumps to whatever fwx_sup_poll says
 * is due next, prints every supervisor event as one line, optionally on a
 * thread with a chosen native stack (to measure what a recursion bomb needs).
 *
 *   run_supervisor <module.wasm> [--trial] [--seconds S] [--ram BYTES]
 *                  [--fuel N] [--start-fuel N] [--wasm-stack BYTES] [--stack BYTES]
 *
 * The board is the recording fake HAL of tests/c (every call answers ok);
 * handles are all "owned" so examples run through their sensor reads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "fwx_rt_port.h"
#include "fwx_supervisor.h"

static uint64_t now_us;
uint64_t fwx_port_now_us(void) { return now_us; }

bool fwx_hal_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle)
{
    (void)m; (void)kind; (void)handle;
    return true;
}

static uint8_t wasm[512u * 1024u];
static uint32_t wasm_len;
static fwx_sup_config_t cfg;
static uint64_t seconds = 70u;
static unsigned callbacks_seen;

static void on_event(void *user, const fwx_sup_event_t *e)
{
    static const char *const kinds[] = { "started", "fault", "backoff", "quarantined", "confirmed", "revert", "stopped" };
    (void)user;
    printf("t=%.3fs %s", (double)now_us / 1e6, kinds[e->kind]);
    if (e->text != NULL && e->text[0] != '\0') printf(" \"%s\"", e->text);
    if (e->kind == FWX_SUP_EV_BACKOFF) printf(" after=%.1fs", (double)e->after_us / 1e6);
    if (e->fault != NULL) {
        const fwx_fault_t *f = e->fault;
        printf(" reason=%s callback=%s function=%s fuel=%llu/%llu%s pages=%u/%u high=%u calls=%u",
               fwx_fault_reason_name(f->reason), f->callback, f->function[0] != '\0' ? f->function : "?",
               (unsigned long long)f->fuel_used, (unsigned long long)f->fuel_budget, f->fuel_exact ? "" : "(lower bound)",
               f->memory_pages, f->memory_limit_pages, f->memory_high_water_pages, f->ncalls);
    }
    printf("\n");
    fflush(stdout);
}

static void *run(void *arg)
{
    static fwx_sup_t sup;
    static fwx_check_work_t check_work;
    fwx_sup_module_t *m = NULL;
    const char *error = NULL;
    uint64_t end;
    struct timespec t0, t1;
    fwx_sup_status_t st;
    (void)arg;
    now_us = 1000000u;
    end = now_us + seconds * 1000000u;
    fwx_sup_init(&sup, m3_NewEnvironment(), &check_work, on_event, NULL);
#ifdef __GLIBC__
    size_t heap0 = mallinfo2().uordblks;
#endif
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = fwx_sup_start(&sup, "module", wasm, wasm_len, &cfg, &m, &error);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("start: status %d%s%s (%.3f ms wall)\n", (int)st, error != NULL ? " " : "", error != NULL ? error : "",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
#ifdef __GLIBC__
    /* wasm3's allocations for this module: runtime, parsed and compiled code, linear memory. */
    printf("heap: %zu bytes allocated by wasm3 for the module after start\n", mallinfo2().uordblks - heap0);
#endif
    if (st != FWX_SUP_OK) return NULL;
    for (;;) {
        uint64_t next = fwx_sup_poll(&sup);
        if (next == UINT64_MAX || next > end) break;
        if (next > now_us) now_us = next;
    }
    callbacks_seen = m->callbacks;
    printf("end: state %d, %u callbacks in this instance, %u restarts, memory %u pages (limit %u)\n", (int)m->state,
           m->callbacks, m->restarts, m->high_water_pages, m->limit_pages);
    fwx_sup_stop(&sup, m, "end of run");
    return NULL;
}

int main(int argc, char **argv)
{
    FILE *f;
    size_t stack = 0u;
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: %s <module.wasm> [--trial] [--seconds S] [--ram B] [--fuel N] [--start-fuel N] [--wasm-stack B] [--stack B]\n", argv[0]);
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (f == NULL) return 2;
    wasm_len = (uint32_t)fread(wasm, 1u, sizeof wasm, f);
    fclose(f);
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        unsigned long long v = i + 1 < argc ? strtoull(argv[i + 1], NULL, 10) : 0u;
        if (strcmp(a, "--trial") == 0) { cfg.trial = true; continue; }
        if (strcmp(a, "--seconds") == 0) seconds = v;
        else if (strcmp(a, "--ram") == 0) cfg.ram_limit_bytes = (uint32_t)v;
        else if (strcmp(a, "--fuel") == 0) cfg.fuel_per_callback = v;
        else if (strcmp(a, "--start-fuel") == 0) cfg.fuel_start = v;
        else if (strcmp(a, "--wasm-stack") == 0) cfg.wasm_stack_bytes = (uint32_t)v;
        else if (strcmp(a, "--stack") == 0) stack = (size_t)v;
        else { fprintf(stderr, "unknown option %s\n", a); return 2; }
        i++;
    }
    cfg.granted = 0xffffffffu;
    if (stack == 0u) {
        run(NULL);
    } else {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (pthread_attr_setstacksize(&attr, stack) != 0) return 3;
        if (pthread_create(&th, &attr, run, NULL) != 0) return 3;
        pthread_join(th, NULL);
    }
    return 0;
}
