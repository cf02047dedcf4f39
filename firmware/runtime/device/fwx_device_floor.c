/* The device core's anti-rollback floors on the counter port (fwx_device_floor.h). */
#include "fwx_device_floor.h"

#include <string.h>

#include "fwx_device_internal.h"
#include "fwx_text.h"

static const fwx_counter_port *counters;

void fwx_device_use_counters(fwx_device *d, const fwx_counter_port *port) {
  (void)d;
  counters = port;
}

static int name_of(char *out, size_t cap, const char *prefix, const char *module) {
  fwx_text t;
  fwx_text_init(&t, out, cap);
  fwx_text_str(&t, prefix);
  fwx_text_str(&t, module);
  return strlen(prefix) + strlen(module) < cap ? 0 : -1;
}

/* -1 when the port cannot say: callers treat that as a floor nothing is above. */
static int get(const char *prefix, const char *module, uint64_t *value) {
  char name[FWX_COUNTER_NAME_MAX + 1];
  *value = 0;
  if (!counters) return 0;
  if (name_of(name, sizeof name, prefix, module) != 0) return -1;
  return counters->get(counters->ctx, name, value) == FWX_COUNTER_OK ? 0 : -1;
}

uint64_t fwx_dev_floor_installed(const fwx_device *d, const char *module) {
  uint64_t kept = fwx_slots_floor(d->slots, module), port;
  if (get(FWX_COUNTER_INSTALLED, module, &port) != 0) return UINT64_MAX;
  return port > kept ? port : kept;
}

int fwx_dev_floor_check(const fwx_device *d, const char *module, int slot, uint64_t sequence, char *problem, size_t cap) {
  uint64_t floor;
  fwx_text t;
  (void)d;
  if (!counters) return 0;
  fwx_text_init(&t, problem, cap);
  if (get(FWX_COUNTER_RUNNABLE, module, &floor) != 0) {
    fwx_text_str(&t, "the anti-rollback floor kept in ");
    fwx_text_str(&t, counters->where);
    fwx_text_str(&t, " cannot be read");
    return -1;
  }
  if (sequence >= floor) return 0;
  fwx_text_str(&t, "slot ");
  fwx_text_str(&t, fwx_dev_slot_letter(slot));
  fwx_text_str(&t, " holds ");
  fwx_text_str(&t, module);
  fwx_text_str(&t, " sequence ");
  fwx_text_u64(&t, sequence);
  fwx_text_str(&t, ", below the anti-rollback floor ");
  fwx_text_u64(&t, floor);
  fwx_text_str(&t, " kept in ");
  fwx_text_str(&t, counters->where);
  fwx_text_str(&t, " (the state is older than what this device ran; flash sequence ");
  fwx_text_u64(&t, floor);
  fwx_text_str(&t, " or later)");
  return -1;
}

int fwx_dev_floor_confirmed(fwx_device *d, unsigned i, int slot, uint64_t sequence) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  char name[FWX_COUNTER_NAME_MAX + 1];
  uint64_t runnable = sequence;
  if (!counters || !r) return 0;
  /* The other slot is the rollback target a signed rollback may still take; never above this package,
   * so a rewritten record cannot push the floor past a validly signed package. */
  if (r->slot[1 - slot].present && r->slot[1 - slot].sequence < runnable) runnable = r->slot[1 - slot].sequence;
  if (name_of(name, sizeof name, FWX_COUNTER_INSTALLED, r->name) != 0 || counters->raise(counters->ctx, name, sequence) != FWX_COUNTER_OK) return -1;
  if (name_of(name, sizeof name, FWX_COUNTER_RUNNABLE, r->name) != 0 || counters->raise(counters->ctx, name, runnable) != FWX_COUNTER_OK) return -1;
  return 0;
}
