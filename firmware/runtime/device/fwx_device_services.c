/* Runtime services of the host ABI that are not peripherals: core.log (the
 * log ring and the log topic), core.config_get, core.error_detail, kv (per
 * module, persisted through the store port) and telemetry (the telemetry
 * topic). core's clock, abort and fuel and the timers are the supervisor's
 * (fwx_sup_schedule.c). */
#include <string.h>

#include "fwx_abi.h"
#include "fwx_device.h"
#include "fwx_config_number.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"

/* ---- log ring -------------------------------------------------------------- */

/* One log line as JSON: 0 < length, -1 when it does not fit cap, -2 when `more` has nothing shorter
 * to write. v2 is cut to v2_len bytes. */
static long render_line(fwx_device *d, char *out, size_t cap, const char *module, const char *kind, const char *k1, const char *v1,
                        const char *k2, const char *v2, size_t v2_len, fwx_dev_log_more more, const void *ctx, unsigned shorter) {
  fwx_json_writer w;
  fwx_jw_init(&w, out, cap);
  fwx_jw_begin_object(&w);
  fwx_jw_key(&w, "ts"); fwx_jw_int(&w, d->wall_ms(d->wall_ctx));
  fwx_jw_key(&w, "tUs"); fwx_jw_int(&w, (int64_t)fwx_port_now_us());
  fwx_jw_key(&w, "module"); fwx_jw_string(&w, module);
  fwx_jw_key(&w, "kind"); fwx_jw_string(&w, kind);
  if (k1) { fwx_jw_key(&w, k1); fwx_jw_string(&w, v1); }
  if (k2) { fwx_jw_key(&w, k2); fwx_jw_string_n(&w, v2, v2_len); }
  if (more && !more(&w, ctx, shorter)) return -2; /* nothing shorter to write */
  fwx_jw_end_object(&w);
  return fwx_jw_finish(&w);
}

/* The line goes out whole on the log topic (rendered in FWX_DEVICE_LOG_RENDER bytes: a 256-byte message
 * fits unless heavy escaping makes it longer, then it is shortened too); the ring keeps it
 * in FWX_DEVICE_LOG_LINE bytes, with its last text (the message, callback or summary) shortened at a UTF-8
 * boundary when it does not fit: always whole JSON, never cut mid-string. */
void fwx_dev_log(fwx_device *d, const char *module, const char *kind, const char *k1, const char *v1, const char *k2, const char *v2) {
  fwx_dev_log_with(d, module, kind, k1, v1, k2, v2, NULL, NULL);
}

void fwx_dev_log_with(fwx_device *d, const char *module, const char *kind, const char *k1, const char *v1, const char *k2,
                      const char *v2, fwx_dev_log_more more, const void *ctx) {
  uint32_t idx = d->log_next;
  size_t v2_len = k2 ? fwx_strnlen(v2, FWX_DEVICE_LOG_RENDER - 1u) : 0u;
  long n = -1, kept;
  unsigned tries;
  for (tries = 0; more && n == -1; tries++) {
    n = render_line(d, d->log_render, sizeof d->log_render, module, kind, k1, v1, k2, v2, v2_len, more, ctx, tries);
  }
  if (n < 0) n = render_line(d, d->log_render, sizeof d->log_render, module, kind, k1, v1, k2, v2, v2_len, NULL, NULL, 0u);
  while (n < 0 && k2 && v2_len > 0) {
    /* Escapes (a control byte costs 6) can overflow even the rendering buffer: shorten, never drop. */
    v2_len = v2_len > 64u ? v2_len - 64u : 0u;
    while (v2_len > 0 && ((unsigned char)v2[v2_len] & 0xC0u) == 0x80u) v2_len--;
    n = render_line(d, d->log_render, sizeof d->log_render, module, kind, k1, v1, k2, v2, v2_len, NULL, NULL, 0u);
  }
  if (n < 0) return;
  fwx_ota_publish_log(&d->ota, d->log_render, (size_t)n);
  /* The ring keeps the published line when it fits a ring line, else the line without the extra members. */
  if (more && n >= (long)FWX_DEVICE_LOG_LINE) n = render_line(d, d->log_render, sizeof d->log_render, module, kind, k1, v1, k2, v2, v2_len, NULL, NULL, 0u);
  if (n < 0) return;
  kept = n < (long)FWX_DEVICE_LOG_LINE ? n : -1;
  if (kept >= 0) memcpy(d->log[idx], d->log_render, (size_t)n + 1u);
  for (tries = 0; kept < 0 && k2 && v2_len > 0 && tries < 4u; tries++) {
    /* Shorten by what is over (escapes may make a byte cost up to 6), and never inside a UTF-8 sequence. */
    size_t over = (size_t)n - (FWX_DEVICE_LOG_LINE - 1u);
    v2_len = over >= v2_len ? 0u : v2_len - over;
    while (v2_len > 0 && ((unsigned char)v2[v2_len] & 0xC0u) == 0x80u) v2_len--;
    /* Rendered in the (already published) render buffer: a failed try must not touch the ring's oldest line. */
    n = render_line(d, d->log_render, sizeof d->log_render, module, kind, k1, v1, k2, v2, v2_len, NULL, NULL, 0u);
    if (n < 0) break;
    if (n < (long)FWX_DEVICE_LOG_LINE) {
      memcpy(d->log[idx], d->log_render, (size_t)n + 1u);
      kept = n;
    }
  }
  if (kept < 0) return; /* not even the short form fits the ring's line: published, not kept */
  (void)fwx_strcpy_bounded(d->log_module[idx], sizeof d->log_module[idx], module);
  d->log_next = (idx + 1u) % FWX_DEVICE_LOG_LINES;
  if (d->log_count < FWX_DEVICE_LOG_LINES) d->log_count++;
}

/* TokenBucket.ready of src/agent/rate-limit.ts: per_s tokens a second of device time, up to burst;
 * 1 when a token is there (not taken: rate_take at the same instant then succeeds). */
static int rate_ready(fwx_rate *r, uint32_t per_s, uint32_t burst) {
  uint64_t now = fwx_port_now_us(), add;
  if (now > r->last_us) {
    add = (now - r->last_us) * per_s / 1000u; /* thousandths: us x per_s / 10^6 x 1000 */
    r->milli = add >= (uint64_t)burst * 1000u - r->milli ? burst * 1000u : r->milli + (uint32_t)add;
  }
  r->last_us = now;
  return r->milli >= 1000u;
}

/* TokenBucket.take: 1 when a token was taken. */
static int rate_take(fwx_rate *r, uint32_t per_s, uint32_t burst) {
  if (!rate_ready(r, per_s, burst)) return 0;
  r->milli -= 1000u;
  return 1;
}

static const char *level_name(fwx_core_log_level_t level) {
  switch (level) {
    case FWX_CORE_LOG_LEVEL_DEBUG: return "debug";
    case FWX_CORE_LOG_LEVEL_INFO: return "info";
    case FWX_CORE_LOG_LEVEL_WARN: return "warn";
    case FWX_CORE_LOG_LEVEL_ERROR: return "error";
    default: return NULL;
  }
}

fwx_status_t fwx_hal_core_log(fwx_module_t *m, fwx_core_log_level_t level, const char *message, uint32_t message_len) {
  fwx_device *d = fwx_device_of(m);
  int i = d ? fwx_dev_index_of(d, m) : -1;
  char text[257];
  const char *name = level_name(level);
  if (!name) return FWX_INVALID_ARG;
  if (i < 0) return FWX_OK;
  if (!rate_take(&d->live[i].log_rate, FWX_DEVICE_LOG_PER_S, FWX_DEVICE_LOG_BURST)) return FWX_BUSY;
  if (message_len > 256u) message_len = 256u; /* the ABI: the host truncates at 256 bytes */
  memcpy(text, message, message_len);
  text[message_len] = '\0';
  fwx_sup_note_host_call(m, FWX_IMPORT_CORE_LOG, FWX_OK);
  fwx_dev_log(d, fwx_dev_rec(d, (unsigned)i)->name, "log", "level", name, "message", text);
  return FWX_OK;
}

/* ---- config ------------------------------------------------------------------ */

/* The last field of the schema named key, read into *out: 1, or 0 when none. */
static int find_field(const uint8_t *pkg, const fwx_pkg_info *info, const char *key, fwx_config_field *out) {
  fwx_config_field f;
  uint32_t k;
  int found = 0;
  for (k = 0; k < info->nconfig; k++)
    if (fwx_pkg_config_field(pkg, info, k, &f) == 0 && fwx_streq(f.name, key)) {
      *out = f;
      found = 1;
    }
  return found;
}

const char *fwx_dev_config_value(fwx_device *d, unsigned index, const char *key) {
  const fwx_live *l = &d->live[index];
  uint32_t len, pos = 0;
  const uint8_t *blob = fwx_dev_values_of(d, index, &len);
  const char *k, *v;
  int declared = 0;
  if (l->used) {
    declared = find_field(l->pkg, &l->info, key, &d->field);
    if (!declared) return NULL; /* values for fields the manifest no longer declares are not shown */
  }
  while (blob && fwx_dev_blob_next(blob, len, &pos, &k, &v))
    if (fwx_streq(k, key)) return v;
  if (declared && d->field.has_default) return d->field.def;
  return NULL;
}

fwx_status_t fwx_hal_core_config_get(fwx_module_t *m, const char *key, uint32_t key_len, uint8_t *value, uint32_t value_cap, uint32_t *value_len) {
  fwx_device *d = fwx_device_of(m);
  int i = d ? fwx_dev_index_of(d, m) : -1;
  char k[FWX_DEVICE_CONFIG_KEY + 1];
  const char *v;
  size_t n;
  if (key_len == 0) return FWX_INVALID_ARG;
  if (i < 0 || key_len > FWX_DEVICE_CONFIG_KEY) return FWX_NOT_FOUND;
  memcpy(k, key, key_len);
  k[key_len] = '\0';
  v = fwx_dev_config_value(d, (unsigned)i, k);
  if (!v) return FWX_NOT_FOUND;
  n = fwx_strlen(v);
  *value_len = (uint32_t)n;
  if (n > value_cap) return FWX_NO_SPACE;
  memcpy(value, v, n);
  return FWX_OK;
}

fwx_status_t fwx_hal_core_error_detail(fwx_module_t *m, uint8_t *text, uint32_t text_cap, uint32_t *text_len) {
  (void)m;
  (void)text;
  (void)text_cap;
  *text_len = 0; /* this device's HAL returns no `other` statuses, so there is never a detail */
  return FWX_OK;
}

/* Sets key to value in the blob being built (replaced in place, or appended): 0, or -1 when full. */
static int set_value(uint8_t *blob, uint32_t *len, const char *key, const char *value) {
  uint32_t pos = 0, at, pairs = 0;
  size_t kl = fwx_strlen(key), vl = fwx_strlen(value);
  const char *k, *v;
  while (at = pos, fwx_dev_blob_next(blob, *len, &pos, &k, &v)) {
    pairs++;
    if (fwx_streq(k, key)) {
      uint32_t old = pos - at, now = (uint32_t)(kl + vl + 2u);
      if (*len - old + now > FWX_DEVICE_CONFIG_BLOB) return -1;
      memmove(blob + at + now, blob + pos, *len - pos); /* the pairs after it, moved once */
      memcpy(blob + at + kl + 1u, value, vl + 1u);
      *len = *len - old + now;
      return 0;
    }
  }
  if (pairs >= FWX_DEVICE_MAX_CONFIG || *len + kl + vl + 2u > FWX_DEVICE_CONFIG_BLOB) return -1;
  memcpy(blob + *len, key, kl + 1u);
  memcpy(blob + *len + kl + 1u, value, vl + 1u);
  *len += (uint32_t)(kl + vl + 2u);
  return 0;
}

/* Starts the refusal of module.key: "invalid-config", "<module>.<key>: ", the rest written to *t. */
static void refusal(fwx_text *t, fwx_ota_refusal *why, const char *module, const char *key) {
  why->code = "invalid-config";
  fwx_text_init(t, why->message, sizeof why->message);
  fwx_text_str(t, module);
  fwx_text_str(t, ".");
  fwx_text_str(t, key);
  fwx_text_str(t, ": ");
}

static int bad(fwx_ota_refusal *why, const char *module, const char *key, const char *rule) {
  fwx_text t;
  refusal(&t, why, module, key);
  fwx_text_str(&t, rule);
  return -1;
}

/* Naming the value, in checkConfigValues' words (src/ota/config-values.ts): "<rule><raw><after>". */
static int bad_value(fwx_ota_refusal *why, const char *module, const char *key, const char *rule, const char *raw, const char *after) {
  fwx_text t;
  refusal(&t, why, module, key);
  fwx_text_str(&t, rule);
  fwx_text_str(&t, raw);
  fwx_text_str(&t, after);
  return -1;
}

/* "<n> is outside [min, max]", the bounds as the manifest gives them, -inf/inf when absent. */
static int out_of_range(fwx_ota_refusal *why, const char *module, const char *key, const fwx_config_field *f, double num) {
  char n[40];
  fwx_text t;
  refusal(&t, why, module, key);
  if (num > -9007199254740992.0 && num < 9007199254740992.0) fwx_dev_number_text(num, n, sizeof n);
  else (void)fwx_strcpy_bounded(n, sizeof n, "(beyond 2^53)");
  fwx_text_str(&t, n);
  fwx_text_str(&t, " is outside [");
  if (f->has_min) fwx_dev_number_text(f->min, n, sizeof n);
  fwx_text_str(&t, f->has_min ? n : "-\xe2\x88\x9e");
  fwx_text_str(&t, ", ");
  if (f->has_max) fwx_dev_number_text(f->max, n, sizeof n);
  fwx_text_str(&t, f->has_max ? n : "\xe2\x88\x9e");
  fwx_text_str(&t, "]");
  return -1;
}

/* checkConfigValues of src/ota/config-values.ts: every key declared, every value of its type and range; all or nothing. */
long fwx_dev_check_config(fwx_device *d, unsigned index, const uint8_t *pkg, const fwx_pkg_info *info, const char *module, fwx_json_span values, fwx_ota_refusal *why) {
  uint8_t *next = fwx_dev_scratch_area.config_blob;
  uint32_t len;
  const uint8_t *now = fwx_dev_values_of(d, index, &len);
  fwx_json_span k, v;
  size_t pos = 0;
  if (now) memcpy(next, now, len);
  while (fwx_json_next_member(values, &pos, &k, &v)) {
    char key[FWX_DEVICE_CONFIG_KEY + 1], raw[FWX_DEVICE_CONFIG_VALUE + 1];
    fwx_config_field field;
    const fwx_config_field *f = NULL;
    uint32_t i;
    fwx_cfg_number num;
    if (fwx_json_string(k, key, sizeof key) < 0) return bad(why, module, "?", "key longer than 32 bytes");
    if (find_field(pkg, info, key, &field)) f = &field;
    if (!f) {
      fwx_text t;
      why->code = "invalid-config";
      fwx_text_init(&t, why->message, sizeof why->message);
      fwx_text_str(&t, module);
      fwx_text_str(&t, " has no config field \"");
      fwx_text_str(&t, key);
      fwx_text_str(&t, "\" (fields: ");
      for (i = 0; i < info->nconfig; i++) {
        if (fwx_pkg_config_field(pkg, info, i, &field) != 0) continue;
        if (i) fwx_text_str(&t, ", ");
        fwx_text_str(&t, field.name);
      }
      fwx_text_str(&t, info->nconfig ? ")" : "none)");
      return -1;
    }
    if (fwx_json_string(v, raw, sizeof raw) < 0) return bad(why, module, key, "string values are at most 256 bytes");
    if (f->type == FWX_CFG_BOOLEAN && !fwx_streq(raw, "true") && !fwx_streq(raw, "false")) return bad_value(why, module, key, "expected true or false, got \"", raw, "\"");
    if (f->type == FWX_CFG_INTEGER || f->type == FWX_CFG_NUMBER) {
      fwx_text t;
      if (fwx_cfg_number_parse(raw, &num) != 0) return bad_value(why, module, key, f->type == FWX_CFG_INTEGER ? "expected an integer, got \"" : "expected a number, got \"", raw, "\"");
      if (f->type == FWX_CFG_INTEGER && !num.integral) return bad_value(why, module, key, "expected an integer, got ", raw, "");
      if (!num.integral && !num.exact) return bad_value(why, module, key, "", raw, " has more than 15 significant digits, more than this device keeps exactly");
      if ((f->has_min && num.value < f->min) || (f->has_max && num.value > f->max)) return out_of_range(why, module, key, f, num.value);
      /* Past 2^53 a double no longer holds every integer, and the text below could not hold it. */
      if (num.value >= 9007199254740992.0 || num.value <= -9007199254740992.0) return bad_value(why, module, key, "", raw, " is beyond \xc2\xb1" "9007199254740991, the largest number this device keeps exactly");
      /* Kept as the Node agent keeps it, String(n): "007" -> "7", "1e2" -> "100", "6.50" -> "6.5". */
      fwx_text_init(&t, raw, sizeof raw);
      if (num.integral) fwx_text_i64(&t, (int64_t)num.value);
      else fwx_cfg_number_text(&num, &t);
    }
    if (set_value(next, &len, key, raw) != 0) return bad(why, module, key, "too many config values");
  }
  return (long)len;
}

/* ---- kv ---------------------------------------------------------------------------
 * A module's store is one record: entries of u8 key length, key, u16 value length (big-endian), value.
 * It is read through the kv port when a call needs it (no copy per module in RAM), into the shared
 * scratch area, and every change rewrites it through the port's atomic write: old or new after a power cut. */

/* Module i's record in the scratch area: its length, 0 when there is none or it does not parse
 * (a record that does not parse is not trusted in part: the module sees an empty store). */
static uint32_t kv_load(fwx_device *d, unsigned i) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  uint8_t *rec = fwx_dev_scratch_area.kv_record;
  long n = r && d->kv_port.load ? d->kv_port.load(d->kv_port.ctx, r->name, rec, FWX_DEVICE_KV_BYTES) : -1;
  uint32_t p = 0;
  if (n <= 0 || n > (long)FWX_DEVICE_KV_BYTES) return 0;
  while (p < (uint32_t)n) {
    uint32_t kl = rec[p], vl;
    if (kl == 0 || kl > 32u || p + 1u + kl + 2u > (uint32_t)n) return 0;
    vl = (uint32_t)rec[p + 1u + kl] << 8 | rec[p + 2u + kl];
    if (p + 3u + kl + vl > (uint32_t)n) return 0;
    p += 3u + kl + vl;
  }
  return (uint32_t)n;
}

static uint32_t kv_entry_len(const uint8_t *rec, uint32_t p) {
  uint32_t kl = rec[p];
  return 3u + kl + ((uint32_t)rec[p + 1u + kl] << 8 | rec[p + 2u + kl]);
}

/* Offset of the entry for key in a parsed record, or -1. */
static long kv_find(const uint8_t *rec, uint32_t len, const char *key, uint32_t key_len) {
  uint32_t p = 0;
  while (p < len) {
    if (rec[p] == key_len && memcmp(&rec[p + 1u], key, key_len) == 0) return (long)p;
    p += kv_entry_len(rec, p);
  }
  return -1;
}

fwx_status_t fwx_hal_kv_get(fwx_module_t *m, const char *key, uint32_t key_len, uint8_t *value, uint32_t value_cap, uint32_t *value_len) {
  fwx_device *d = fwx_device_of(m);
  int i = d ? fwx_dev_index_of(d, m) : -1;
  const uint8_t *rec = fwx_dev_scratch_area.kv_record;
  uint32_t len, vl;
  long p;
  if (key_len == 0 || key_len > 32u) return FWX_INVALID_ARG;
  if (i < 0) return FWX_NOT_FOUND;
  len = kv_load(d, (unsigned)i);
  if ((p = kv_find(rec, len, key, key_len)) < 0) return FWX_NOT_FOUND;
  vl = kv_entry_len(rec, (uint32_t)p) - 3u - key_len;
  *value_len = vl;
  if (vl > value_cap) return FWX_NO_SPACE;
  memcpy(value, &rec[(uint32_t)p + 3u + key_len], vl);
  return FWX_OK;
}

/* Key and value bytes of a parsed record: what the kv grant's quota counts (the record's own framing does not count). */
static uint32_t kv_used(const uint8_t *rec, uint32_t len) {
  uint32_t p = 0, used = 0;
  while (p < len) {
    uint32_t n = kv_entry_len(rec, p);
    used += n - 3u;
    p += n;
  }
  return used;
}

/* Removes the entry at p from the record in the scratch area; the new length. */
static uint32_t kv_cut(uint32_t len, uint32_t p) {
  uint8_t *rec = fwx_dev_scratch_area.kv_record;
  uint32_t n = kv_entry_len(rec, p);
  memmove(rec + p, rec + p + n, len - p - n);
  return len - n;
}

static fwx_status_t kv_commit(fwx_device *d, unsigned i, uint32_t len) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  if (!r || !d->kv_port.save || d->kv_port.save(d->kv_port.ctx, r->name, fwx_dev_scratch_area.kv_record, len) != 0) return FWX_NO_SPACE;
  return FWX_OK;
}

fwx_status_t fwx_hal_kv_set(fwx_module_t *m, const char *key, uint32_t key_len, const uint8_t *value, uint32_t value_len) {
  fwx_device *d = fwx_device_of(m);
  int i = d ? fwx_dev_index_of(d, m) : -1;
  uint8_t *next = fwx_dev_scratch_area.kv_record;
  uint32_t n;
  long at;
  if (key_len == 0 || key_len > 32u) return FWX_INVALID_ARG;
  if (i < 0) return FWX_NO_SPACE;
  /* The record without the old entry, then the new one at its end, built in RAM: the store changes
   * only by the port's atomic write, so a refusal keeps the old value. */
  n = kv_load(d, (unsigned)i);
  if ((at = kv_find(next, n, key, key_len)) >= 0) n = kv_cut(n, (uint32_t)at);
  /* The grant's quota (key + value bytes, as the Node agent counts), then what this device keeps. */
  if ((uint64_t)kv_used(next, n) + key_len + value_len > d->live[i].info.kv_quota) return FWX_NO_SPACE;
  if (value_len > 0xffffu || n + 3u + key_len + value_len > FWX_DEVICE_KV_BYTES) return FWX_NO_SPACE;
  next[n] = (uint8_t)key_len;
  memcpy(next + n + 1u, key, key_len);
  next[n + 1u + key_len] = (uint8_t)(value_len >> 8);
  next[n + 2u + key_len] = (uint8_t)value_len;
  if (value_len) memcpy(next + n + 3u + key_len, value, value_len);
  n += 3u + key_len + value_len;
  return kv_commit(d, (unsigned)i, n);
}

fwx_status_t fwx_hal_kv_delete(fwx_module_t *m, const char *key, uint32_t key_len) {
  fwx_device *d = fwx_device_of(m);
  int i = d ? fwx_dev_index_of(d, m) : -1;
  uint32_t n;
  long at;
  if (key_len == 0 || key_len > 32u) return FWX_INVALID_ARG;
  if (i < 0) return FWX_NOT_FOUND;
  n = kv_load(d, (unsigned)i);
  if ((at = kv_find(fwx_dev_scratch_area.kv_record, n, key, key_len)) < 0) return FWX_NOT_FOUND;
  return kv_commit(d, (unsigned)i, kv_cut(n, (uint32_t)at));
}

/* ---- telemetry ----------------------------------------------------------------------- */

fwx_status_t fwx_hal_telemetry_publish(fwx_module_t *m, const char *topic, uint32_t topic_len, const uint8_t *payload, uint32_t payload_len) {
  fwx_device *d = fwx_device_of(m);
  int i = d ? fwx_dev_index_of(d, m) : -1;
  char t[65];
  uint32_t k;
  if (topic_len == 0 || topic_len > 64u) return FWX_INVALID_ARG;
  for (k = 0; k < topic_len; k++)
    if (topic[k] == '+' || topic[k] == '#' || topic[k] == '\0') return FWX_INVALID_ARG;
  /* In the Node agent's order (docs/abi/telemetry.md): the topic's form, the grant's scope, the rate
   * (busy), then the payload's size (no-space); a payload refused for its size takes no token. */
  if (i < 0 || !d->live[i].used || !fwx_pkg_topic_granted(d->live[i].pkg, &d->live[i].info, topic, topic_len)) return FWX_NOT_PERMITTED;
  if (!rate_ready(&d->live[i].telemetry_rate, FWX_DEVICE_TELEMETRY_PER_S, FWX_DEVICE_TELEMETRY_BURST)) return FWX_BUSY;
  if (payload_len > 1024u) return FWX_NO_SPACE;
  (void)rate_take(&d->live[i].telemetry_rate, FWX_DEVICE_TELEMETRY_PER_S, FWX_DEVICE_TELEMETRY_BURST);
  memcpy(t, topic, topic_len);
  t[topic_len] = '\0';
  if (!d->ota.connected) return FWX_NO_SPACE;
  fwx_ota_publish_telemetry(&d->ota, fwx_dev_rec(d, (unsigned)i)->name, t, payload, payload_len);
  return FWX_OK;
}
