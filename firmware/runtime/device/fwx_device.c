/* The device core: see fwx_device.h. Mirrors src/ota/install.ts (slots,
 * trial, confirm, revert, boot recovery) and the install half of
 * src/ota/device-agent.ts (hash check, delta, received event). */
#include "fwx_device.h"

#include <string.h>

#include "fwx_delta.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"

static fwx_device *the_device; /* the HAL services find their device through the module's supervisor */

static const char *slot_letter(int slot) { return slot ? "B" : "A"; }

static void hex32(const uint8_t sha[32], char out[65]) {
  fwx_text t;
  fwx_text_init(&t, out, 65);
  fwx_text_hex(&t, sha, 32);
}

static int find_rec(const fwx_device *d, const char *id) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++)
    if (d->modules[i].used && fwx_streq(d->modules[i].id, id)) return (int)i;
  return -1;
}

static int free_rec(const fwx_device *d) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++)
    if (!d->modules[i].used) return (int)i;
  return -1;
}

static int64_t wall(const fwx_device *d) { return d->wall_ms(d->wall_ctx); }

/* ---- events -------------------------------------------------------------- */

typedef struct ev_text {
  char reason[240];
  char package[65];
} ev_text;

static fwx_ota_event event_of(const char *module, const char *phase, int64_t ts) {
  fwx_ota_event e;
  memset(&e, 0, sizeof e);
  e.module = module;
  e.phase = phase;
  e.ts = ts;
  return e;
}

/* Publishes; for a verdict, records it as the last install first (the status published with it names it). */
static void emit(fwx_device *d, const fwx_ota_event *e, int verdict) {
  if (verdict) {
    fwx_json_writer w;
    fwx_ota_event rec = *e;
    char hex[65];
    if (d->ota.installing && !rec.has_session) {
      rec.has_session = 1;
      rec.session = d->ota.installing_session;
    }
    if (d->ota.installing && !rec.package) {
      hex32(d->ota.installing_sha, hex);
      rec.package = hex;
    }
    fwx_jw_init(&w, d->last_install, sizeof d->last_install);
    fwx_ota_write_event(&w, &rec);
    d->has_last_install = fwx_jw_finish(&w) >= 0;
    (void)fwx_dev_save_state(d);
    fwx_ota_emit(&d->ota, &rec, d->now_ms);
    return;
  }
  fwx_ota_emit(&d->ota, e, d->now_ms);
}

/* ---- slots ----------------------------------------------------------------- */

/* Reads, re-hashes and re-verifies a slot into buf (at the instant it was first accepted). */
static int load_slot(fwx_device *d, const fwx_module_rec *r, int slot, uint32_t floor, uint8_t *buf, fwx_pkg_info *info, char *problem, size_t cap) {
  const fwx_slot_rec *s = &r->slots[slot];
  uint8_t sha[32];
  long n;
  const char *code = NULL;
  char msg[200];
  fwx_text t;
  fwx_text_init(&t, problem, cap);
  if (!s->used) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, slot_letter(slot));
    fwx_text_str(&t, " is empty");
    return -1;
  }
  n = d->store.read_slot(d->store.ctx, r->id, slot, buf, FWX_DEVICE_MAX_PACKAGE);
  if (n != (long)s->size) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, slot_letter(slot));
    fwx_text_str(&t, n < 0 ? " cannot be read" : " has the wrong size");
    return -1;
  }
  d->verifier.sha256(d->verifier.ctx, buf, (size_t)n, sha);
  if (memcmp(sha, s->sha256, 32) != 0) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, slot_letter(slot));
    fwx_text_str(&t, " does not hash to the recorded SHA-256");
    return -1;
  }
  if (d->verifier.verify(d->verifier.ctx, buf, (uint32_t)n, s->verified_at, floor, info, &code, msg, sizeof msg) != 0) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, slot_letter(slot));
    fwx_text_str(&t, " no longer verifies: ");
    fwx_text_str(&t, msg);
    return -1;
  }
  return 0;
}

/* ---- running modules ---------------------------------------------------------- */

static void stop_live(fwx_device *d, unsigned i, const char *why) {
  fwx_live *l = &d->live[i];
  if (!l->used) return;
  if (l->sup) {
    fwx_module_t *ctx = &l->sup->ctx;
    fwx_sup_stop(&d->sup, l->sup, why); /* fwx_deinit may still release its peripherals */
    if (d->cfg.module_detach) d->cfg.module_detach(d->cfg.board, ctx);
  }
  l->used = 0;
  l->sup = NULL;
  l->pending = 0;
}

/* Starts the package in buf (verified, described by info) for module record i. -1 with error text. */
static int start_live(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info, int trial, const char **error) {
  fwx_live *l = &d->live[i];
  fwx_sup_config_t cfg;
  fwx_sup_status_t st;
  stop_live(d, i, "replaced");
  memset(&cfg, 0, sizeof cfg);
  cfg.granted = info->granted;
  cfg.trial = trial != 0;
  l->used = 1;
  l->slot = slot;
  l->trial = trial;
  l->info = *info;
  l->pending = 0;
  l->faults = 0;
  l->last_fault[0] = '\0';
  l->wasm_len = info->payload_len;
  memcpy(l->wasm, buf + info->payload_offset, info->payload_len);
  fwx_dev_kv_load(d, i);
  {
    const uint8_t *wasm = l->wasm;
    uint32_t wasm_len = l->wasm_len;
    if (d->cfg.map_payload && d->cfg.map_payload(l->wasm, l->wasm_len, &wasm, &wasm_len) != 0) {
      *error = "payload maps to no guest of this test device";
      l->used = 0;
      return -1;
    }
    /* The supervisor runs the start function and fwx_init inside fwx_sup_start, so the board must know
     * the module first: on the context of the slot the supervisor will take (its first free one). */
    fwx_sup_module_t *next = NULL;
    unsigned k;
    static char why[200];
    for (k = 0; k < FWX_SUP_MAX_MODULES && !next; k++)
      if (d->sup.modules[k].state == FWX_SUP_EMPTY) next = &d->sup.modules[k];
    if (next && d->cfg.module_attach &&
        d->cfg.module_attach(d->cfg.board, &next->ctx, d->modules[i].id, buf + info->caps_offset, info->caps_len, why, sizeof why) != 0) {
      *error = why;
      l->used = 0;
      return -1;
    }
    st = fwx_sup_start(&d->sup, d->modules[i].id, wasm, wasm_len, &cfg, &l->sup, error);
    if (st != FWX_SUP_OK && next && d->cfg.module_detach) d->cfg.module_detach(d->cfg.board, &next->ctx);
  }
  if (st != FWX_SUP_OK) {
    l->used = 0;
    l->sup = NULL;
    return -1;
  }
  return 0;
}

static void run_confirmed(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info) {
  const char *error = "";
  if (start_live(d, i, slot, buf, info, 0, &error) != 0) {
    ev_text x;
    fwx_ota_event e = event_of(d->modules[i].id, "failed", wall(d));
    fwx_text t;
    fwx_text_init(&t, x.reason, sizeof x.reason);
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, slot_letter(slot));
    fwx_text_str(&t, " cannot start: ");
    fwx_text_str(&t, error ? error : "refused");
    e.reason = x.reason;
    emit(d, &e, 0);
  }
}

static void revert(fwx_device *d, unsigned i, const char *reason);

static void begin_trial(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info) {
  fwx_module_rec *r = &d->modules[i];
  fwx_ota_event e = event_of(r->id, "trial", wall(d));
  ev_text x;
  fwx_text t;
  const char *error = "";
  hex32(r->slots[slot].sha256, x.package);
  fwx_text_init(&t, x.reason, sizeof x.reason);
  fwx_text_str(&t, "slot ");
  fwx_text_str(&t, slot_letter(slot));
  fwx_text_str(&t, ": ");
  fwx_text_u64(&t, FWX_SUP_HEALTH_CALLBACKS);
  fwx_text_str(&t, " callbacks and ");
  fwx_text_u64(&t, FWX_SUP_HEALTH_SECONDS);
  fwx_text_str(&t, " s without a fault to confirm");
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  e.package = x.package;
  e.version = info->version;
  e.has_sequence = 1;
  e.sequence = info->sequence;
  e.reason = x.reason;
  emit(d, &e, 0);
  if (start_live(d, i, slot, buf, info, 1, &error) != 0) {
    char why[200];
    fwx_text_init(&t, why, sizeof why);
    fwx_text_str(&t, "could not start: ");
    fwx_text_str(&t, error ? error : "refused");
    d->live[i].used = 1; /* revert() acts on the live trial */
    d->live[i].slot = slot;
    d->live[i].trial = 1;
    d->live[i].info = *info;
    revert(d, i, why);
  }
}

static void confirm(fwx_device *d, unsigned i, const char *why) {
  fwx_module_rec *r = &d->modules[i];
  fwx_live *l = &d->live[i];
  fwx_ota_event e = event_of(r->id, "confirmed", wall(d));
  ev_text x;
  fwx_text t;
  l->trial = 0;
  r->confirmed = l->slot;
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  r->trial = -1;
  if (l->info.sequence > r->installed_seq) r->installed_seq = l->info.sequence;
  hex32(r->slots[l->slot].sha256, x.package);
  fwx_text_init(&t, x.reason, sizeof x.reason);
  fwx_text_str(&t, why);
  fwx_text_str(&t, ", in slot ");
  fwx_text_str(&t, slot_letter(l->slot));
  e.package = x.package;
  e.version = l->info.version;
  e.has_sequence = 1;
  e.sequence = l->info.sequence;
  e.reason = x.reason;
  emit(d, &e, 1);
}

static void revert(fwx_device *d, unsigned i, const char *reason) {
  fwx_module_rec *r = &d->modules[i];
  fwx_live *l = &d->live[i];
  fwx_ota_event e = event_of(r->id, "reverted", wall(d));
  ev_text x;
  char module[FWX_OTA_ID_MAX + 1];
  char version[FWX_OTA_VERSION_MAX + 1];
  int slot = l->slot;
  uint32_t seq = l->info.sequence;
  (void)fwx_strcpy_bounded(module, sizeof module, r->id);
  (void)fwx_strcpy_bounded(version, sizeof version, l->info.version);
  (void)fwx_strcpy_bounded(x.reason, sizeof x.reason, reason);
  hex32(r->slots[slot].sha256, x.package);
  e.module = module;
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  stop_live(d, i, "trial failed");
  r->trial = -1;
  /* The failed package overwrote the version before the confirmed one: nothing to roll back to there. */
  memset(&r->slots[slot], 0, sizeof r->slots[slot]);
  e.package = x.package;
  e.version = version;
  e.has_sequence = 1;
  e.sequence = seq;
  e.reason = x.reason;
  if (r->confirmed < 0) {
    r->used = 0;
    emit(d, &e, 1); /* saves the state without the module, then its files go */
    d->store.remove_module(d->store.ctx, module);
    fwx_dev_kv_clear(d, i);
    return;
  }
  (void)fwx_dev_save_state(d);
  {
    fwx_pkg_info info;
    char problem[200];
    if (load_slot(d, r, r->confirmed, 0, d->base, &info, problem, sizeof problem) == 0) {
      run_confirmed(d, i, r->confirmed, d->base, &info);
    } else {
      fwx_ota_event f = event_of(r->id, "failed", wall(d));
      f.reason = problem;
      emit(d, &f, 0);
    }
  }
  /* The verdict last: the status published with it shows the confirmed module running again. */
  emit(d, &e, 1);
}

/* Supervisor verdicts are acted on after the supervisor's call returns (never from inside it). */
static void settle(fwx_device *d) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) {
    fwx_live *l = &d->live[i];
    char why[FWX_SUP_TEXT_MAX];
    if (!l->used || !l->pending) continue;
    (void)fwx_strcpy_bounded(why, sizeof why, l->why);
    if (l->pending == 1 && l->trial) {
      l->pending = 0;
      confirm(d, i, why);
    } else if (l->pending == 2 && l->trial) {
      char reason[200];
      fwx_text t;
      l->pending = 0;
      fwx_text_init(&t, reason, sizeof reason);
      fwx_text_str(&t, l->last_fault[0] ? "faulted during trial: " : "");
      fwx_text_str(&t, l->last_fault[0] ? l->last_fault : why);
      revert(d, i, reason);
    } else {
      l->pending = 0;
    }
  }
}

static void on_sup_event(void *user, const fwx_sup_event_t *ev) {
  fwx_device *d = user;
  int i = find_rec(d, ev->module_id);
  fwx_live *l;
  char text[200];
  fwx_text t;
  if (i < 0) return;
  l = &d->live[i];
  switch (ev->kind) {
    case FWX_SUP_EV_STARTED:
      fwx_dev_log(d, ev->module_id, "lifecycle", "state", "running", "summary", l->trial ? "started on trial" : "started");
      break;
    case FWX_SUP_EV_FAULT:
      l->faults++;
      fwx_text_init(&t, l->last_fault, sizeof l->last_fault);
      fwx_text_str(&t, fwx_fault_reason_name(ev->fault->reason));
      fwx_text_str(&t, ": ");
      fwx_text_str(&t, ev->fault->detail);
      fwx_text_init(&t, text, sizeof text);
      fwx_text_str(&t, ev->fault->callback);
      fwx_dev_log(d, ev->module_id, "fault", "reason", fwx_fault_reason_name(ev->fault->reason), "callback", text);
      break;
    case FWX_SUP_EV_BACKOFF:
      fwx_dev_log(d, ev->module_id, "lifecycle", "state", "backoff", "summary", "restarting after a fault");
      break;
    case FWX_SUP_EV_QUARANTINED:
      fwx_dev_log(d, ev->module_id, "lifecycle", "state", "quarantined", "summary", "faulted too often; not restarted");
      break;
    case FWX_SUP_EV_CONFIRMED:
      l->pending = 1;
      (void)fwx_strcpy_bounded(l->why, sizeof l->why, ev->text ? ev->text : "");
      break;
    case FWX_SUP_EV_REVERT:
      l->pending = 2;
      (void)fwx_strcpy_bounded(l->why, sizeof l->why, ev->text ? ev->text : "");
      break;
    case FWX_SUP_EV_STOPPED:
    default:
      break;
  }
}

/* ---- install -------------------------------------------------------------------- */

static void finish(fwx_device *d, const char *module, const char *phase, const char *reason, const char *code) {
  fwx_ota_event e = event_of(module, phase, wall(d));
  e.reason = reason;
  e.code = code;
  emit(d, &e, 1);
}

static void install(fwx_device *d, const uint8_t *pkg, uint32_t len, const fwx_ota_transfer *t) {
  fwx_pkg_info info;
  const char *code = NULL;
  char msg[200];
  int i = find_rec(d, t->package.module);
  int target;
  fwx_module_rec *r;
  fwx_ota_event e;
  char hex[65];
  if (i >= 0 && d->modules[i].trial >= 0) {
    finish(d, t->package.module, "refused", "module is on trial; wait for its verdict", "busy");
    return;
  }
  if (d->verifier.verify(d->verifier.ctx, pkg, len, wall(d), i >= 0 ? d->modules[i].installed_seq : 0u, &info, &code, msg, sizeof msg) != 0) {
    finish(d, t->package.module, "refused", msg, code);
    return;
  }
  i = find_rec(d, info.module);
  if (i < 0) i = free_rec(d);
  if (i < 0) {
    finish(d, info.module, "refused", "no free module slot on this device", "too-many-modules");
    return;
  }
  r = &d->modules[i];
  e = event_of(info.module, "verified", wall(d));
  e.version = info.version;
  e.has_sequence = 1;
  e.sequence = info.sequence;
  emit(d, &e, 0);
  if (!r->used) {
    memset(r, 0, sizeof *r);
    (void)fwx_strcpy_bounded(r->id, sizeof r->id, info.module);
    r->confirmed = -1;
    r->trial = -1;
  }
  target = r->confirmed >= 0 ? 1 - r->confirmed : 0;
  if (d->store.write_slot(d->store.ctx, r->id, target, pkg, len) != 0) {
    int fresh = !r->used;
    if (fresh) memset(r, 0, sizeof *r);
    finish(d, info.module, "failed", "cannot write the slot", NULL);
    return;
  }
  e = event_of(info.module, "written", wall(d));
  e.version = info.version;
  e.has_sequence = 1;
  e.sequence = info.sequence;
  e.reason = target ? "slot B" : "slot A";
  emit(d, &e, 0);
  r->used = 1;
  memset(&r->slots[target], 0, sizeof r->slots[target]);
  r->slots[target].used = 1;
  d->verifier.sha256(d->verifier.ctx, pkg, len, r->slots[target].sha256);
  r->slots[target].size = len;
  (void)fwx_strcpy_bounded(r->slots[target].version, sizeof r->slots[target].version, info.version);
  r->slots[target].sequence = info.sequence;
  r->slots[target].verified_at = wall(d);
  r->trial = target;
  r->trial_has_session = 1;
  r->trial_session = t->session;
  r->trial_boots = 1;
  if (fwx_dev_save_state(d) != 0) {
    hex32(r->slots[target].sha256, hex);
    r->trial = -1;
    memset(&r->slots[target], 0, sizeof r->slots[target]);
    if (r->confirmed < 0) r->used = 0;
    finish(d, info.module, "failed", "cannot record the trial", NULL);
    return;
  }
  begin_trial(d, (unsigned)i, target, pkg, &info);
}

typedef struct delta_ctx {
  fwx_device *d;
  uint32_t base_len;
} delta_ctx;

static int rd_xfer(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  delta_ctx *c = ctx;
  memcpy(out, c->d->xfer + off, n);
  return 0;
}
static int rd_base(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  delta_ctx *c = ctx;
  if ((uint64_t)off + n > c->base_len) return -1;
  memcpy(out, c->d->base + off, n);
  return 0;
}
static int wr_pkg(void *ctx, uint32_t off, const uint8_t *data, size_t n) {
  delta_ctx *c = ctx;
  if ((uint64_t)off + n > FWX_DEVICE_MAX_PACKAGE) return -1;
  memcpy(c->d->pkg + off, data, n);
  return 0;
}

static void transfer_complete(void *ctx, const fwx_ota_transfer *t) {
  fwx_device *d = ctx;
  uint8_t sha[32];
  const uint8_t *pkg = d->xfer;
  uint32_t len = t->size;
  char reason[240];
  fwx_text txt;
  fwx_ota_event e;
  fwx_text_init(&txt, reason, sizeof reason);
  if (t->size > FWX_DEVICE_MAX_PACKAGE || fwx_ota_read_transfer(&d->ota, 0, d->xfer, t->size) != 0) {
    finish(d, t->package.module, "failed", "cannot read the received transfer back", NULL);
    return;
  }
  d->verifier.sha256(d->verifier.ctx, d->xfer, t->size, sha);
  if (memcmp(sha, t->sha256, 32) != 0) {
    fwx_text_str(&txt, "received ");
    fwx_text_str(&txt, t->delta ? "delta" : "full");
    fwx_text_str(&txt, " transfer does not have the SHA-256 the tool announced; discarded, flash again");
    finish(d, t->package.module, "failed", reason, NULL);
    return;
  }
  if (t->delta) {
    int i = find_rec(d, t->package.module);
    fwx_pkg_info base_info;
    char problem[200];
    fwx_delta_io io;
    fwx_delta_result res;
    delta_ctx c;
    const fwx_module_rec *r = i >= 0 ? &d->modules[i] : NULL;
    if (!r || r->confirmed < 0 || memcmp(r->slots[r->confirmed].sha256, t->base, 32) != 0 ||
        load_slot(d, r, r->confirmed, 0, d->base, &base_info, problem, sizeof problem) != 0) {
      finish(d, t->package.module, "failed", "the delta's base package is no longer the confirmed one", NULL);
      return;
    }
    c.d = d;
    c.base_len = r->slots[r->confirmed].size;
    io.ctx = &c;
    io.read_delta = rd_xfer;
    io.delta_size = t->size;
    io.read_base = rd_base;
    io.base_size = c.base_len;
    io.write_target = wr_pkg;
    io.max_target = FWX_DEVICE_MAX_PACKAGE;
    if (fwx_delta_apply(&io, &res) != 0) {
      fwx_text_str(&txt, "delta does not apply: ");
      fwx_text_str(&txt, res.message);
      finish(d, t->package.module, "failed", reason, NULL);
      return;
    }
    pkg = d->pkg;
    len = res.target_size;
    d->verifier.sha256(d->verifier.ctx, pkg, len, sha);
    if (memcmp(sha, t->package.sha256, 32) != 0) {
      finish(d, t->package.module, "failed", "delta reconstruction does not have the package's SHA-256", NULL);
      return;
    }
  }
  e = event_of(t->package.module, "received", wall(d));
  e.version = t->package.version;
  e.has_sequence = 1;
  e.sequence = t->package.sequence;
  fwx_text_u64(&txt, t->size);
  fwx_text_str(&txt, t->delta ? " bytes (delta)" : " bytes (full)");
  e.reason = reason;
  emit(d, &e, 0);
  install(d, pkg, len, t);
  settle(d);
}

/* ---- boot ------------------------------------------------------------------------ */

static void boot(fwx_device *d) {
  unsigned i;
  int changed = 0;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) {
    fwx_module_rec *r = &d->modules[i];
    fwx_pkg_info info;
    char problem[200];
    if (!r->used) continue;
    if (r->trial >= 0) {
      int ok;
      r->trial_boots++;
      if (r->trial_boots > FWX_DEVICE_MAX_TRIAL_BOOTS) {
        fwx_text t;
        fwx_text_init(&t, problem, sizeof problem);
        fwx_text_str(&t, "the device restarted ");
        fwx_text_u64(&t, r->trial_boots - 1u);
        fwx_text_str(&t, " times during the trial");
        ok = -1;
      } else {
        /* The trial slot is held to the anti-rollback floor it was accepted under. */
        ok = load_slot(d, r, r->trial, r->installed_seq, d->pkg, &info, problem, sizeof problem);
      }
      if (ok == 0) {
        (void)fwx_dev_save_state(d);
        begin_trial(d, i, r->trial, d->pkg, &info);
        continue;
      }
      {
        fwx_ota_event e = event_of(r->id, "reverted", wall(d));
        ev_text x;
        fwx_text t;
        char module[FWX_OTA_ID_MAX + 1];
        int slot = r->trial;
        (void)fwx_strcpy_bounded(module, sizeof module, r->id);
        hex32(r->slots[slot].sha256, x.package);
        fwx_text_init(&t, x.reason, sizeof x.reason);
        fwx_text_str(&t, "trial of slot ");
        fwx_text_str(&t, slot_letter(slot));
        fwx_text_str(&t, " abandoned at boot: ");
        fwx_text_str(&t, problem);
        e.module = module;
        e.has_session = r->trial_has_session;
        e.session = r->trial_session;
        e.package = x.package;
        e.reason = x.reason;
        r->trial = -1;
        memset(&r->slots[slot], 0, sizeof r->slots[slot]);
        if (r->confirmed < 0) r->used = 0;
        emit(d, &e, 1);
        if (!r->used) {
          d->store.remove_module(d->store.ctx, module);
          continue;
        }
      }
    }
    if (r->confirmed < 0) continue;
    if (load_slot(d, r, r->confirmed, 0, d->pkg, &info, problem, sizeof problem) != 0) {
      /* The confirmed slot is damaged: the other slot held the previously confirmed package. */
      char other[200];
      int alt = 1 - r->confirmed;
      fwx_ota_event e;
      fwx_text t;
      char reason[420];
      fwx_text_init(&t, reason, sizeof reason);
      if (load_slot(d, r, alt, 0, d->pkg, &info, other, sizeof other) != 0) {
        fwx_text_str(&t, "cannot start: ");
        fwx_text_str(&t, problem);
        fwx_text_str(&t, "; other slot: ");
        fwx_text_str(&t, other);
        e = event_of(r->id, "failed", wall(d));
        e.reason = reason;
        emit(d, &e, 0);
        continue;
      }
      fwx_text_str(&t, problem);
      fwx_text_str(&t, "; running slot ");
      fwx_text_str(&t, slot_letter(alt));
      fwx_text_str(&t, " instead");
      e = event_of(r->id, "recovered", wall(d));
      e.reason = reason;
      emit(d, &e, 0);
      r->confirmed = alt;
      changed = 1;
    }
    run_confirmed(d, i, r->confirmed, d->pkg, &info);
  }
  if (changed) (void)fwx_dev_save_state(d);
  settle(d);
}

/* ---- OTA host callbacks ------------------------------------------------------------- */

static int64_t host_wall(void *ctx) { return wall(ctx); }

static const char *host_last(void *ctx) {
  fwx_device *d = ctx;
  return d->has_last_install ? d->last_install : NULL;
}

static int host_on_trial(void *ctx, const char *module, const uint8_t sha[32]) {
  fwx_device *d = ctx;
  int i = find_rec(d, module);
  return i >= 0 && d->live[i].used && d->live[i].trial && d->modules[i].trial >= 0 &&
         memcmp(d->modules[i].slots[d->modules[i].trial].sha256, sha, 32) == 0;
}

static int host_confirmed(void *ctx, const char *module, uint8_t sha[32]) {
  fwx_device *d = ctx;
  int i = find_rec(d, module);
  if (i < 0 || d->modules[i].confirmed < 0) return 0;
  memcpy(sha, d->modules[i].slots[d->modules[i].confirmed].sha256, 32);
  return 1;
}

static int host_has(void *ctx, const uint8_t sha[32]) {
  fwx_device *d = ctx;
  unsigned i;
  int k;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++)
    for (k = 0; k < 2; k++)
      if (d->modules[i].used && d->modules[i].slots[k].used && memcmp(d->modules[i].slots[k].sha256, sha, 32) == 0) return 1;
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
    const fwx_module_rec *r = &d->modules[i];
    const fwx_live *l = &d->live[i];
    if (!r->used) continue;
    fwx_jw_begin_object(w);
    fwx_jw_key(w, "id"); fwx_jw_string(w, r->id);
    fwx_jw_key(w, "active"); fwx_dev_write_slot_name(w, l->used ? l->slot : -1);
    fwx_jw_key(w, "state"); fwx_jw_string(w, module_state(d, i));
    fwx_jw_key(w, "version");
    if (l->used) fwx_jw_string(w, l->info.version);
    else fwx_jw_null(w);
    fwx_jw_key(w, "sequence");
    if (l->used) fwx_jw_int(w, l->info.sequence);
    else fwx_jw_null(w);
    fwx_jw_key(w, "slots"); fwx_dev_write_slots(w, r);
    fwx_jw_key(w, "confirmed"); fwx_dev_write_slot_name(w, r->confirmed);
    fwx_jw_key(w, "installedSeq"); fwx_jw_int(w, r->installed_seq);
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
        const char *v = fwx_dev_config_value(d, i, l->info.config[k].name);
        if (!v) continue;
        fwx_jw_key(w, l->info.config[k].name);
        fwx_jw_string(w, v);
      }
    } else {
      for (k = 0; k < r->nconfig; k++) {
        fwx_jw_key(w, r->config_key[k]);
        fwx_jw_string(w, r->config_value[k]);
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
  emit(d, e, 0);
}

static int host_command(void *ctx, const char *op, fwx_json_span cmd, fwx_json_writer *reply, fwx_ota_refusal *why) {
  fwx_device *d = ctx;
  char module[FWX_OTA_ID_MAX + 1];
  int i;
  fwx_module_rec *r;
  if (fwx_json_string(fwx_json_get(cmd, "module"), module, sizeof module) < 0 || !fwx_ota_valid_module(module))
    return refuse(why, "bad-request", "module is not a module id", NULL, NULL);
  i = find_rec(d, module);
  if (i < 0) return refuse(why, "not-found", "module ", module, " is not installed");
  r = &d->modules[i];
  if (r->trial >= 0) return refuse(why, "busy", "module ", module, " is on trial; wait for its verdict");
  if (fwx_streq(op, "rollback")) {
    fwx_pkg_info info;
    char problem[200], reason[40];
    int to, from = r->confirmed;
    fwx_ota_event e;
    fwx_text t;
    if (r->confirmed < 0) return refuse(why, "no-previous", "module ", module, " has no confirmed slot");
    to = 1 - r->confirmed;
    if (!r->slots[to].used) return refuse(why, "no-previous", "module ", module, to ? " has nothing in slot B to roll back to" : " has nothing in slot A to roll back to");
    if (load_slot(d, r, to, 0, d->pkg, &info, problem, sizeof problem) != 0) return refuse(why, "slot-damaged", "cannot roll back: ", problem, NULL);
    stop_live(d, (unsigned)i, "rolled back");
    r->confirmed = to;
    (void)fwx_dev_save_state(d);
    run_confirmed(d, (unsigned)i, to, d->pkg, &info);
    fwx_text_init(&t, reason, sizeof reason);
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, slot_letter(from));
    fwx_text_str(&t, " \xe2\x86\x92 slot ");
    fwx_text_str(&t, slot_letter(to));
    e = event_of(module, "rolled-back", wall(d));
    e.version = info.version;
    e.has_sequence = 1;
    e.sequence = info.sequence;
    e.reason = reason;
    reply_event(d, reply, &e);
    settle(d);
    return 0;
  }
  if (fwx_streq(op, "remove")) {
    fwx_ota_event e = event_of(module, "removed", wall(d));
    stop_live(d, (unsigned)i, "removed");
    r->used = 0;
    (void)fwx_dev_save_state(d);
    d->store.remove_module(d->store.ctx, module);
    fwx_dev_kv_clear(d, (unsigned)i);
    reply_event(d, reply, &e);
    return 0;
  }
  if (fwx_streq(op, "config")) {
    fwx_live *l = &d->live[i];
    fwx_pkg_info info;
    char problem[200];
    char reason[240];
    fwx_ota_event e;
    fwx_json_span values = fwx_json_get(cmd, "values");
    fwx_json_span k, v;
    size_t pos = 0;
    fwx_text t;
    if (!l->used) return refuse(why, "not-running", "module ", module, " has no runnable slot");
    if (fwx_json_kind_of(values) != FWX_JSON_OBJECT) return refuse(why, "bad-request", "values is not an object", NULL, NULL);
    if (fwx_dev_check_config(&l->info, module, values, r, why) != 0) return -1;
    (void)fwx_dev_save_state(d);
    if (load_slot(d, r, l->slot, 0, d->pkg, &info, problem, sizeof problem) != 0) return refuse(why, "slot-damaged", problem, NULL, NULL);
    run_confirmed(d, (unsigned)i, l->slot, d->pkg, &info);
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
    e = event_of(module, "reconfigured", wall(d));
    e.reason = reason;
    reply_event(d, reply, &e);
    settle(d);
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

/* ---- API ------------------------------------------------------------------------------ */

fwx_device *fwx_device_of(fwx_module_t *m) {
  (void)m;
  return the_device;
}

int fwx_dev_index_of(const fwx_device *d, const fwx_module_t *m) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++)
    if (d->live[i].used && d->live[i].sup && &d->live[i].sup->ctx == m) return (int)i;
  return -1;
}

int fwx_device_init(fwx_device *d, const fwx_device_config *cfg, const fwx_device_verifier *verifier,
                    const fwx_device_store *store, const fwx_ota_transport *net, const fwx_ota_storage *partial,
                    IM3Environment env, int64_t (*wall_ms)(void *), void *wall_ctx, uint64_t now_ms) {
  fwx_ota_host host;
  memset(d, 0, sizeof *d);
  the_device = d;
  d->cfg = *cfg;
  d->verifier = *verifier;
  d->store = *store;
  d->wall_ms = wall_ms;
  d->wall_ctx = wall_ctx;
  d->now_ms = now_ms;
  fwx_sup_init(&d->sup, env, on_sup_event, d);
  if (fwx_dev_load_state(d) != 0) {
    memset(d->modules, 0, sizeof d->modules);
    d->has_last_install = 0;
    return -1;
  }
  host.ctx = d;
  host.wall_ms = host_wall;
  host.write_status = host_status;
  host.last_install = host_last;
  host.on_trial = host_on_trial;
  host.confirmed_sha = host_confirmed;
  host.has_package = host_has;
  host.transfer_complete = transfer_complete;
  host.command = host_command;
  host.logs = host_logs;
  if (fwx_ota_init(&d->ota, &cfg->ota, net, partial, &host) != 0) return -1;
  boot(d);
  return 0;
}

uint32_t fwx_device_poll(fwx_device *d, uint64_t now_ms) {
  uint64_t next;
  d->now_ms = now_ms;
  fwx_ota_poll(&d->ota, now_ms);
  next = fwx_sup_poll(&d->sup);
  settle(d);
  if (next == UINT64_MAX) return 50u;
  {
    uint64_t now_us = fwx_port_now_us();
    uint64_t wait = next > now_us ? (next - now_us) / 1000u : 0u;
    return wait > 50u ? 50u : (uint32_t)wait;
  }
}

void fwx_device_on_message(fwx_device *d, const char *topic, const uint8_t *payload, size_t len, uint64_t now_ms) {
  d->now_ms = now_ms;
  fwx_ota_on_message(&d->ota, topic, payload, len, now_ms);
  settle(d);
}

void fwx_device_shutdown(fwx_device *d) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) stop_live(d, i, "device shutting down");
}
