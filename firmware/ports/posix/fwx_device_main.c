/* fwx-device: the POSIX reference device. The flags of `fwx agent`; MQTT
 * through libmosquitto, crypto through libsodium (fwx_crypto_sodium.c),
 * slots and state as files (fwx_posix_store.c), modules on wasm3 (the real
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
#include "fwx_posix_identity.h"
#include "fwx_posix_store.h"
#include "fwx_rt_port.h"

#ifndef FWX_DEVICE_VERSION
#define FWX_DEVICE_VERSION "fwx-device 0.1.0"
#endif

/* The fake-wasm3 build links a guest table (tests/c/ota/fake_device_guests.c). */
#ifdef FWX_DEVICE_FAKE_GUESTS
int fwx_fake_map_payload(const uint8_t *payload, uint32_t len, const uint8_t **wasm, uint32_t *wasm_len);
#endif

static fwx_device device;
static fwx_posix_store store;
static fwx_posix_board board;
static fwx_device_trust trust;
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
  char topic[FWX_OTA_TOPIC_MAX];
  (void)obj;
  if (rc != 0) return;
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
  if (!bridged) return 0; /* no board: a module that touches a peripheral ends the device (fwx_bridge.c's lost handler) */
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
          "                  [--broker mqtt://127.0.0.1:1883] [--board <profile.json>] [--board-socket <path>]\n"
          "--board-socket: the HAL bridge of `fwx board serve` (docs/hal-bridge.md) serving the peripherals\n",
          why);
  return 2;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int b64val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* The product root public key as `fwx keys` writes it (PEM), or hex, or 32 raw bytes. */
static int read_root(const char *path, uint8_t out[32]) {
  char buf[4096];
  size_t n, i, k = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  if (n == 32) {
    memcpy(out, buf, 32);
    return 0;
  }
  if (strstr(buf, "-----BEGIN")) {
    uint8_t der[256];
    size_t d = 0;
    unsigned acc = 0;
    int bits = 0;
    const char *p = strchr(buf, '\n');
    const char *end = strstr(buf, "-----END");
    if (!p || !end) return -1;
    for (; p < end; p++) {
      int v = b64val(*p);
      if (v < 0) continue;
      acc = acc << 6 | (unsigned)v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        if (d < sizeof der) der[d++] = (uint8_t)(acc >> bits);
      }
    }
    /* An Ed25519 SubjectPublicKeyInfo ends in the 32 key bytes. */
    if (d < 32) return -1;
    memcpy(out, der + d - 32, 32);
    return 0;
  }
  for (i = 0; i < n && k < 64; i++) {
    if (hexval(buf[i]) < 0) {
      if (buf[i] == '\n' || buf[i] == ' ' || buf[i] == '\r') continue;
      return -1;
    }
    if (k % 2 == 0) out[k / 2] = (uint8_t)(hexval(buf[i]) << 4);
    else out[k / 2] |= (uint8_t)hexval(buf[i]);
    k++;
  }
  return k == 64 ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *device_id = NULL, *state_dir = NULL, *root = NULL, *customer = NULL, *group = NULL;
  const char *device_key = NULL, *device_cert = NULL;
  const char *broker = "mqtt://127.0.0.1:1883", *board_path = FWX_DEFAULT_BOARD, *board_socket = NULL;
  char host[200], error[300], will_topic[FWX_OTA_TOPIC_MAX];
  int port = 1883, i;
  fwx_device_config cfg;
  fwx_device_verifier verifier;
  fwx_device_store dstore;
  fwx_ota_storage partial;
  fwx_ota_transport net;
  IM3Environment env;
  struct sigaction sa;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage("the POSIX reference device (docs/firmware.md)");
      return 0;
    }
    if (!v) return usage("every option takes a value");
    if (strcmp(a, "--device-id") == 0) device_id = v;
    else if (strcmp(a, "--state-dir") == 0) state_dir = v;
    else if (strcmp(a, "--root") == 0) root = v;
    else if (strcmp(a, "--customer") == 0) customer = v;
    else if (strcmp(a, "--device-key") == 0) device_key = v;
    else if (strcmp(a, "--device-cert") == 0) device_cert = v;
    else if (strcmp(a, "--group") == 0) group = v;
    else if (strcmp(a, "--broker") == 0) broker = v;
    else if (strcmp(a, "--board") == 0) board_path = v;
    else if (strcmp(a, "--board-socket") == 0) board_socket = v;
    else if (strcmp(a, "--health-callbacks") == 0 || strcmp(a, "--health-seconds") == 0 || strcmp(a, "--speed") == 0)
      fprintf(stderr, "[device] %s is fixed at build time on this device (FWX_SUP_HEALTH_*); ignored\n", a);
    else return usage("unknown option");
    i++;
  }
  if (!device_id || !state_dir || !root || !customer || !group) return usage("--device-id, --state-dir, --root, --customer and --group are required");
  if (!device_key || !device_cert) return usage("--device-key and --device-cert are required (the device's identity: fwx keys gen, then fwx cert device)");
  if (!fwx_ota_valid_id(device_id)) return usage("--device-id must be 1-64 of A-Z a-z 0-9 . _ -");
  if (sscanf(broker, "mqtt://%199[^:/]:%d", host, &port) < 1) return usage("--broker must be mqtt://host[:port]");
  snprintf(broker_url, sizeof broker_url, "%s", broker);
  if (read_root(root, trust.root_public_key) != 0) {
    fprintf(stderr, "fwx-device: --root %s is not an Ed25519 public key (PEM, hex or 32 raw bytes)\n", root);
    return 2;
  }
  if (fwx_posix_board_load(&board, board_path, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: %s\n", error);
    return 2;
  }
  if (fwx_posix_store_open(&store, state_dir) != 0) {
    fprintf(stderr, "fwx-device: cannot use --state-dir %s: %s\n", state_dir, strerror(errno));
    return 2;
  }
  if (fwx_posix_identity_load(&identity, device_key, device_cert, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: %s\n", error);
    return 2;
  }
  if (fwx_posix_counter_open(&identity, state_dir, &gate.counter, &gate.counter_port) != 0) {
    /* A lost counter would let old commands run again: refuse to start rather than forget it. */
    fprintf(stderr, "fwx-device: %s/operations.json is damaged; refusing to start (it holds the highest command counter accepted)\n", state_dir);
    return 2;
  }
  gate.root_public_key = trust.root_public_key;
  gate.device_id = device_id;
  gate.customer = customer;
  gate.group = group;
  if (fwx_cmd_check_device_cert(&gate, identity.cert, (uint32_t)identity.cert_len, identity.seed, wall_ms(NULL) / 1000, error, sizeof error) != 0) {
    fprintf(stderr, "fwx-device: --device-cert %s: %s\n", device_cert, error);
    return 2;
  }
  trust.customer = customer;
  trust.group = group;
  trust.board_caps = board.caps;
  trust.board_caps_len = board.caps_len;
  fwx_device_verifier_init(&verifier, &trust);
  fwx_posix_store_ports(&store, &dstore, &partial);
  memset(&cfg, 0, sizeof cfg);
  cfg.ota.device_id = device_id;
  cfg.ota.board = board.name;
  cfg.ota.customer = customer;
  cfg.ota.group = group;
  cfg.ota.agent = FWX_DEVICE_VERSION;
  cfg.ota.gate = &gate;
  cfg.ota.device_seed = identity.seed;
  cfg.ota.device_cert_b64 = identity.cert_b64;
#ifdef FWX_DEVICE_FAKE_GUESTS
  cfg.map_payload = fwx_fake_map_payload;
#endif
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
  mosq = mosquitto_new(NULL, true, NULL);
  if (!mosq) {
    fprintf(stderr, "fwx-device: mosquitto_new failed\n");
    return 1;
  }
  env = m3_NewEnvironment();
  if (!env) {
    fprintf(stderr, "fwx-device: m3_NewEnvironment failed\n");
    return 1;
  }
  if (fwx_device_init(&device, &cfg, &verifier, &dstore, &net, &partial, env, wall_ms, NULL, now_ms()) != 0) {
    fprintf(stderr, "fwx-device: %s/device.json is damaged; starting without modules\n", state_dir);
  }
  {
    unsigned k, n = 0;
    for (k = 0; k < FWX_DEVICE_MAX_MODULES; k++) n += device.modules[k].used ? 1u : 0u;
    fprintf(stderr, "[device] %s booted with %u module(s)\n", device_id, n);
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
  if (mosquitto_connect(mosq, host, port, 20) != MOSQ_ERR_SUCCESS) fprintf(stderr, "[device] broker %s not reachable yet; retrying\n", broker);

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
