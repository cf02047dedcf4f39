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

#endif
