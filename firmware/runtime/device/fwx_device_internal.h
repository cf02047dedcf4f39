/* Shared between the device core's files; not part of the runtime's API. */
#ifndef FWX_DEVICE_INTERNAL_H
#define FWX_DEVICE_INTERNAL_H

#include "fwx_device.h"

/* ---- the state on the slot store (fwx_device_state.c) ---- */
/* The store's record of module i, NULL when unused. */
const fwx_slots_module_t *fwx_dev_rec(const fwx_device *d, unsigned i);
/* FWX_SLOT_A/B -> 0/1, FWX_SLOT_NONE -> -1. */
int fwx_dev_slot_of(uint8_t slot);
int fwx_dev_installed(const fwx_slots_module_t *r);
void fwx_dev_write_slots(fwx_json_writer *w, const fwx_slots_module_t *r);
void fwx_dev_write_slot_name(fwx_json_writer *w, int slot);
/* A number as config text (fwx_device_verify.c): integers as integers, others with up to 9 decimals; |v| < 2^63. */
void fwx_dev_number_text(double v, char *out, size_t cap);
/* Module i's config values (key NUL value NUL ...) in the store's record: NULL with *len 0 when
 * there are none or the blob does not decode whole (fwx_dev_blob_valid). Valid until the next commit. */
const uint8_t *fwx_dev_values_of(const fwx_device *d, unsigned i, uint32_t *len);
int fwx_dev_blob_valid(const uint8_t *blob, uint32_t len);
/* Iterates a valid blob: 1 with the pair at *pos (pointers into the blob), 0 at its end. */
int fwx_dev_blob_next(const uint8_t *blob, uint32_t len, uint32_t *pos, const char **key, const char **value);
void fwx_dev_verdict_of(const fwx_ota_event *e, fwx_slots_verdict_t *v);
/* d->last_install from the store's verdict record. */
void fwx_dev_last_install_load(fwx_device *d);
/* Appends a log line (a JSON object without its closing brace is completed here) to the ring and the log topic. */
void fwx_dev_log(fwx_device *d, const char *module, const char *kind, const char *k1, const char *v1, const char *k2, const char *v2);
/* Writes members of a log line after the usual ones (a fault's detail, module hash and frames).
 * `shorter` counts the renderings that did not fit: write less each time; return 0 when there is
 * nothing left to leave out (the line then goes without these members). */
typedef int (*fwx_dev_log_more)(fwx_json_writer *w, const void *ctx, unsigned shorter);
/* fwx_dev_log with more members on the published line. The ring keeps that line when it fits a ring
 * line (FWX_DEVICE_LOG_LINE), else the line without them. */
void fwx_dev_log_with(fwx_device *d, const char *module, const char *kind, const char *k1, const char *v1, const char *k2,
                      const char *v2, fwx_dev_log_more more, const void *ctx);
/* The effective value of a config key: device value, else the manifest default. NULL when neither. */
const char *fwx_dev_config_value(fwx_device *d, unsigned index, const char *key);
/* Index of the module record of a live module context. */
int fwx_dev_index_of(const fwx_device *d, const fwx_module_t *m);
/* Checks `fwx config set` values against the manifest and builds the blob module i would have
 * with them applied, in fwx_dev_scratch_area.config_blob: its length, or -1 with *why on a value
 * the manifest does not allow (all or nothing; nothing is committed here). */
long fwx_dev_check_config(fwx_device *d, unsigned i, const uint8_t *pkg, const fwx_pkg_info *info, const char *module, fwx_json_span values, fwx_ota_refusal *why);

/* One scratch area for the record being built aside, too large for a small
 * task stack: the config blob being built from `fwx config set` values
 * (fwx_dev_check_config, committed by the caller) and a module's kv record
 * being replaced (fwx_hal_kv_set/delete). Neither use calls the other, and
 * the device is single-threaded, so they share it. */
typedef union fwx_dev_scratch {
  uint8_t config_blob[FWX_DEVICE_CONFIG_BLOB];
  uint8_t kv_record[FWX_DEVICE_KV_BYTES];
} fwx_dev_scratch;
extern fwx_dev_scratch fwx_dev_scratch_area;

/* Shared by fwx_device.c, fwx_device_run.c, fwx_device_install.c and fwx_device_host.c. */
typedef struct ev_text {
  char reason[240];
  char package[65];
} ev_text;
const char *fwx_dev_slot_letter(int slot);
void fwx_dev_hex32(const uint8_t sha[32], char out[65]);
int fwx_dev_find(const fwx_device *d, const char *id);
int fwx_dev_free(const fwx_device *d);
int64_t fwx_dev_wall(const fwx_device *d);
fwx_ota_event fwx_dev_event(const char *module, const char *phase, int64_t ts);
/* Publishes e. For a verdict, first keeps it as the last install (the status published with it names it):
 * FWX_DEV_VERDICT also commits it to the store, FWX_DEV_VERDICT_COMMITTED when the caller's own commit
 * (confirm, revert) carried it. */
#define FWX_DEV_EVENT 0
#define FWX_DEV_VERDICT 1
#define FWX_DEV_VERDICT_COMMITTED 2
void fwx_dev_emit(fwx_device *d, const fwx_ota_event *e, int verdict);
/* Bytes [0, len) of a slot (module index, FWX_SLOT_A/B) or of the staging area (FWX_SLOTS_STAGING) where
 * they lie (mapped flash), or with FWX_DEVICE_RAM_PAYLOAD read into d->ram_pkg (valid until the next call).
 * NULL when they can be neither. */
const uint8_t *fwx_dev_bytes(fwx_device *d, uint32_t module, uint32_t slot, uint32_t len);
/* Re-hashes and re-verifies slot 0/1 of module i in place (at the instant it was first accepted, against the
 * anti-rollback floor `floor`, 0 for none): 0 with *pkg its bytes, or -1 with the problem. */
int fwx_dev_load_slot(fwx_device *d, unsigned i, int slot, uint64_t floor, const uint8_t **pkg, fwx_pkg_info *info, char *problem, size_t cap);
void fwx_dev_stop(fwx_device *d, unsigned i, const char *why);
void fwx_dev_run_confirmed(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info);
void fwx_dev_begin_trial(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info);
/* Acts on the supervisor's confirm / revert verdicts (never from inside a supervisor call). */
void fwx_dev_settle(fwx_device *d);
void fwx_dev_on_sup_event(void *user, const fwx_sup_event_t *ev);
void fwx_dev_transfer_complete(void *ctx, const fwx_ota_transfer *t);
void fwx_dev_host_bind(fwx_device *d, fwx_ota_host *host);

#endif
