/* The OTA protocol state machine: see fwx_ota.h and docs/ota-protocol.md.
 * Mirrors src/ota/receiver.ts (transfer, acks) and src/ota/device-agent.ts
 * (commands, events, status) so the Node tools cannot tell the two apart. */
#include "fwx_ota.h"

#include <string.h>

#include "fwx_crc32.h"
#include "fwx_text.h"

/* ---- small helpers ----------------------------------------------------- */

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static int id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int fwx_ota_valid_id(const char *id) {
  size_t n = 0;
  if (!id || !id[0]) return 0;
  for (; id[n]; n++)
    if (n >= FWX_OTA_ID_MAX || !id_char(id[n])) return 0;
  return 1;
}

int fwx_ota_valid_module(const char *id) {
  size_t n = 0;
  if (!fwx_ota_valid_id(id) || id[0] == '.' || id[0] == '_' || id[0] == '-') return 0;
  for (; id[n]; n++)
    if (id[n] >= 'A' && id[n] <= 'Z') return 0;
  return 1;
}

const char *fwx_ota_will_payload(void) { return "{\"online\":false}"; }

int fwx_ota_topic(const fwx_ota *ota, const char *leaf, char *out, size_t cap) {
  fwx_text t;
  fwx_text_init(&t, out, cap);
  fwx_text_str(&t, ota->base_topic);
  fwx_text_str(&t, "/");
  fwx_text_str(&t, leaf);
  return t.len + 1 < cap ? 0 : -1;
}

static int publish(fwx_ota *ota, const char *leaf, const void *payload, size_t len, int qos, int retain, int *mid) {
  if (fwx_ota_topic(ota, leaf, ota->topic, sizeof ota->topic) != 0) return -1;
  return ota->net.publish(ota->net.ctx, ota->topic, (const uint8_t *)payload, len, qos, retain, mid);
}

static void hex_of(const uint8_t sha[32], char out[65]) {
  fwx_text t;
  fwx_text_init(&t, out, 65);
  fwx_text_hex(&t, sha, 32);
}

/* ---- the hold: out-of-order and early chunks, in one bounded arena ------ */

static void hold_remove(fwx_ota *ota, uint32_t i) {
  fwx_ota_hold_entry e = ota->hold_idx[i];
  uint32_t k;
  memmove(ota->hold + e.pos, ota->hold + e.pos + e.len, ota->hold_used - e.pos - e.len);
  ota->hold_used -= e.len;
  for (k = i; k + 1 < ota->hold_count; k++) ota->hold_idx[k] = ota->hold_idx[k + 1];
  ota->hold_count--;
  for (k = 0; k < ota->hold_count; k++)
    if (ota->hold_idx[k].pos > e.pos) ota->hold_idx[k].pos -= e.len;
}

static void hold_clear(fwx_ota *ota) {
  ota->hold_used = 0;
  ota->hold_count = 0;
}

static int current_session(const fwx_ota *ota, uint16_t s) { return ota->active && ota->t.session == s; }

/* Evicts the oldest entry that is not of the current session; 0 if there is none. */
static int hold_evict_foreign(fwx_ota *ota) {
  uint32_t i;
  for (i = 0; i < ota->hold_count; i++)
    if (!current_session(ota, ota->hold_idx[i].session)) {
      hold_remove(ota, i);
      return 1;
    }
  return 0;
}

static void hold_add(fwx_ota *ota, uint16_t session, uint32_t offset, const uint8_t *data, uint32_t len) {
  uint32_t i, foreign = 0;
  int early = !current_session(ota, session);
  for (i = 0; i < ota->hold_count; i++) {
    if (ota->hold_idx[i].session == session && ota->hold_idx[i].offset == offset) return;
    if (!current_session(ota, ota->hold_idx[i].session)) foreign++;
  }
  if (len > FWX_OTA_HOLD_BYTES) return;
  if (early && foreign >= FWX_OTA_MAX_EARLY) (void)hold_evict_foreign(ota);
  while (ota->hold_count >= FWX_OTA_HOLD_ENTRIES || FWX_OTA_HOLD_BYTES - ota->hold_used < len) {
    /* A chunk of the current transfer is worth more than an early one; an early one replaces the oldest early one. */
    if (!hold_evict_foreign(ota)) return; /* full of this transfer's chunks: dropped, the tool resends it */
  }
  memcpy(ota->hold + ota->hold_used, data, len);
  ota->hold_idx[ota->hold_count].session = session;
  ota->hold_idx[ota->hold_count].offset = offset;
  ota->hold_idx[ota->hold_count].pos = ota->hold_used;
  ota->hold_idx[ota->hold_count].len = len;
  ota->hold_count++;
  ota->hold_used += len;
}

/* ---- the transfer (src/ota/receiver.ts) ---------------------------------- */

static void write_meta(fwx_json_writer *w, const fwx_ota_transfer *t) {
  char hex[65];
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "session"); fwx_jw_int(w, t->session);
  fwx_jw_key(w, "from"); fwx_jw_string(w, t->from);
  fwx_jw_key(w, "window"); fwx_jw_int(w, t->window);
  fwx_jw_key(w, "delta"); fwx_jw_bool(w, t->delta);
  fwx_jw_key(w, "size"); fwx_jw_int(w, t->size);
  hex_of(t->sha256, hex);
  fwx_jw_key(w, "sha256"); fwx_jw_string(w, hex);
  hex_of(t->base, hex);
  fwx_jw_key(w, "base"); fwx_jw_string(w, hex);
  fwx_jw_key(w, "package");
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "module"); fwx_jw_string(w, t->package.module);
  fwx_jw_key(w, "version"); fwx_jw_string(w, t->package.version);
  fwx_jw_key(w, "sequence"); fwx_jw_int(w, t->package.sequence);
  fwx_jw_key(w, "size"); fwx_jw_int(w, t->package.size);
  hex_of(t->package.sha256, hex);
  fwx_jw_key(w, "sha256"); fwx_jw_string(w, hex);
  fwx_jw_end_object(w);
  fwx_jw_key(w, "acked"); fwx_jw_int(w, t->acked);
  if (t->has_request) {
    hex_of(t->request, hex);
    fwx_jw_key(w, "request"); fwx_jw_string(w, hex);
  }
  fwx_jw_end_object(w);
}

static int read_sha(fwx_json_span obj, const char *key, uint8_t out[32]) {
  char hex[66];
  if (fwx_json_string(fwx_json_get(obj, key), hex, sizeof hex) != 64) return -1;
  return fwx_hex32(hex, out);
}

static int read_u32(fwx_json_span obj, const char *key, int64_t min, int64_t max, uint32_t *out) {
  int64_t v;
  if (fwx_json_int(fwx_json_get(obj, key), min, max, &v) != 0) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int read_meta(const char *json, size_t len, fwx_ota_transfer *t) {
  fwx_json_span root, pkg;
  uint32_t v;
  if (!fwx_json_valid(json, len)) return -1;
  root.p = json;
  root.len = len;
  while (root.len && root.p[0] != '{') { root.p++; root.len--; }
  memset(t, 0, sizeof *t);
  if (read_u32(root, "session", 1, 65535, &v) != 0) return -1;
  t->session = (uint16_t)v;
  if (fwx_json_string(fwx_json_get(root, "from"), t->from, sizeof t->from) < 0 || !fwx_ota_valid_id(t->from)) return -1;
  if (read_u32(root, "window", 1, 1024, &v) != 0) return -1;
  t->window = (uint16_t)v;
  t->delta = fwx_json_kind_of(fwx_json_get(root, "delta")) == FWX_JSON_TRUE;
  if (read_u32(root, "size", 0, FWX_OTA_MAX_TRANSFER, &t->size) != 0) return -1;
  if (read_sha(root, "sha256", t->sha256) != 0 || read_sha(root, "base", t->base) != 0) return -1;
  if (read_u32(root, "acked", 0, t->size, &t->acked) != 0) return -1;
  pkg = fwx_json_get(root, "package");
  if (fwx_json_string(fwx_json_get(pkg, "module"), t->package.module, sizeof t->package.module) < 0) return -1;
  if (fwx_json_string(fwx_json_get(pkg, "version"), t->package.version, sizeof t->package.version) < 0) return -1;
  if (read_u32(pkg, "sequence", 0, 0xffffffffLL, &t->package.sequence) != 0) return -1;
  if (read_u32(pkg, "size", 0, FWX_OTA_MAX_TRANSFER, &t->package.size) != 0) return -1;
  if (read_sha(pkg, "sha256", t->package.sha256) != 0) return -1;
  t->has_request = read_sha(root, "request", t->request) == 0;
  return 0;
}

static void disarm(fwx_ota *ota) {
  ota->ack_armed = 0;
  ota->final_ack_armed = 0;
  ota->final_ack_mid = -1;
  ota->complete_pending = 0;
}

static void discard(fwx_ota *ota) {
  disarm(ota);
  ota->active = 0;
  hold_clear(ota);
  ota->store.discard(ota->store.ctx);
}

static void ack_now(fwx_ota *ota, int gap, uint64_t now);
static void drain_hold(fwx_ota *ota);
static uint32_t ack_every(const fwx_ota *ota);
static void arm_ack(fwx_ota *ota, uint64_t now, uint32_t delay);

/* Takes in chunks of the current session that came before its begin. */
static void drain_early(fwx_ota *ota, uint64_t now) {
  uint32_t before = ota->contiguous, i;
  drain_hold(ota);
  if (ota->contiguous != before) {
    ota->last_activity = now;
    ota->activity_known = 1;
    if (ota->contiguous == ota->t.size || ota->in_order_since_ack >= ack_every(ota)) ack_now(ota, 0, now);
    else arm_ack(ota, now, FWX_OTA_ACK_DELAY_MS);
    return;
  }
  for (i = 0; i < ota->hold_count; i++)
    if (current_session(ota, ota->hold_idx[i].session) && ota->gap_reported_at != (int64_t)ota->contiguous) {
      ota->gap_reported_at = (int64_t)ota->contiguous;
      ack_now(ota, 1, now);
      return;
    }
}

/* fsync of the data, then an atomic replace of the metadata: only then may the offset be acknowledged. */
static int persist(fwx_ota *ota) {
  fwx_json_writer w;
  long n;
  uint32_t before = ota->t.acked;
  if (ota->store.sync(ota->store.ctx) != 0) return -1;
  ota->t.acked = ota->contiguous;
  /* The record is built in the status buffer: both are built and handed on
   * within one call, and neither is built while the other is. */
  fwx_jw_init(&w, ota->out, sizeof ota->out);
  write_meta(&w, &ota->t);
  n = fwx_jw_finish(&w);
  if (n < 0 || ota->store.save_meta(ota->store.ctx, ota->out, (size_t)n) != 0) {
    ota->t.acked = before;
    return -1;
  }
  return 0;
}

static uint32_t ack_every(const fwx_ota *ota) {
  uint32_t half = ota->t.window / 2u;
  uint32_t n = half < FWX_OTA_ACK_EVERY ? half : FWX_OTA_ACK_EVERY;
  return n ? n : 1u;
}

static void arm_ack(fwx_ota *ota, uint64_t now, uint32_t delay) {
  ota->ack_armed = 1;
  ota->ack_due = now + delay;
}

static void ack_now(fwx_ota *ota, int gap, uint64_t now) {
  uint8_t frame[FWX_OTA_ACK_BYTES];
  if (!ota->active) return;
  ota->ack_armed = 0;
  if (ota->t.acked != ota->contiguous && persist(ota) != 0) return; /* nothing acknowledged that is not durable */
  ota->in_order_since_ack = 0;
  frame[0] = gap ? FWX_OTA_ACK_GAP : 0;
  frame[1] = (uint8_t)(ota->t.session >> 8);
  frame[2] = (uint8_t)ota->t.session;
  frame[3] = (uint8_t)(ota->contiguous >> 24);
  frame[4] = (uint8_t)(ota->contiguous >> 16);
  frame[5] = (uint8_t)(ota->contiguous >> 8);
  frame[6] = (uint8_t)ota->contiguous;
  if (ota->contiguous != ota->t.size || gap) {
    (void)publish(ota, "ack", frame, sizeof frame, 0, 0, NULL);
    return;
  }
  /* The final ack goes out alone, QoS 1; the install starts at its PUBACK (or after 2 s without one). */
  ota->final_ack_mid = -1;
  ota->final_ack_armed = 1;
  ota->final_ack_due = now + FWX_OTA_FINAL_ACK_WAIT_MS;
  (void)publish(ota, "ack", frame, sizeof frame, 1, 0, &ota->final_ack_mid);
}

static int store_chunk(fwx_ota *ota, uint32_t offset, const uint8_t *data, uint32_t len) {
  if (ota->store.write(ota->store.ctx, offset, data, len) != 0) return -1;
  ota->contiguous = offset + len;
  ota->in_order_since_ack++;
  return 0;
}

/* Writes held chunks that now continue the stream; drops held ones below it, and ones that run past the
 * transfer's end: a chunk held before its begin arrived was never checked against the size the begin gave. */
static void drain_hold(fwx_ota *ota) {
  uint32_t i = 0;
  while (i < ota->hold_count) {
    fwx_ota_hold_entry e = ota->hold_idx[i];
    if (current_session(ota, e.session) && (uint64_t)e.offset + e.len > ota->t.size) {
      hold_remove(ota, i);
      continue;
    }
    if (!current_session(ota, e.session) || e.offset > ota->contiguous) {
      i++;
      continue;
    }
    if (e.offset == ota->contiguous && store_chunk(ota, e.offset, ota->hold + e.pos, e.len) != 0) return;
    hold_remove(ota, i);
    i = 0; /* the contiguous offset moved: look again from the start */
  }
}

static void on_chunk(fwx_ota *ota, const uint8_t *p, size_t len, uint64_t now) {
  uint16_t session;
  uint32_t offset, n;
  const uint8_t *data;
  if (len <= FWX_OTA_CHUNK_HEADER || len - FWX_OTA_CHUNK_HEADER > FWX_OTA_MAX_CHUNK) return;
  session = be16(p);
  offset = be32(p + 2);
  data = p + FWX_OTA_CHUNK_HEADER;
  n = (uint32_t)(len - FWX_OTA_CHUNK_HEADER);
  if (fwx_crc32(0, data, n) != be32(p + 6)) return; /* dropped unacknowledged: the window resends it */
  if (!current_session(ota, session)) {
    /* Maybe pipelined behind a begin the broker has not delivered yet: a few are kept. */
    hold_add(ota, session, offset, data, n);
    return;
  }
  if (ota->last_chunk_known) {
    uint32_t gap = (uint32_t)(now - ota->last_chunk_at);
    uint32_t decayed = ota->chunk_gap_ms - ota->chunk_gap_ms / 4u;
    ota->chunk_gap_ms = gap > decayed ? gap : decayed;
  }
  ota->last_chunk_at = now;
  ota->last_chunk_known = 1;
  if ((uint64_t)offset + n > ota->t.size) return;
  if (offset < ota->contiguous) {
    arm_ack(ota, now, 0); /* a resend of stored bytes: the tool missed an ack */
    return;
  }
  if (offset > ota->contiguous) {
    hold_add(ota, session, offset, data, n);
    if (ota->gap_reported_at != (int64_t)ota->contiguous) {
      ota->gap_reported_at = (int64_t)ota->contiguous;
      ack_now(ota, 1, now);
    }
    return;
  }
  if (store_chunk(ota, offset, data, n) != 0) return;
  /* Only a stored byte keeps a transfer alive (receiver.ts): resends below the offset or gaps do not hold the slot. */
  ota->last_activity = now;
  ota->activity_known = 1;
  drain_hold(ota);
  if (ota->contiguous == ota->t.size || ota->in_order_since_ack >= ack_every(ota)) {
    ack_now(ota, 0, now);
  } else {
    uint32_t delay = 2u * ota->chunk_gap_ms;
    if (delay < FWX_OTA_ACK_DELAY_MS) delay = FWX_OTA_ACK_DELAY_MS;
    if (delay > FWX_OTA_MAX_ACK_DELAY_MS) delay = FWX_OTA_MAX_ACK_DELAY_MS;
    arm_ack(ota, now, delay);
  }
}

/* Hands the complete transfer to the host, once. */
static void complete(fwx_ota *ota) {
  ota->complete_pending = 0;
  ota->final_ack_armed = 0;
  ota->final_ack_mid = -1;
  if (!ota->active || ota->contiguous != ota->t.size || ota->installing) return;
  ota->installing = 1;
  ota->installing_session = ota->t.session;
  memcpy(ota->installing_sha, ota->t.package.sha256, 32);
  ota->host.transfer_complete(ota->host.ctx, &ota->t);
}

int fwx_ota_read_transfer(fwx_ota *ota, uint32_t offset, uint8_t *out, size_t n) {
  if (!ota->active || (uint64_t)offset + n > ota->contiguous) return -1;
  return ota->store.read(ota->store.ctx, offset, out, n);
}

/* ---- status, events ----------------------------------------------------- */

static long write_status(fwx_ota *ota, fwx_json_writer *w) {
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "device"); fwx_jw_string(w, ota->cfg.device_id);
  fwx_jw_key(w, "ts"); fwx_jw_int(w, ota->host.wall_ms(ota->host.ctx));
  fwx_jw_key(w, "board"); fwx_jw_string(w, ota->cfg.board);
  fwx_jw_key(w, "customer"); fwx_jw_string(w, ota->cfg.customer);
  fwx_jw_key(w, "group"); fwx_jw_string(w, ota->cfg.group);
  fwx_jw_key(w, "agent"); fwx_jw_string(w, ota->cfg.agent);
  fwx_jw_key(w, "busy");
  if (ota->installing) fwx_jw_int(w, ota->installing_session);
  else fwx_jw_null(w);
  if (ota->cfg.gate) {
    fwx_jw_key(w, "counter"); fwx_jw_int(w, (int64_t)ota->cfg.gate->counter);
    fwx_jw_key(w, "revocationSerial");
    fwx_jw_int(w, ota->cfg.gate->revocations ? (int64_t)ota->cfg.gate->revocations->serial(ota->cfg.gate->revocations->ctx) : 0);
  }
  if (ota->cfg.device_cert_b64) { fwx_jw_key(w, "cert"); fwx_jw_string(w, ota->cfg.device_cert_b64); }
  ota->host.write_status(ota->host.ctx, w);
  fwx_jw_end_object(w);
  return w->failed ? -1 : (long)w->len;
}

static void publish_status(fwx_ota *ota, int *mid) {
  fwx_json_writer w;
  long n;
  ota->status_armed = 0;
  fwx_jw_init(&w, ota->out, sizeof ota->out);
  n = write_status(ota, &w);
  if (n >= 0) (void)publish(ota, "status", ota->out, (size_t)n, 1, 1, mid);
}

void fwx_ota_status_changed(fwx_ota *ota, uint64_t now) {
  if (ota->status_armed) return;
  ota->status_armed = 1;
  ota->status_due = now + FWX_OTA_STATUS_COALESCE_MS;
}

void fwx_ota_write_event(fwx_json_writer *w, const fwx_ota_event *e) {
  fwx_jw_begin_object(w);
  fwx_jw_key(w, "session");
  if (e->has_session) fwx_jw_int(w, e->session);
  else fwx_jw_null(w);
  fwx_jw_key(w, "module"); fwx_jw_string(w, e->module ? e->module : "?");
  fwx_jw_key(w, "phase"); fwx_jw_string(w, e->phase);
  fwx_jw_key(w, "ts"); fwx_jw_int(w, e->ts);
  if (e->version) { fwx_jw_key(w, "version"); fwx_jw_string(w, e->version); }
  if (e->has_sequence) { fwx_jw_key(w, "sequence"); fwx_jw_int(w, e->sequence); }
  if (e->reason) { fwx_jw_key(w, "reason"); fwx_jw_string(w, e->reason); }
  if (e->code) { fwx_jw_key(w, "code"); fwx_jw_string(w, e->code); }
  if (e->package) { fwx_jw_key(w, "package"); fwx_jw_string(w, e->package); }
  if (e->request) { fwx_jw_key(w, "request"); fwx_jw_string(w, e->request); }
  if (e->proof) { fwx_jw_key(w, "proof"); fwx_jw_string(w, e->proof); }
  fwx_jw_end_object(w);
}

static int is_verdict(const char *phase) {
  return fwx_streq(phase, "confirmed") || fwx_streq(phase, "reverted") || fwx_streq(phase, "refused") || fwx_streq(phase, "failed");
}

void fwx_ota_emit(fwx_ota *ota, const fwx_ota_event *in, uint64_t now) {
  fwx_ota_event e = *in;
  char hex[65];
  char buf[FWX_OTA_EVENT_MAX + FWX_STATEMENT_PROOF_MAX + 96u];
  fwx_json_writer w;
  long n;
  int verdict = is_verdict(e.phase);
  if (ota->installing) {
    if (!e.has_session) {
      e.has_session = 1;
      e.session = ota->installing_session;
    }
    if (!e.package) {
      hex_of(ota->installing_sha, hex);
      e.package = hex;
    }
  }
  if (verdict && ota->has_request && ota->cfg.gate && e.package) {
    /* A verdict the tool can believe: signed by this device, bound to the begin it answers and the package. */
    char pkg_hex[65];
    hex_of(ota->request_pkg, pkg_hex);
    if (fwx_streq(e.package, pkg_hex)) {
      static char request_hex[65];
      fwx_statement_t st;
      hex_of(ota->request, request_hex);
      memset(&st, 0, sizeof st);
      st.device = ota->cfg.device_id;
      st.request = ota->request;
      st.outcome = e.phase;
      st.code = e.code;
      st.package = ota->request_pkg;
      st.module = e.module;
      if (fwx_statement_prove(&st, ota->cfg.device_seed, ota->proof, sizeof ota->proof) == 0) {
        e.request = request_hex;
        e.proof = ota->proof;
      }
    }
  }
  if (verdict && ota->installing) {
    char mine[65];
    hex_of(ota->installing_sha, mine);
    if (fwx_streq(e.package, mine)) {
      /* The verdict ends the install: the status published with it already says the device is free. */
      ota->installing = 0;
      if (ota->active && memcmp(ota->t.package.sha256, ota->installing_sha, 32) == 0) discard(ota);
    }
  }
  if (verdict || fwx_streq(e.phase, "rolled-back") || fwx_streq(e.phase, "removed") || fwx_streq(e.phase, "reconfigured")) {
    /* Retained status first: a tool that acts on the verdict (the next flash's delta base) reads it next. */
    publish_status(ota, NULL);
  } else {
    fwx_ota_status_changed(ota, now);
  }
  fwx_jw_init(&w, buf, sizeof buf);
  fwx_ota_write_event(&w, &e);
  n = fwx_jw_finish(&w);
  if (n >= 0) (void)publish(ota, "event", buf, (size_t)n, 1, 0, NULL);
}

void fwx_ota_publish_log(fwx_ota *ota, const char *json, size_t len) {
  if (ota->connected) (void)publish(ota, "log", json, len, 0, 0, NULL);
}

void fwx_ota_publish_telemetry(fwx_ota *ota, const char *module, const char *topic, const uint8_t *payload, size_t len) {
  char leaf[FWX_OTA_TOPIC_MAX];
  fwx_text t;
  size_t i;
  if (!ota->connected || !fwx_ota_valid_module(module)) return;
  for (i = 0; topic[i]; i++)
    if (topic[i] == '+' || topic[i] == '#' || i > 64) return;
  fwx_text_init(&t, leaf, sizeof leaf);
  fwx_text_str(&t, "telemetry/");
  fwx_text_str(&t, module);
  fwx_text_str(&t, "/");
  fwx_text_str(&t, topic);
  (void)publish(ota, leaf, payload, len, 0, 0, NULL);
}

/* ---- commands (src/ota/device-agent.ts) ---------------------------------- */

static int refuse(fwx_ota_refusal *why, const char *code, const char *a, const char *b, const char *c) {
  fwx_text t;
  why->code = code;
  fwx_text_init(&t, why->message, sizeof why->message);
  if (a) fwx_text_str(&t, a);
  if (b) fwx_text_str(&t, b);
  if (c) fwx_text_str(&t, c);
  return -1;
}

static int read_package(fwx_json_span pkg, fwx_ota_package *out, fwx_ota_refusal *why) {
  if (fwx_json_kind_of(pkg) != FWX_JSON_OBJECT) return refuse(why, "bad-request", "begin has no package object", NULL, NULL);
  if (fwx_json_string(fwx_json_get(pkg, "module"), out->module, sizeof out->module) < 0 || !fwx_ota_valid_module(out->module))
    return refuse(why, "bad-request", "package.module is not a module id", NULL, NULL);
  if (fwx_json_string(fwx_json_get(pkg, "version"), out->version, sizeof out->version) < 0)
    return refuse(why, "bad-request", "package.version is not a string of at most 64 bytes", NULL, NULL);
  if (read_u32(pkg, "sequence", 0, 0xffffffffLL, &out->sequence) != 0)
    return refuse(why, "bad-request", "package.sequence is not a 32-bit unsigned integer", NULL, NULL);
  if (read_sha(pkg, "sha256", out->sha256) != 0) return refuse(why, "bad-request", "package.sha256 is not 64 hex digits", NULL, NULL);
  return 0;
}

/* A byte count as the TS receiver takes it: a safe integer >= 0, and at most the device limit. */
static int read_size(fwx_json_span obj, const char *what, uint32_t *out, fwx_ota_refusal *why) {
  int64_t v;
  fwx_text t;
  if (fwx_json_int(fwx_json_get(obj, "size"), 0, 9007199254740991LL, &v) != 0)
    return refuse(why, "bad-request", what, " size is not a byte count", NULL);
  if (v > (int64_t)FWX_OTA_MAX_TRANSFER) {
    /* "transfer of N bytes exceeds the device limit of L", the receiver's words (fwx_text_init empties its buffer,
     * so the message is built in one text, not appended to after refuse()). */
    (void)refuse(why, "too-large", NULL, NULL, NULL);
    fwx_text_init(&t, why->message, sizeof why->message);
    fwx_text_str(&t, "transfer of ");
    fwx_text_i64(&t, v);
    fwx_text_str(&t, " bytes exceeds the device limit of ");
    fwx_text_u64(&t, FWX_OTA_MAX_TRANSFER);
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

/* Whether the last verdict `ev` about package `sha` still holds, as device-agent.ts's begin decides: a
 * confirmation stands only while that package is its module's confirmed one (after a rollback it is
 * not, and answering "confirmed" would tell the tool a package runs that does not). A refusal for the
 * device's state at that moment, not for the package (no free module slot, its module on trial, a
 * certificate not valid yet, a flash read error), is not repeated either: the begin is tried again; nor is a
 * failed transfer. */
static int verdict_still_true(fwx_ota *ota, fwx_json_span ev, const uint8_t sha[32]) {
  static const char *const transient[] = { "too-many-modules", "busy", "FWX_PKG_E_NOT_YET_VALID", "FWX_PKG_E_IO" };
  char phase[16], code[32], module[FWX_OTA_ID_MAX + 1];
  uint8_t confirmed[32];
  unsigned k;
  if (fwx_json_string(fwx_json_get(ev, "phase"), phase, sizeof phase) < 0) return 0;
  /* "failed" is about the bytes of one transfer (a hash or delta that did not match, a flash error), never the
   * package: repeated, one corrupted transfer (chunks with valid CRCs from anyone on the broker) would fail
   * every later flash of that package. The Node agent never repeats it either. */
  if (fwx_streq(phase, "failed")) return 0;
  if (fwx_streq(phase, "refused") && fwx_json_string(fwx_json_get(ev, "code"), code, sizeof code) >= 0)
    for (k = 0; k < sizeof transient / sizeof transient[0]; k++)
      if (fwx_streq(code, transient[k])) return 0;
  if (!fwx_streq(phase, "confirmed")) return 1;
  if (fwx_json_string(fwx_json_get(ev, "module"), module, sizeof module) < 0) return 0;
  return ota->host.confirmed_sha != NULL && ota->host.confirmed_sha(ota->host.ctx, module, confirmed) && memcmp(confirmed, sha, 32) == 0;
}

static int cmd_begin(fwx_ota *ota, fwx_json_span cmd, const char *from, fwx_json_writer *r, fwx_ota_refusal *why, uint64_t now) {
  fwx_ota_transfer n;
  fwx_json_span delta;
  const char *last;
  uint32_t v;
  memset(&n, 0, sizeof n);
  if (read_package(fwx_json_get(cmd, "package"), &n.package, why) != 0) return -1;
  if (read_size(fwx_json_get(cmd, "package"), "package", &n.package.size, why) != 0) return -1;
  last = ota->host.last_install(ota->host.ctx);
  if (last) {
    /* This package was already decided (the tool lost the verdict, e.g. it restarted): report it. */
    fwx_json_span ev;
    uint8_t sha[32];
    ev.p = last;
    ev.len = fwx_strlen(last);
    if (fwx_json_valid(ev.p, ev.len) && read_sha(ev, "package", sha) == 0 && memcmp(sha, n.package.sha256, 32) == 0 &&
        !(ota->installing && memcmp(ota->installing_sha, sha, 32) == 0) && verdict_still_true(ota, ev, sha)) {
      fwx_jw_key(r, "done");
      fwx_jw_raw(r, ev.p, ev.len);
      return 0;
    }
  }
  delta = fwx_json_get(cmd, "delta");
  if (delta.p && fwx_json_kind_of(delta) != FWX_JSON_OBJECT && fwx_json_kind_of(delta) != FWX_JSON_NULL)
    return refuse(why, "bad-request", "delta is not an object", NULL, NULL);
  n.delta = fwx_json_kind_of(delta) == FWX_JSON_OBJECT;
  if (n.delta) {
    if (read_sha(delta, "base", n.base) != 0) return refuse(why, "bad-request", "delta.base is not 64 hex digits", NULL, NULL);
    if (read_sha(delta, "sha256", n.sha256) != 0) return refuse(why, "bad-request", "delta.sha256 is not 64 hex digits", NULL, NULL);
  }
  if (ota->host.on_trial(ota->host.ctx, n.package.module, n.package.sha256)) {
    /* Transferred and on trial already (the device restarted mid-trial): the verdict follows on the event topic. */
    if (n.delta && read_size(delta, "delta", &n.size, why) != 0) return -1;
    fwx_jw_key(r, "resumeFrom"); fwx_jw_int(r, n.delta ? n.size : n.package.size);
    fwx_jw_key(r, "installing"); fwx_jw_bool(r, 1);
    return 0;
  }
  if (ota->installing && memcmp(ota->installing_sha, n.package.sha256, 32) != 0)
    return refuse(why, "busy", "device is installing another package; try again after its verdict", NULL, NULL);
  if (read_u32(cmd, "session", 1, 65535, &v) != 0) return refuse(why, "bad-request", "session is not a 16-bit nonce (1..65535)", NULL, NULL);
  n.session = (uint16_t)v;
  if (n.delta) {
    uint8_t confirmed[32];
    if (!ota->host.confirmed_sha(ota->host.ctx, n.package.module, confirmed) || memcmp(confirmed, n.base, 32) != 0)
      return refuse(why, "base-mismatch", "delta base is not the confirmed package of ", n.package.module, "; send the full package");
    if (read_size(delta, "delta", &n.size, why) != 0) return -1;
  } else {
    n.size = n.package.size;
    memcpy(n.sha256, n.package.sha256, 32);
  }
  /* As receiver.ts: no package or delta is 0 bytes long, and an empty transfer would be "complete" before it began. */
  if (n.size == 0u) return refuse(why, "bad-request", "transfer of 0 bytes: there is nothing to install", NULL, NULL);
  if (read_u32(cmd, "window", 1, 1024, &v) != 0) return refuse(why, "bad-request", "window is outside 1..1024 chunks", NULL, NULL);
  n.window = (uint16_t)v;
  (void)fwx_strcpy_bounded(n.from, sizeof n.from, from);
  if (ota->active && memcmp(ota->t.sha256, n.sha256, 32) == 0 && ota->t.size == n.size) {
    /* Same bytes: a resumed tool (new session) takes over from where the device got to. */
    n.acked = ota->contiguous;
    ota->t = n;
    ota->gap_reported_at = -1;
    ota->last_activity = now;
    ota->activity_known = 1;
    /* Held chunks of the old session are worthless now. */
    while (hold_evict_foreign(ota)) {}
    if (persist(ota) != 0) return refuse(why, "internal", "cannot record the transfer", NULL, NULL);
  } else {
    /* Idle = no new byte stored for the stale time; an operator's signed begin may also pre-empt a transfer that still trickles. */
    if (ota->active && !ota->preempt && ota->activity_known && now - ota->last_activity < FWX_OTA_STALE_MS) {
      return refuse(why, "busy", "device is receiving ", ota->t.package.module, " from another tool; try again when it is done");
    }
    /* Not discard(): early chunks of the new session stay held. */
    disarm(ota);
    ota->active = 0;
    ota->store.discard(ota->store.ctx);
    if (ota->store.open(ota->store.ctx, n.size) != 0) return refuse(why, "internal", "cannot open the partial download", NULL, NULL);
    ota->t = n;
    ota->active = 1;
    ota->contiguous = 0;
    ota->in_order_since_ack = 0;
    ota->gap_reported_at = -1;
    ota->last_activity = now;
    ota->activity_known = 1;
    ota->last_chunk_known = 0;
    ota->chunk_gap_ms = 0;
    while (hold_evict_foreign(ota)) {}
    if (persist(ota) != 0) {
      discard(ota);
      return refuse(why, "internal", "cannot record the transfer", NULL, NULL);
    }
  }
  if (ota->installing) ota->installing_session = n.session;
  else if (ota->contiguous == ota->t.size) ota->complete_pending = 1;
  fwx_jw_key(r, "resumeFrom"); fwx_jw_int(r, ota->contiguous);
  return 0;
}

static int handle(fwx_ota *ota, const char *op, fwx_json_span cmd, const char *from, fwx_json_writer *r, fwx_ota_refusal *why, uint64_t now) {
  uint32_t session;
  if (fwx_streq(op, "begin")) return cmd_begin(ota, cmd, from, r, why, now);
  if (fwx_streq(op, "query")) {
    if (read_u32(cmd, "session", 0, 65535, &session) != 0 || !current_session(ota, (uint16_t)session)) {
      /* The Node agent's words (device-agent.ts "query"): the tool shows either device's refusal the same way. */
      char num[12];
      fwx_text t;
      fwx_text_init(&t, num, sizeof num);
      if (read_u32(cmd, "session", 0, 65535, &session) == 0) fwx_text_u64(&t, session);
      else fwx_text_str(&t, "undefined");
      return refuse(why, "superseded", "session ", num, " is no longer the device's transfer");
    }
    fwx_jw_key(r, "acked"); fwx_jw_int(r, ota->contiguous);
    fwx_jw_key(r, "installing"); fwx_jw_bool(r, ota->installing && ota->installing_session == session);
    return 0;
  }
  if (fwx_streq(op, "abort")) {
    if (read_u32(cmd, "session", 0, 65535, &session) == 0 && current_session(ota, (uint16_t)session) && !ota->installing) discard(ota);
    return 0;
  }
  if (fwx_streq(op, "rollback") || fwx_streq(op, "remove") || fwx_streq(op, "config")) {
    int rc;
    if (ota->installing) return refuse(why, "busy", "device is installing; try again after its verdict", NULL, NULL);
    rc = ota->host.command(ota->host.ctx, op, cmd, r, why);
    if (rc == 0) fwx_ota_status_changed(ota, now);
    return rc;
  }
  if (fwx_streq(op, "logs")) {
    char module[FWX_OTA_ID_MAX + 1];
    int64_t limit = 100;
    fwx_json_span m = fwx_json_get(cmd, "module");
    module[0] = '\0';
    if (fwx_json_kind_of(m) == FWX_JSON_STRING && fwx_json_string(m, module, sizeof module) < 0)
      return refuse(why, "bad-request", "module is not a module id", NULL, NULL);
    if (fwx_json_int(fwx_json_get(cmd, "limit"), INT32_MIN, INT32_MAX, &limit) != 0 || limit == 0) limit = 100;
    if (limit < 1) limit = 1;
    if (limit > 500) limit = 500;
    ota->host.logs(ota->host.ctx, module[0] ? module : NULL, (uint32_t)limit, r);
    return 0;
  }
  if (fwx_streq(op, "revocations") && ota->rl_answer) {
    /* Delivered and checked in on_signed_command (the list is not part of the command's JSON). */
    fwx_jw_key(r, "serial"); fwx_jw_int(r, (int64_t)ota->rl_serial);
    fwx_jw_key(r, "replaced"); fwx_jw_bool(r, ota->rl_replaced);
    return 0;
  }
  if (fwx_streq(op, "status")) {
    fwx_jw_key(r, "status");
    (void)write_status(ota, r);
    return 0;
  }
  return refuse(why, "unknown-op", "unknown command \"", op, "\"");
}

/* The proof of a signed command's answer (device-agent.ts onSignedCommand):
 * outcome "refused", the phase of the event the reply carries, or "ok". */
static int prove_reply(fwx_ota *ota, const fwx_cmd *c, const char *reply, size_t len, const char *refused_code) {
  fwx_json_span r, ev;
  fwx_statement_t st;
  char phase[32], code[64], module[FWX_OTA_ID_MAX + 1];
  uint8_t pkg[32];
  int has_pkg = 0;
  memset(&st, 0, sizeof st);
  st.device = ota->cfg.device_id;
  st.request = c->digest;
  if (c->has_package) {
    memcpy(pkg, c->body + c->sha256_at, 32);
    has_pkg = 1;
  }
  if (refused_code) {
    st.outcome = "refused";
    st.code = refused_code;
  } else {
    r.p = reply;
    r.len = len;
    ev = fwx_json_get(r, "done");
    if (fwx_json_kind_of(ev) != FWX_JSON_OBJECT) ev = fwx_json_get(r, "event");
    st.outcome = "ok";
    if (fwx_json_kind_of(ev) == FWX_JSON_OBJECT) {
      if (fwx_json_string(fwx_json_get(ev, "phase"), phase, sizeof phase) >= 0) st.outcome = phase;
      if (fwx_json_string(fwx_json_get(ev, "code"), code, sizeof code) >= 0) st.code = code;
      if (read_sha(ev, "package", pkg) == 0) has_pkg = 1;
    }
  }
  if (has_pkg) st.package = pkg;
  if (c->module.len >= 0) {
    fwx_cmd_copy(c, c->module, module, sizeof module);
    st.module = module;
  }
  return fwx_statement_prove(&st, ota->cfg.device_seed, ota->proof, sizeof ota->proof);
}

/* Runs a command (JSON, or a signed one translated to JSON) and publishes the reply; a signed command's reply carries its proof. */
static void answer(fwx_ota *ota, const char *op, fwx_json_span cmd, const char *req, const char *from, const fwx_cmd *signed_cmd,
                   const fwx_ota_refusal *pre, uint64_t now) {
  fwx_json_writer w;
  fwx_ota_refusal why;
  char leaf[16 + FWX_OTA_ID_MAX];
  fwx_text t;
  long n;
  int refused = 0;
  fwx_text_init(&t, leaf, sizeof leaf);
  fwx_text_str(&t, "reply/");
  fwx_text_str(&t, from);
  why.code = "internal";
  why.message[0] = '\0';
  fwx_jw_init(&w, ota->reply, sizeof ota->reply);
  fwx_jw_begin_object(&w);
  fwx_jw_key(&w, "req"); fwx_jw_string(&w, req);
  fwx_jw_key(&w, "ok"); fwx_jw_bool(&w, 1);
  if (pre) {
    why = *pre;
    n = -1;
  } else if (!op) {
    (void)refuse(&why, "unknown-op", "command has no known op", NULL, NULL);
    n = -1;
  } else {
    n = handle(ota, op, cmd, from, &w, &why, now);
  }
  if (n == 0) {
    fwx_jw_end_object(&w);
    n = fwx_jw_finish(&w);
    if (n < 0) (void)refuse(&why, "internal", "reply does not fit the device's buffer", NULL, NULL);
  } else {
    n = -1;
  }
  if (n < 0) {
    refused = 1;
    fwx_jw_init(&w, ota->reply, sizeof ota->reply);
    fwx_jw_begin_object(&w);
    fwx_jw_key(&w, "req"); fwx_jw_string(&w, req);
    fwx_jw_key(&w, "ok"); fwx_jw_bool(&w, 0);
    fwx_jw_key(&w, "code"); fwx_jw_string(&w, why.code);
    fwx_jw_key(&w, "message"); fwx_jw_string(&w, why.message);
    if (signed_cmd && fwx_streq(why.code, "replayed")) {
      /* The counter to beat travels with a "replayed" refusal (unsigned: a lie only gets the next command refused again). */
      fwx_jw_key(&w, "counter"); fwx_jw_int(&w, (int64_t)ota->cfg.gate->counter);
    }
    fwx_jw_end_object(&w);
    n = fwx_jw_finish(&w);
    if (n < 0) return;
  }
  if (signed_cmd) {
    size_t len = (size_t)n;
    if (prove_reply(ota, signed_cmd, ota->reply, len, refused ? why.code : NULL) != 0 || len + 16u + fwx_strlen(ota->proof) >= sizeof ota->reply) return;
    /* ...,"proof":"<base64>"} in place of the closing brace (fwx_text_init would clear the reply's first byte) */
    t.buf = ota->reply;
    t.cap = sizeof ota->reply;
    t.len = len - 1u;
    fwx_text_str(&t, ",\"proof\":\"");
    fwx_text_str(&t, ota->proof);
    fwx_text_str(&t, "\"}");
    n = (long)t.len;
    if (!refused && fwx_streq(op, "begin")) {
      ota->has_request = 1;
      memcpy(ota->request, signed_cmd->digest, 32);
      memcpy(ota->request_pkg, signed_cmd->body + signed_cmd->sha256_at, 32);
      if (ota->active && memcmp(ota->t.package.sha256, ota->request_pkg, 32) == 0) {
        /* Kept with the transfer, so a restart mid-install still proves the verdict for this begin. */
        ota->t.has_request = 1;
        memcpy(ota->t.request, ota->request, 32);
        (void)persist(ota);
      }
    }
    if (!pre && (fwx_streq(op, "begin") || fwx_streq(op, "abort")) && (size_t)n < sizeof ota->last_answer) {
      ota->has_last = 1;
      memcpy(ota->last_digest, signed_cmd->digest, 32);
      memcpy(ota->last_answer, ota->reply, (size_t)n);
      ota->last_answer_len = (size_t)n;
    } else if (!pre) {
      ota->has_last = 0;
    }
  }
  (void)publish(ota, leaf, ota->reply, (size_t)n, 1, 0, NULL);
  /* Chunks of this session that came before its begin: taken in after the reply. */
  if (ota->active) drain_early(ota, now);
}

static int is_state_changing(const char *op) {
  return fwx_streq(op, "begin") || fwx_streq(op, "abort") || fwx_streq(op, "rollback") || fwx_streq(op, "remove") ||
         fwx_streq(op, "config") || fwx_streq(op, "revocations");
}

/* "the package is for groups line-10, line-11; this device is in line-1": the names the Node agent's refusal gives. */
static int refuse_scope(fwx_ota_refusal *why, const fwx_cmd *c, uint32_t list_at, const char *what, const char *tail, const char *mine) {
  char names[sizeof why->message];
  fwx_text t;
  fwx_cmd_names(c, list_at, names, sizeof names);
  why->code = "package-scope";
  fwx_text_init(&t, why->message, sizeof why->message);
  fwx_text_str(&t, "the package is for ");
  fwx_text_str(&t, what);
  fwx_text_str(&t, names);
  fwx_text_str(&t, tail);
  fwx_text_str(&t, mine);
  return -1;
}

/* A begin's own checks before the transfer starts (device-agent.ts handleSigned / begin). 0, or -1 with *why. */
static int signed_begin_checks(const fwx_ota *ota, const fwx_cmd *c, fwx_ota_refusal *why) {
  if (!c->has_package) return refuse(why, "bad-request", "\"begin\" needs the package (sha256, size, version, sequence)", NULL, NULL);
  if (c->module.len < 0) return refuse(why, "bad-request", "\"begin\" needs module", NULL, NULL);
  if (!c->has_session) return refuse(why, "bad-request", "\"begin\" needs session", NULL, NULL);
  if (!c->has_window) return refuse(why, "bad-request", "\"begin\" needs window", NULL, NULL);
  /* The package's certificate names its customers (and groups): a package for another customer is refused before any byte is sent. */
  if (!fwx_cmd_allows(c, c->customers_at, ota->cfg.customer))
    return refuse_scope(why, c, c->customers_at, "customers ", "; this device belongs to ", ota->cfg.customer);
  if (!fwx_cmd_allows(c, c->groups_at, ota->cfg.group))
    return refuse_scope(why, c, c->groups_at, "groups ", "; this device is in ", ota->cfg.group);
  return 0;
}

/* Verify, record the counter, run, answer with a proof bound to the command. Refusals are answered (and proven) too. */
static void on_signed_command(fwx_ota *ota, const uint8_t *payload, size_t len, uint64_t now) {
  fwx_cmd c;
  fwx_ota_refusal why;
  const char *code = "internal";
  char req[FWX_OTA_ID_MAX + 1], from[FWX_OTA_ID_MAX + 1], op[20];
  fwx_json_span cmd;
  long n;
  if (fwx_cmd_open(payload, (uint32_t)len, &c) != 0) return; /* not a signed command: ignored, as the Node agent does */
  fwx_cmd_copy(&c, c.from, from, sizeof from);
  fwx_cmd_copy(&c, c.req, req, sizeof req);
  fwx_cmd_copy(&c, c.op, op, sizeof op);
  if (!fwx_ota_valid_id(from)) return;
  if (ota->has_last && memcmp(ota->last_digest, c.digest, 32) == 0 && c.counter == ota->cfg.gate->counter) {
    /* The same bytes again (the tool lost the answer): the same answer, nothing runs twice. */
    char leaf[16 + FWX_OTA_ID_MAX];
    fwx_text t;
    fwx_text_init(&t, leaf, sizeof leaf);
    fwx_text_str(&t, "reply/");
    fwx_text_str(&t, from);
    (void)publish(ota, leaf, ota->last_answer, ota->last_answer_len, 1, 0, NULL);
    return;
  }
  why.message[0] = '\0';
  if (fwx_cmd_admit(ota->cfg.gate, &c, ota->host.wall_ms(ota->host.ctx) / 1000, &code, why.message, sizeof why.message) != 0) {
    why.code = code;
    cmd.p = "{}";
    cmd.len = 2;
    answer(ota, op, cmd, req, from, &c, &why, now);
    return;
  }
  fwx_ota_status_changed(ota, now); /* the counter is part of the status */
  if (fwx_streq(op, "begin") && signed_begin_checks(ota, &c, &why) != 0) {
    cmd.p = "{}";
    cmd.len = 2;
    ota->has_last = 0;
    answer(ota, op, cmd, req, from, &c, &why, now);
    return;
  }
  if (fwx_streq(op, "revocations")) {
    /* device-agent.ts handleSigned "revocations" / op-guard.ts updateRevocations: kept only if root-signed and of a higher serial. */
    const fwx_rl_port *rl = ota->cfg.gate->revocations;
    int rc = FWX_RL_E_STORE, replaced = 0;
    cmd.p = "{}";
    cmd.len = 2;
    if (c.revocations_at == FWX_CMD_ABSENT) {
      (void)refuse(&why, "bad-request", "\"revocations\" needs a revocation list", NULL, NULL);
      answer(ota, op, cmd, req, from, &c, &why, now);
      return;
    }
    if (rl) rc = rl->offer(rl->ctx, c.body + c.revocations_at, c.revocations_len, &replaced);
    if (rc == FWX_RL_E_STORE) {
      (void)refuse(&why, "internal", "cannot keep the delivered revocation list: the device's store failed", NULL, NULL);
      answer(ota, op, cmd, req, from, &c, &why, now);
      return;
    }
    if (rc != FWX_RL_OK) {
      (void)refuse(&why, "bad-signature", "delivered revocation list: ",
                   rc == FWX_RL_E_SIG ? "signature does not verify against the root public key" : "not a revocation list of the documented layout", NULL);
      answer(ota, op, cmd, req, from, &c, &why, now);
      return;
    }
    ota->rl_answer = 1;
    ota->rl_replaced = replaced;
    ota->rl_serial = rl->serial(rl->ctx);
    publish_status(ota, NULL);
    answer(ota, op, cmd, req, from, &c, NULL, now);
    ota->rl_answer = 0;
    return;
  }
  if (!is_state_changing(op)) {
    (void)refuse(&why, "unknown-op", "unknown command \"", op, "\"");
    cmd.p = "{}";
    cmd.len = 2;
    answer(ota, op, cmd, req, from, &c, &why, now);
    return;
  }
  n = fwx_cmd_to_json(&c, ota->signed_json, sizeof ota->signed_json);
  if (n < 0) {
    (void)refuse(&why, "bad-request", "command does not fit the device's buffer", NULL, NULL);
    cmd.p = "{}";
    cmd.len = 2;
    answer(ota, op, cmd, req, from, &c, &why, now);
    return;
  }
  cmd.p = ota->signed_json;
  cmd.len = (size_t)n;
  ota->preempt = fwx_streq(op, "begin") && c.preempt;
  answer(ota, op, cmd, req, from, &c, NULL, now);
  ota->preempt = 0;
}

static void on_command(fwx_ota *ota, const uint8_t *payload, size_t len, uint64_t now) {
  fwx_json_span cmd;
  fwx_ota_refusal why;
  char req[FWX_OTA_ID_MAX + 1], from[FWX_OTA_ID_MAX + 1], op[20];
  size_t skip = 0;
  /* A signed command is a CBOR array of three: [body, signature, operator certificate]. */
  if (len > 0 && payload[0] == 0x83u) {
    if (ota->cfg.gate) on_signed_command(ota, payload, len, now);
    return;
  }
  if (len > FWX_OTA_CMD_MAX || !fwx_json_valid((const char *)payload, len)) return;
  while (skip < len && payload[skip] != '{' && payload[skip] != '[' && payload[skip] != '"') skip++;
  cmd.p = (const char *)payload + skip;
  cmd.len = len - skip;
  if (fwx_json_kind_of(cmd) != FWX_JSON_OBJECT) return;
  if (fwx_json_string(fwx_json_get(cmd, "req"), req, sizeof req) < 0) return;
  if (fwx_json_string(fwx_json_get(cmd, "from"), from, sizeof from) < 0 || !fwx_ota_valid_id(from)) return;
  if (fwx_json_string(fwx_json_get(cmd, "op"), op, sizeof op) < 0) {
    answer(ota, NULL, cmd, req, from, NULL, NULL, now);
    return;
  }
#ifdef FWX_OTA_TEST_UNSIGNED
  /* Unit tests of the transfer machinery only (tests/c/ota, tests/c/slots): no gate, JSON commands run unsigned. */
  if (is_state_changing(op) && ota->cfg.gate) {
#else
  if (is_state_changing(op)) {
#endif
    /* Anyone on the broker may read (status, logs, query); changing the device takes an operator's signature. */
    why.code = "unsigned";
    (void)refuse(&why, "unsigned", "\"", op, "\" changes the device: it must be a command signed by an operator key certified by the product root");
    answer(ota, op, cmd, req, from, NULL, &why, now);
    return;
  }
  answer(ota, op, cmd, req, from, NULL, NULL, now);
}

/* ---- entry points -------------------------------------------------------- */

int fwx_ota_init(fwx_ota *ota, const fwx_ota_config *cfg, const fwx_ota_transport *net,
                 const fwx_ota_storage *store, const fwx_ota_host *host) {
  fwx_text t;
  long n;
  memset(ota, 0, sizeof *ota);
  if (!fwx_ota_valid_id(cfg->device_id)) return -1;
  ota->cfg = *cfg;
  ota->net = *net;
  ota->store = *store;
  ota->host = *host;
  ota->final_ack_mid = -1;
  ota->gap_reported_at = -1;
  ota->online_mids[0] = ota->online_mids[1] = -1;
  fwx_text_init(&t, ota->base_topic, sizeof ota->base_topic);
  fwx_text_str(&t, FWX_OTA_TOPIC_ROOT "/");
  fwx_text_str(&t, cfg->device_id);
  /* A partial download left by a previous run: kept up to its acknowledged offset, as stale. */
  n = ota->store.load_meta(ota->store.ctx, ota->out, sizeof ota->out);
  if (n >= 0) {
    int ok = read_meta(ota->out, (size_t)n, &ota->t) == 0;
    if (ok && ota->t.has_request) {
      /* The begin a trial in progress answers: its verdict after this restart is still bound to it. */
      ota->has_request = 1;
      memcpy(ota->request, ota->t.request, 32);
      memcpy(ota->request_pkg, ota->t.package.sha256, 32);
    }
    if (!ok || ota->host.has_package(ota->host.ctx, ota->t.package.sha256)) {
      ota->store.discard(ota->store.ctx);
    } else {
      uint32_t stored = ota->store.stored(ota->store.ctx);
      ota->active = 1;
      /* Bytes past the recorded ack may be torn: they are rewritten when resent. */
      if (ota->t.acked > stored) ota->t.acked = stored;
      ota->contiguous = ota->t.acked;
    }
  } else {
    ota->store.discard(ota->store.ctx);
  }
  return 0;
}

void fwx_ota_on_connected(fwx_ota *ota, uint64_t now) {
  char buf[64];
  fwx_text t;
  ota->connected = 1;
  ota->online_pending = 2;
  ota->online_mids[0] = ota->online_mids[1] = -1;
  fwx_text_init(&t, buf, sizeof buf);
  fwx_text_str(&t, "{\"online\":true,\"ts\":");
  fwx_text_i64(&t, ota->host.wall_ms(ota->host.ctx));
  fwx_text_str(&t, "}");
  (void)publish(ota, "presence", buf, t.len, 1, 1, &ota->online_mids[0]);
  publish_status(ota, &ota->online_mids[1]);
  ota->heartbeat_due = now + FWX_OTA_HEARTBEAT_MS;
}

void fwx_ota_on_disconnected(fwx_ota *ota) {
  ota->connected = 0;
  ota->online_pending = -1;
}

int fwx_ota_online(const fwx_ota *ota) { return ota->connected && ota->online_pending == 0; }

void fwx_ota_on_delivered(fwx_ota *ota, int mid, uint64_t now) {
  int k;
  (void)now;
  for (k = 0; k < 2; k++)
    if (mid >= 0 && ota->online_mids[k] == mid) {
      ota->online_mids[k] = -1;
      if (ota->online_pending > 0) ota->online_pending--;
    }
  if (mid >= 0 && ota->final_ack_armed && mid == ota->final_ack_mid) complete(ota);
}

void fwx_ota_on_message(fwx_ota *ota, const char *topic, const uint8_t *payload, size_t len, uint64_t now) {
  size_t base = fwx_strlen(ota->base_topic);
  if (fwx_strnlen(topic, base + 8) < base + 1 || memcmp(topic, ota->base_topic, base) != 0 || topic[base] != '/') return;
  if (fwx_streq(topic + base + 1, "chunk")) on_chunk(ota, payload, len, now);
  else if (fwx_streq(topic + base + 1, "cmd")) on_command(ota, payload, len, now);
}

void fwx_ota_poll(fwx_ota *ota, uint64_t now) {
  if (ota->ack_armed && now >= ota->ack_due) ack_now(ota, 0, now);
  if (ota->final_ack_armed && now >= ota->final_ack_due) complete(ota);
  if (ota->complete_pending) complete(ota);
  if (ota->status_armed && now >= ota->status_due && ota->connected) publish_status(ota, NULL);
  if (ota->connected && now >= ota->heartbeat_due) {
    ota->heartbeat_due = now + FWX_OTA_HEARTBEAT_MS;
    publish_status(ota, NULL);
  }
}
