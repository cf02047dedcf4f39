/* Scripted guests for fwx-device built against the fake wasm3 (npm test):
 * a signed package's payload names its guest in a custom section
 * "fwx.fake-guest"; the device runs that guest instead of the payload's
 * code (the fake wasm3 runs only the exact bytes fake_guest_module wrote).
 * Everything else (transfer, verification of the real package, slots,
 * supervision, host calls through the generated glue) is the device's own.
 *
 *   ticker       starts periodic timer 1 (50 ms), logs "tick" on each expiry
 *   fault-timer  like ticker, but traps (unreachable) in its first timer callback
 *   veto         like ticker, and fwx_health returns 1
 *   init-fails   fwx_init returns 1 */
#include <stdint.h>
#include <string.h>

#include "fake_wasm3.h"
#include "fwx_abi_tables.h"

int fwx_fake_map_payload(const uint8_t *payload, uint32_t len, const uint8_t **wasm, uint32_t *wasm_len);

static unsigned imports[] = {FWX_IMPORT_TIMER_START, FWX_IMPORT_CORE_LOG};

static M3Result timer_start(uint32_t id, uint32_t period_ms) {
  uint64_t sp[4] = {0u, id, period_ms, 1u};
  return fake_guest_host(FWX_IMPORT_TIMER_START, sp);
}

static M3Result log_tick(void) {
  uint32_t size = 0;
  uint8_t *mem = fake_guest_memory(&size);
  uint64_t sp[4] = {0u, 1u, 16u, 4u};
  if (!mem || size < 32u) return "fake guest: no memory";
  memcpy(mem + 16, "tick", 4);
  return fake_guest_host(FWX_IMPORT_CORE_LOG, sp);
}

static M3Result init_ok(fake_call_t *c) {
  M3Result r = timer_start(1u, 50u);
  c->result = 0;
  return r;
}

static M3Result init_fail(fake_call_t *c) {
  (void)timer_start(1u, 50u);
  c->result = 1;
  return NULL;
}

static M3Result on_timer_tick(fake_call_t *c) {
  (void)c;
  return log_tick();
}

static M3Result on_timer_fault(fake_call_t *c) {
  (void)c;
  return fake_trap_unreachable;
}

static M3Result health_veto(fake_call_t *c) {
  c->result = 1;
  return NULL;
}

typedef struct guest_slot {
  const char *name;
  fake_guest_t g;
  uint8_t bytes[4096];
  uint32_t len;
} guest_slot;

static guest_slot guests[] = {
    {"ticker", {"ticker", imports, 2u, init_ok, on_timer_tick, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
    {"fault-timer", {"fault-timer", imports, 2u, init_ok, on_timer_fault, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
    {"veto", {"veto", imports, 2u, init_ok, on_timer_tick, NULL, health_veto, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
    {"init-fails", {"init-fails", imports, 2u, init_fail, on_timer_tick, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
};

static uint32_t leb(const uint8_t *p, uint32_t len, uint32_t *at) {
  uint32_t v = 0, shift = 0;
  while (*at < len && shift < 35) {
    uint8_t b = p[(*at)++];
    v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
  *at = len + 1;
  return 0;
}

int fwx_fake_map_payload(const uint8_t *payload, uint32_t len, const uint8_t **wasm, uint32_t *wasm_len) {
  static const char want[] = "fwx.fake-guest";
  uint32_t at = 8;
  if (len < 8) return -1;
  while (at < len) {
    uint8_t id = payload[at++];
    uint32_t size = leb(payload, len, &at), end = at + size;
    if (at > len || end > len) return -1;
    if (id == 0) {
      uint32_t p = at, nlen = leb(payload, end, &p);
      if (p <= end && nlen == sizeof want - 1 && p + nlen <= end && memcmp(payload + p, want, nlen) == 0) {
        const uint8_t *name = payload + p + nlen;
        uint32_t name_len = end - (p + nlen), k;
        for (k = 0; k < sizeof guests / sizeof guests[0]; k++) {
          guest_slot *s = &guests[k];
          if (strlen(s->name) != name_len || memcmp(s->name, name, name_len) != 0) continue;
          /* Written (and registered) once: the fake runs exactly these bytes. */
          if (!s->len) s->len = fake_guest_module(&s->g, s->bytes, sizeof s->bytes);
          if (!s->len) return -1;
          *wasm = s->bytes;
          *wasm_len = s->len;
          return 0;
        }
        return -1;
      }
    }
    at = end;
  }
  return -1;
}
