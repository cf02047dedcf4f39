#include "ota_fakes.h"

#include <string.h>

static int pub(void *ctx, const char *topic, const uint8_t *payload, size_t len, int qos, int retain, int *mid) {
  fake_env *e = ctx;
  fake_pub *p;
  if (e->fail_publish) return -1;
  if (e->npubs == FAKE_PUBS) {
    memmove(&e->pubs[0], &e->pubs[1], sizeof e->pubs[0] * (FAKE_PUBS - 1));
    e->npubs--;
  }
  p = &e->pubs[e->npubs++];
  strncpy(p->topic, topic, sizeof p->topic - 1);
  p->topic[sizeof p->topic - 1] = '\0';
  if (len > sizeof p->payload) len = sizeof p->payload;
  memcpy(p->payload, payload, len);
  p->len = len;
  p->qos = qos;
  p->retain = retain;
  p->mid = qos ? ++e->next_mid : -1;
  if (mid) *mid = p->mid;
  return 0;
}

static int st_open(void *ctx, uint32_t size) {
  fake_env *e = ctx;
  if (size > FAKE_STORE_BYTES) return -1;
  e->has_data = 1;
  e->data_len = 0;
  e->open_size = size;
  return 0;
}

static int st_write(void *ctx, uint32_t off, const uint8_t *d, size_t n) {
  fake_env *e = ctx;
  if (e->fail_write || !e->has_data || off + n > FAKE_STORE_BYTES) return -1;
  memcpy(e->data + off, d, n);
  if (off + n > e->data_len) e->data_len = (uint32_t)(off + n);
  return 0;
}

static int st_read(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  fake_env *e = ctx;
  if (off + n > e->data_len) return -1;
  memcpy(out, e->data + off, n);
  return 0;
}

static int st_sync(void *ctx) {
  ((fake_env *)ctx)->syncs++;
  return 0;
}

static int st_save(void *ctx, const char *json, size_t n) {
  fake_env *e = ctx;
  if (n >= sizeof e->meta) return -1;
  memcpy(e->meta, json, n);
  e->meta_len = (long)n;
  e->meta_saves++;
  return 0;
}

static long st_load(void *ctx, char *json, size_t cap) {
  fake_env *e = ctx;
  if (e->meta_len < 0 || (size_t)e->meta_len > cap) return -1;
  memcpy(json, e->meta, (size_t)e->meta_len);
  return e->meta_len;
}

static uint32_t st_stored(void *ctx) { return ((fake_env *)ctx)->data_len; }

static void st_discard(void *ctx) {
  fake_env *e = ctx;
  e->has_data = 0;
  e->data_len = 0;
  e->meta_len = -1;
}

static int64_t h_wall(void *ctx) { return ((fake_env *)ctx)->wall; }

static void h_status(void *ctx, fwx_json_writer *w) {
  (void)ctx;
  fwx_jw_key(w, "modules");
  fwx_jw_begin_array(w);
  fwx_jw_end_array(w);
  fwx_jw_key(w, "lastInstall");
  fwx_jw_null(w);
}

static const char *h_last(void *ctx) {
  fake_env *e = ctx;
  return e->has_last ? e->last_install : NULL;
}

static int h_trial(void *ctx, const char *module, const uint8_t sha[32]) {
  fake_env *e = ctx;
  (void)module;
  return e->has_trial && memcmp(e->trial, sha, 32) == 0;
}

static int h_confirmed(void *ctx, const char *module, uint8_t sha[32]) {
  fake_env *e = ctx;
  (void)module;
  if (!e->has_confirmed) return 0;
  memcpy(sha, e->confirmed, 32);
  return 1;
}

static int h_has(void *ctx, const uint8_t sha[32]) {
  fake_env *e = ctx;
  return e->has_confirmed && memcmp(e->confirmed, sha, 32) == 0;
}

static void h_complete(void *ctx, const fwx_ota_transfer *t) {
  fake_env *e = ctx;
  e->completes++;
  e->completed = *t;
}

static int h_command(void *ctx, const char *op, fwx_json_span cmd, fwx_json_writer *reply, fwx_ota_refusal *why) {
  fake_env *e = ctx;
  (void)cmd;
  e->commands++;
  if (op[0] == 'r' && op[1] == 'o') {
    why->code = "no-previous";
    strcpy(why->message, "nothing to roll back to");
    return -1;
  }
  if (e->ota) {
    fwx_ota_event ev;
    memset(&ev, 0, sizeof ev);
    ev.module = "m";
    ev.phase = "removed";
    fwx_ota_emit(e->ota, &ev, 0);
  }
  fwx_jw_key(reply, "event");
  fwx_jw_begin_object(reply);
  fwx_jw_key(reply, "phase");
  fwx_jw_string(reply, "removed");
  fwx_jw_end_object(reply);
  return 0;
}

static void h_logs(void *ctx, const char *module, uint32_t limit, fwx_json_writer *reply) {
  uint32_t i;
  (void)ctx;
  (void)module;
  fwx_jw_key(reply, "lines");
  fwx_jw_begin_array(reply);
  for (i = 0; i < limit && i < 3; i++) fwx_jw_string(reply, "line");
  fwx_jw_end_array(reply);
}

void fake_env_reset(fake_env *e) {
  memset(e, 0, sizeof *e);
  e->meta_len = -1;
  e->wall = 1700000000000LL;
}

void fake_env_wire(fake_env *e, fwx_ota_transport *net, fwx_ota_storage *store, fwx_ota_host *host) {
  net->ctx = e;
  net->publish = pub;
  store->ctx = e;
  store->open = st_open;
  store->write = st_write;
  store->read = st_read;
  store->sync = st_sync;
  store->save_meta = st_save;
  store->load_meta = st_load;
  store->stored = st_stored;
  store->discard = st_discard;
  host->ctx = e;
  host->wall_ms = h_wall;
  host->write_status = h_status;
  host->last_install = h_last;
  host->on_trial = h_trial;
  host->confirmed_sha = h_confirmed;
  host->has_package = h_has;
  host->transfer_complete = h_complete;
  host->command = h_command;
  host->logs = h_logs;
}

static int ends_with(const char *s, const char *leaf) {
  size_t a = strlen(s), b = strlen(leaf);
  return a > b && s[a - b - 1] == '/' && strcmp(s + a - b, leaf) == 0;
}

const fake_pub *fake_last(const fake_env *e, const char *leaf) {
  int i;
  for (i = e->npubs - 1; i >= 0; i--)
    if (ends_with(e->pubs[i].topic, leaf)) return &e->pubs[i];
  return NULL;
}

int fake_count(const fake_env *e, const char *leaf) {
  int i, n = 0;
  for (i = 0; i < e->npubs; i++)
    if (ends_with(e->pubs[i].topic, leaf)) n++;
  return n;
}
