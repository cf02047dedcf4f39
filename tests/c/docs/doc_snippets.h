/*
 * Forced include (-include) for the C blocks of docs/firmware.md, compiled by
 * tests/c/suites/doc-snippets.mjs. It declares what the guide leaves to the
 * reader's own firmware (the helpers its snippets call), so every snippet
 * compiles as written against the real firmware/ headers. Nothing here is
 * part of the runtime.
 */
#ifndef DOC_SNIPPETS_H
#define DOC_SNIPPETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwx_abi.h"
#include "fwx_flash_port.h"
#include "fwx_module.h"
#include "fwx_pkg_verify.h"
#include "fwx_supervisor.h"
#include "fwx_slots.h"

#define WASM_STACK_BYTES 8192u

/* Section 4, with the device core: the board's hooks (fwx_device_config) and the wall clock. */
int board_attach(void *board, fwx_module_t *m, const char *id, const uint8_t *caps, uint32_t caps_len, char *err, size_t cap);
void board_detach(void *board, fwx_module_t *m);
int64_t unix_time_ms(void *ctx);

/* Section 4/5 (boot by hand, install): the device's own inputs and bookkeeping. */
void device_inputs(fwx_pkg_device_t *dev, uint64_t now_unix_s, uint64_t installed_sequence);
uint32_t granted_kinds(const fwx_pkg_verified_t *pkg);
void *board_state_for(uint32_t module_index);
const uint8_t *slot_bytes(uint32_t module_index, uint32_t slot);
void log_refusal(const char *module, const char *why, uint32_t offset);
void report_refused(const char *module, const char *code, const char *what, uint32_t offset);
void on_supervisor_event(void *user, const fwx_sup_event_t *event);
void feed_watchdog(void);
void wait_for_event_until(uint64_t due_us);
void fwx_boot(const fwx_flash_port_t *flash);
int32_t receive_chunk(const char *id, uint32_t size, const uint8_t sha256[32],
                      uint32_t offset, const uint8_t *data, uint32_t len);
bool install(const char *id, uint64_t now_ms, uint16_t session);
extern fwx_slots_t slots;
extern fwx_sup_t sup;

/* Section 9 (ESP-IDF). */
void post_queued_board_events(void);
bool other_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle);
void app_main(void);

/* Section 10 (the glue alone). */
struct slot;
void fault(struct slot *s, const char *why);
void report(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;
extern const uint8_t *wasm;
extern uint32_t wasm_len;

#endif
