/* Shared between the supervisor's files; not part of its API. */
#ifndef FWX_SUP_INTERNAL_H
#define FWX_SUP_INTERNAL_H

#include "fwx_supervisor.h"

/* Calls export `fn` of m with a fresh budget; on a trap or failure, reports the
 * fault (restart, quarantine or revert) and returns false. `value` (may be
 * NULL) gets an i32 result. `label` names the callback in the fault record. */
bool fwx_sup_call(fwx_sup_module_t *m, IM3Function fn, const char *label, uint32_t label_arg, bool has_label_arg,
                  uint64_t budget, unsigned nargs, const uint32_t *args, int32_t *value);

/* Starts a fresh instance of an installed module (restart after backoff). */
void fwx_sup_restart(fwx_sup_module_t *m);

/* Trial verdict check, run after every callback and when the windows end. */
void fwx_sup_check_trial(fwx_sup_module_t *m, uint64_t now_us);

/* Drops every timer and queued event of m. */
void fwx_sup_clear_schedule(fwx_sup_module_t *m);

void fwx_sup_emit(fwx_sup_module_t *m, fwx_sup_event_kind_t kind, const char *text);

/* Bounded copy into a NUL-terminated buffer of `cap` bytes. */
void fwx_sup_copy_text(char *dst, uint32_t cap, const char *src);

#endif /* FWX_SUP_INTERNAL_H */
