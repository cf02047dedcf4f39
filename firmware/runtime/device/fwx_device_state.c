/* The device's state on the slot store (fwx_slots.h): reading a module's
 * record, its config values as the store's config blob, and verdicts as
 * the store's verdict record. The store is the only durable copy; what is
 * here is decoding and encoding. */
#include <string.h>

#include "fwx_device.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"

const fwx_slots_module_t *fwx_dev_rec(const fwx_device *d, unsigned i) { return fwx_slots_module(d->slots, i); }

int fwx_dev_slot_of(uint8_t slot) { return slot == FWX_SLOT_A ? 0 : slot == FWX_SLOT_B ? 1 : -1; }

/* A module that runs or can: something confirmed or on trial (an entry with neither is a first download). */
int fwx_dev_installed(const fwx_slots_module_t *r) { return r && (r->confirmed != FWX_SLOT_NONE || r->trial != FWX_SLOT_NONE); }

static void write_slot(fwx_json_writer *w, const fwx_slots_slot_t *s) {
  char hex[65];
  if (!s->present) {
    fwx_jw_null(w);
    return;
  }
  fwx_dev_hex32(s->sha256, hex);
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "version"); fwx_jw_string(w, s->version);
  fwx_jw_key(w, "sequence"); fwx_jw_int(w, (int64_t)s->sequence);
  fwx_jw_key(w, "sha256"); fwx_jw_string(w, hex);
  fwx_jw_key(w, "size"); fwx_jw_int(w, s->size);
  fwx_jw_key(w, "verifiedAt"); fwx_jw_int(w, (int64_t)s->verified_at_ms);
  fwx_jw_end_object(w);
}

void fwx_dev_write_slots(fwx_json_writer *w, const fwx_slots_module_t *r) {
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "A"); write_slot(w, &r->slot[0]);
  fwx_jw_key(w, "B"); write_slot(w, &r->slot[1]);
  fwx_jw_end_object(w);
}

void fwx_dev_write_slot_name(fwx_json_writer *w, int slot) {
  if (slot < 0) fwx_jw_null(w);
  else fwx_jw_string(w, slot ? "B" : "A");
}

/* ---- config values: key NUL value NUL ..., at most FWX_DEVICE_MAX_CONFIG pairs ----
 * The slot store's record holds the only copy (no decoded one in RAM): values
 * are read from it where they lie. */

/* The next pair from *pos: 1 with *key and *value pointing into the blob, 0 at
 * its end. A blob is flash content, so hostile: fwx_dev_blob_valid vets it
 * whole before anything reads a pair. */
int fwx_dev_blob_next(const uint8_t *blob, uint32_t len, uint32_t *pos, const char **key, const char **value) {
  uint32_t p = *pos;
  if (p >= len) return 0;
  *key = (const char *)blob + p;
  while (blob[p] != 0) p++;
  *value = (const char *)blob + ++p;
  while (blob[p] != 0) p++;
  *pos = p + 1u;
  return 1;
}

int fwx_dev_blob_valid(const uint8_t *blob, uint32_t len) {
  uint32_t p = 0, pairs = 0;
  while (p < len) {
    uint32_t k = 0, n = 0;
    if (pairs++ == FWX_DEVICE_MAX_CONFIG) return 0;
    while (p < len && blob[p] != 0) { p++; k++; }
    if (k == 0 || k > FWX_DEVICE_CONFIG_KEY || p == len) return 0;
    p++;
    while (p < len && blob[p] != 0) { p++; n++; }
    if (n > FWX_DEVICE_CONFIG_VALUE || p == len) return 0;
    p++;
  }
  return 1;
}

const uint8_t *fwx_dev_values_of(const fwx_device *d, unsigned i, uint32_t *len) {
  uint32_t n;
  const uint8_t *blob = fwx_slots_config(d->slots, i, &n);
  *len = 0;
  if (!blob || !fwx_dev_blob_valid(blob, n)) return NULL; /* does not decode whole: no values at all */
  *len = n;
  return blob;
}

fwx_dev_scratch fwx_dev_scratch_area;

/* ---- verdicts: the store's verdict record <-> the status's lastInstall event ---- */

static const char *const phase_names[] = { "", "confirmed", "reverted", "refused", "failed" };

void fwx_dev_verdict_of(const fwx_ota_event *e, fwx_slots_verdict_t *v) {
  fwx_text t;
  uint8_t k;
  memset(v, 0, sizeof *v);
  v->present = 1;
  for (k = 1; k < 5; k++)
    if (fwx_streq(e->phase, phase_names[k])) v->phase = k;
  v->has_session = e->has_session ? 1u : 0u;
  v->session = e->session;
  v->sequence = e->has_sequence ? e->sequence : 0u;
  if (e->package) (void)fwx_hex32(e->package, v->package);
  (void)fwx_strcpy_bounded(v->module, sizeof v->module, e->module ? e->module : "");
  (void)fwx_strcpy_bounded(v->version, sizeof v->version, e->version ? e->version : "");
  /* "<code>\n<reason>": the code is what `fwx flash` reports; the reason is cut to what the record holds. */
  fwx_text_init(&t, v->text, sizeof v->text);
  if (e->code) {
    fwx_text_str(&t, e->code);
    fwx_text_str(&t, "\n");
  }
  if (e->reason) fwx_text_str(&t, e->reason);
}

/* The last verdict after a restart. Its time is not recorded (ts 0). */
void fwx_dev_last_install_load(fwx_device *d) {
  const fwx_slots_verdict_t *v = fwx_slots_verdict(d->slots);
  fwx_ota_event e;
  fwx_json_writer w;
  char code[FWX_SLOTS_VERDICT_TEXT_MAX + 1], hex[65];
  const char *nl;
  uint8_t zero[32];
  d->has_last_install = 0;
  if (!v || v->phase < 1 || v->phase > 4) return;
  memset(&e, 0, sizeof e);
  memset(zero, 0, sizeof zero);
  e.module = v->module;
  e.phase = phase_names[v->phase];
  e.has_session = v->has_session;
  e.session = v->session;
  e.version = v->version[0] ? v->version : NULL;
  e.has_sequence = v->sequence != 0u;
  e.sequence = (uint32_t)v->sequence;
  if (memcmp(v->package, zero, 32) != 0) {
    fwx_dev_hex32(v->package, hex);
    e.package = hex;
  }
  nl = v->text;
  while (*nl && *nl != '\n') nl++;
  if (*nl == '\n') {
    size_t n = (size_t)(nl - v->text);
    memcpy(code, v->text, n);
    code[n] = '\0';
    e.code = code;
    e.reason = nl + 1;
  } else {
    e.reason = v->text[0] ? v->text : NULL;
  }
  fwx_jw_init(&w, d->last_install, sizeof d->last_install);
  fwx_ota_write_event(&w, &e);
  d->has_last_install = fwx_jw_finish(&w) >= 0;
}
