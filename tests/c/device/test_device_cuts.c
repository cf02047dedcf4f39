/* Whole-device power cuts: the device core (firmware/runtime/device) on the
 * slot store on a flash file, driven in-process over the OTA protocol with
 * scripted guests (the wasm3 test double). For each scenario (install, a
 * faulting trial's revert, a config set, a remove, the install's
 * transfer resumed after the cut, and a delta applied streaming from the
 * confirmed slot into the inactive one; the window is 2 chunks so acks are
 * frequent) the power is cut at EVERY flash operation from the device's
 * start on (the file port tears that operation and fails all later ones), then the
 * device starts again on the surviving file, and this must hold:
 *   - the store opens (never "corrupt") and a verified module runs, the old
 *     confirmed one or the new one, never a mix of their records;
 *   - the anti-rollback floor never decreases;
 *   - config values are the old set or the new one;
 *   - a transfer resumes at or above every offset acknowledged before the cut;
 *   - the operation, redone, ends in its verdict.
 * Usage: test_device_cuts <fixtures dir> <board.json> <work dir> [uncut]
 * "uncut": only the install, confirm and delta without cuts (the build with
 * -DFWX_DEVICE_RAM_PAYLOAD, a port without map, runs this). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwx_crc32.h"
#include "fwx_device.h"
#include "fwx_device_internal.h"
#include "fwx_device_verify.h"
#include "fwx_flash_file.h"
#include "fwx_posix_board.h"

int fwx_fake_map_payload(const uint8_t *payload, uint32_t len, const uint8_t **wasm, uint32_t *wasm_len);

#define MODULE "com.acme.ticker"
#define FLASH_SECTOR 4096u
#define FLASH_WRITE 8u
#define FLASH_BYTES (2u * FWX_SLOTS_BANK_BYTES + FLASH_SECTOR + FWX_SLOTS_STAGING_BYTES + 2u * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES)
#define CHUNK 512u

static int passed, failed;
#define CHECK(c, ...)                                           \
  do {                                                          \
    if (c) passed++;                                            \
    else {                                                      \
      failed++;                                                 \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);      \
      fprintf(stderr, __VA_ARGS__);                             \
      fprintf(stderr, "\n");                                    \
    }                                                           \
  } while (0)

/* ---- the device's world ---- */
static uint64_t clock_us = 1000000u;
uint64_t fwx_port_now_us(void) { return clock_us; }
static int64_t wall_ms(void *ctx) {
  struct timespec ts;
  (void)ctx;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + (int64_t)(clock_us / 1000u % 1000u);
}

static fwx_device dev;
static fwx_slots_t slots;
static fwx_flash_file_t flash;
static fwx_device_trust trust;
static fwx_verify_work verify_work;
static fwx_posix_board board;
static IM3Environment env;
static uint8_t kv_mem[FWX_DEVICE_MAX_MODULES][FWX_DEVICE_KV_BYTES];

typedef struct pkg_file {
  uint8_t bytes[FWX_DEVICE_MAX_PACKAGE];
  uint32_t len;
  char sha[65];
  const char *version;
  uint32_t sequence;
} pkg_file;
static pkg_file v1, v2, v3;
static pkg_file d12; /* 2.0.0 as a delta against 1.0.0 (bytes, length, SHA-256) */
static pkg_file d23bad; /* 3.0.0 as a delta made against a stand-in of 2.0.0's size: on 2.0.0 it rebuilds wrong bytes */

/* What the device published: acks, replies to the tool, verdict events. */
static int pending_mids[64], npending, next_mid = 1;
static uint32_t acked_max; /* highest offset acknowledged on the wire */
static char reply[4096];
static char verdict[32];
static char last_received[512]; /* the last "received" event */
static char last_log[1024];      /* the last line on the log topic */
static unsigned resumed; /* install cuts after which the transfer resumed past acknowledged bytes */

static int publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int qos, int retain, int *mid) {
  size_t tl = strlen(topic);
  (void)ctx;
  if (getenv("CUTS_DEBUG")) fprintf(stderr, "pub %s %.*s\n", topic, (int)(len > 300 ? 300 : len), (const char *)payload);
  (void)retain;
  if (mid) *mid = next_mid;
  if (qos > 0 && npending < 64) pending_mids[npending++] = next_mid;
  next_mid++;
  if (tl >= 4 && strcmp(topic + tl - 4, "/ack") == 0 && len == 7) {
    uint32_t off = (uint32_t)payload[3] << 24 | (uint32_t)payload[4] << 16 | (uint32_t)payload[5] << 8 | payload[6];
    if (off > acked_max) acked_max = off;
  } else if (tl >= 4 && strcmp(topic + tl - 4, "/log") == 0 && len < sizeof last_log) {
    memcpy(last_log, payload, len);
    last_log[len] = '\0';
  } else if (tl >= 7 && strcmp(topic + tl - 7, "/tool-1") == 0 && len < sizeof reply) {
    memcpy(reply, payload, len);
    reply[len] = '\0';
  } else if (tl >= 6 && strcmp(topic + tl - 6, "/event") == 0) {
    static const char *const phases[] = {"\"phase\":\"confirmed\"", "\"phase\":\"reverted\"", "\"phase\":\"refused\"", "\"phase\":\"failed\""};
    char text[2048];
    unsigned k;
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, payload, n);
    text[n] = '\0';
    if (strstr(text, "\"phase\":\"received\"")) snprintf(last_received, sizeof last_received, "%.500s", text);
    for (k = 0; k < 4; k++)
      if (strstr(text, phases[k])) snprintf(verdict, sizeof verdict, "%.*s", (int)strlen(phases[k]) - 10, phases[k] + 9);
  }
  return 0;
}

static void deliver(void) {
  int k, n = npending;
  npending = 0;
  for (k = 0; k < n; k++) fwx_ota_on_delivered(&dev.ota, pending_mids[k], clock_us / 1000u);
}

static int kv_save(void *ctx, const char *module, const uint8_t *bytes, uint32_t len) {
  (void)ctx;
  (void)module;
  if (len > FWX_DEVICE_KV_BYTES) return -1;
  memcpy(kv_mem[0], bytes, len);
  return 0;
}
static long kv_load(void *ctx, const char *module, uint8_t *out, uint32_t cap) {
  (void)ctx;
  (void)module;
  (void)out;
  (void)cap;
  return -1;
}

/* ---- driving it ---- */

static int powered_off(void) { return flash.cut; }

static void msg(const char *leaf, const uint8_t *payload, size_t len) {
  char topic[160];
  snprintf(topic, sizeof topic, "fwx/v2/cut-dev/%s", leaf);
  fwx_device_on_message(&dev, topic, payload, len, clock_us / 1000u);
  deliver();
}

static void cmd(const char *json) { msg("cmd", (const uint8_t *)json, strlen(json)); }

static void poll_for(uint64_t ms) {
  uint64_t until = clock_us + ms * 1000u;
  while (clock_us < until && !powered_off()) {
    clock_us += 20000u;
    (void)fwx_device_poll(&dev, clock_us / 1000u);
    deliver();
  }
}

/* The board hooks: the HAL's per-module state goes in m->board at attach, and must be there while the
 * module runs and when it is detached (docs/firmware.md section 6). */
static int board_state;
static const void *detached_board;
static int board_attach(void *b, fwx_module_t *m, const char *id, const uint8_t *caps, uint32_t caps_len, char *err, size_t cap) {
  (void)b; (void)id; (void)caps; (void)caps_len; (void)err; (void)cap;
  m->board = &board_state;
  return 0;
}
static void board_detach(void *b, fwx_module_t *m) {
  (void)b;
  detached_board = m->board;
}

/* Starts the device on the work file; cut_at 0: no cut. 0, or -1 when the store does not open or boot. */
static int start(const char *path, uint64_t cut_at, uint32_t seed) {
  fwx_device_config cfg;
  fwx_device_verifier verifier;
  fwx_device_kv kv;
  fwx_ota_transport net;
  if (fwx_flash_file_open(&flash, path, FLASH_BYTES, FLASH_SECTOR, FLASH_WRITE) != 0) return -1;
  fwx_flash_file_cut_after(&flash, cut_at, seed, cut_at ? FWX_FLASH_CUT_FAIL : FWX_FLASH_CUT_NONE);
  if (fwx_slots_open(&slots, &flash.port) != FWX_SLOTS_OK) return powered_off() ? 1 : -1;
  fwx_device_verifier_init(&verifier, &trust);
  memset(&cfg, 0, sizeof cfg);
  cfg.ota.device_id = "cut-dev";
  cfg.ota.board = board.name;
  cfg.ota.customer = "acme-foods";
  cfg.ota.group = "cold-store-3";
  cfg.ota.agent = "cut-test";
  cfg.health_seconds = 1;
  cfg.map_payload = fwx_fake_map_payload;
  cfg.module_attach = board_attach;
  cfg.module_detach = board_detach;
  cfg.check_work = &verify_work.check;
  kv.ctx = NULL;
  kv.save = kv_save;
  kv.load = kv_load;
  net.ctx = NULL;
  net.publish = publish;
  npending = 0;
  if (fwx_device_init(&dev, &cfg, &verifier, &slots, &kv, &net, NULL, env, wall_ms, NULL, clock_us / 1000u) != 0)
    return powered_off() ? 1 : -1;
  fwx_ota_on_connected(&dev.ota, clock_us / 1000u);
  deliver();
  return 0;
}

static void stop(void) {
  fwx_device_shutdown(&dev);
  fwx_flash_file_close(&flash);
}

/* begin + chunks from the offset the device asks for: package p, sent whole (delta NULL) or as the delta
 * against `base`. Returns the resumeFrom the device answered, or -1. */
static long transfer_as(const pkg_file *p, const pkg_file *delta, const pkg_file *base, uint16_t session) {
  char buf[1000], dobj[300];
  const char *at;
  long from;
  uint32_t off;
  const pkg_file *wire = delta ? delta : p;
  if (delta) snprintf(dobj, sizeof dobj, ",\"delta\":{\"base\":\"%s\",\"sha256\":\"%s\",\"size\":%u}", base->sha, delta->sha, delta->len);
  else dobj[0] = '\0';
  snprintf(buf, sizeof buf,
           "{\"op\":\"begin\",\"req\":\"1\",\"from\":\"tool-1\",\"session\":%u,\"window\":2,"
           "\"package\":{\"module\":\"" MODULE "\",\"version\":\"%s\",\"sequence\":%u,\"size\":%u,\"sha256\":\"%s\"}%s}",
           session, p->version, p->sequence, p->len, p->sha, dobj);
  reply[0] = '\0';
  cmd(buf);
  at = strstr(reply, "\"resumeFrom\":");
  if (!at) return -1;
  from = strtol(at + 13, NULL, 10);
  for (off = (uint32_t)from; off < wire->len && !powered_off();) {
    static uint8_t frame[CHUNK + 10];
    uint32_t n = wire->len - off < CHUNK ? wire->len - off : CHUNK;
    uint32_t crc = fwx_crc32(0, wire->bytes + off, n);
    frame[0] = (uint8_t)(session >> 8);
    frame[1] = (uint8_t)session;
    frame[2] = (uint8_t)(off >> 24);
    frame[3] = (uint8_t)(off >> 16);
    frame[4] = (uint8_t)(off >> 8);
    frame[5] = (uint8_t)off;
    frame[6] = (uint8_t)(crc >> 24);
    frame[7] = (uint8_t)(crc >> 16);
    frame[8] = (uint8_t)(crc >> 8);
    frame[9] = (uint8_t)crc;
    memcpy(frame + 10, wire->bytes + off, n);
    msg("chunk", frame, n + 10u);
    off += n;
    poll_for(40); /* the device acknowledges on its own time */
  }
  return from;
}

static long transfer(const pkg_file *p, uint16_t session) { return transfer_as(p, NULL, NULL, session); }

/* ---- what a restart must show ---- */

static const fwx_slots_module_t *module_rec(int *index) {
  int32_t i = fwx_slots_find(&slots, MODULE);
  *index = (int)i;
  return i >= 0 ? fwx_slots_module(&slots, (uint32_t)i) : NULL;
}

static const char *running_version(void) {
  int i;
  const fwx_slots_module_t *r = module_rec(&i);
  if (!r || !dev.live[i].used || !dev.live[i].sup) return NULL;
  return dev.live[i].info.version;
}

typedef enum { S_INSTALL, S_REVERT, S_CONFIG, S_REMOVE, S_DELTA } scenario;
static const char *const names[] = {"install", "revert", "config set", "remove", "delta install"};

/* The action; returns when it ended or the power went. */
static void act(scenario s) {
  if (s == S_INSTALL) {
    (void)transfer(&v2, 101);
    poll_for(6000);
  } else if (s == S_REVERT) {
    (void)transfer(&v3, 102);
    poll_for(6000);
  } else if (s == S_DELTA) {
    (void)transfer_as(&v2, &d12, &v1, 103);
    poll_for(6000);
  } else if (s == S_CONFIG) {
    cmd("{\"op\":\"config\",\"req\":\"2\",\"from\":\"tool-1\",\"module\":\"" MODULE "\",\"values\":{\"threshold\":\"12\"}}");
    poll_for(200);
  } else {
    cmd("{\"op\":\"remove\",\"req\":\"3\",\"from\":\"tool-1\",\"module\":\"" MODULE "\"}");
    poll_for(200);
  }
}

/* The value the store's record holds (the device keeps no other copy), not the manifest's default. */
static int threshold_is(const char *want) {
  int i;
  uint32_t len, pos = 0;
  const uint8_t *blob;
  const char *k, *v;
  if (!module_rec(&i)) return 0;
  blob = fwx_dev_values_of(&dev, (unsigned)i, &len);
  while (blob && fwx_dev_blob_next(blob, len, &pos, &k, &v))
    if (strcmp(k, "threshold") == 0) return want && strcmp(v, want) == 0;
  return want == NULL;
}

/* Checks the device just restarted after a cut in scenario s, then redoes the action to its end. */
static void after_cut(scenario s, uint64_t n, uint32_t acked_before) {
  int i;
  const fwx_slots_module_t *r = module_rec(&i);
  const char *v = running_version();
  uint64_t floor = fwx_slots_floor(&slots, MODULE);
  const char *newer = s == S_INSTALL || s == S_DELTA ? "2.0.0" : s == S_REVERT ? "3.0.0" : "1.0.0";
  CHECK(floor >= 1u && floor <= 3u, "%s, cut %llu: the floor is %llu (was 1)", names[s], (unsigned long long)n, (unsigned long long)floor);
  if (s == S_REMOVE && !r) {
    CHECK(v == NULL, "remove, cut %llu: nothing runs once removed", (unsigned long long)n);
  } else {
    CHECK(r != NULL && v != NULL && (strcmp(v, "1.0.0") == 0 || strcmp(v, newer) == 0),
          "%s, cut %llu: a verified module runs (old or new), found %s", names[s], (unsigned long long)n, v ? v : "none");
    if (r && v) {
      int slot = dev.live[i].slot;
      CHECK(r->slot[slot].present && strcmp(r->slot[slot].version, v) == 0,
            "%s, cut %llu: the running package is the one its slot records", names[s], (unsigned long long)n);
      CHECK(r->confirmed != FWX_SLOT_NONE || r->trial != FWX_SLOT_NONE, "%s, cut %llu: a running module is confirmed or on trial", names[s],
            (unsigned long long)n);
    }
  }
  if (s == S_CONFIG) CHECK(threshold_is(NULL) || threshold_is("12"), "config set, cut %llu: the values are the old set or the new one", (unsigned long long)n);
  /* Redo the operation, as the tool would. */
  if (s == S_INSTALL) {
    long from;
    verdict[0] = '\0';
    from = transfer(&v2, 201);
    if (from > 0 && acked_before > 0 && (uint32_t)from < v2.len) resumed++;
    if (from >= 0 && !strstr(reply, "\"done\"") && !strstr(reply, "\"installing\":true"))
      CHECK((uint32_t)from >= acked_before || (uint32_t)from == v2.len,
            "install, cut %llu: the transfer resumes at %ld, below the %u bytes acknowledged before the cut", (unsigned long long)n, from, acked_before);
    poll_for(6000);
    CHECK(strcmp(running_version() ? running_version() : "", "2.0.0") == 0, "install, cut %llu: redone, 2.0.0 runs (verdict %s)", (unsigned long long)n,
          verdict);
    module_rec(&i);
    CHECK(i >= 0 && fwx_slots_module(&slots, (uint32_t)i)->confirmed != FWX_SLOT_NONE && fwx_slots_floor(&slots, MODULE) == 2u,
          "install, cut %llu: 2.0.0 ends confirmed with floor 2", (unsigned long long)n);
  } else if (s == S_DELTA) {
    /* 2.0.0 already running (on trial or confirmed): its verdict follows; else 1.0.0 is still the base. */
    if (strcmp(v ? v : "", "2.0.0") != 0) {
      verdict[0] = '\0';
      (void)transfer_as(&v2, &d12, &v1, 203);
    }
    poll_for(6000);
    CHECK(strcmp(running_version() ? running_version() : "", "2.0.0") == 0, "delta install, cut %llu: redone, 2.0.0 runs (verdict %s)",
          (unsigned long long)n, verdict);
    module_rec(&i);
    CHECK(i >= 0 && fwx_slots_module(&slots, (uint32_t)i)->confirmed != FWX_SLOT_NONE && fwx_slots_floor(&slots, MODULE) == 2u,
          "delta install, cut %llu: 2.0.0 ends confirmed with floor 2", (unsigned long long)n);
  } else if (s == S_REVERT) {
    poll_for(6000);
    (void)transfer(&v3, 202);
    poll_for(6000);
    CHECK(strcmp(running_version() ? running_version() : "", "1.0.0") == 0 && fwx_slots_floor(&slots, MODULE) == 1u,
          "revert, cut %llu: the faulting 3.0.0 is reverted, 1.0.0 runs, floor 1", (unsigned long long)n);
  } else if (s == S_CONFIG) {
    act(s);
    CHECK(threshold_is("12"), "config set, cut %llu: redone, threshold is 12", (unsigned long long)n);
  } else {
    act(s);
    CHECK(module_rec(&i) == NULL && fwx_slots_floor(&slots, MODULE) == 1u, "remove, cut %llu: redone, the module is gone, its floor 1 kept",
          (unsigned long long)n);
  }
}

static int copy_file(const char *from, const char *to) {
  static uint8_t buf[1u << 16];
  int a = open(from, O_RDONLY), b = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ssize_t n;
  if (a < 0 || b < 0) return -1;
  while ((n = read(a, buf, sizeof buf)) > 0)
    if (write(b, buf, (size_t)n) != n) return -1;
  close(a);
  close(b);
  return 0;
}

static int load_pkg(const char *dir, const char *name, pkg_file *p, const char *version, uint32_t seq) {
  char path[600];
  FILE *f;
  uint8_t sha[32];
  unsigned k;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) return -1;
  p->len = (uint32_t)fread(p->bytes, 1, sizeof p->bytes, f);
  fclose(f);
  {
    fwx_device_verifier vf;
    fwx_device_verifier_init(&vf, &trust);
    vf.sha256(vf.ctx, p->bytes, p->len, sha);
  }
  for (k = 0; k < 32; k++) snprintf(p->sha + 2 * k, 3, "%02x", sha[k]);
  p->version = version;
  p->sequence = seq;
  return 0;
}

int main(int argc, char **argv) {
  char base[600], work[600], path[600], error[300];
  FILE *f;
  unsigned k;
  scenario s;
  if (argc < 4) {
    fprintf(stderr, "usage: test_device_cuts <fixtures> <board.json> <work dir> [uncut | <scenario>]\n");
    return 2;
  }
  snprintf(path, sizeof path, "%s/root.hex", argv[1]);
  f = fopen(path, "r");
  if (!f) return 2;
  for (k = 0; k < 32; k++) {
    unsigned b;
    if (fscanf(f, "%2x", &b) != 1) return 2;
    trust.root_public_key[k] = (uint8_t)b;
  }
  fclose(f);
  if (fwx_posix_board_load(&board, argv[2], error, sizeof error) != 0) {
    fprintf(stderr, "%s\n", error);
    return 2;
  }
  trust.work = &verify_work;
  trust.customer = "acme-foods";
  trust.group = "cold-store-3";
  trust.board_caps = board.caps;
  trust.board_caps_len = board.caps_len;
  if (load_pkg(argv[1], "v1.fwx", &v1, "1.0.0", 1) || load_pkg(argv[1], "v2.fwx", &v2, "2.0.0", 2) || load_pkg(argv[1], "v3.fwx", &v3, "3.0.0", 3) ||
      load_pkg(argv[1], "v1-v2.delta", &d12, "2.0.0", 2) || load_pkg(argv[1], "v2-v3-wrong.delta", &d23bad, "3.0.0", 3))
    return 2;
  env = m3_NewEnvironment();
  snprintf(base, sizeof base, "%s/base.bin", argv[3]);
  snprintf(work, sizeof work, "%s/work.bin", argv[3]);

  /* The base: 1.0.0 installed and confirmed on a new flash. */
  unlink(base);
  CHECK(start(base, 0, 0) == 0, "a new flash file opens");
  (void)transfer(&v1, 1);
  poll_for(6000);
  CHECK(running_version() && strcmp(running_version(), "1.0.0") == 0 && strcmp(verdict, "confirmed") == 0, "the base: 1.0.0 confirmed (verdict %s)", verdict);
  {
    int i;
    (void)module_rec(&i);
    CHECK(i >= 0 && dev.live[i].sup != NULL && dev.live[i].sup->ctx.board == &board_state,
          "the running module's context has the m->board its module_attach set");
  }
  detached_board = NULL;
  stop();
  CHECK(detached_board == &board_state, "module_detach sees the m->board module_attach set");

  /* The delta path without a cut: it must end in 2.0.0 confirmed (else every cut below proves nothing about it). */
  if (copy_file(base, work) != 0) return 2;
  CHECK(start(work, 0, 0) == 0, "the base flash opens again");
  verdict[0] = '\0';
  (void)transfer_as(&v2, &d12, &v1, 5);
  poll_for(6000);
  CHECK(running_version() && strcmp(running_version(), "2.0.0") == 0 && strcmp(verdict, "confirmed") == 0 && strstr(last_received, "(delta)"),
        "a delta from 1.0.0 to 2.0.0 ends confirmed (verdict %s, received: %s)", verdict, last_received);
  {
    /* A delta that applies to the confirmed 2.0.0 but rebuilds the wrong bytes: refused
     * before the inactive slot is touched, so 1.0.0 stays there as the rollback target. */
    int i;
    const fwx_slots_module_t *r;
    int other;
    verdict[0] = '\0';
    (void)transfer_as(&v3, &d23bad, &v2, 6);
    poll_for(2000);
    r = module_rec(&i);
    other = r && r->confirmed == FWX_SLOT_A ? 1 : 0;
    CHECK(strcmp(verdict, "failed") == 0 && running_version() && strcmp(running_version(), "2.0.0") == 0,
          "a delta that rebuilds the wrong bytes fails and 2.0.0 keeps running (verdict %s)", verdict);
    CHECK(r && r->slot[other].present && strcmp(r->slot[other].version, "1.0.0") == 0,
          "... and the inactive slot still holds 1.0.0, the rollback target (%s)", r && r->slot[other].present ? r->slot[other].version : "empty");
  }
  {
    /* The log ring at its size (FWX_DEVICE_LOG_LINE): a 256-byte core.log message goes out whole on the log
     * topic, and the ring keeps it shortened at a UTF-8 boundary, still whole JSON. */
    char message[257];
    const char *kept;
    uint32_t last;
    unsigned k;
    for (k = 0; k + 3u <= 255u; k += 3u) memcpy(message + k, "\xE2\x82\xAC", 3); /* the euro sign, 3 bytes */
    message[255] = 'e';
    message[256] = '\0';
    fwx_dev_log(&dev, MODULE, "log", "level", "info", "message", message);
    last = (dev.log_next + FWX_DEVICE_LOG_LINES - 1u) % FWX_DEVICE_LOG_LINES;
    kept = dev.log[last];
    CHECK(strstr(last_log, message) != NULL, "a 256-byte log message goes out whole on the log topic");
    CHECK(strlen(kept) < FWX_DEVICE_LOG_LINE && strncmp(kept, "{\"ts\":", 6) == 0 && kept[strlen(kept) - 1] == '}' &&
              strstr(kept, "\"message\":\"\xE2\x82\xAC") != NULL && strstr(kept, "\xE2\x82\xAC\"}") != NULL,
          "the ring keeps it shortened to whole JSON within %u bytes, cut between characters: %s", FWX_DEVICE_LOG_LINE, kept);
  }
  stop();

  /* One scenario when named (the suite runs them as parallel processes), all of them when none is. */
  for (s = S_INSTALL; s <= S_DELTA && !(argc > 4 && strcmp(argv[4], "uncut") == 0); s++) {
    uint64_t n, cuts = 0;
    if (argc > 4 && strcmp(argv[4], names[s]) != 0) continue;
    for (n = 1; n < 100000u; n++) {
      uint32_t acked_before;
      int rc;
      if (copy_file(base, work) != 0) return 2;
      acked_max = 0;
      verdict[0] = '\0';
      rc = start(work, n, (uint32_t)(n * 2654435761u));
      if (rc == 0 && !powered_off()) act(s);
      acked_before = acked_max;
      if (!powered_off()) {
        /* This many operations run the whole action without a cut: every step has had its cut. */
        CHECK(rc == 0, "%s: the uncut run starts", names[s]);
        stop();
        break;
      }
      CHECK(rc >= 0, "%s, cut %llu: the store is consistent enough to boot on", names[s], (unsigned long long)n);
      stop();
      cuts++;
      /* Power back: the same file, no cut. */
      rc = start(work, 0, 0);
      CHECK(rc == 0, "%s, cut %llu: the device starts again on the surviving flash (no corrupt journal)", names[s], (unsigned long long)n);
      if (rc == 0) after_cut(s, n, acked_before);
      stop();
    }
    printf("{\"scenario\":\"%s\",\"cuts\":%llu}\n", names[s], (unsigned long long)cuts);
    if (s == S_INSTALL) printf("{\"scenario\":\"resumed transfer\",\"cuts\":%u}\n", resumed);
    if (s == S_INSTALL) CHECK(resumed > 10u, "install: transfers cut after acknowledged bytes resumed there (%u times)", resumed);
    CHECK(cuts > 5u, "%s: power was cut at every one of its flash operations (%llu)", names[s], (unsigned long long)cuts);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
