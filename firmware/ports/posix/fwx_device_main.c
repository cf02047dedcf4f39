/* fwx-device: the POSIX reference device. The flags of `fwx agent`; MQTT
 * through libmosquitto, crypto through libsodium (fwx_crypto_sodium.c),
 * all device state in the slot store on a flash file (--state-dir/flash.bin,
 * fwx_flash_file.c), kv and the revocation list beside it (fwx_posix_files.c),
 * modules on wasm3 (the real
 * one, or the project's test double for `npm test`).
 *
 * Prints "[device] online at <broker>" on stderr once it is subscribed and
 * its presence and status are acknowledged by the broker (tests wait on it). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwx_bridge.h"
#include "fwx_device.h"
#include "fwx_device_verify.h"
#include "fwx_posix_board.h"
#include "fwx_flash_file.h"
#include "fwx_posix_files.h"
#include "fwx_posix_floor.h"
#include "fwx_device_floor.h"
#include "fwx_posix_identity.h"
#include "fwx_posix_mqtt.h"
#include "fwx_posix_pem.h"
#include "fwx_slots_partial.h"
#include "fwx_rt_port.h"

#ifndef FWX_DEVICE_VERSION
#define FWX_DEVICE_VERSION "fwx-device 0.1.0"
#endif

/* The fake-wasm3 build links a guest table (tests/c/ota/fake_device_guests.c). */
#ifdef FWX_DEVICE_FAKE_GUESTS
int fwx_fake_map_payload(const uint8_t *payload, uint32_t len, const uint8_t **wasm, uint32_t *wasm_len);
#endif

/* The device's flash: one partition holding the slot store (docs/slot-store.md). */
#define FLASH_SECTOR 4096u
#define FLASH_WRITE 8u
#define FLASH_BYTES (2u * FWX_SLOTS_BANK_BYTES + FLASH_SECTOR + FWX_SLOTS_STAGING_BYTES + 2u * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES)

static fwx_device device;
static fwx_posix_files store;
static fwx_flash_file_t flash;
static fwx_slots_t slots;
static fwx_posix_board board;
static fwx_device_trust trust;
static fwx_verify_work verify_work; /* every verification's work area: packages, revocation lists, module checks */
static fwx_posix_identity identity;
static fwx_cmd_gate gate;
static struct mosquitto *mosq;
static volatile sig_atomic_t stopping;
static int subscribed_acks;
static int announced;
static char broker_url[256];

uint64_t fwx_port_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_ms(void) { return fwx_port_now_us() / 1000u; }

static int64_t wall_ms(void *ctx) {
  struct timespec ts;
  (void)ctx;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
}

void fwx_posix_crash_point(const char *point);
void fwx_posix_crash_point(const char *point) {
  static unsigned hits;
  const char *spec = getenv("FWX_CRASH_AT");
  const char *hash;
  size_t n;
  unsigned want = 1;
  if (!spec || !spec[0]) return;
  hash = strchr(spec, '#');
  n = hash ? (size_t)(hash - spec) : strlen(spec);
  if (hash) want = (unsigned)atoi(hash + 1);
  if (strlen(point) != n || strncmp(spec, point, n) != 0) return;
  if (++hits >= want) {
    fprintf(stderr, "[device] FWX_CRASH_AT=%s: killing myself\n", spec);
    raise(SIGKILL);
  }
}

static int publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int qos, int retain, int *mid) {
  int m = -1;
  size_t tl = strlen(topic);
  (void)ctx;
  /* Install steps and verdicts on stderr too: what an operator at the device's console sees. */
  if (getenv("FWX_DEVICE_TRACE") && !strstr(topic, "/log")) fprintf(stderr, "[device] out %s %zu bytes qos %d: %.*s\n", topic, len, qos, len > 300 ? 0 : (int)len, (const char *)payload);
  if (tl > 6 && strcmp(topic + tl - 6, "/event") == 0) fprintf(stderr, "[device] event %.*s\n", (int)len, (const char *)payload);
  if (mosquitto_publish(mosq, &m, topic, (int)len, payload, qos, retain != 0) != MOSQ_ERR_SUCCESS) return -1;
  if (mid) *mid = m;
  return 0;
}

static void on_connect(struct mosquitto *m, void *obj, int rc) {
  static int last_refusal;
  char topic[FWX_OTA_TOPIC_MAX];
  (void)obj;
  if (rc != 0) {
    /* Said once per reason, not at every retry: a wrong password or certificate needs a person. */
    if (rc != last_refusal) fprintf(stderr, "[device] the broker refused the connection: %s; retrying\n", mosquitto_connack_string(rc));
    last_refusal = rc;
    return;
  }
  last_refusal = 0;
  subscribed_acks = 0;
  if (fwx_ota_topic(&device.ota, "cmd", topic, sizeof topic) == 0) mosquitto_subscribe(m, NULL, topic, 1);
  if (fwx_ota_topic(&device.ota, "chunk", topic, sizeof topic) == 0) mosquitto_subscribe(m, NULL, topic, 1);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int qos_count, const int *granted) {
  (void)m; (void)obj; (void)mid; (void)qos_count; (void)granted;
  /* Online only once commands can be received: tools wait for the presence before sending. */
  if (++subscribed_acks == 2) fwx_ota_on_connected(&device.ota, now_ms());
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
  (void)m; (void)obj;
  if (msg->payloadlen < 0) return;
  if (getenv("FWX_DEVICE_TRACE")) fprintf(stderr, "[device] in %s %d bytes: %.*s\n", msg->topic, msg->payloadlen, msg->payloadlen > 300 ? 0 : msg->payloadlen, (const char *)msg->payload);
  fwx_device_on_message(&device, msg->topic, (const uint8_t *)msg->payload, (size_t)msg->payloadlen, now_ms());
}

static void on_publish(struct mosquitto *m, void *obj, int mid) {
  (void)m; (void)obj;
  fwx_ota_on_delivered(&device.ota, mid, now_ms());
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
  (void)m; (void)obj; (void)rc;
  fwx_ota_on_disconnected(&device.ota);
  announced = 0;
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static int bridged;

static int board_attach(void *board_ctx, fwx_module_t *m, const char *id, const uint8_t *caps, uint32_t caps_len, char *err, size_t cap) {
  static char json[FWX_BRIDGE_MAX_CAPS_JSON + 1];
  (void)board_ctx;
  if (!bridged) {
    /* No board serves the peripherals: a module granted one would end the device (fwx_bridge.c's
     * lost handler) at its first call. Refused here, before it runs, naming what is missing. */
    const char *kind = fwx_posix_caps_peripheral(caps, caps_len);
    if (kind != NULL) {
      snprintf(err, cap, "the module is granted %s, but this device serves no peripherals: it was started without --board-socket (docs/hal-bridge.md)", kind);
      return -1;
    }
    return 0;
  }
  if (fwx_posix_caps_json(caps, caps_len, json, sizeof json) != 0) {
    snprintf(err, cap, "the module's grant does not fit the board bridge (%u bytes of CBOR)", (unsigned)caps_len);
    return -1;
  }
  return fwx_bridge_attach(m, id, json, err, cap);
}

static void board_detach(void *board_ctx, fwx_module_t *m) {
  (void)board_ctx;
  if (bridged) fwx_bridge_detach(m);
}

static int usage(const char *why) {
  fprintf(stderr,
          "fwx-device: %s\n"
          "usage: fwx-device --device-id <id> --state-dir <dir> --root <root.pub> --customer <c> --group <g>\n"
          "                  --device-key <device.key> --device-cert <device.cert>\n"
          "                  [--broker mqtt://host[:1883] | mqtts://host[:8883] [--ca ca.pem] [--cert dev.pem --key dev.key]]\n"
          "                  [--username <name> --password-file <file>] [--board <profile.json>] [--board-socket <path>]\n"
          "                  [--health-callbacks <n>] [--health-seconds <s>] [--revocations <list.fwxrl>]\n"
          "                  [--floor <file>]\n"
          "--dump-state: print the slot store (flash.bin) as JSON and exit\n"
          "--broker/--ca/--cert/--key/--username/--password-file: as fwx agent's, also from FWX_BROKER, FWX_MQTT_CA,\n"
          "  FWX_MQTT_CERT, FWX_MQTT_KEY, FWX_MQTT_USERNAME, FWX_MQTT_PASSWORD_FILE; the MQTT client id is the device id\n"
          "--floor: the anti-rollback store, outside the state dir (default <state-dir>.anti-rollback.json)\n"
          "--revocations: a revocation list signed by the root; kept when its serial is above the kept one's\n"
          "--health-callbacks/--health-seconds: a trial is confirmed after n callbacks and s seconds without a fault\n"
          "--board-socket: the HAL bridge of `fwx board serve` (docs/hal-bridge.md) serving the peripherals\n",
          why);
  return 2;
}

/* A positive count of at most 1,000,000 in decimal; -1 otherwise. */
static int parse_count(const char *s, uint32_t *out) {
  uint32_t n = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    n = n * 10u + (uint32_t)(*s - '0');
    if (n > 1000000u) return -1;
  }
  if (n == 0) return -1;
  *out = n;
  return 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* ---- the anti-rollback store ----
 * Floors, the command counter and the revocation serial, kept outside the
 * state dir (fwx_posix_floor.c) so that putting back an older copy of the
 * state dir takes nothing back. The state dir keeps its own copies
 * (flash.bin's floors, operations.json, revocations.bin); the store's
 * numbers win when higher. */
static fwx_rl_keeper rl_keeper;
static fwx_rl_port rl_port;
static fwx_posix_floor floor_store;
static fwx_counter_port floor_port;
static fwx_cmd_counter_port state_counter_port; /* operations.json, written first */

static int open_floor(const char *state_dir, const char *given) {
  char path[512], why[300];
  if (!given) {
    if (fwx_posix_floor_default(state_dir, path, sizeof path) != 0) {
      fprintf(stderr, "fwx-device: --state-dir %s: too long for the default --floor path\n", state_dir);
      return -1;
    }
  } else {
    if (snprintf(path, sizeof path, "%s", given) >= (int)sizeof path) {
      fprintf(stderr, "fwx-device: --floor %s: path too long\n", given);
      return -1;
    }
    if (fwx_posix_floor_inside(path, state_dir)) {
      fprintf(stderr, "fwx-device: --floor %s is inside --state-dir %s; whoever rewrites the state dir would rewrite the floors too\n", given,
              state_dir);
      return -1;
    }
  }
  if (fwx_posix_floor_open(&floor_store, path, why, sizeof why) != 0) {
    fprintf(stderr, "fwx-device: anti-rollback store %s: %s\n", path, why);
    return -1;
  }
  fwx_posix_floor_port(&floor_store, &floor_port);
  fwx_device_use_counters(NULL, &floor_port);
  return 0;
}

static int save_counter_both(void *ctx, uint64_t counter) {
  if (state_counter_port.save(ctx, counter) != 0) return -1;
  return floor_port.raise(floor_port.ctx, FWX_COUNTER_COMMANDS, counter) == FWX_COUNTER_OK ? 0 : -1;
}

/* The command counter to beat: the higher of operations.json's and the store's. */
static int floor_commands(void) {
  uint64_t kept;
  if (floor_port.get(floor_port.ctx, FWX_COUNTER_COMMANDS, &kept) != FWX_COUNTER_OK) return -1;
  if (kept > gate.counter) gate.counter = kept;
  state_counter_port = gate.counter_port;
  gate.counter_port.save = save_counter_both;
  return 0;
}

static fwx_rl_port kept_rl_port; /* the keeper's own port, wrapped to raise the store's serial */

static int offer_and_raise(void *ctx, const uint8_t *list, uint32_t len, int *replaced) {
  int rc = kept_rl_port.offer(ctx, list, len, replaced);
  if (rc == FWX_RL_OK && *replaced &&
      floor_port.raise(floor_port.ctx, FWX_COUNTER_REVOCATIONS, kept_rl_port.serial(ctx)) != FWX_COUNTER_OK)
    return FWX_RL_E_STORE;
  return rc;
}

/* A kept list older than the store's serial (put back, removed, damaged) would un-revoke: refuse to start. */
static int keep_revocation_serial(const char *state_dir) {
  uint64_t floor, kept = rl_port.serial(&rl_keeper);
  if (floor_port.get(floor_port.ctx, FWX_COUNTER_REVOCATIONS, &floor) != FWX_COUNTER_OK) return -1;
  if (kept < floor) {
    fprintf(stderr,
            "fwx-device: %s/revocations.bin holds revocation list serial %llu, below serial %llu kept in %s; refusing to start "
            "(an older list un-revokes): give the current list with --revocations\n",
            state_dir, (unsigned long long)kept, (unsigned long long)floor, floor_port.where);
    return -1;
  }
  if (floor_port.raise(floor_port.ctx, FWX_COUNTER_REVOCATIONS, kept) != FWX_COUNTER_OK) {
    fprintf(stderr, "fwx-device: cannot write the anti-rollback store %s\n", floor_port.where);
    return -1;
  }
  kept_rl_port = rl_port;
  rl_port.offer = offer_and_raise;
  return 0;
}

/* ---- the revocation list ----
 * Kept by fwx_revocations_keep.c in revocations.bin (the state dir): the list
 * with the highest serial seen, from --revocations or the signed "revocations"
 * command. A kept list that no longer verifies stops the device. */
static uint8_t offered_list[FWX_RL_KEEP_MAX];

/* What is wrong with a list, in words (the codes of fwx_pkg_verify.h), for the one line that stops the device. */
static const char *rl_problem(int rc) {
  switch (rc) {
    case FWX_RL_E_MALFORMED: return "not a revocation list of the documented layout";
    case FWX_RL_E_SIG: return "its signature does not verify against the root public key";
    case FWX_RL_E_CONTENT: return "its body is not a valid revocation list";
    case FWX_RL_E_IO: return "it cannot be read";
    default: return "refused by the verifier";
  }
}

static int load_revocations(const char *state_dir, const char *offered) {
  fwx_rl_store rl_store;
  int rc, replaced;
  uint64_t kept;
  fwx_posix_files_revocations(&store, &rl_store);
  if ((rc = fwx_rl_keeper_open(&rl_keeper, trust.root_public_key, &rl_store, verify_work.revocations, (uint32_t)sizeof verify_work.revocations)) != FWX_RL_OK) {
    fprintf(stderr, "fwx-device: %s/revocations.bin: the kept revocation list does not verify against --root: %s\n", state_dir, rl_problem(rc));
    return -1;
  }
  fwx_rl_keeper_port(&rl_keeper, &rl_port);
  trust.revocations = &rl_keeper;
  gate.revocations = &rl_port;
  if (!offered) return 0;
  {
    FILE *f = fopen(offered, "rb");
    size_t got;
    if (!f) {
      fprintf(stderr, "fwx-device: --revocations %s: %s\n", offered, strerror(errno));
      return -1;
    }
    got = fread(offered_list, 1, sizeof offered_list, f);
    if (got == sizeof offered_list && fgetc(f) != EOF) {
      fclose(f);
      fprintf(stderr, "fwx-device: --revocations %s: larger than %u bytes\n", offered, FWX_RL_KEEP_MAX);
      return -1;
    }
    fclose(f);
    kept = rl_port.serial(&rl_keeper);
    rc = fwx_rl_keeper_offer(&rl_keeper, offered_list, (uint32_t)got, &replaced);
  }
  if (rc == FWX_RL_E_STORE) {
    fprintf(stderr, "fwx-device: %s/revocations.bin: cannot keep the revocation list: %s\n", state_dir, strerror(errno));
    return -1;
  }
  if (rc != FWX_RL_OK) {
    fprintf(stderr, "fwx-device: --revocations %s: not a revocation list signed by --root: %s\n", offered, rl_problem(rc));
    return -1;
  }
  if (!replaced) {
    fprintf(stderr, "[device] --revocations %s: serial %llu is not above the kept list's %llu; the kept list stays\n", offered,
            (unsigned long long)rl_keeper.offered_serial, (unsigned long long)kept);
    return 0;
  }
  fprintf(stderr, "[device] revocation list serial %llu kept (%u certificates, %u keys)\n", (unsigned long long)rl_keeper.list.serial,
          rl_keeper.list.certificate_count, rl_keeper.list.key_count);
  return 0;
}

/* The download in progress on the slot store, with the test crash points
 * (FWX_CRASH_AT) the Node agent also has: after a chunk is stored, after an
 * acknowledgement is durable. */
static int staging_write(void *ctx, uint32_t offset, const uint8_t *data, size_t n) {
  int rc = fwx_slots_partial_write(ctx, offset, data, n);
  if (rc == 0) fwx_posix_crash_point("chunk-written");
  return rc;
}

static int staging_save_meta(void *ctx, const char *json, size_t n) {
  int rc = fwx_slots_partial_save_meta(ctx, json, n);
  if (rc == 0) fwx_posix_crash_point("ack-persisted");
  return rc;
}

/* Opens flash.bin (created erased when new) and its slot store. A journal that
 * holds no valid state and is not blank is an error naming the file: it is
 * never formatted silently (that would forget every anti-rollback floor). */
static int open_flash(const char *state_dir) {
  char path[600];
  int32_t rc;
  snprintf(path, sizeof path, "%s/flash.bin", state_dir);
  if (fwx_flash_file_open(&flash, path, FLASH_BYTES, FLASH_SECTOR, FLASH_WRITE) != 0) {
    fprintf(stderr, "fwx-device: %s: cannot open the flash image: %s\n", path, strerror(errno));
    return -1;
  }
  rc = fwx_slots_open(&slots, &flash.port);
  if (rc == FWX_SLOTS_E_CORRUPT) {
    fprintf(stderr, "fwx-device: %s: the slot store's journal is damaged (no valid state, not erased); "
                    "refusing to start. Keep the file for analysis; delete it only to start this device empty.\n", path);
    return -1;
  }
  if (rc != FWX_SLOTS_OK) {
    fprintf(stderr, "fwx-device: %s: cannot open the slot store (status %d, flash %d)\n", path, (int)rc, (int)slots.flash_error);
    return -1;
  }
  return 0;
}

/* --dump-state: the slot store as JSON on stdout (tests, support), without starting. */
static void dump_slot(const fwx_slots_slot_t *sl) {
  unsigned k;
  if (!sl->present) {
    printf("null");
    return;
  }
  printf("{\"version\":\"%s\",\"sequence\":%llu,\"size\":%u,\"sha256\":\"", sl->version, (unsigned long long)sl->sequence, sl->size);
  for (k = 0; k < 32; k++) printf("%02x", sl->sha256[k]);
  printf("\"}");
}

static void dump_state(void) {
  unsigned i;
  const char *names = "AB";
  const fwx_slots_transfer_t *t = fwx_slots_transfer(&slots);
  const fwx_slots_verdict_t *v = fwx_slots_verdict(&slots);
  printf("{\"modules\":[");
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    const fwx_slots_module_t *m = fwx_slots_module(&slots, i);
    static int first = 1;
    if (!m) continue;
    printf("%s{\"id\":\"%s\",\"confirmed\":", first ? "" : ",", m->name);
    first = 0;
    if (m->confirmed < 2) printf("\"%c\"", names[m->confirmed]);
    else printf("null");
    printf(",\"trial\":");
    if (m->trial < 2) printf("{\"slot\":\"%c\",\"boots\":%u}", names[m->trial], m->trial_boots);
    else printf("null");
    printf(",\"installedSeq\":%llu,\"slots\":{\"A\":", (unsigned long long)fwx_slots_floor(&slots, m->name));
    dump_slot(&m->slot[0]);
    printf(",\"B\":");
    dump_slot(&m->slot[1]);
    printf("},\"configBytes\":%u}", m->config_len);
  }
  printf("],\"transfer\":");
  if (t) printf("{\"size\":%u,\"acked\":%u}", t->size, t->acked);
  else printf("null");
  printf(",\"verdict\":");
  if (v) printf("{\"module\":\"%s\",\"phase\":%u}", v->module, v->phase);
  else printf("null");
  printf("}\n");
}

/* The product root public key as `fwx keys` writes it (PEM), or 64 hex
 * digits, or 32 raw bytes: the forms `fwx agent --root` takes
 * (parsePublicKey, src/pkg/keys.ts). 0, or -1 with why in err. */
static int read_root(const char *path, uint8_t out[32], char *err, size_t cap) {
  char buf[4096];
  const char *text = buf;
  size_t n, len, i;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, cap, "--root %s cannot be read", path);
    return -1;
  }
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  if (n == 32) {
    memcpy(out, buf, 32);
    return 0;
  }
  if (strstr(buf, "PRIVATE KEY")) {
    snprintf(err, cap, "--root %s is a private key; give the .pub file", path);
    return -1;
  }
  if (strstr(buf, "-----BEGIN")) {
    uint8_t der[64];
    long d = fwx_posix_pem_decode(buf, "PUBLIC KEY", der, sizeof der);
    if (d >= 0 && fwx_posix_ed25519_public_from_spki(der, (size_t)d, out) == 0) return 0;
    snprintf(err, cap, "--root %s is not an Ed25519 public key", path);
    return -1;
  }
  while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n') text++;
  len = strlen(text);
  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' || text[len - 1] == '\n')) len--;
  for (i = 0; i < len && hexval(text[i]) >= 0; i++) {}
  if (len != 64 || i != 64 || strlen(buf) != n) {
    snprintf(err, cap, "--root %s is not a public key (expected PEM, 64 hex digits or 32 raw bytes)", path);
    return -1;
  }
  for (i = 0; i < 32; i++) out[i] = (uint8_t)(hexval(text[2 * i]) << 4 | hexval(text[2 * i + 1]));
  return 0;
}

int main(int argc, char **argv) {
  const char *floor_path = NULL;
  const char *device_id = NULL, *state_dir = NULL, *root = NULL, *customer = NULL, *group = NULL;
  const char *device_key = NULL, *device_cert = NULL;
  const char *board_path = FWX_DEFAULT_BOARD, *board_socket = NULL;
  fwx_mqtt_options mqtt;
  char error[300], will_topic[FWX_OTA_TOPIC_MAX];
  int i;
  fwx_device_config cfg;
  uint32_t health_callbacks = 0, health_seconds = 0;
  const char *revocations = NULL;
  int dump = 0;
  fwx_device_verifier verifier;
  fwx_device_kv kv;
  fwx_ota_storage partial;
  fwx_ota_transport net;
  IM3Environment env;
  struct sigaction sa;

  memset(&mqtt, 0, sizeof mqtt);
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage("the POSIX reference device (docs/firmware.md)");
      return 0;
    }
    if (strcmp(a, "--dump-state") == 0) {
      dump = 1;
      continue;
    }
    if (!v) return usage("every option takes a value");
    if (strcmp(a, "--device-id") == 0) device_id = v;
    else if (strcmp(a, "--state-dir") == 0) state_dir = v;
    else if (strcmp(a, "--root") == 0) root = v;
    else if (strcmp(a, "--customer") == 0) customer = v;
    else if (strcmp(a, "--device-key") == 0) device_key = v;
    else if (strcmp(a, "--device-cert") == 0) device_cert = v;
    else if (strcmp(a, "--group") == 0) group = v;
    else if (strcmp(a, "--broker") == 0) mqtt.url = v;
    else if (strcmp(a, "--ca") == 0) mqtt.ca = v;
    else if (strcmp(a, "--cert") == 0) mqtt.cert = v;
    else if (strcmp(a, "--key") == 0) mqtt.key = v;
    else if (strcmp(a, "--username") == 0) mqtt.username = v;
    else if (strcmp(a, "--password-file") == 0) mqtt.password_file = v;
    else if (strcmp(a, "--board") == 0) board_path = v;
    else if (strcmp(a, "--board-socket") == 0) board_socket = v;
    else if (strcmp(a, "--revocations") == 0) revocations = v;
    else if (strcmp(a, "--floor") == 0) floor_path = v;
    else if (strcmp(a, "--health-callbacks") == 0) {
      if (parse_count(v, &health_callbacks) != 0) return usage("--health-callbacks must be a whole number 1-1000000");
    } else if (strcmp(a, "--health-seconds") == 0) {
      if (parse_count(v, &health_seconds) != 0) return usage("--health-seconds must be a whole number 1-1000000");
    } else if (strcmp(a, "--speed") == 0)
      fprintf(stderr, "[device] --speed: this device runs in real time; ignored\n");
    else return usage("unknown option");
    i++;
  }
  if (dump) {
    if (!state_dir) return usage("--dump-state needs --state-dir");
    if (open_flash(state_dir) != 0) return 2;
    dump_state();
    return 0;
  }
  if (!device_id || !state_dir || !root || !customer || !group) return usage("--device-id, --state-dir, --root, --customer and --group are required");
  if (!device_key || !device_cert) return usage("--device-key and --device-cert are required (the device's identity: fwx keys gen, then fwx cert device)");
  if (!fwx_ota_valid_id(device_id)) return usage("--device-id must be 1-64 of A-Z a-z 0-9 . _ -");
  fwx_mqtt_from_env(&mqtt);
  if (fwx_mqtt_parse(&mqtt, error, sizeof error) != 0) return usage(error);
  snprintf(broker_url, sizeof broker_url, "%s", mqtt.url);
  if (read_root(root, trust.root_public_key, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: %s\n", error);
    return 2;
  }
  if (fwx_posix_board_load(&board, board_path, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: %s\n", error);
    return 2;
  }
  if (fwx_posix_files_open(&store, state_dir) != 0) {
    fprintf(stderr, "fwx-device: cannot use --state-dir %s: %s\n", state_dir, strerror(errno));
    return 2;
  }
  if (open_flash(state_dir) != 0) return 2;
  if (open_floor(state_dir, floor_path) != 0) return 2;
  if (load_revocations(state_dir, revocations) != 0) return 2;
  if (keep_revocation_serial(state_dir) != 0) return 2;
  if (fwx_posix_identity_load(&identity, device_key, device_cert, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: %s\n", error);
    return 2;
  }
  if (fwx_posix_counter_open(&identity, &store, &gate.counter, &gate.counter_port) != 0) {
    /* A lost counter would let old commands run again: refuse to start rather than forget it. */
    fprintf(stderr, "fwx-device: %s/operations.json is damaged; refusing to start (it holds the highest command counter accepted)\n", state_dir);
    return 2;
  }
  if (floor_commands() != 0) return 2;
  gate.root_public_key = trust.root_public_key;
  gate.device_id = device_id;
  gate.customer = customer;
  gate.group = group;
  if (fwx_cmd_check_device_cert(&gate, identity.cert, (uint32_t)identity.cert_len, identity.seed, wall_ms(NULL) / 1000, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: --device-cert %s: %s\n", device_cert, error);
    return 2;
  }
  trust.work = &verify_work;
  trust.customer = customer;
  trust.group = group;
  trust.board_caps = board.caps;
  trust.board_caps_len = board.caps_len;
  fwx_device_verifier_init(&verifier, &trust);
  fwx_posix_files_kv(&store, &kv);
  partial.ctx = &slots;
  partial.open = fwx_slots_partial_open;
  partial.write = staging_write;
  partial.read = fwx_slots_partial_read;
  partial.sync = fwx_slots_partial_sync;
  partial.save_meta = staging_save_meta;
  partial.load_meta = fwx_slots_partial_load_meta;
  partial.stored = fwx_slots_partial_stored;
  partial.discard = fwx_slots_partial_discard;
  memset(&cfg, 0, sizeof cfg);
  cfg.ota.device_id = device_id;
  cfg.ota.board = board.name;
  cfg.ota.customer = customer;
  cfg.ota.group = group;
  cfg.ota.agent = FWX_DEVICE_VERSION;
  cfg.health_callbacks = health_callbacks;
  cfg.health_seconds = health_seconds;
  cfg.ota.gate = &gate;
  cfg.check_work = &verify_work.check;
  cfg.ota.device_seed = identity.seed;
  cfg.ota.device_cert_b64 = identity.cert_b64;
#ifdef FWX_DEVICE_FAKE_GUESTS
  cfg.map_payload = fwx_fake_map_payload;
#endif
  cfg.checkpoint = fwx_posix_crash_point;
  cfg.module_attach = board_attach;
  cfg.module_detach = board_detach;
  if (board_socket) {
    if (fwx_bridge_connect(board_socket, fwx_port_now_us, error, sizeof error) != 0) {
      fprintf(stderr, "fwx-device: --board-socket %s: %s\n", board_socket, error);
      return 2;
    }
    bridged = 1;
  }
  net.ctx = NULL;
  net.publish = publish;

  mosquitto_lib_init();
  /* The device id is the client id: a broker that keys its ACL by client id (%c) binds it to the
   * device's identity, and a restarted device takes its old session over (its will goes out first). */
  mosq = mosquitto_new(device_id, true, NULL);
  if (!mosq) {
    fprintf(stderr, "fwx-device: mosquitto_new failed\n");
    return 1;
  }
  if (fwx_mqtt_apply(&mqtt, mosq, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: %s\n", error);
    return 2;
  }
  env = m3_NewEnvironment();
  if (!env) {
    fprintf(stderr, "fwx-device: m3_NewEnvironment failed\n");
    return 1;
  }
  if (fwx_device_init(&device, &cfg, &verifier, &slots, &kv, &net, &partial, env, wall_ms, NULL, now_ms()) != 0) {
    if (flash.port.map == NULL || flash.mapped == NULL)
      fprintf(stderr, "fwx-device: %s/flash.bin: cannot be memory-mapped (mmap), and packages run where they lie in flash\n", state_dir);
    else
      fprintf(stderr, "fwx-device: %s/flash.bin: the slot store failed at boot (flash %d)\n", state_dir, (int)slots.flash_error);
    return 1;
  }
  {
    unsigned k, n = 0;
    for (k = 0; k < FWX_DEVICE_MAX_MODULES; k++) n += fwx_slots_module(&slots, k) ? 1u : 0u;
    fprintf(stderr, "[device] %s booted with %u installed module(s)\n", device_id, n);
  }
  fwx_ota_topic(&device.ota, "presence", will_topic, sizeof will_topic);
  mosquitto_will_set(mosq, will_topic, (int)strlen(fwx_ota_will_payload()), fwx_ota_will_payload(), 1, true);
  mosquitto_connect_callback_set(mosq, on_connect);
  mosquitto_subscribe_callback_set(mosq, on_subscribe);
  mosquitto_message_callback_set(mosq, on_message);
  mosquitto_publish_callback_set(mosq, on_publish);
  mosquitto_disconnect_callback_set(mosq, on_disconnect);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (mosquitto_connect(mosq, mqtt.host, mqtt.port, 20) != MOSQ_ERR_SUCCESS) fprintf(stderr, "[device] broker %s not reachable yet; retrying\n", mqtt.url);

  while (!stopping) {
    uint32_t wait = fwx_device_poll(&device, now_ms());
    int rc = mosquitto_loop(mosq, (int)(wait ? wait : 1), 1);
    if (rc != MOSQ_ERR_SUCCESS && !stopping) {
      struct timespec pause = {0, 300 * 1000000L};
      fwx_ota_on_disconnected(&device.ota);
      announced = 0;
      nanosleep(&pause, NULL);
      mosquitto_reconnect(mosq);
      continue;
    }
    if (bridged) {
      fwx_bridge_event_t ev;
      while (fwx_bridge_next_event(&ev, 0) == 1) (void)fwx_sup_post_event(ev.m, ev.kind, ev.handle, ev.arg);
    }
    if (!announced && fwx_ota_online(&device.ota)) {
      announced = 1;
      fprintf(stderr, "[device] online at %s\n", broker_url);
    }
  }
  /* A clean stop says so: the last will is for vanishing. */
  {
    char buf[64];
    int mid;
    uint64_t until = now_ms() + 1000u;
    snprintf(buf, sizeof buf, "{\"online\":false,\"ts\":%lld}", (long long)wall_ms(NULL));
    if (mosquitto_publish(mosq, &mid, will_topic, (int)strlen(buf), buf, 1, true) == MOSQ_ERR_SUCCESS)
      while (now_ms() < until && mosquitto_want_write(mosq)) mosquitto_loop(mosq, 50, 1);
  }
  fwx_device_shutdown(&device);
  mosquitto_disconnect(mosq);
  mosquitto_destroy(mosq);
  mosquitto_lib_cleanup();
  return 0;
}
