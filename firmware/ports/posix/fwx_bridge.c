/*
 * fwx_bridge.c: framing, the socket and the event queue of the HAL bridge
 * (fwx_bridge.h, docs/hal-bridge.md). Everything the server sends is
 * hostile: lengths are checked before anything is buffered, every field read
 * is bounds-checked, and a reply must be exactly as long as its fields.
 */
#define _POSIX_C_SOURCE 200809L

#include "fwx_bridge.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fwx_abi_tables.h"

enum {
    FRAME_HELLO = 1, FRAME_HELLO_OK = 2, FRAME_ATTACH = 3, FRAME_ATTACH_OK = 4, FRAME_DETACH = 5, FRAME_DETACH_OK = 6,
    FRAME_CALL = 7, FRAME_REPLY = 8, FRAME_OWNED = 9, FRAME_OWNED_REPLY = 10, FRAME_EVENT = 11, FRAME_ERROR = 12
};
#define HEADER_BYTES 8u /* type, reserved, slot u16, seq u32 */
#define HASH_PREFIX 7u  /* "sha256:" */
#define HASH_HEX ((uint32_t)sizeof FWX_ABI_SPEC_HASH - 1u - HASH_PREFIX)

static int link_fd = -1;
static uint64_t (*link_now_us)(void);
static uint32_t link_seq;
static fwx_module_t *slots[FWX_BRIDGE_MAX_MODULES];
static uint8_t out_buf[FWX_BRIDGE_MAX_FRAME + 4u];
static uint8_t in_buf[FWX_BRIDGE_MAX_FRAME];
static fwx_bridge_event_t events[FWX_BRIDGE_EVENT_QUEUE];
static uint32_t event_head, event_count, events_dropped;
static char lost_text[256];

static void default_lost(const char *why)
{
    fprintf(stderr, "fwx-device: board bridge lost: %s\n", why);
    exit(3);
}

static void (*lost_handler)(const char *why) = default_lost;

void fwx_bridge_set_lost_handler(void (*lost)(const char *why)) { lost_handler = lost != NULL ? lost : default_lost; }
int fwx_bridge_fd(void) { return link_fd; }
uint32_t fwx_bridge_events_dropped(void) { return events_dropped; }

static void say(char *err, size_t cap, const char *text)
{
    if (err != NULL && cap > 0u) {
        size_t n = strlen(text);
        if (n >= cap) n = cap - 1u;
        memcpy(err, text, n);
        err[n] = '\0';
    }
}

static void lost(const char *why)
{
    say(lost_text, sizeof lost_text, why);
    if (link_fd >= 0) {
        close(link_fd);
        link_fd = -1;
    }
    lost_handler(lost_text);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    unsigned i;
    for (i = 0u; i < n; i++) p[i] = (uint8_t)(v >> (8u * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0u;
    unsigned i;
    for (i = 0u; i < n; i++) v |= (uint64_t)p[i] << (8u * i);
    return v;
}

static void put_n(fwx_bridge_msg_t *w, uint64_t v, unsigned n)
{
    if (w->bad || n > w->cap - w->len) {
        w->bad = true;
        return;
    }
    put_le(w->buf + w->len, v, n);
    w->len += n;
}

void fwx_bridge_put_u32(fwx_bridge_msg_t *w, uint32_t v) { put_n(w, v, 4u); }
void fwx_bridge_put_u64(fwx_bridge_msg_t *w, uint64_t v) { put_n(w, v, 8u); }

void fwx_bridge_put_bytes(fwx_bridge_msg_t *w, const void *p, uint32_t len)
{
    put_n(w, len, 4u);
    if (w->bad || len > w->cap - w->len) {
        w->bad = true;
        return;
    }
    if (len > 0u) memcpy(w->buf + w->len, p, len);
    w->len += len;
}

static const uint8_t *take(fwx_bridge_msg_t *r, uint32_t n)
{
    const uint8_t *p;
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return NULL;
    }
    p = r->buf + r->pos;
    r->pos += n;
    return p;
}

uint8_t fwx_bridge_get_u8(fwx_bridge_msg_t *r) { const uint8_t *p = take(r, 1u); return p != NULL ? p[0] : 0u; }
uint32_t fwx_bridge_get_u32(fwx_bridge_msg_t *r) { const uint8_t *p = take(r, 4u); return p != NULL ? (uint32_t)get_le(p, 4u) : 0u; }
uint64_t fwx_bridge_get_u64(fwx_bridge_msg_t *r) { const uint8_t *p = take(r, 8u); return p != NULL ? get_le(p, 8u) : 0u; }

const uint8_t *fwx_bridge_get_bytes(fwx_bridge_msg_t *r, uint32_t len)
{
    if (fwx_bridge_get_u32(r) != len) r->bad = true;
    return take(r, len);
}

/* Starts a frame in out_buf after its 4-byte length. */
static void begin(fwx_bridge_msg_t *w, uint8_t type, uint16_t slot)
{
    w->buf = out_buf + 4u;
    w->cap = FWX_BRIDGE_MAX_FRAME;
    w->len = 0u;
    w->pos = 0u;
    w->bad = false;
    link_seq++;
    w->buf[0] = type;
    w->buf[1] = 0u;
    put_le(w->buf + 2, slot, 2u);
    put_le(w->buf + 4, link_seq, 4u);
    w->len = HEADER_BYTES;
}

static bool write_all(const uint8_t *p, size_t n)
{
    while (n > 0u) {
        ssize_t k = write(link_fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += (size_t)k;
        n -= (size_t)k;
    }
    return true;
}

static bool read_all(uint8_t *p, size_t n, int timeout_ms)
{
    while (n > 0u) {
        struct pollfd pfd;
        ssize_t k;
        int ready;
        pfd.fd = link_fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        ready = poll(&pfd, 1u, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        k = read(link_fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += (size_t)k;
        n -= (size_t)k;
    }
    return true;
}

static bool send_frame(fwx_bridge_msg_t *w)
{
    if (w->bad) return false;
    put_le(out_buf, w->len, 4u);
    return write_all(out_buf, 4u + (size_t)w->len);
}

static int slot_of(const fwx_module_t *m)
{
    unsigned i;
    for (i = 0u; i < FWX_BRIDGE_MAX_MODULES; i++) if (slots[i] == m && m != NULL) return (int)i;
    return -1;
}

/*
 * Reads one frame into in_buf. Returns its type, 0 when nothing arrived in
 * time, -1 when the link failed (reason in *why).
 */
static int read_frame(fwx_bridge_msg_t *r, int timeout_ms, const char **why)
{
    uint8_t len_bytes[4];
    uint32_t len;
    struct pollfd pfd;
    pfd.fd = link_fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (link_fd < 0) { *why = "not connected"; return -1; }
    if (poll(&pfd, 1u, timeout_ms) == 0) return 0;
    if (!read_all(len_bytes, 4u, FWX_BRIDGE_REPLY_TIMEOUT_MS)) { *why = "the server closed the connection or stopped answering"; return -1; }
    len = (uint32_t)get_le(len_bytes, 4u);
    if (len < HEADER_BYTES || len > FWX_BRIDGE_MAX_FRAME) { *why = "a frame length outside the protocol's bounds"; return -1; }
    if (!read_all(in_buf, len, FWX_BRIDGE_REPLY_TIMEOUT_MS)) { *why = "the connection ended inside a frame"; return -1; }
    r->buf = in_buf;
    r->cap = len;
    r->len = len;
    r->pos = HEADER_BYTES;
    r->bad = false;
    return in_buf[0];
}

/* Queues an event frame; false if it is malformed. */
static bool queue_event(fwx_bridge_msg_t *r)
{
    uint32_t slot = (uint32_t)get_le(r->buf + 2, 2u);
    fwx_bridge_event_t ev;
    ev.kind = fwx_bridge_get_u32(r);
    ev.handle = fwx_bridge_get_u32(r);
    ev.arg = fwx_bridge_get_u32(r);
    if (r->bad || r->pos != r->len || slot >= FWX_BRIDGE_MAX_MODULES) return false;
    ev.m = slots[slot];
    if (ev.m == NULL) return true; /* raised for a module that has since detached */
    if (event_count == FWX_BRIDGE_EVENT_QUEUE) {
        events_dropped++;
        return true;
    }
    events[(event_head + event_count) % FWX_BRIDGE_EVENT_QUEUE] = ev;
    event_count++;
    return true;
}

/* The error frame's text (u16 length, UTF-8), for the lost handler. */
static const char *error_text(fwx_bridge_msg_t *r)
{
    static char text[200];
    const uint8_t *len_bytes = take(r, 2u);
    uint32_t n = len_bytes != NULL ? (uint32_t)get_le(len_bytes, 2u) : 0u;
    const uint8_t *p = len_bytes != NULL ? take(r, n) : NULL;
    if (p == NULL) return "the server refused the link (unreadable reason)";
    if (n >= sizeof text) n = (uint32_t)sizeof text - 1u;
    memcpy(text, p, n);
    text[n] = '\0';
    return text;
}

/* Sends w and waits for the frame answering it, queueing events meanwhile. */
static bool exchange(fwx_bridge_msg_t *w, fwx_bridge_msg_t *r, uint8_t want)
{
    const uint32_t seq = link_seq;
    const char *why = "a malformed frame";
    if (link_fd < 0) { lost("not connected"); return false; }
    if (!send_frame(w)) { lost("the request could not be sent"); return false; }
    for (;;) {
        int type = read_frame(r, FWX_BRIDGE_REPLY_TIMEOUT_MS, &why);
        if (type == 0) { lost("no reply within FWX_BRIDGE_REPLY_TIMEOUT_MS"); return false; }
        if (type < 0) { lost(why); return false; }
        if (type == FRAME_EVENT) {
            if (!queue_event(r)) { lost("a malformed event frame"); return false; }
            continue;
        }
        if (type == FRAME_ERROR) { lost(error_text(r)); return false; }
        if (type != want || get_le(r->buf + 4, 4u) != seq) { lost("a reply that answers no request"); return false; }
        return true;
    }
}

bool fwx_bridge_begin_call(fwx_bridge_msg_t *w, fwx_module_t *m, uint16_t fn)
{
    int slot = slot_of(m);
    if (slot < 0) {
        lost("a call from a module that is not attached (fwx_bridge_attach)");
        return false;
    }
    begin(w, FRAME_CALL, (uint16_t)slot);
    put_n(w, fn, 2u);
    put_n(w, 0u, 2u);
    fwx_bridge_put_u64(w, link_now_us != NULL ? link_now_us() : 0u);
    return true;
}

bool fwx_bridge_transact(fwx_bridge_msg_t *w, fwx_bridge_msg_t *r)
{
    const uint16_t fn = (uint16_t)get_le(w->buf + HEADER_BYTES, 2u);
    if (w->bad) { lost("a request larger than FWX_BRIDGE_MAX_FRAME"); return false; }
    if (!exchange(w, r, FRAME_REPLY)) return false;
    if (fwx_bridge_get_u32(r) != fn) { lost("a reply for another function"); return false; }
    return true;
}

bool fwx_bridge_reply_done(fwx_bridge_msg_t *r, uint16_t fn, uint32_t status)
{
    if (r->bad || r->pos != r->len) { lost("a reply whose length does not match its fields"); return false; }
    if (fn >= FWX_IMPORT_COUNT || status > 31u || (fwx_imports[fn].statuses & FWX_STATUS_BIT(status)) == 0u) {
        lost("a status the function may not return");
        return false;
    }
    return true;
}

void fwx_bridge_unreportable(const char *fn_name)
{
    /* The handler returned, but this function has no status for a lost board. */
    fprintf(stderr, "fwx-device: %s has no status for a lost board link (%s); aborting\n", fn_name, lost_text);
    abort();
}

bool fwx_hal_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle)
{
    fwx_bridge_msg_t w, r;
    uint32_t owned;
    int slot = slot_of(m);
    if (slot < 0) {
        lost("a handle check for a module that is not attached");
        fwx_bridge_unreportable("fwx_hal_handle_owned");
        return false;
    }
    begin(&w, FRAME_OWNED, (uint16_t)slot);
    fwx_bridge_put_u32(&w, (uint32_t)kind);
    fwx_bridge_put_u32(&w, handle);
    /* Answering "not owned" would make the module trap for the board's
     * failure: a lost link here ends the device instead. */
    if (!exchange(&w, &r, FRAME_OWNED_REPLY)) {
        fwx_bridge_unreportable("fwx_hal_handle_owned");
        return false;
    }
    owned = fwx_bridge_get_u32(&r);
    if (r.bad || r.pos != r.len || owned > 1u) {
        lost("a malformed handle reply");
        fwx_bridge_unreportable("fwx_hal_handle_owned");
        return false;
    }
    return owned == 1u;
}

int fwx_bridge_connect(const char *path, uint64_t (*now_us)(void), char *err, size_t err_cap)
{
    struct sockaddr_un addr;
    fwx_bridge_msg_t w, r;
    size_t n = path != NULL ? strlen(path) : 0u;
    if (n == 0u || n >= sizeof addr.sun_path) {
        say(err, err_cap, "bridge socket path is empty or longer than a Unix socket path may be");
        return -1;
    }
    fwx_bridge_close();
    link_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (link_fd < 0) {
        say(err, err_cap, strerror(errno));
        return -1;
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, n);
    if (connect(link_fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
        say(err, err_cap, strerror(errno));
        close(link_fd);
        link_fd = -1;
        return -1;
    }
    link_now_us = now_us;
    begin(&w, FRAME_HELLO, 0u);
    put_n(&w, FWX_BRIDGE_VERSION, 2u);
    put_n(&w, HASH_HEX, 2u);
    memcpy(w.buf + w.len, FWX_ABI_SPEC_HASH + HASH_PREFIX, HASH_HEX); /* the hex digits, without "sha256:" */
    w.len += HASH_HEX;
    /* A refused hello is the caller's error to report, not a lost link. */
    if (!send_frame(&w)) {
        say(err, err_cap, "hello could not be sent");
    } else {
        const char *why = "a malformed reply";
        int type = read_frame(&r, FWX_BRIDGE_REPLY_TIMEOUT_MS, &why);
        if (type == FRAME_HELLO_OK) return 0;
        say(err, err_cap, type == FRAME_ERROR ? error_text(&r) : type < 0 ? why : "the server did not answer hello");
    }
    fwx_bridge_close();
    return -1;
}

int fwx_bridge_attach(fwx_module_t *m, const char *module_id, const char *caps_json, char *err, size_t err_cap)
{
    fwx_bridge_msg_t w, r;
    size_t id_len = module_id != NULL ? strlen(module_id) : 0u;
    size_t caps_len = caps_json != NULL ? strlen(caps_json) : 0u;
    int slot = slot_of(m);
    unsigned i;
    if (m == NULL || id_len == 0u || id_len > FWX_BRIDGE_MAX_MODULE_ID || caps_len > FWX_BRIDGE_MAX_CAPS_JSON) {
        say(err, err_cap, "fwx_bridge_attach: module, id (1..64 bytes) or grant (at most 2048 bytes) is missing or too long");
        return -1;
    }
    for (i = 0u; slot < 0 && i < FWX_BRIDGE_MAX_MODULES; i++) if (slots[i] == NULL) slot = (int)i;
    if (slot < 0) {
        say(err, err_cap, "fwx_bridge_attach: FWX_BRIDGE_MAX_MODULES modules are attached");
        return -1;
    }
    begin(&w, FRAME_ATTACH, (uint16_t)slot);
    put_n(&w, id_len, 2u);
    if (!w.bad) { memcpy(w.buf + w.len, module_id, id_len); w.len += (uint32_t)id_len; }
    put_n(&w, caps_len, 2u);
    if (!w.bad && caps_len > 0u) { memcpy(w.buf + w.len, caps_json, caps_len); w.len += (uint32_t)caps_len; }
    if (!exchange(&w, &r, FRAME_ATTACH_OK)) {
        say(err, err_cap, lost_text);
        return -1;
    }
    if (r.pos != r.len) {
        lost("a malformed attach reply");
        say(err, err_cap, lost_text);
        return -1;
    }
    slots[slot] = m;
    return 0;
}

void fwx_bridge_detach(fwx_module_t *m)
{
    fwx_bridge_msg_t w, r;
    int slot = slot_of(m);
    uint32_t i, kept = 0u;
    if (slot < 0) return;
    slots[slot] = NULL;
    /* Events still queued for it must not reach a later module in its place. */
    for (i = 0u; i < event_count; i++) {
        fwx_bridge_event_t ev = events[(event_head + i) % FWX_BRIDGE_EVENT_QUEUE];
        if (ev.m != m) events[(event_head + kept++) % FWX_BRIDGE_EVENT_QUEUE] = ev;
    }
    event_count = kept;
    if (link_fd < 0) return;
    begin(&w, FRAME_DETACH, (uint16_t)slot);
    (void)exchange(&w, &r, FRAME_DETACH_OK);
}

int fwx_bridge_next_event(fwx_bridge_event_t *ev, int timeout_ms)
{
    while (event_count == 0u) {
        fwx_bridge_msg_t r;
        const char *why = "a malformed frame";
        int type;
        if (link_fd < 0) return -1;
        type = read_frame(&r, timeout_ms, &why);
        if (type == 0) return 0;
        if (type < 0) { lost(why); return -1; }
        if (type == FRAME_ERROR) { lost(error_text(&r)); return -1; }
        if (type != FRAME_EVENT || !queue_event(&r)) { lost("an unexpected frame between calls"); return -1; }
    }
    *ev = events[event_head];
    event_head = (event_head + 1u) % FWX_BRIDGE_EVENT_QUEUE;
    event_count--;
    return 1;
}

void fwx_bridge_close(void)
{
    if (link_fd >= 0) close(link_fd);
    link_fd = -1;
    memset(slots, 0, sizeof slots);
    event_head = 0u;
    event_count = 0u;
}
