/* The anti-rollback counter port: named numbers that only ever rise, kept
 * where whoever can rewrite the device's state (the slot store, its files)
 * cannot reach them. On a microcontroller that is OTP/eFuse bits, a secure
 * element's monotonic counters, an eMMC RPMB partition or TPM NV counters; the
 * POSIX port keeps them in a file outside the state directory
 * (fwx_posix_floor.c, `fwx-device --floor <file>`), the same file and names
 * as the Node agent's src/ota/anti-rollback.ts.
 *
 * Names (at most FWX_COUNTER_NAME_MAX bytes):
 *   installed:<module>  highest sequence ever confirmed: a new package must be above it
 *   runnable:<module>   lowest sequence the device starts at boot (the rollback
 *                       target kept in the other slot when `installed` was raised)
 *   commands            highest signed-command counter accepted
 *   revocations         highest revocation-list serial kept
 *
 * In the style of embedded-hal: a context and two functions, statuses as
 * int32_t, no allocation. A port that cannot store a value returns an error;
 * the device then treats the step as not done (a confirmation is retried, a
 * command refused), never as if the number rose. */
#ifndef FWX_COUNTER_PORT_H
#define FWX_COUNTER_PORT_H

#include <stdint.h>

#define FWX_COUNTER_OK 0
#define FWX_COUNTER_E_IO (-1)   /* the medium failed: nothing is known to be raised */
#define FWX_COUNTER_E_FULL (-2) /* no room for another name (fuses used up, table full) */
#define FWX_COUNTER_E_NAME (-3) /* name empty or longer than FWX_COUNTER_NAME_MAX */

#define FWX_COUNTER_NAME_MAX 80u

#define FWX_COUNTER_COMMANDS "commands"
#define FWX_COUNTER_REVOCATIONS "revocations"
#define FWX_COUNTER_INSTALLED "installed:" /* + module id */
#define FWX_COUNTER_RUNNABLE "runnable:"   /* + module id */

typedef struct fwx_counter_port {
  void *ctx;
  /* Where the numbers are kept, for messages: "file /var/lib/fwx.anti-rollback.json". */
  const char *where;
  /* *value = the kept value, 0 when never raised. FWX_COUNTER_OK or FWX_COUNTER_E_*. */
  int32_t (*get)(void *ctx, const char *name, uint64_t *value);
  /* Durably raises `name` to at least `value` (never lowers); FWX_COUNTER_OK once it is durable. */
  int32_t (*raise)(void *ctx, const char *name, uint64_t value);
} fwx_counter_port;

#endif /* FWX_COUNTER_PORT_H */
