/* Shared by the supervisor tests: clock, events seen, guest helpers. */
#ifndef SUP_HARNESS_H
#define SUP_HARNESS_H

#include <stdint.h>

#include "fake_wasm3.h"
#include "fwx_supervisor.h"
#include "test_util.h"

#define MS 1000u
#define SEC 1000000u

extern uint64_t test_now;
extern fwx_sup_t sup;

typedef struct seen {
    fwx_sup_event_kind_t kind[64];
    uint64_t after_us[64];
    char text[64][FWX_SUP_TEXT_MAX];
    fwx_fault_t fault[8];       /* copies of the FAULT records, in order */
    unsigned n, nfaults;
} seen_t;
extern seen_t seen;

/* Resets supervisor, fake runtimes, clock and the events seen. */
void fresh_sup(void);
/* Builds the guest's module bytes (kept in a static pool) and starts it. */
fwx_sup_status_t start_guest(const fake_guest_t *g, const char *id, const fwx_sup_config_t *cfg, fwx_sup_module_t **out,
                             const char **error);
const uint8_t *guest_bytes(const fake_guest_t *g, uint32_t *len);
unsigned count_events(fwx_sup_event_kind_t kind);
/* Advances the clock to `t` in steps of at most `step`, polling at each. */
void run_until(uint64_t t, uint64_t step);

/* Guest-side: calls through the real raw functions. */
M3Result g_timer_start(uint32_t id, uint32_t period_ms, uint32_t periodic, int32_t *status);
M3Result g_now_ms(void);
M3Result g_log(uint32_t ptr, uint32_t len);
M3Result g_abort(const char *message);
M3Result g_gpio_write(uint32_t handle);

void test_sup_lifecycle(void);
void test_sup_faults(void);
void test_sup_ram(void);
void test_sup_policy(void);
void test_sup_trial(void);

#endif /* SUP_HARNESS_H */
