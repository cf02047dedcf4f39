/*
 * fwx_fuel_wasm3.h: the fuel protocol of instrumented modules on wasm3.
 *
 * wasm3 cannot interrupt running code, so `fwx build` instruments every
 * module: a counter is charged at function entries and loop headers, and
 * when it runs out the module calls fwx:core@1 fuel_exhausted, which traps
 * with fwx_trap_fuel_exhausted. The module exports
 *   __fwx_fuel_set(i64)       set the remaining budget
 *   __fwx_fuel_get() -> i64   read it back
 * Set a budget before every callback; fuel used = budget - remaining.
 */
#ifndef FWX_FUEL_WASM3_H
#define FWX_FUEL_WASM3_H

#include <stdint.h>

#include "wasm3.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FWX_FUEL_SET_EXPORT "__fwx_fuel_set"
#define FWX_FUEL_GET_EXPORT "__fwx_fuel_get"

typedef struct fwx_fuel {
    IM3Function set;
    IM3Function get;
} fwx_fuel_t;

extern const char fwx_fuel_error_not_instrumented[];
extern const char fwx_fuel_error_signature[];

/* Finds both exports after m3_LoadModule and fwx_link. A module without
 * them was not instrumented: refuse to run it on wasm3, where a loop
 * without calls could hold the CPU until the watchdog resets the device. */
M3Result fwx_fuel_bind(IM3Runtime runtime, fwx_fuel_t *fuel);

/* Sets the budget for the next callback. */
M3Result fwx_fuel_set(const fwx_fuel_t *fuel, int64_t budget);

/* The budget left after a callback (negative or zero after exhaustion). */
M3Result fwx_fuel_remaining(const fwx_fuel_t *fuel, int64_t *remaining);

#ifdef __cplusplus
}
#endif

#endif /* FWX_FUEL_WASM3_H */
