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
 *   init-fails   fwx_init returns 1
 *   kv-counter   like ticker (its timer logs nothing), and fwx_init counts its starts in kv key "boots"
 *                (kv.get, +1, kv.set) and logs "boots=<n>"
 *   grants       fwx_init calls past each counted scope and logs the statuses
 *                "grants=<telemetry.publish fwx/test/t>,<timer.start 1>,<2>,<3>,
 *                <kv.set of 9 bytes>", then runs as ticker (its timers log nothing)
 *   budgets      fwx_init grows memory by a page and logs "grow=<result>",
 *                stores 4 bytes at 5000 and burns 500,000 fuel, then runs as
 *                ticker (its timer logs nothing): the manifest's RAM and fuel budgets decide where it stops
 *   flood        fwx_init logs 60 lines and publishes 15 messages at once, then
 *                one with a 1025-byte payload (over the rate and the size: the
 *                documented order answers busy), then traps with the counts and
 *                that status: "flood: log <ok> ok <busy> busy; telemetry <ok> ok
 *                <busy> busy; oversize <status>" (a trap is the one report no
 *                rate limit holds back) */
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

static unsigned kv_imports[] = {FWX_IMPORT_TIMER_START, FWX_IMPORT_CORE_LOG, FWX_IMPORT_KV_GET, FWX_IMPORT_KV_SET};

/* Memory: the key at 64, the value (u32 LE) at 80, its length at 96, the log text at 128. */
static M3Result init_kv_counter(fake_call_t *c) {
  uint32_t size = 0, boots = 0, n;
  uint8_t *mem = fake_guest_memory(&size);
  uint64_t get[6] = {0u, 64u, 5u, 80u, 4u, 96u}, set[5] = {0u, 64u, 5u, 80u, 4u}, log[4] = {0u, 1u, 128u, 0u};
  char text[16] = "boots=";
  M3Result r;
  if (!mem || size < 256u) return "fake guest: no memory";
  memcpy(mem + 64, "boots", 5);
  if ((r = fake_guest_host(FWX_IMPORT_KV_GET, get)) != NULL) return r;
  if ((uint32_t)get[0] == 0u) boots = (uint32_t)mem[80] | (uint32_t)mem[81] << 8 | (uint32_t)mem[82] << 16 | (uint32_t)mem[83] << 24;
  else if ((uint32_t)get[0] != 5u) { /* 5: not-found on a first start */
    static char why[40] = "fake guest: kv.get returned ";
    why[28] = (char)('0' + (uint32_t)get[0] % 10u);
    return why;
  }
  boots++;
  mem[80] = (uint8_t)boots;
  mem[81] = (uint8_t)(boots >> 8);
  mem[82] = (uint8_t)(boots >> 16);
  mem[83] = (uint8_t)(boots >> 24);
  if ((r = fake_guest_host(FWX_IMPORT_KV_SET, set)) != NULL) return r;
  if ((uint32_t)set[0] != 0u) {
    static char why[40] = "fake guest: kv.set returned ";
    why[28] = (char)('0' + (uint32_t)set[0] % 10u);
    return why;
  }
  n = 6u;
  if (boots >= 10u) text[n++] = (char)('0' + boots / 10u % 10u);
  text[n++] = (char)('0' + boots % 10u);
  memcpy(mem + 128, text, n);
  log[3] = n;
  if ((r = fake_guest_host(FWX_IMPORT_CORE_LOG, log)) != NULL) return r;
  return init_ok(c);
}

static unsigned grant_imports[] = {FWX_IMPORT_TIMER_START, FWX_IMPORT_CORE_LOG, FWX_IMPORT_KV_SET, FWX_IMPORT_TELEMETRY_PUBLISH};

static M3Result init_grants(fake_call_t *c) {
  uint32_t size = 0, k, n = 7u;
  uint8_t *mem = fake_guest_memory(&size);
  uint64_t pub[5] = {0u, 64u, 10u, 96u, 2u}, set[5] = {0u, 80u, 1u, 96u, 8u}, log[4] = {0u, 1u, 128u, 0u};
  uint64_t st[5];
  char text[32] = "grants=";
  M3Result r;
  if (!mem || size < 256u) return "fake guest: no memory";
  memcpy(mem + 64, "fwx/test/t", 10);
  memcpy(mem + 80, "k", 1);
  memcpy(mem + 96, "{}......", 8);
  if ((r = fake_guest_host(FWX_IMPORT_TELEMETRY_PUBLISH, pub)) != NULL) return r;
  st[0] = pub[0];
  for (k = 1; k <= 3u; k++) {
    uint64_t sp[4] = {0u, k, 1000u, 1u};
    if ((r = fake_guest_host(FWX_IMPORT_TIMER_START, sp)) != NULL) return r;
    st[k] = sp[0];
  }
  if ((r = fake_guest_host(FWX_IMPORT_KV_SET, set)) != NULL) return r;
  st[4] = set[0];
  for (k = 0; k < 5u; k++) {
    if (k) text[n++] = ',';
    text[n++] = (char)('0' + (uint32_t)st[k] % 10u);
  }
  memcpy(mem + 128, text, n);
  log[3] = n;
  if ((r = fake_guest_host(FWX_IMPORT_CORE_LOG, log)) != NULL) return r;
  c->result = 0;
  return NULL;
}

static M3Result init_budgets(fake_call_t *c) {
  int32_t grown = fake_guest_grow(1u);
  uint32_t size = 0, n = 5u;
  uint8_t *mem = fake_guest_memory(&size); /* after the grow: memory may have moved */
  uint64_t log[4] = {0u, 1u, 128u, 0u};
  char text[16] = "grow=";
  M3Result r;
  if (!mem || size < 256u) return "fake guest: no memory";
  if (grown < 0) {
    text[n++] = '-';
    text[n++] = '1';
  } else {
    text[n++] = (char)('0' + grown % 10);
  }
  memcpy(mem + 128, text, n);
  log[3] = n;
  if ((r = fake_guest_host(FWX_IMPORT_CORE_LOG, log)) != NULL) return r;
  if ((r = fake_guest_access(5000u, 4u)) != NULL) return r;
  if ((r = fake_guest_burn(500000u)) != NULL) return r;
  return init_ok(c);
}

static unsigned flood_imports[] = {FWX_IMPORT_TIMER_START, FWX_IMPORT_CORE_LOG, FWX_IMPORT_TELEMETRY_PUBLISH};

static void put_count(char *text, uint32_t *n, uint32_t v) {
  if (v >= 10u) text[(*n)++] = (char)('0' + v / 10u % 10u);
  text[(*n)++] = (char)('0' + v % 10u);
}

static M3Result init_flood(fake_call_t *c) {
  static char why[128];
  uint32_t size = 0, k, n = 0, ok[2] = {0, 0}, busy[2] = {0, 0};
  uint64_t oversize[5] = {0u, 64u, 10u, 1024u, 1025u};
  uint8_t *mem = fake_guest_memory(&size);
  M3Result r;
  (void)c;
  if (!mem || size < 4096u) return "fake guest: no memory";
  memcpy(mem + 64, "fwx/test/t", 10);
  memcpy(mem + 96, "{}", 2);
  memcpy(mem + 128, "line", 4);
  for (k = 0; k < 75u; k++) {
    uint64_t log[4] = {0u, 1u, 128u, 4u}, pub[5] = {0u, 64u, 10u, 96u, 2u};
    uint64_t *sp = k < 60u ? log : pub;
    if ((r = fake_guest_host(k < 60u ? FWX_IMPORT_CORE_LOG : FWX_IMPORT_TELEMETRY_PUBLISH, sp)) != NULL) return r;
    if ((uint32_t)sp[0] == 0u) ok[k >= 60u]++;
    else if ((uint32_t)sp[0] == 3u) busy[k >= 60u]++;
  }
  memcpy(why, "flood: log ", 11);
  n = 11;
  put_count(why, &n, ok[0]);
  memcpy(why + n, " ok ", 4);
  n += 4;
  put_count(why, &n, busy[0]);
  memcpy(why + n, " busy; telemetry ", 17);
  n += 17;
  put_count(why, &n, ok[1]);
  memcpy(why + n, " ok ", 4);
  n += 4;
  put_count(why, &n, busy[1]);
  if ((r = fake_guest_host(FWX_IMPORT_TELEMETRY_PUBLISH, oversize)) != NULL) return r;
  memcpy(why + n, " busy; oversize ", 16);
  n += 16;
  put_count(why, &n, (uint32_t)oversize[0]);
  why[n] = '\0';
  return why;
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

/* A timer callback that logs nothing: the guests whose fwx_init logs what a test reads keep that
 * line in the device's log ring (fwx logs shows the newest lines; a tick every 50 ms pushes it out). */
static M3Result on_timer_quiet(fake_call_t *c) {
  (void)c;
  return NULL;
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
    {"kv-counter", {"kv-counter", kv_imports, 4u, init_kv_counter, on_timer_quiet, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
    {"budgets", {"budgets", imports, 2u, init_budgets, on_timer_quiet, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
    {"flood", {"flood", flood_imports, 3u, init_flood, on_timer_tick, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
    {"grants", {"grants", grant_imports, 4u, init_grants, on_timer_quiet, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL}, {0}, 0},
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
