/* Running modules on the supervisor: start and stop a slot's package,
 * the trial (health window), confirm and revert, and the supervisor's
 * verdicts, acted on after its call returns. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_device_internal.h"
#include "fwx_text.h"


/* Reads, re-hashes and re-verifies a slot into buf (at the instant it was first accepted). */
int fwx_dev_load_slot(fwx_device *d, const fwx_module_rec *r, int slot, uint32_t floor, uint8_t *buf, fwx_pkg_info *info, char *problem, size_t cap) {
  const fwx_slot_rec *s = &r->slots[slot];
  uint8_t sha[32];
  long n;
  const char *code = NULL;
  char msg[200];
  fwx_text t;
  fwx_text_init(&t, problem, cap);
  if (!s->used) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " is empty");
    return -1;
  }
  n = d->store.read_slot(d->store.ctx, r->id, slot, buf, FWX_DEVICE_MAX_PACKAGE);
  if (n != (long)s->size) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, n < 0 ? " cannot be read" : " has the wrong size");
    return -1;
  }
  d->verifier.sha256(d->verifier.ctx, buf, (size_t)n, sha);
  if (memcmp(sha, s->sha256, 32) != 0) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " does not hash to the recorded SHA-256");
    return -1;
  }
  if (d->verifier.verify(d->verifier.ctx, buf, (uint32_t)n, s->verified_at, floor, info, &code, msg, sizeof msg) != 0) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " no longer verifies: ");
    fwx_text_str(&t, msg);
    return -1;
  }
  return 0;
}

/* ---- running modules ---------------------------------------------------------- */

void fwx_dev_stop(fwx_device *d, unsigned i, const char *why) {
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
  fwx_dev_stop(d, i, "replaced");
  memset(&cfg, 0, sizeof cfg);
  cfg.granted = info->granted;
  cfg.trial = trial != 0;
  cfg.health_callbacks = d->cfg.health_callbacks;
  cfg.health_seconds = d->cfg.health_seconds;
  cfg.health_timeout_seconds = d->cfg.health_timeout_seconds;
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

void fwx_dev_run_confirmed(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info) {
  const char *error = "";
  if (start_live(d, i, slot, buf, info, 0, &error) != 0) {
    ev_text x;
    fwx_ota_event e = fwx_dev_event(d->modules[i].id, "failed", fwx_dev_wall(d));
    fwx_text t;
    fwx_text_init(&t, x.reason, sizeof x.reason);
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " cannot start: ");
    fwx_text_str(&t, error ? error : "refused");
    e.reason = x.reason;
    fwx_dev_emit(d, &e, 0);
  }
}

static void revert(fwx_device *d, unsigned i, const char *reason);

void fwx_dev_begin_trial(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info) {
  fwx_module_rec *r = &d->modules[i];
  fwx_ota_event e = fwx_dev_event(r->id, "trial", fwx_dev_wall(d));
  ev_text x;
  fwx_text t;
  const char *error = "";
  fwx_dev_hex32(r->slots[slot].sha256, x.package);
  fwx_text_init(&t, x.reason, sizeof x.reason);
  fwx_text_str(&t, "slot ");
  fwx_text_str(&t, fwx_dev_slot_letter(slot));
  fwx_text_str(&t, ": ");
  fwx_text_u64(&t, d->cfg.health_callbacks ? d->cfg.health_callbacks : FWX_SUP_HEALTH_CALLBACKS);
  fwx_text_str(&t, " callbacks and ");
  fwx_text_u64(&t, d->cfg.health_seconds ? d->cfg.health_seconds : FWX_SUP_HEALTH_SECONDS);
  fwx_text_str(&t, " s without a fault to confirm");
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  e.package = x.package;
  e.version = info->version;
  e.has_sequence = 1;
  e.sequence = info->sequence;
  e.reason = x.reason;
  fwx_dev_emit(d, &e, 0);
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
  fwx_ota_event e = fwx_dev_event(r->id, "confirmed", fwx_dev_wall(d));
  ev_text x;
  fwx_text t;
  l->trial = 0;
  r->confirmed = l->slot;
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  r->trial = -1;
  if (l->info.sequence > r->installed_seq) r->installed_seq = l->info.sequence;
  fwx_dev_hex32(r->slots[l->slot].sha256, x.package);
  fwx_text_init(&t, x.reason, sizeof x.reason);
  fwx_text_str(&t, why);
  fwx_text_str(&t, ", in slot ");
  fwx_text_str(&t, fwx_dev_slot_letter(l->slot));
  e.package = x.package;
  e.version = l->info.version;
  e.has_sequence = 1;
  e.sequence = l->info.sequence;
  e.reason = x.reason;
  fwx_dev_emit(d, &e, 1);
}

static void revert(fwx_device *d, unsigned i, const char *reason) {
  fwx_module_rec *r = &d->modules[i];
  fwx_live *l = &d->live[i];
  fwx_ota_event e = fwx_dev_event(r->id, "reverted", fwx_dev_wall(d));
  ev_text x;
  char module[FWX_OTA_ID_MAX + 1];
  char version[FWX_OTA_VERSION_MAX + 1];
  int slot = l->slot;
  uint32_t seq = l->info.sequence;
  (void)fwx_strcpy_bounded(module, sizeof module, r->id);
  (void)fwx_strcpy_bounded(version, sizeof version, l->info.version);
  (void)fwx_strcpy_bounded(x.reason, sizeof x.reason, reason);
  fwx_dev_hex32(r->slots[slot].sha256, x.package);
  e.module = module;
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  fwx_dev_stop(d, i, "trial failed");
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
    fwx_dev_emit(d, &e, 1); /* saves the state without the module, then its files go */
    d->store.remove_module(d->store.ctx, module);
    fwx_dev_kv_clear(d, i);
    return;
  }
  (void)fwx_dev_save_state(d);
  {
    fwx_pkg_info info;
    char problem[200];
    if (fwx_dev_load_slot(d, r, r->confirmed, 0, d->base, &info, problem, sizeof problem) == 0) {
      fwx_dev_run_confirmed(d, i, r->confirmed, d->base, &info);
    } else {
      fwx_ota_event f = fwx_dev_event(r->id, "failed", fwx_dev_wall(d));
      f.reason = problem;
      fwx_dev_emit(d, &f, 0);
    }
  }
  /* The verdict last: the status published with it shows the confirmed module running again. */
  fwx_dev_emit(d, &e, 1);
}

/* Supervisor verdicts are acted on after the supervisor's call returns (never from inside it). */
void fwx_dev_settle(fwx_device *d) {
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

void fwx_dev_on_sup_event(void *user, const fwx_sup_event_t *ev) {
  fwx_device *d = user;
  int i = fwx_dev_find(d, ev->module_id);
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

