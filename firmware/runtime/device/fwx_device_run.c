/* Running modules on the supervisor: start and stop a slot's package,
 * the trial (health window), confirm and revert, and the supervisor's
 * verdicts, acted on after its call returns. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_device_floor.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"


const uint8_t *fwx_dev_bytes(fwx_device *d, uint32_t module, uint32_t slot, uint32_t len) {
#ifdef FWX_DEVICE_RAM_PAYLOAD
  if (len > FWX_DEVICE_MAX_PACKAGE || fwx_slots_read(d->slots, module, slot, 0, d->ram_pkg, len) != FWX_SLOTS_OK) return NULL;
  return d->ram_pkg;
#else
  return fwx_slots_map(d->slots, module, slot, 0, len);
#endif
}

int fwx_dev_load_slot(fwx_device *d, unsigned i, int slot, uint64_t floor, const uint8_t **pkg, fwx_pkg_info *info, char *problem, size_t cap) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  const uint8_t *buf;
  const fwx_slots_slot_t *s = r ? &r->slot[slot] : NULL;
  uint8_t sha[32];
  uint32_t n;
  const char *code = NULL;
  char msg[200];
  fwx_text t;
  fwx_text_init(&t, problem, cap);
  if (!s || !s->present) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " is empty");
    return -1;
  }
  n = s->size;
  buf = n > FWX_DEVICE_MAX_PACKAGE ? NULL : fwx_dev_bytes(d, i, (uint32_t)slot, n);
  if (buf == NULL) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " cannot be read");
    return -1;
  }
  d->verifier.sha256(d->verifier.ctx, buf, n, sha);
  if (memcmp(sha, s->sha256, 32) != 0) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " does not hash to the recorded SHA-256");
    return -1;
  }
  if (d->verifier.verify(d->verifier.ctx, buf, n, (int64_t)s->verified_at_ms, floor > 0xffffffffu ? 0xffffffffu : (uint32_t)floor, info, &code, msg,
                        sizeof msg) != 0) {
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " no longer verifies: ");
    fwx_text_str(&t, msg);
    return -1;
  }
  *pkg = buf;
  return fwx_dev_floor_check(d, r->name, slot, info->sequence, problem, cap); /* the floor a state rewrite cannot lower */
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
  cfg.max_timers = info->timers; /* the timer grant's scope (the supervisor caps it at FWX_SUP_MAX_TIMERS) */
  /* The manifest's budgets, as the Node agent applies them: memory.grow fails and accesses trap past
   * ram_bytes; each callback (and the start function and fwx_init) gets fuel_per_callback. */
  cfg.ram_limit_bytes = info->ram_bytes;
  cfg.fuel_per_callback = info->fuel_per_callback;
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
  l->log_rate.milli = FWX_DEVICE_LOG_BURST * 1000u;
  l->log_rate.last_us = fwx_port_now_us();
  l->telemetry_rate.milli = FWX_DEVICE_TELEMETRY_BURST * 1000u;
  l->telemetry_rate.last_us = l->log_rate.last_us;
  l->wasm_len = info->payload_len;
#ifdef FWX_DEVICE_RAM_PAYLOAD
  memcpy(l->pkg_ram, buf, info->size);
  l->pkg = l->pkg_ram;
#else
  l->pkg = buf; /* in the slot: buf is mapped flash */
#endif
  l->wasm = l->pkg + info->payload_offset;
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
        d->cfg.module_attach(d->cfg.board, &next->ctx, fwx_dev_rec(d, i)->name, buf + info->caps_offset, info->caps_len, why, sizeof why) != 0) {
      *error = why;
      l->used = 0;
      return -1;
    }
    /* fwx_sup_start clears the context it takes: what the hook left in m->board (the HAL's per-module
     * state, docs/firmware.md section 6) goes in through the config. */
    if (next) cfg.board = next->ctx.board;
    st = fwx_sup_start(&d->sup, fwx_dev_rec(d, i)->name, wasm, wasm_len, &cfg, &l->sup, error);
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
    fwx_ota_event e = fwx_dev_event(fwx_dev_rec(d, i)->name, "failed", fwx_dev_wall(d));
    fwx_text t;
    fwx_text_init(&t, x.reason, sizeof x.reason);
    fwx_text_str(&t, "slot ");
    fwx_text_str(&t, fwx_dev_slot_letter(slot));
    fwx_text_str(&t, " cannot start: ");
    fwx_text_str(&t, error ? error : "refused");
    e.reason = x.reason;
    fwx_dev_emit(d, &e, FWX_DEV_EVENT);
  }
}

static void revert(fwx_device *d, unsigned i, const char *reason);

void fwx_dev_begin_trial(fwx_device *d, unsigned i, int slot, const uint8_t *buf, const fwx_pkg_info *info) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  fwx_ota_event e = fwx_dev_event(r->name, "trial", fwx_dev_wall(d));
  ev_text x;
  fwx_text t;
  const char *error = "";
  fwx_dev_hex32(r->slot[slot].sha256, x.package);
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
  fwx_dev_emit(d, &e, FWX_DEV_EVENT);
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

/* A verdict the store could not record: the module keeps what the store says (a trial is retried at boot). */
static void not_recorded(fwx_device *d, const char *module, const char *what) {
  fwx_ota_event f = fwx_dev_event(module, "failed", fwx_dev_wall(d));
  f.reason = what;
  fwx_dev_emit(d, &f, FWX_DEV_EVENT);
}

static void confirm(fwx_device *d, unsigned i, const char *why) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  fwx_live *l = &d->live[i];
  fwx_ota_event e;
  fwx_slots_verdict_t v;
  ev_text x;
  fwx_text t;
  char module[FWX_OTA_ID_MAX + 1];
  if (!r) return;
  (void)fwx_strcpy_bounded(module, sizeof module, r->name);
  e = fwx_dev_event(module, "confirmed", fwx_dev_wall(d));
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  fwx_dev_hex32(r->slot[l->slot].sha256, x.package);
  fwx_text_init(&t, x.reason, sizeof x.reason);
  fwx_text_str(&t, why);
  fwx_text_str(&t, ", in slot ");
  fwx_text_str(&t, fwx_dev_slot_letter(l->slot));
  e.package = x.package;
  e.version = l->info.version;
  e.has_sequence = 1;
  e.sequence = l->info.sequence;
  e.reason = x.reason;
  fwx_dev_verdict_of(&e, &v);
  /* One commit: confirmed = the trial's slot, floor = max(floor, its sequence), the verdict. */
  if (fwx_slots_confirm(d->slots, module, &v) != FWX_SLOTS_OK) {
    not_recorded(d, module, "cannot record the confirmation (flash); the trial is retried at the next start");
    return;
  }
  l->trial = 0;
  /* The confirmation is committed and the slot store's own floor rose with it: the module is confirmed.
   * Only the copy outside the state (the counter port) lags; boot raises it again from the confirmed slot.
   * A warning, not a verdict: a "failed" here would tell the tool the opposite of what the device does. */
  if (fwx_dev_floor_confirmed(d, i, l->slot, l->info.sequence) != 0)
    fwx_dev_log(d, module, "log", "level", "warn", "message", "cannot raise the anti-rollback floor (counter port); raised again at the next start");
  fwx_dev_emit(d, &e, FWX_DEV_VERDICT_COMMITTED);
}

static void revert(fwx_device *d, unsigned i, const char *reason) {
  const fwx_slots_module_t *r = fwx_dev_rec(d, i);
  fwx_live *l = &d->live[i];
  fwx_ota_event e;
  fwx_slots_verdict_t v;
  ev_text x;
  char module[FWX_OTA_ID_MAX + 1];
  char version[FWX_OTA_VERSION_MAX + 1];
  int slot = l->slot, confirmed;
  if (!r) return;
  (void)fwx_strcpy_bounded(module, sizeof module, r->name);
  (void)fwx_strcpy_bounded(version, sizeof version, l->info.version);
  (void)fwx_strcpy_bounded(x.reason, sizeof x.reason, reason);
  fwx_dev_hex32(r->slot[slot].sha256, x.package);
  e = fwx_dev_event(module, "reverted", fwx_dev_wall(d));
  e.has_session = r->trial_has_session;
  e.session = r->trial_session;
  e.package = x.package;
  e.version = version;
  e.has_sequence = 1;
  e.sequence = l->info.sequence;
  e.reason = x.reason;
  fwx_dev_stop(d, i, "trial failed");
  fwx_dev_verdict_of(&e, &v);
  /* One commit: the trial's slot emptied (it overwrote the version before the confirmed one: nothing to
   * roll back to there), the module gone when nothing was confirmed (its floor stays), the verdict. */
  if (fwx_slots_revert(d->slots, module, &v) != FWX_SLOTS_OK) {
    not_recorded(d, module, "cannot record the revert (flash); the trial is retried at the next start");
    return;
  }
  r = fwx_dev_rec(d, i);
  if (!r) {
    fwx_dev_emit(d, &e, FWX_DEV_VERDICT_COMMITTED);
    return;
  }
  confirmed = fwx_dev_slot_of(r->confirmed);
  {
    fwx_pkg_info info;
    char problem[200];
    const uint8_t *pkg;
    if (confirmed >= 0 && fwx_dev_load_slot(d, i, confirmed, 0, &pkg, &info, problem, sizeof problem) == 0) {
      fwx_dev_run_confirmed(d, i, confirmed, pkg, &info);
    } else {
      fwx_ota_event f = fwx_dev_event(module, "failed", fwx_dev_wall(d));
      f.reason = problem;
      fwx_dev_emit(d, &f, FWX_DEV_EVENT);
    }
  }
  /* The verdict last: the status published with it shows the confirmed module running again. */
  fwx_dev_emit(d, &e, FWX_DEV_VERDICT_COMMITTED);
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

/* What a tool needs to name a fault from the device's log, as the Node agent's fault line has it:
 * the detail, the running module's SHA-256 (its debug map's key) and the wasm frames. */
typedef struct fault_line {
  const fwx_fault_t *fault;
  char wasm_sha256[65];
} fault_line;

/* Each rendering that does not fit leaves out the outermost frame left; the innermost says where. */
static int fault_members(fwx_json_writer *w, const void *ctx, unsigned shorter) {
  const fault_line *f = ctx;
  unsigned k, nframes = f->fault->nframes;
  if (shorter > nframes) return 0;
  nframes -= shorter;
  fwx_jw_key(w, "detail"); fwx_jw_string(w, f->fault->detail);
  fwx_jw_key(w, "wasmSha256"); fwx_jw_string(w, f->wasm_sha256);
  fwx_jw_key(w, "frames");
  fwx_jw_begin_array(w);
  for (k = 0; k < nframes; k++) {
    const fwx_fault_frame_t *fr = &f->fault->frames[k];
    fwx_jw_begin_object(w);
    fwx_jw_key(w, "funcIndex");
    if (fr->func_index == FWX_FRAME_NO_FUNCTION) fwx_jw_null(w);
    else fwx_jw_int(w, fr->func_index);
    fwx_jw_key(w, "moduleOffset"); fwx_jw_int(w, fr->module_offset);
    if (fr->func_index != FWX_FRAME_NO_FUNCTION) {
      fwx_jw_key(w, "moduleBody");
      fwx_jw_begin_object(w);
      fwx_jw_key(w, "from"); fwx_jw_int(w, fr->code_from);
      fwx_jw_key(w, "to"); fwx_jw_int(w, fr->code_to);
      fwx_jw_end_object(w);
    }
    fwx_jw_end_object(w);
  }
  fwx_jw_end_array(w);
  return 1;
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
      {
        fault_line f;
        uint8_t sha[32];
        f.fault = ev->fault;
        d->verifier.sha256(d->verifier.ctx, l->pkg + l->info.payload_offset, l->info.payload_len, sha);
        fwx_dev_hex32(sha, f.wasm_sha256);
        fwx_dev_log_with(d, ev->module_id, "fault", "reason", fwx_fault_reason_name(ev->fault->reason), "callback", text,
                         fault_members, &f);
      }
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

