/* The device's state record (device.json on the POSIX port): modules, their
 * slots, the pending trial, the anti-rollback floor, config values and the
 * last verdict, as bounded JSON through the store port's atomic replace. */
#include <string.h>

#include "fwx_device.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"

static void write_slot(fwx_json_writer *w, const fwx_slot_rec *s) {
  char hex[65];
  fwx_text t;
  if (!s->used) {
    fwx_jw_null(w);
    return;
  }
  fwx_text_init(&t, hex, sizeof hex);
  fwx_text_hex(&t, s->sha256, 32);
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "version"); fwx_jw_string(w, s->version);
  fwx_jw_key(w, "sequence"); fwx_jw_int(w, s->sequence);
  fwx_jw_key(w, "sha256"); fwx_jw_string(w, hex);
  fwx_jw_key(w, "size"); fwx_jw_int(w, s->size);
  fwx_jw_key(w, "verifiedAt"); fwx_jw_int(w, s->verified_at);
  fwx_jw_end_object(w);
}

void fwx_dev_write_slots(fwx_json_writer *w, const fwx_module_rec *r) {
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "A"); write_slot(w, &r->slots[0]);
  fwx_jw_key(w, "B"); write_slot(w, &r->slots[1]);
  fwx_jw_end_object(w);
}

void fwx_dev_write_slot_name(fwx_json_writer *w, int slot) {
  if (slot < 0) fwx_jw_null(w);
  else fwx_jw_string(w, slot ? "B" : "A");
}

int fwx_dev_save_state(fwx_device *d) {
  fwx_json_writer w;
  long n;
  unsigned i, k;
  fwx_jw_init(&w, d->state_buf, sizeof d->state_buf);
  fwx_jw_begin_object(&w);
  fwx_jw_key(&w, "modules");
  fwx_jw_begin_array(&w);
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) {
    const fwx_module_rec *r = &d->modules[i];
    if (!r->used) continue;
    fwx_jw_begin_object(&w);
    fwx_jw_key(&w, "id"); fwx_jw_string(&w, r->id);
    fwx_jw_key(&w, "confirmed"); fwx_dev_write_slot_name(&w, r->confirmed);
    fwx_jw_key(&w, "trial");
    if (r->trial < 0) {
      fwx_jw_null(&w);
    } else {
      fwx_jw_begin_object(&w);
      fwx_jw_key(&w, "slot"); fwx_dev_write_slot_name(&w, r->trial);
      fwx_jw_key(&w, "session");
      if (r->trial_has_session) fwx_jw_int(&w, r->trial_session);
      else fwx_jw_null(&w);
      fwx_jw_key(&w, "boots"); fwx_jw_int(&w, r->trial_boots);
      fwx_jw_end_object(&w);
    }
    fwx_jw_key(&w, "installedSeq"); fwx_jw_int(&w, r->installed_seq);
    fwx_jw_key(&w, "slots"); fwx_dev_write_slots(&w, r);
    fwx_jw_key(&w, "config");
    fwx_jw_begin_object(&w);
    for (k = 0; k < r->nconfig; k++) {
      fwx_jw_key(&w, r->config_key[k]);
      fwx_jw_string(&w, r->config_value[k]);
    }
    fwx_jw_end_object(&w);
    fwx_jw_end_object(&w);
  }
  fwx_jw_end_array(&w);
  fwx_jw_key(&w, "lastInstall");
  if (d->has_last_install) fwx_jw_raw(&w, d->last_install, fwx_strlen(d->last_install));
  else fwx_jw_null(&w);
  fwx_jw_end_object(&w);
  n = fwx_jw_finish(&w);
  if (n < 0) return -1;
  return d->store.save_state(d->store.ctx, d->state_buf, (size_t)n);
}

static int slot_name(fwx_json_span v) {
  char s[4];
  if (fwx_json_string(v, s, sizeof s) != 1) return -1;
  return s[0] == 'A' ? 0 : s[0] == 'B' ? 1 : -1;
}

static int read_slot_rec(fwx_json_span v, fwx_slot_rec *s) {
  char hex[66];
  int64_t n;
  memset(s, 0, sizeof *s);
  if (fwx_json_kind_of(v) == FWX_JSON_NULL) return 0;
  if (fwx_json_kind_of(v) != FWX_JSON_OBJECT) return -1;
  if (fwx_json_string(fwx_json_get(v, "version"), s->version, sizeof s->version) < 0) return -1;
  if (fwx_json_int(fwx_json_get(v, "sequence"), 0, 0xffffffffLL, &n) != 0) return -1;
  s->sequence = (uint32_t)n;
  if (fwx_json_string(fwx_json_get(v, "sha256"), hex, sizeof hex) != 64 || fwx_hex32(hex, s->sha256) != 0) return -1;
  if (fwx_json_int(fwx_json_get(v, "size"), 0, FWX_DEVICE_MAX_PACKAGE, &n) != 0) return -1;
  s->size = (uint32_t)n;
  if (fwx_json_int(fwx_json_get(v, "verifiedAt"), 0, INT64_MAX, &s->verified_at) != 0) return -1;
  s->used = 1;
  return 0;
}

/* A damaged record is not trusted in part: the device starts empty rather than run something it cannot vouch for. */
int fwx_dev_load_state(fwx_device *d) {
  fwx_json_span root, mods, m, k, v;
  size_t pos = 0, apos = 0;
  unsigned i = 0;
  long n = d->store.load_state(d->store.ctx, d->state_buf, sizeof d->state_buf);
  if (n < 0) return 0; /* a new device */
  if (!fwx_json_valid(d->state_buf, (size_t)n)) return -1;
  root.p = d->state_buf;
  root.len = (size_t)n;
  mods = fwx_json_get(root, "modules");
  if (fwx_json_kind_of(mods) != FWX_JSON_ARRAY) return -1;
  while (i < FWX_DEVICE_MAX_MODULES && fwx_json_next_element(mods, &apos, &m)) {
    fwx_module_rec *r = &d->modules[i];
    fwx_json_span sp;
    int64_t x;
    memset(r, 0, sizeof *r);
    if (fwx_json_string(fwx_json_get(m, "id"), r->id, sizeof r->id) < 0 || !fwx_ota_valid_module(r->id)) return -1;
    sp = fwx_json_get(m, "confirmed");
    r->confirmed = fwx_json_kind_of(sp) == FWX_JSON_NULL ? -1 : slot_name(sp);
    if (fwx_json_kind_of(sp) != FWX_JSON_NULL && r->confirmed < 0) return -1;
    sp = fwx_json_get(m, "trial");
    r->trial = -1;
    if (fwx_json_kind_of(sp) == FWX_JSON_OBJECT) {
      r->trial = slot_name(fwx_json_get(sp, "slot"));
      if (r->trial < 0) return -1;
      if (fwx_json_int(fwx_json_get(sp, "session"), 1, 65535, &x) == 0) {
        r->trial_has_session = 1;
        r->trial_session = (uint16_t)x;
      }
      if (fwx_json_int(fwx_json_get(sp, "boots"), 0, 1000, &x) != 0) return -1;
      r->trial_boots = (uint32_t)x;
    }
    if (fwx_json_int(fwx_json_get(m, "installedSeq"), 0, 0xffffffffLL, &x) != 0) return -1;
    r->installed_seq = (uint32_t)x;
    sp = fwx_json_get(m, "slots");
    if (read_slot_rec(fwx_json_get(sp, "A"), &r->slots[0]) != 0 || read_slot_rec(fwx_json_get(sp, "B"), &r->slots[1]) != 0) return -1;
    sp = fwx_json_get(m, "config");
    pos = 0;
    while (fwx_json_next_member(sp, &pos, &k, &v) && r->nconfig < FWX_DEVICE_MAX_CONFIG) {
      if (fwx_json_string(k, r->config_key[r->nconfig], sizeof r->config_key[0]) < 0) return -1;
      if (fwx_json_string(v, r->config_value[r->nconfig], sizeof r->config_value[0]) < 0) return -1;
      r->nconfig++;
    }
    r->used = 1;
    i++;
  }
  v = fwx_json_get(root, "lastInstall");
  if (fwx_json_kind_of(v) == FWX_JSON_OBJECT && v.len < sizeof d->last_install) {
    memcpy(d->last_install, v.p, v.len);
    d->last_install[v.len] = '\0';
    d->has_last_install = 1;
  }
  return 0;
}
