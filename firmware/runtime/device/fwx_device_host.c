/* What the OTA state machine asks of the device (fwx_ota_host): the
 * status record, rollback / remove / config commands, and log lines. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_device_internal.h"
#include "fwx_text.h"


static int64_t host_wall(void *ctx) { return fwx_dev_wall(ctx); }

static const char *host_last(void *ctx) {
  fwx_device *d = ctx;
  return d->has_last_install ? d->last_install : NULL;
}

static int host_on_trial(void *ctx, const char *module, const uint8_t sha[32]) {
  fwx_device *d = ctx;
  int i = fwx_dev_find(d, module);
  const fwx_slots_module_t *r = i >= 0 ? fwx_dev_rec(d, (unsigned)i) : NULL;
  return r && d->live[i].used && d->live[i].trial && r->trial != FWX_SLOT_NONE && memcmp(r->slot[r->trial].sha256, sha, 32) == 0;
}

static int host_confirmed(void *ctx, const char *module, uint8_t sha[32]) {
  fwx_device *d = ctx;
  int i = fwx_dev_find(d, module);
  const fwx_slots_module_t *r = i >= 0 ? fwx_dev_rec(d, (unsigned)i) : NULL;
  if (!r || r->confirmed == FWX_SLOT_NONE) return 0;
  memcpy(sha, r->slot[r->confirmed].sha256, 32);
  return 1;
}

static int host_has(void *ctx, const uint8_t sha[32]) {
  fwx_device *d = ctx;
  unsigned i;
  int k;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) {
    const fwx_slots_module_t *r = fwx_dev_rec(d, i);
    for (k = 0; r && k < 2; k++)
      if (r->slot[k].present && memcmp(r->slot[k].sha256, sha, 32) == 0) return 1;
  }
  return 0;
}

static const char *module_state(const fwx_device *d, unsigned i) {
  const fwx_live *l = &d->live[i];
  if (!l->used || !l->sup) return "stopped";
  if (l->trial) return "trial";
  switch (l->sup->state) {
    case FWX_SUP_RUNNING:
    case FWX_SUP_BACKOFF: return "confirmed";
    case FWX_SUP_QUARANTINED: return "quarantined";
    case FWX_SUP_FAILED: return "faulted";
    default: return "stopped";
  }
}

static void host_status(void *ctx, fwx_json_writer *w) {
  fwx_device *d = ctx;
  unsigned i, k;
  fwx_jw_key(w, "modules");
  fwx_jw_begin_array(w);
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) {
    const fwx_slots_module_t *r = fwx_dev_rec(d, i);
    const fwx_live *l = &d->live[i];
    if (!fwx_dev_installed(r)) continue;
    fwx_jw_begin_object(w);
    fwx_jw_key(w, "id"); fwx_jw_string(w, r->name);
    fwx_jw_key(w, "active"); fwx_dev_write_slot_name(w, l->used ? l->slot : -1);
    fwx_jw_key(w, "state"); fwx_jw_string(w, module_state(d, i));
    fwx_jw_key(w, "version");
    if (l->used) fwx_jw_string(w, l->info.version);
    else fwx_jw_null(w);
    fwx_jw_key(w, "sequence");
    if (l->used) fwx_jw_int(w, l->info.sequence);
    else fwx_jw_null(w);
    fwx_jw_key(w, "slots"); fwx_dev_write_slots(w, r);
    fwx_jw_key(w, "confirmed"); fwx_dev_write_slot_name(w, fwx_dev_slot_of(r->confirmed));
    fwx_jw_key(w, "installedSeq"); fwx_jw_int(w, (int64_t)fwx_slots_floor(d->slots, r->name));
    fwx_jw_key(w, "health");
    fwx_jw_begin_object(w);
    fwx_jw_key(w, "callbacks"); fwx_jw_int(w, l->used && l->sup ? l->sup->callbacks : 0);
    fwx_jw_key(w, "faults"); fwx_jw_int(w, l->used ? l->faults : 0);
    fwx_jw_key(w, "restarts"); fwx_jw_int(w, l->used && l->sup ? l->sup->restarts : 0);
    fwx_jw_key(w, "lastFault");
    if (l->used && l->last_fault[0]) fwx_jw_string(w, l->last_fault);
    else fwx_jw_null(w);
    fwx_jw_end_object(w);
    fwx_jw_key(w, "config");
    fwx_jw_begin_object(w);
    if (l->used) {
      for (k = 0; k < l->info.nconfig; k++) {
        fwx_config_field f;
        const char *v = fwx_pkg_config_field(l->pkg, &l->info, k, &f) == 0 ? fwx_dev_config_value(d, i, f.name) : NULL;
        if (!v) continue;
        fwx_jw_key(w, f.name);
        fwx_jw_string(w, v);
      }
    } else {
      uint32_t len, pos = 0;
      const uint8_t *blob = fwx_dev_values_of(d, i, &len);
      const char *key, *value;
      while (blob && fwx_dev_blob_next(blob, len, &pos, &key, &value)) {
        fwx_jw_key(w, key);
        fwx_jw_string(w, value);
      }
    }
    fwx_jw_end_object(w);
    fwx_jw_end_object(w);
  }
  fwx_jw_end_array(w);
  fwx_jw_key(w, "lastInstall");
  if (d->has_last_install) fwx_jw_raw(w, d->last_install, fwx_strlen(d->last_install));
  else fwx_jw_null(w);
}

static int refuse(fwx_ota_refusal *why, const char *code, const char *a, const char *b, const char *c) {
  fwx_text t;
  why->code = code;
  fwx_text_init(&t, why->message, sizeof why->message);
  if (a) fwx_text_str(&t, a);
  if (b) fwx_text_str(&t, b);
  if (c) fwx_text_str(&t, c);
  return -1;
}

/* Writes "event": e into the reply and publishes it. */
static void reply_event(fwx_device *d, fwx_json_writer *reply, const fwx_ota_event *e) {
  fwx_jw_key(reply, "event");
  fwx_ota_write_event(reply, e);
  fwx_dev_emit(d, e, FWX_DEV_EVENT);
}

static int host_command(void *ctx, const char *op, fwx_json_span cmd, fwx_json_writer *reply, fwx_ota_refusal *why) {
  fwx_device *d = ctx;
  char module[FWX_OTA_ID_MAX + 1];
  int i, confirmed;
  const fwx_slots_module_t *r;
  if (fwx_json_string(fwx_json_get(cmd, "module"), module, sizeof module) < 0 || !fwx_ota_valid_module(module))
    return refuse(why, "bad-request", "module is not a module id", NULL, NULL);
  i = fwx_dev_find(d, module);
  r = i >= 0 ? fwx_dev_rec(d, (unsigned)i) : NULL;
  if (!fwx_dev_installed(r)) return refuse(why, "not-found", "module ", module, " is not installed");
  confirmed = fwx_dev_slot_of(r->confirmed);
  if (r->trial != FWX_SLOT_NONE) return refuse(why, "busy", "module ", module, " is on trial; wait for its verdict");
  if (fwx_streq(op, "rollback")) {
    fwx_pkg_info info;
    const uint8_t *pkg;
    char problem[200], reason[40];
    int to, from = confirmed;
    fwx_ota_event e;
    fwx_text t;
    if (confirmed < 0) return refuse(why, "no-previous", "module ", module, " has no confirmed slot");
    to = 1 - confirmed;
    if (!r->slot[to].present) return refuse(why, "no-previous", "module ", module, to ? " has nothing in slot B to roll back to" : " has nothing in slot A to roll back to");
    if (fwx_dev_load_slot(d, (unsigned)i, to, 0, &pkg, &info, problem, sizeof problem) != 0) return refuse(why, "slot-damaged", "cannot roll back: ", problem, NULL);
    if (fwx_slots_rollback(d->slots, module) != FWX_SLOTS_OK) return refuse(why, "storage", "cannot record the rollback (flash)", NULL, NULL);
    fwx_dev_stop(d, (unsigned)i, "rolled back");
    fwx_dev_run_confirmed(d, (unsigned)i, to, pkg, &info);
    fwx_text_init(&t, reason, sizeof reason);
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(from));
    fwx_text_str(&t, " \xe2\x86\x92 slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(to));
    e = fwx_dev_event(module, "rolled-back", fwx_dev_wall(d));
    e.version = info.version;
    e.has_sequence = 1;
    e.sequence = info.sequence;
    e.reason = reason;
    reply_event(d, reply, &e);
    fwx_dev_settle(d);
    return 0;
  }
  if (fwx_streq(op, "remove")) {
    fwx_ota_event e = fwx_dev_event(module, "removed", fwx_dev_wall(d));
    /* One commit: slots and config go, the anti-rollback floor stays. */
    if (fwx_slots_remove(d->slots, module) != FWX_SLOTS_OK) return refuse(why, "storage", "cannot record the removal (flash)", NULL, NULL);
    fwx_dev_stop(d, (unsigned)i, "removed");
    reply_event(d, reply, &e);
    return 0;
  }
  if (fwx_streq(op, "config")) {
    fwx_live *l = &d->live[i];
    fwx_pkg_info info;
    const uint8_t *pkg;
    char problem[200];
    char reason[240];
    fwx_ota_event e;
    fwx_json_span values = fwx_json_get(cmd, "values");
    long blob_len;
    int32_t rc;
    fwx_json_span k, v;
    size_t pos = 0;
    fwx_text t;
    if (!l->used) return refuse(why, "not-running", "module ", module, " has no runnable slot");
    if (fwx_json_kind_of(values) != FWX_JSON_OBJECT) return refuse(why, "bad-request", "values is not an object", NULL, NULL);
    /* All or nothing in RAM, then one commit; a failed commit reloads the committed values. */
    blob_len = fwx_dev_check_config(d, (unsigned)i, l->pkg, &l->info, module, values, why);
    if (blob_len < 0) return -1;
    rc = fwx_slots_set_config(d->slots, fwx_dev_rec(d, (unsigned)i)->name, fwx_dev_scratch_area.config_blob, (uint32_t)blob_len);
    /* Every module's values share the store's config pool (FWX_SLOTS_CONFIG_POOL bytes on this device). */
    if (rc == FWX_SLOTS_E_TOO_LARGE) return refuse(why, "too-large", "the config values of this device's modules would not fit its config store (FWX_SLOTS_CONFIG_POOL)", NULL, NULL);
    if (rc != FWX_SLOTS_OK) return refuse(why, "storage", "cannot record the config values (flash)", NULL, NULL);
    if (fwx_dev_load_slot(d, (unsigned)i, l->slot, 0, &pkg, &info, problem, sizeof problem) != 0) return refuse(why, "slot-damaged", problem, NULL, NULL);
    fwx_dev_run_confirmed(d, (unsigned)i, l->slot, pkg, &info);
    fwx_text_init(&t, reason, sizeof reason);
    while (fwx_json_next_member(values, &pos, &k, &v)) {
      char key[FWX_DEVICE_CONFIG_KEY + 1];
      const char *val;
      if (fwx_json_string(k, key, sizeof key) < 0) continue;
      val = fwx_dev_config_value(d, (unsigned)i, key);
      if (t.len) fwx_text_str(&t, ", ");
      fwx_text_str(&t, key);
      fwx_text_str(&t, "=");
      fwx_text_str(&t, val ? val : "");
    }
    e = fwx_dev_event(module, "reconfigured", fwx_dev_wall(d));
    e.reason = reason;
    reply_event(d, reply, &e);
    fwx_dev_settle(d);
    return 0;
  }
  return refuse(why, "unknown-op", "unknown command", NULL, NULL);
}

static void host_logs(void *ctx, const char *module, uint32_t limit, fwx_json_writer *reply) {
  fwx_device *d = ctx;
  uint32_t k, matching = 0, skip;
  /* The newest `limit` matching lines, oldest first, as many as fit the reply. */
  for (k = 0; k < d->log_count; k++) {
    uint32_t idx = (d->log_next + FWX_DEVICE_LOG_LINES - d->log_count + k) % FWX_DEVICE_LOG_LINES;
    if (!module || fwx_streq(d->log_module[idx], module)) matching++;
  }
  skip = matching > limit ? matching - limit : 0u;
  fwx_jw_key(reply, "lines");
  fwx_jw_begin_array(reply);
  for (k = 0; k < d->log_count; k++) {
    uint32_t idx = (d->log_next + FWX_DEVICE_LOG_LINES - d->log_count + k) % FWX_DEVICE_LOG_LINES;
    size_t before = reply->len;
    int comma = reply->comma;
    if (module && !fwx_streq(d->log_module[idx], module)) continue;
    if (skip) {
      skip--;
      continue;
    }
    fwx_jw_raw(reply, d->log[idx], fwx_strlen(d->log[idx]));
    if (reply->failed || reply->cap - reply->len < 64u) {
      reply->len = before; /* leave room to close the reply */
      reply->failed = 0;
      reply->comma = comma;
      break;
    }
  }
  fwx_jw_end_array(reply);
}


void fwx_dev_host_bind(fwx_device *d, fwx_ota_host *host) {
  host->ctx = d;
  host->wall_ms = host_wall;
  host->write_status = host_status;
  host->last_install = host_last;
  host->on_trial = host_on_trial;
  host->confirmed_sha = host_confirmed;
  host->has_package = host_has;
  host->transfer_complete = fwx_dev_transfer_complete;
  host->command = host_command;
  host->logs = host_logs;
}
