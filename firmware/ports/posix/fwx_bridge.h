/*
 * fwx_bridge.h: the POSIX reference device's link to a simulated board.
 *
 * `fwx board serve --board <profile.json> --socket <path>` serves the board;
 * fwx_bridge_connect() opens the Unix socket, and the generated
 * fwx_hal_bridge.c implements every peripheral fwx_hal_* function (sensor,
 * gpio, adc, pwm, i2c, spi, uart and fwx_hal_handle_owned) as one request
 * frame and one reply frame on it. The board's grants, claims, handles and
 * statuses are then the Node agent's own code. Frames are in
 * docs/hal-bridge.md.
 *
 * Single-threaded: call everything from the module task. No allocation: the
 * frame buffers and the event queue are static, sized below.
 */
#ifndef FWX_BRIDGE_H
#define FWX_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwx_abi.h"
#include "fwx_module.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FWX_BRIDGE_VERSION 1u
/* Must match host-abi/gen/bridge-wire.ts (checked by tests/c/suites/conformance.mjs). */
#define FWX_BRIDGE_MAX_FRAME 8448u
#define FWX_BRIDGE_MAX_BUFFER 4096u
#define FWX_BRIDGE_MAX_MODULE_ID 64u
#define FWX_BRIDGE_MAX_CAPS_JSON 2048u
#ifndef FWX_BRIDGE_MAX_MODULES
#define FWX_BRIDGE_MAX_MODULES 16u
#endif
#ifndef FWX_BRIDGE_EVENT_QUEUE
#define FWX_BRIDGE_EVENT_QUEUE 32u
#endif
/* How long a reply may take before the link counts as lost. */
#ifndef FWX_BRIDGE_REPLY_TIMEOUT_MS
#define FWX_BRIDGE_REPLY_TIMEOUT_MS 5000
#endif

/* An event the board raised for a module (gpio edge, uart rx): fwx_on_event(kind, handle, arg). */
typedef struct fwx_bridge_event {
    fwx_module_t *m;
    uint32_t kind;
    uint32_t handle;
    uint32_t arg;
} fwx_bridge_event_t;

/*
 * Connects to the bridge server at `path` and checks it serves this ABI
 * (version and spec hash). `now_us` is the device clock; every call carries
 * it, so the board runs on device time. Returns 0, or -1 with a reason in err.
 */
int fwx_bridge_connect(const char *path, uint64_t (*now_us)(void), char *err, size_t err_cap);

/*
 * Tells the board a module is starting, with its id and grant (the verified
 * package's capabilities as JSON, the shape of a manifest's "capabilities").
 * The board then answers m's calls with that grant. 0, or -1 with err.
 */
int fwx_bridge_attach(fwx_module_t *m, const char *module_id, const char *caps_json, char *err, size_t err_cap);

/* The module stopped: the board releases its pins, ports and channels. */
void fwx_bridge_detach(fwx_module_t *m);

/*
 * The next board event, waiting up to timeout_ms (0: only what is queued or
 * readable now). 1: *ev is set; 0: none; -1: the link is lost.
 */
int fwx_bridge_next_event(fwx_bridge_event_t *ev, int timeout_ms);

/* The socket, for the device's own poll() loop; -1 when not connected. */
int fwx_bridge_fd(void);

/* Events dropped because the queue was full. */
uint32_t fwx_bridge_events_dropped(void);

void fwx_bridge_close(void);

/*
 * Called with a reason when the link fails (server gone, malformed or late
 * reply). The default prints it to stderr and exits with status 3: without
 * its board the device cannot go on. A handler that returns makes the
 * failing call return the status docs/hal-bridge.md names for it.
 */
void fwx_bridge_set_lost_handler(void (*lost)(const char *why));

/* ---- used by the generated fwx_hal_bridge.c ---- */

typedef struct fwx_bridge_msg {
    uint8_t *buf;
    uint32_t cap;
    uint32_t len;  /* writer: bytes written; reader: body length */
    uint32_t pos;  /* reader position */
    bool bad;      /* overflow (writer) or short/malformed (reader) */
} fwx_bridge_msg_t;

bool fwx_bridge_begin_call(fwx_bridge_msg_t *w, fwx_module_t *m, uint16_t fn);
void fwx_bridge_put_u32(fwx_bridge_msg_t *w, uint32_t v);
void fwx_bridge_put_u64(fwx_bridge_msg_t *w, uint64_t v);
/* u32 length, then the bytes. */
void fwx_bridge_put_bytes(fwx_bridge_msg_t *w, const void *p, uint32_t len);
/* Sends the call and reads its reply into *r, queueing events that arrive first. false: the link failed. */
bool fwx_bridge_transact(fwx_bridge_msg_t *w, fwx_bridge_msg_t *r);
uint8_t fwx_bridge_get_u8(fwx_bridge_msg_t *r);
uint32_t fwx_bridge_get_u32(fwx_bridge_msg_t *r);
uint64_t fwx_bridge_get_u64(fwx_bridge_msg_t *r);
/* A u32 length that must equal `len`, then the bytes: returns where they are in the reply, or NULL. */
const uint8_t *fwx_bridge_get_bytes(fwx_bridge_msg_t *r, uint32_t len);
/* The reply was read exactly and `status` is one function `fn` may return; else the link failed. */
bool fwx_bridge_reply_done(fwx_bridge_msg_t *r, uint16_t fn, uint32_t status);
/* The link failed in a function that has no status to say so: the lost handler, then abort(). */
void fwx_bridge_unreportable(const char *fn_name);

#ifdef __cplusplus
}
#endif

#endif /* FWX_BRIDGE_H */
