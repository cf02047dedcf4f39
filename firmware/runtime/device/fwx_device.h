/* The device core: the OTA state machine, package verification, the slot
 * store and the module supervisor wired into one device (what
 * src/ota/install.ts and src/ota/device-agent.ts are for the Node agent).
 *
 *   verify ─► write inactive slot ─► state: trial ─► start ─► health window
 *      │                                               │            │
 *   refused                                  fault / veto / timeout  passed
 *                                                      ▼            ▼
 *                              state: drop trial, restart old   state: confirmed
 *
 * All device state lives in the slot store (fwx_slots.h) on a flash port:
 * the slots, which is confirmed or on trial, the anti-rollback floor (kept
 * on remove and revert), config values, the last verdict and the download
 * in progress. Each arrow above is one journal commit, after the slot bytes
 * it names are programmed. At boot every slot that is to run is re-hashed and
 * re-verified (at the instant it was first accepted, with the anti-rollback
 * floor); an interrupted trial is retried once, then reverted.
 *
 * Ports: fwx_device_verifier (verifyPackage and SHA-256), the slot store's
 * flash port, fwx_device_kv (modules' kv), the OTA transport, and the wasm3
 * environment through the supervisor. Everything is sized at compile time. */
#ifndef FWX_DEVICE_H
#define FWX_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_ota.h"
#include "fwx_rt_port.h"
#include "fwx_slots.h"
#include "fwx_supervisor.h"

/* Packages are verified and run where they lie in flash, through the flash
 * port's map (fwx_flash_port.h): no package is copied into RAM. A port
 * without map needs -DFWX_DEVICE_RAM_PAYLOAD (every file of the build):
 * then one package buffer for verification and one payload copy per
 * running module, FWX_DEVICE_MAX_PACKAGE bytes each, live in fwx_device;
 * without it, fwx_device_init refuses a store whose port cannot map. */
#define FWX_DEVICE_MAX_MODULES FWX_SUP_MAX_MODULES
#ifndef FWX_DEVICE_MAX_PACKAGE
#define FWX_DEVICE_MAX_PACKAGE (256u * 1024u)
#endif
#ifndef FWX_DEVICE_MAX_CONFIG
#define FWX_DEVICE_MAX_CONFIG 16u              /* config fields a package may declare on this device */
#endif
#define FWX_DEVICE_CONFIG_KEY 32u
#define FWX_DEVICE_CONFIG_VALUE 256u
/* The log ring `fwx logs` reads: sized for an MCU (16 x 128 B); the POSIX device builds with 64 x 320
 * (scripts/build-device.mjs). Every line goes out on the log topic, rendered in one buffer of
 * FWX_DEVICE_LOG_RENDER bytes (a core.log message is at most 256 bytes, plus about 150 of JSON and
 * module name); the ring keeps it in FWX_DEVICE_LOG_LINE bytes, its text shortened when it does not fit. */
#ifndef FWX_DEVICE_LOG_LINES
#define FWX_DEVICE_LOG_LINES 16u
#endif
#ifndef FWX_DEVICE_LOG_LINE
#define FWX_DEVICE_LOG_LINE 128u
#endif
#define FWX_DEVICE_LOG_RENDER 512u
#if FWX_DEVICE_LOG_LINE > FWX_DEVICE_LOG_RENDER || FWX_DEVICE_LOG_LINES < 1
#error "FWX_DEVICE_LOG_LINE must be at most FWX_DEVICE_LOG_RENDER, FWX_DEVICE_LOG_LINES at least 1"
#endif
/* What a module may send, per second of device time with a burst, as the Node agent's defaults
 * (DEFAULT_LOG_RATE, DEFAULT_TELEMETRY_RATE in src/agent/module-supervisor.ts): past it a call is
 * refused `busy` and nothing goes out, so a module in a loop cannot flood the broker. */
#ifndef FWX_DEVICE_LOG_PER_S
#define FWX_DEVICE_LOG_PER_S 20u
#endif
#ifndef FWX_DEVICE_LOG_BURST
#define FWX_DEVICE_LOG_BURST 50u
#endif
#ifndef FWX_DEVICE_TELEMETRY_PER_S
#define FWX_DEVICE_TELEMETRY_PER_S 2u
#endif
#ifndef FWX_DEVICE_TELEMETRY_BURST
#define FWX_DEVICE_TELEMETRY_BURST 10u
#endif
#ifndef FWX_DEVICE_KV_BYTES
#define FWX_DEVICE_KV_BYTES 1024u          /* a module's kv quota, keys and values together */
#endif
#define FWX_DEVICE_MAX_TRIAL_BOOTS 2u
/* The config blob holds every field a package may declare at its longest. */
#define FWX_DEVICE_CONFIG_BLOB (FWX_DEVICE_MAX_CONFIG * (FWX_DEVICE_CONFIG_KEY + FWX_DEVICE_CONFIG_VALUE + 2u))

/* The slot store must be built for this device (same -D for every file: scripts/build-device.mjs). */
#if FWX_SLOTS_MAX_MODULES != FWX_DEVICE_MAX_MODULES
#error "FWX_SLOTS_MAX_MODULES must equal FWX_DEVICE_MAX_MODULES (FWX_SUP_MAX_MODULES)"
#endif
#if FWX_SLOTS_CONFIG_MAX < FWX_DEVICE_CONFIG_BLOB
#error "FWX_SLOTS_CONFIG_MAX must hold FWX_DEVICE_CONFIG_BLOB bytes"
#endif
#if FWX_SLOTS_SLOT_BYTES < FWX_DEVICE_MAX_PACKAGE || FWX_SLOTS_STAGING_BYTES < FWX_DEVICE_MAX_PACKAGE
#error "slots and staging must hold FWX_DEVICE_MAX_PACKAGE bytes"
#endif
#if FWX_SLOTS_VERSION_MAX < FWX_OTA_VERSION_MAX || FWX_SLOTS_NAME_MAX < FWX_OTA_ID_MAX
#error "the slot store's names and versions must hold the OTA's"
#endif

typedef enum fwx_config_type { FWX_CFG_STRING = 0, FWX_CFG_INTEGER, FWX_CFG_NUMBER, FWX_CFG_BOOLEAN } fwx_config_type;

typedef struct fwx_config_field {
  char name[FWX_DEVICE_CONFIG_KEY + 1];
  fwx_config_type type;
  int has_min, has_max, has_default;
  double min, max;
  char def[FWX_DEVICE_CONFIG_VALUE + 1];
} fwx_config_field;

/* What the device needs of a verified package. */
typedef struct fwx_pkg_info {
  char module[FWX_OTA_ID_MAX + 1];
  char version[FWX_OTA_VERSION_MAX + 1];
  uint32_t sequence;
  uint32_t payload_offset, payload_len; /* the wasm inside the package bytes */
  uint32_t granted;                     /* FWX_CAP_BIT per capability kind (FWX_CAP_* ids, not the map's keys) */
  uint32_t timers;                      /* the timer grant's scope: timers at once */
  uint32_t kv_quota;                    /* the kv grant's scope: key + value bytes */
  uint32_t ram_bytes;                   /* the manifest's budgets: linear memory, to the byte */
  uint64_t fuel_per_callback;           /* and fuel per callback (fwx_init's too) */
  uint32_t caps_offset, caps_len;       /* the granted capability map (CBOR) inside the package bytes */
  uint32_t size;                        /* the package's bytes */
  /* The config schema stays in the package (the manifest's config array, CBOR): fwx_pkg_config_field
   * reads a field from the package bytes when needed instead of a copy per running module. */
  uint32_t config_offset, config_len, config_count;
  uint32_t nconfig;                     /* fields with a name, at most FWX_DEVICE_MAX_CONFIG */
} fwx_pkg_info;

/* 1 when the package's telemetry grant (exact topics, prefixes ending in "/#", or "#") allows topic. */
int fwx_pkg_topic_granted(const uint8_t *pkg, const fwx_pkg_info *info, const char *topic, uint32_t topic_len);

/* Field k (0..info->nconfig-1) of a verified package's config schema, read from its bytes: 0, or -1. */
int fwx_pkg_config_field(const uint8_t *pkg, const fwx_pkg_info *info, uint32_t k, fwx_config_field *out);

typedef struct fwx_device_verifier {
  void *ctx;
  /* verifyPackage: 0 with *info filled, or -1 with *code (an FWX_PKG_E_* name) and a message.
   * installed_seq 0: no anti-rollback floor yet. */
  int (*verify)(void *ctx, const uint8_t *pkg, uint32_t len, int64_t now_ms, uint32_t installed_seq,
                fwx_pkg_info *info, const char **code, char *message, size_t message_cap);
  void (*sha256)(void *ctx, const uint8_t *data, size_t n, uint8_t out[32]);
} fwx_device_verifier;

/* A module's kv store (the kv HAL service): one record per module, replaced
 * whole and atomically. Not device state (it is the module's data, kept when
 * the module is removed, as the Node agent keeps it): it lives beside the
 * slot store. The device keeps no copy in RAM: every kv call loads the
 * record (at most FWX_DEVICE_KV_BYTES) into its scratch area, so load should
 * be a read of flash or a file, not a network round trip. */
typedef struct fwx_device_kv {
  void *ctx;
  int (*save)(void *ctx, const char *module, const uint8_t *bytes, uint32_t len);
  long (*load)(void *ctx, const char *module, uint8_t *out, uint32_t cap); /* -1: none */
} fwx_device_kv;

/* A token bucket in thousandths of a token (integers only: no soft-float on an MCU). */
typedef struct fwx_rate {
  uint32_t milli;   /* tokens x 1000, at most burst x 1000 */
  uint64_t last_us; /* fwx_port_now_us() of the last take */
} fwx_rate;

/* A module running now. */
typedef struct fwx_live {
  int used;
  int slot;
  int trial;
  fwx_pkg_info info;
  fwx_sup_module_t *sup;
  int pending;          /* 1 confirm, 2 revert (supervisor verdicts, acted on after its call returns) */
  char why[FWX_SUP_TEXT_MAX];
  uint32_t faults;
  char last_fault[FWX_SUP_TEXT_MAX];
  fwx_rate log_rate, telemetry_rate; /* full at each start */
  /* The running payload where it lies: in its slot, through the flash port's map. wasm3 parses and
   * compiles lazily from these bytes and keeps pointers into them, so the slot must not be erased or
   * written while the module runs. The store writes only into a slot committed empty (the inactive
   * one of a module not on trial) and into the staging area; a running slot is the confirmed one or
   * the trial's, so installs, deltas and transfers never touch it; revert, rollback and remove stop
   * the module before the slot is committed empty (the bytes go only when a later install erases it). */
  const uint8_t *pkg;   /* the whole package (its config schema is read from it), in its slot */
  const uint8_t *wasm;
  uint32_t wasm_len;
#ifdef FWX_DEVICE_RAM_PAYLOAD
  uint8_t pkg_ram[FWX_DEVICE_MAX_PACKAGE]; /* a port without map: the package copied here */
#endif
} fwx_live;

typedef struct fwx_device_config {
  fwx_ota_config ota;
  /* The trial's health window; 0 takes the supervisor's FWX_SUP_HEALTH_* default. */
  uint32_t health_callbacks, health_seconds, health_timeout_seconds;
  /* Test seam, NULL on a real device: the wasm to run for a verified payload.
   * The build against the fake wasm3 maps a payload to a scripted guest. */
  int (*map_payload)(const uint8_t *payload, uint32_t len, const uint8_t **wasm, uint32_t *wasm_len);
  /* The board (may be NULL): a module is about to run on context m with its granted
   * capabilities (a CBOR map); it has stopped. attach returns 0, or -1 with a reason. */
  int (*module_attach)(void *board, fwx_module_t *m, const char *id, const uint8_t *caps, uint32_t caps_len, char *err, size_t cap);
  void (*module_detach)(void *board, fwx_module_t *m);
  void *board;
  /* Test seam, NULL on a real device: called at named points ("trial-recorded": the trial is committed,
   * the module not yet started) so a test can kill the device exactly there. */
  void (*checkpoint)(const char *point);
  /* Lent (required): the module check's tables while a module is checked; the device's
   * verification work area (fwx_verify_work.check, fwx_device_verify.h), idle then. */
  fwx_check_work_t *check_work;
} fwx_device_config;

typedef struct fwx_device {
  fwx_device_config cfg;
  fwx_device_verifier verifier;
  fwx_slots_t *slots;          /* the one durable device state (opened by the caller); module index = its index */
  fwx_device_kv kv_port;
  int64_t (*wall_ms)(void *ctx);
  void *wall_ctx;
  fwx_ota ota;
  fwx_sup_t sup;
  fwx_live live[FWX_DEVICE_MAX_MODULES];
  char last_install[FWX_OTA_EVENT_MAX];
  int has_last_install;
  uint64_t now_ms;      /* monotonic, of the current call */
  /* log ring */
  char log[FWX_DEVICE_LOG_LINES][FWX_DEVICE_LOG_LINE];
  char log_render[FWX_DEVICE_LOG_RENDER]; /* the line being published */
  fwx_config_field field; /* the field fwx_dev_config_value last read (its default is returned from here) */
  char log_module[FWX_DEVICE_LOG_LINES][FWX_OTA_ID_MAX + 1];
  uint32_t log_next, log_count;
#ifdef FWX_DEVICE_RAM_PAYLOAD
  uint8_t ram_pkg[FWX_DEVICE_MAX_PACKAGE]; /* a port without map: the package being verified, read here */
#endif
} fwx_device;

/* Boots on an opened slot store (fwx_slots_open; its flash port must map,
 * unless built with FWX_DEVICE_RAM_PAYLOAD): counts the boot for every
 * trial, re-verifies every slot it runs (hash, signature, anti-rollback
 * floor), starts the modules, and sets up the OTA with its download in the
 * store's staging area (fwx_slots_partial.h; `staging` NULL, or a wrapper of
 * those functions, e.g. with test crash points). 0, or -1 when the store fails. */
int fwx_device_init(fwx_device *d, const fwx_device_config *cfg, const fwx_device_verifier *verifier,
                    fwx_slots_t *slots, const fwx_device_kv *kv, const fwx_ota_transport *net, const fwx_ota_storage *staging,
                    IM3Environment env, int64_t (*wall_ms)(void *), void *wall_ctx, uint64_t now_ms);
/* Runs what is due: OTA timers, module callbacks, trial verdicts. Returns ms until the next thing is due (bounded). */
uint32_t fwx_device_poll(fwx_device *d, uint64_t now_ms);
void fwx_device_on_message(fwx_device *d, const char *topic, const uint8_t *payload, size_t len, uint64_t now_ms);
/* Stops every module (deinit), e.g. at shutdown. */
void fwx_device_shutdown(fwx_device *d);
/* The device of a module context (for the runtime HAL services). */
fwx_device *fwx_device_of(fwx_module_t *m);

#endif
