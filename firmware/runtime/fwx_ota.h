/* The device side of the OTA protocol fwx/v2 (docs/ota-protocol.md) as a
 * transport-agnostic state machine: an MQTT message in (topic, payload),
 * messages out through a publish port; a resumable transfer kept in a
 * partial-download store with its acknowledged offset; command replies,
 * install events and the retained status and presence.
 *
 * What an install does (verify, slots, trial) is the host's business
 * (fwx_device.c): the state machine hands it a complete transfer and
 * publishes the events it reports back.
 *
 * Time comes in as a monotonic millisecond count on every call; the caller
 * runs fwx_ota_poll() at least every 50 ms for the ack timers. Everything is
 * bounded at compile time: no allocation, and no message may make the device
 * hold more than FWX_OTA_HOLD_BYTES of out-of-order chunks. */
#ifndef FWX_OTA_H
#define FWX_OTA_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_command.h"
#include "fwx_json.h"
#include "fwx_statement.h"

#define FWX_OTA_TOPIC_ROOT "fwx/v2"
#define FWX_OTA_ID_MAX 64           /* device, module and client ids */
#define FWX_OTA_VERSION_MAX 64
#ifndef FWX_OTA_MAX_TRANSFER
#define FWX_OTA_MAX_TRANSFER (16u * 1024u * 1024u) /* refused `too-large` at begin above this */
#endif
#define FWX_OTA_MAX_CHUNK 65536u
#define FWX_OTA_CHUNK_HEADER 10u
#define FWX_OTA_ACK_BYTES 7u
#define FWX_OTA_ACK_GAP 0x01u
#define FWX_OTA_ACK_EVERY 8u
#define FWX_OTA_ACK_DELAY_MS 200u
#define FWX_OTA_MAX_ACK_DELAY_MS 1000u
#define FWX_OTA_FINAL_ACK_WAIT_MS 2000u
#define FWX_OTA_STALE_MS 15000u
#define FWX_OTA_STATUS_COALESCE_MS 200u
#define FWX_OTA_HEARTBEAT_MS 30000u
/* RAM. The defaults are sized for a microcontroller; the POSIX device
 * (scripts/build-device.mjs) raises them. Chunks that arrive in order are
 * written to the storage port straight from the transport's buffer: only
 * chunks that arrive early (before their begin is answered) or after a gap
 * are copied into the hold, and MQTT over one TCP connection keeps order, so
 * a few chunks' worth is enough. A chunk that finds the hold full is dropped
 * and resent after a GAP ack. */
#ifndef FWX_OTA_HOLD_BYTES
#define FWX_OTA_HOLD_BYTES 4096u    /* out-of-order and early chunks kept in RAM (4 of fwx flash's 1 KiB chunks) */
#endif
#ifndef FWX_OTA_HOLD_ENTRIES
#define FWX_OTA_HOLD_ENTRIES 8u     /* chunks held at once */
#endif
#define FWX_OTA_MAX_EARLY 8u        /* early chunks of another session kept before they are evicted */
#ifndef FWX_OTA_CMD_MAX
#define FWX_OTA_CMD_MAX 4096u       /* longer commands are ignored */
#endif
/* The retained status: about 160 B of device fields, the device certificate
 * in base64 (about 400 B), the last verdict (up to FWX_OTA_EVENT_MAX) and
 * about 400 B per installed module plus its config values. A status that
 * does not fit is not published: size this for the device's modules and
 * config (the POSIX device: 16 KiB). */
#ifndef FWX_OTA_OUT_MAX
#define FWX_OTA_OUT_MAX 4096u
#endif
#if FWX_OTA_OUT_MAX < 1024u
#error "FWX_OTA_OUT_MAX must hold the partial download's record (1 KiB) as well as the status"
#endif
/* The largest reply (a command may publish a status while its reply is
 * being built, so it is a second buffer): an event and a signed proof
 * (about 1.5 KiB); `logs` returns as many lines as fit. */
#ifndef FWX_OTA_REPLY_MAX
#define FWX_OTA_REPLY_MAX 4096u
#endif
#define FWX_OTA_TOPIC_MAX 192u
#define FWX_OTA_EVENT_MAX 768u

/* Publishes one MQTT message; for QoS 1, *mid (when not NULL) receives an id
 * that fwx_ota_on_delivered() reports once the broker acknowledged it.
 * Returns 0 when the message was handed to the client. */
typedef struct fwx_ota_transport {
  void *ctx;
  int (*publish)(void *ctx, const char *topic, const uint8_t *payload, size_t len, int qos, int retain, int *mid);
} fwx_ota_transport;

/* The partial download: one transfer's bytes and its metadata (the
 * acknowledged offset). `save_meta` replaces the metadata atomically; `sync`
 * makes the data written so far durable. All return 0 on success. */
typedef struct fwx_ota_storage {
  void *ctx;
  int (*open)(void *ctx, uint32_t size);      /* a new, empty transfer */
  int (*write)(void *ctx, uint32_t offset, const uint8_t *data, size_t n);
  int (*read)(void *ctx, uint32_t offset, uint8_t *out, size_t n);
  int (*sync)(void *ctx);
  int (*save_meta)(void *ctx, const char *json, size_t n);
  long (*load_meta)(void *ctx, char *json, size_t cap); /* length, or -1 when there is none */
  uint32_t (*stored)(void *ctx);              /* bytes present in the data (after a restart) */
  void (*discard)(void *ctx);
} fwx_ota_storage;

typedef struct fwx_ota_package {
  char module[FWX_OTA_ID_MAX + 1];
  char version[FWX_OTA_VERSION_MAX + 1];
  uint32_t sequence;
  uint32_t size;
  uint8_t sha256[32];
} fwx_ota_package;

typedef struct fwx_ota_transfer {
  uint16_t session;
  char from[FWX_OTA_ID_MAX + 1];
  uint16_t window;
  int delta;            /* 1: the bytes are a delta against `base` */
  uint32_t size;        /* bytes transferred */
  uint8_t sha256[32];   /* of the bytes transferred */
  uint8_t base[32];
  fwx_ota_package package;
  uint32_t acked;
  int has_request;      /* the signed begin this transfer answers (its verdict is bound to it) */
  uint8_t request[32];
} fwx_ota_transfer;

/* One install step or verdict (the event topic). NULL strings are left out. */
typedef struct fwx_ota_event {
  int has_session;
  uint16_t session;
  const char *module;
  const char *phase;
  int64_t ts;
  const char *version;
  int has_sequence;
  uint32_t sequence;
  const char *reason;
  const char *code;
  const char *package; /* SHA-256 hex */
  const char *request; /* SHA-256 hex of the begin this verdict answers */
  const char *proof;   /* the device's signed statement (base64) */
} fwx_ota_event;

/* A refusal: a code from docs/ota-protocol.md and a message naming what is wrong. */
typedef struct fwx_ota_refusal {
  const char *code;
  char message[200];
} fwx_ota_refusal;

/* What the state machine asks of the device. */
typedef struct fwx_ota_host {
  void *ctx;
  int64_t (*wall_ms)(void *ctx);
  /* Writes "modules":[...] and "lastInstall":... members into the status object. */
  void (*write_status)(void *ctx, fwx_json_writer *w);
  /* The last verdict event as JSON (NUL-terminated), or NULL. */
  const char *(*last_install)(void *ctx);
  /* 1 when this package of `module` is on trial now. */
  int (*on_trial)(void *ctx, const char *module, const uint8_t sha256[32]);
  /* 1 with its SHA-256 when `module` has an intact confirmed package. */
  int (*confirmed_sha)(void *ctx, const char *module, uint8_t sha256[32]);
  /* 1 when a package with this hash sits in a slot. */
  int (*has_package)(void *ctx, const uint8_t sha256[32]);
  /* All bytes are in the storage: check, install, and report through fwx_ota_emit(). */
  void (*transfer_complete)(void *ctx, const fwx_ota_transfer *t);
  /* rollback / remove / config: writes the reply's members ("event":{...}); 0, or -1 with *why filled. */
  int (*command)(void *ctx, const char *op, fwx_json_span cmd, fwx_json_writer *reply, fwx_ota_refusal *why);
  /* Writes the reply's "lines":[...] member. */
  void (*logs)(void *ctx, const char *module, uint32_t limit, fwx_json_writer *reply);
} fwx_ota_host;

typedef struct fwx_ota_config {
  const char *device_id;
  const char *board;
  const char *customer;
  const char *group;
  const char *agent; /* runtime version */
  /* Signed operations (docs/ota-protocol.md, "Trust model"): the gate that
   * admits signed commands, and the device identity that signs every answer
   * to one. NULL gate: every state-changing command is refused `unsigned`
   * (a build with -DFWX_OTA_TEST_UNSIGNED, for the transfer machinery's unit
   * tests only, runs them unsigned instead). */
  fwx_cmd_gate *gate;
  const uint8_t *device_seed;      /* 32 bytes: the device key */
  const char *device_cert_b64;     /* published as "cert" in the retained status */
} fwx_ota_config;

typedef struct fwx_ota_hold_entry {
  uint16_t session;
  uint32_t offset;
  uint32_t pos; /* in hold[] */
  uint32_t len;
} fwx_ota_hold_entry;

typedef struct fwx_ota {
  fwx_ota_config cfg;
  fwx_ota_transport net;
  fwx_ota_storage store;
  fwx_ota_host host;
  char base_topic[24 + FWX_OTA_ID_MAX];

  int active;           /* a transfer is held */
  fwx_ota_transfer t;
  uint32_t contiguous;
  uint32_t in_order_since_ack;
  int64_t gap_reported_at; /* -1: none */
  int activity_known;      /* 0: stale (recovered at boot) */
  uint64_t last_activity;
  int last_chunk_known;
  uint64_t last_chunk_at;
  uint32_t chunk_gap_ms;
  int ack_armed;
  uint64_t ack_due;
  int final_ack_mid;    /* -1: none outstanding */
  int final_ack_armed;
  uint64_t final_ack_due;
  int complete_pending; /* start the install at the next poll */

  int installing;
  uint16_t installing_session;
  uint8_t installing_sha[32];

  int status_armed;
  uint64_t status_due;
  uint64_t heartbeat_due;
  int connected;
  int online_mids[2];
  int online_pending;   /* announcements not yet acknowledged */

  uint32_t hold_used;
  uint32_t hold_count;
  fwx_ota_hold_entry hold_idx[FWX_OTA_HOLD_ENTRIES];
  uint8_t hold[FWX_OTA_HOLD_BYTES];
  char out[FWX_OTA_OUT_MAX]; /* the status being published, or the partial download's record being saved or read */
  char reply[FWX_OTA_REPLY_MAX];
  /* signed operations */
  int has_request;      /* the last begin's digest, bound into the verdict of its package */
  uint8_t request[32];
  uint8_t request_pkg[32];
  int has_last;         /* the answer to the last accepted begin or abort, repeated for the same bytes */
  uint8_t last_digest[32];
  char last_answer[2048];
  size_t last_answer_len;
  char signed_json[2u * FWX_CMD_MAX];
  /* The signed command being answered: a begin's "preempt", a delivered list's outcome (the reply's serial, replaced). */
  int preempt;
  int rl_answer, rl_replaced;
  uint64_t rl_serial;
  char proof[FWX_STATEMENT_PROOF_MAX];
  char topic[FWX_OTA_TOPIC_MAX];
} fwx_ota;

/* Sets up and reloads a partial download left by a previous run. 0, or -1 for a bad configuration. */
int fwx_ota_init(fwx_ota *ota, const fwx_ota_config *cfg, const fwx_ota_transport *net,
                 const fwx_ota_storage *store, const fwx_ota_host *host);
/* The topic (fwx/v2/<d>/<leaf>) into out; for subscribing and the last will. */
int fwx_ota_topic(const fwx_ota *ota, const char *leaf, char *out, size_t cap);
/* The last will's payload ({"online":false}). */
const char *fwx_ota_will_payload(void);
/* After (re)connecting and subscribing to cmd and chunk: presence and status. */
void fwx_ota_on_connected(fwx_ota *ota, uint64_t now);
void fwx_ota_on_disconnected(fwx_ota *ota);
/* 1 once the presence and status of the last connection were acknowledged. */
int fwx_ota_online(const fwx_ota *ota);
void fwx_ota_on_message(fwx_ota *ota, const char *topic, const uint8_t *payload, size_t len, uint64_t now);
void fwx_ota_on_delivered(fwx_ota *ota, int mid, uint64_t now);
void fwx_ota_poll(fwx_ota *ota, uint64_t now);
/* Publishes an install event (and the status with it); a verdict for the
 * package being installed ends the install and drops the partial download. */
void fwx_ota_emit(fwx_ota *ota, const fwx_ota_event *e, uint64_t now);
/* Asks for a status publication within the coalescing delay. */
void fwx_ota_status_changed(fwx_ota *ota, uint64_t now);
/* Publishes a log line (JSON) on the log topic, QoS 0; telemetry likewise. */
void fwx_ota_publish_log(fwx_ota *ota, const char *json, size_t len);
void fwx_ota_publish_telemetry(fwx_ota *ota, const char *module, const char *topic, const uint8_t *payload, size_t len);
/* Writes an event as a JSON object. */
void fwx_ota_write_event(fwx_json_writer *w, const fwx_ota_event *e);
/* Reads the partial download (for the host's hash check and delta). */
int fwx_ota_read_transfer(fwx_ota *ota, uint32_t offset, uint8_t *out, size_t n);
/* Whether id is a valid device/client id (1-64 of A-Z a-z 0-9 . _ -). */
int fwx_ota_valid_id(const char *id);
/* Whether id is a valid module id (1-64 of a-z 0-9 . _ -, starting alphanumeric). */
int fwx_ota_valid_module(const char *id);

#endif
