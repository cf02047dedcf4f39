/*
 * fwx_rt_port.h: what the device runtime needs from the platform that the
 * wasm3 glue does not already cover. Implement these once per board
 * (firmware/ports/<platform>/); the runtime calls nothing else of the OS.
 */
#ifndef FWX_RT_PORT_H
#define FWX_RT_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The device clock: monotonic microseconds since boot. It must never go
 * backwards (timers, backoff and trial windows are computed on it) and is
 * read from the module task only, so it needs no lock. It is also what
 * fwx:core@1 now_us / now_ms return to modules.
 */
uint64_t fwx_port_now_us(void);

#ifdef __cplusplus
}
#endif

#endif /* FWX_RT_PORT_H */
