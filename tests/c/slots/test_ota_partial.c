/* The OTA state machine (fwx_ota.c) keeping its partial download in the slot
 * store's staging area through fwx_slots_partial: begin, chunks of a size
 * that is no multiple of the flash word (so acks leave a partial word in the
 * journal), a reboot (the store and the state machine started afresh from
 * flash), a new tool session resuming at the acknowledged offset, and the
 * completed transfer read back byte for byte. Built by tests/c/suites/slots.mjs
 * once fwx_ota.c is in firmware/runtime/. */
#include <stdio.h>
#include <string.h>

#include "fwx_crc32.h"
#include "fwx_ota.h"
#include "fwx_slots.h"
#include "fwx_slots_partial.h"
#include "sim_flash.h"

static unsigned passed, failed;
#define CHECK(cond, ...) \
  do { \
    if (cond) passed++; \
    else { \
      failed++; \
      printf("FAIL ota-partial: " __VA_ARGS__); \
      printf("\n  %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    } \
  } while (0)

static sim_flash_t flash;
static fwx_slots_t store;
static fwx_ota ota;
static uint8_t pkg[6000];
static uint32_t last_ack;
static int completes, next_mid = 1;
static char last_reply[512];

static int publish(void *ctx, const char *topic, const uint8_t *p, size_t len, int qos, int retain, int *mid) {
  (void)ctx;
  (void)qos;
  (void)retain;
  if (mid) *mid = next_mid++;
  if (strstr(topic, "/ack") && len == 7) last_ack = ((uint32_t)p[3] << 24) | ((uint32_t)p[4] << 16) | ((uint32_t)p[5] << 8) | p[6];
  if (strstr(topic, "/reply/")) {
    size_t n = len < sizeof last_reply - 1 ? len : sizeof last_reply - 1;
    memcpy(last_reply, p, n);
    last_reply[n] = '\0';
  }
  return 0;
}
static int64_t wall(void *c) {
  (void)c;
  return 1700000000000;
}
static void write_status(void *c, fwx_json_writer *w) {
  (void)c;
  (void)w;
}
static const char *last_install(void *c) {
  (void)c;
  return NULL;
}
static int on_trial(void *c, const char *m, const uint8_t s[32]) {
  (void)c;
  (void)m;
  (void)s;
  return 0;
}
static int confirmed_sha(void *c, const char *m, uint8_t s[32]) {
  (void)c;
  (void)m;
  (void)s;
  return 0;
}
static int has_package(void *c, const uint8_t s[32]) {
  (void)c;
  (void)s;
  return 0;
}
static void transfer_complete(void *c, const fwx_ota_transfer *t) {
  (void)c;
  (void)t;
  completes++;
}
static int command(void *c, const char *op, fwx_json_span cmd, fwx_json_writer *r, fwx_ota_refusal *why) {
  (void)c;
  (void)op;
  (void)cmd;
  (void)r;
  (void)why;
  return -1;
}
static void logs(void *c, const char *m, uint32_t l, fwx_json_writer *r) {
  (void)c;
  (void)m;
  (void)l;
  (void)r;
}

static void start(uint64_t now) {
  fwx_ota_config cfg;
  fwx_ota_transport net;
  fwx_ota_storage st;
  fwx_ota_host host;
  int m;
  memset(&cfg, 0, sizeof cfg);
  cfg.device_id = "dev1";
  cfg.board = "board";
  cfg.customer = "cust";
  cfg.group = "grp";
  cfg.agent = "c";
  memset(&net, 0, sizeof net);
  net.publish = publish;
  memset(&st, 0, sizeof st);
  st.ctx = &store;
  st.open = fwx_slots_partial_open;
  st.write = fwx_slots_partial_write;
  st.read = fwx_slots_partial_read;
  st.sync = fwx_slots_partial_sync;
  st.save_meta = fwx_slots_partial_save_meta;
  st.load_meta = fwx_slots_partial_load_meta;
  st.stored = fwx_slots_partial_stored;
  st.discard = fwx_slots_partial_discard;
  memset(&host, 0, sizeof host);
  host.wall_ms = wall;
  host.write_status = write_status;
  host.last_install = last_install;
  host.on_trial = on_trial;
  host.confirmed_sha = confirmed_sha;
  host.has_package = has_package;
  host.transfer_complete = transfer_complete;
  host.command = command;
  host.logs = logs;
  CHECK(fwx_ota_init(&ota, &cfg, &net, &st, &host) == 0, "fwx_ota_init on the slot store");
  fwx_ota_on_connected(&ota, now);
  for (m = 1; m < next_mid; m++) fwx_ota_on_delivered(&ota, m, now);
}

static void begin(unsigned session, uint64_t now) {
  char cmd[600], hex[65];
  int i;
  for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", i);
  snprintf(cmd, sizeof cmd,
           "{\"op\":\"begin\",\"req\":\"%u\",\"from\":\"tool\",\"session\":%u,\"window\":16,"
           "\"package\":{\"module\":\"m\",\"version\":\"1.0.0\",\"sequence\":1,\"size\":%u,\"sha256\":\"%s\"}}",
           session, session, (unsigned)sizeof pkg, hex);
  last_reply[0] = '\0';
  fwx_ota_on_message(&ota, "fwx/v2/dev1/cmd", (const uint8_t *)cmd, strlen(cmd), now);
}

static void chunk(unsigned session, uint32_t off, uint32_t n, uint64_t now) {
  uint8_t f[10 + 300];
  uint32_t c = fwx_crc32(0, pkg + off, n);
  f[0] = (uint8_t)(session >> 8);
  f[1] = (uint8_t)session;
  f[2] = (uint8_t)(off >> 24);
  f[3] = (uint8_t)(off >> 16);
  f[4] = (uint8_t)(off >> 8);
  f[5] = (uint8_t)off;
  f[6] = (uint8_t)(c >> 24);
  f[7] = (uint8_t)(c >> 16);
  f[8] = (uint8_t)(c >> 8);
  f[9] = (uint8_t)c;
  memcpy(f + 10, pkg + off, n);
  fwx_ota_on_message(&ota, "fwx/v2/dev1/chunk", f, 10 + n, now);
}

int main(void) {
  static uint8_t back[sizeof pkg];
  uint32_t off, r = 5, i, acked;
  uint64_t now = 1000;
  char want[64];
  for (i = 0; i < sizeof pkg; i++) pkg[i] = (uint8_t)sim_random(&r);
  sim_init(&flash, 2u * FWX_SLOTS_BANK_BYTES + 512u + FWX_SLOTS_STAGING_BYTES + 2u * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES, 512, 8);
  CHECK(fwx_slots_format(&store, &flash.port) == FWX_SLOTS_OK, "format");
  start(now);
  begin(11, now);
  CHECK(strstr(last_reply, "\"resumeFrom\":0") != NULL, "begin answered resumeFrom 0: %s", last_reply);
  for (off = 0; off < 3300; off += 300) {
    chunk(11, off, 300, now += 5);
    fwx_ota_poll(&ota, now);
  }
  fwx_ota_poll(&ota, now += 1500);
  acked = last_ack;
  CHECK(acked == 3300 && fwx_slots_transfer(&store) && fwx_slots_transfer(&store)->acked == 3300, "acked 3300 before the reboot, got %u", acked);

  /* A reboot: the store and the state machine start again from flash; a new tool session resumes. */
  CHECK(fwx_slots_open(&store, &flash.port) == FWX_SLOTS_OK, "reopen");
  start(now += 10);
  begin(12, now);
  snprintf(want, sizeof want, "\"resumeFrom\":%u", (unsigned)acked);
  CHECK(strstr(last_reply, want) != NULL, "resumed at the acknowledged offset: %s", last_reply);
  for (off = acked; off < sizeof pkg; off += 300) {
    chunk(12, off, sizeof pkg - off < 300 ? (uint32_t)(sizeof pkg - off) : 300, now += 5);
    fwx_ota_poll(&ota, now);
  }
  fwx_ota_poll(&ota, now += 3000);
  for (i = 1; i < (uint32_t)next_mid; i++) fwx_ota_on_delivered(&ota, (int)i, now);
  fwx_ota_poll(&ota, now += 10);
  CHECK(last_ack == sizeof pkg && completes >= 1, "final ack %u, install started %d times", last_ack, completes);
  CHECK(fwx_ota_read_transfer(&ota, 0, back, sizeof back) == 0 && memcmp(back, pkg, sizeof pkg) == 0, "the transfer reads back byte for byte");
  CHECK(flash.violations == 0, "flash misuse: %s", flash.violation);
  printf("{\"suite\":\"c-slots-ota\",\"passed\":%u,\"failed\":%u}\n", passed, failed);
  return failed ? 1 : 0;
}
