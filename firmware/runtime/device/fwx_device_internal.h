/* Shared between the device core's files; not part of the runtime's API. */
#ifndef FWX_DEVICE_INTERNAL_H
#define FWX_DEVICE_INTERNAL_H

#include "fwx_device.h"

int fwx_dev_save_state(fwx_device *d);
int fwx_dev_load_state(fwx_device *d);
void fwx_dev_write_slots(fwx_json_writer *w, const fwx_module_rec *r);
void fwx_dev_write_slot_name(fwx_json_writer *w, int slot);
/* Appends a log line (a JSON object without its closing brace is completed here) to the ring and the log topic. */
void fwx_dev_log(fwx_device *d, const char *module, const char *kind, const char *k1, const char *v1, const char *k2, const char *v2);
/* The effective value of a config key: device value, else the manifest default. NULL when neither. */
const char *fwx_dev_config_value(const fwx_device *d, unsigned index, const char *key);
/* Index of the module record of a live module context. */
int fwx_dev_index_of(const fwx_device *d, const fwx_module_t *m);
/* Checks and applies `fwx config set` values; -1 with *why on a value the manifest does not allow. */
int fwx_dev_check_config(const fwx_pkg_info *info, const char *module, fwx_json_span values, fwx_module_rec *rec, fwx_ota_refusal *why);
void fwx_dev_kv_load(fwx_device *d, unsigned index);
void fwx_dev_kv_clear(fwx_device *d, unsigned index);

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
/* Publishes; for a verdict (verdict 1), records it as the last install first. */
void fwx_dev_emit(fwx_device *d, const fwx_ota_event *e, int verdict);
/* Reads, re-hashes and re-verifies a slot into buf (at the instant it was first accepted, against floor). */
int fwx_dev_load_slot(fwx_device *d, const fwx_module_rec *r, int slot, uint32_t floor, uint8_t *buf, fwx_pkg_info *info, char *problem, size_t cap);
void fwx_dev_stop(fwx_device *d, unsigned i, const char *why);
void fwx_dev_run_confirmed(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info);
void fwx_dev_begin_trial(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info);
/* Acts on the supervisor's confirm / revert verdicts (never from inside a supervisor call). */
void fwx_dev_settle(fwx_device *d);
void fwx_dev_on_sup_event(void *user, const fwx_sup_event_t *ev);
void fwx_dev_transfer_complete(void *ctx, const fwx_ota_transfer *t);
void fwx_dev_host_bind(fwx_device *d, fwx_ota_host *host);

#endif
