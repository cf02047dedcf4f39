/* The device core: see fwx_device.h. Start-up, boot recovery and the
 * poll/message API; events and the small helpers the other files share.
 *   fwx_device_run.c      running modules: start, trial, confirm, revert
 *   fwx_device_install.c  a completed transfer: hash, delta, verify, slot, trial
 *   fwx_device_host.c     what the OTA state machine asks: status, commands, logs
 * Mirrors src/ota/install.ts and the install half of src/ota/device-agent.ts. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_device_floor.h"
#include "fwx_device_internal.h"
#include "fwx_slots_partial.h"
#include "fwx_text.h"

static fwx_device *the_device; /* the HAL services find their device through the module's supervisor */

const char *fwx_dev_slot_letter(int slot) { return slot ? "B" : "A"; }

void fwx_dev_hex32(const uint8_t sha[32], char out[65]) {
  fwx_text t;
  fwx_text_init(&t, out, 65);
  fwx_text_hex(&t, sha, 32);
}

int fwx_dev_find(const fwx_device *d, const char *id) {
  int32_t i = fwx_slots_find(d->slots, id);
  return i >= 0 ? (int)i : -1;
}

int64_t fwx_dev_wall(const fwx_device *d) { return d->wall_ms(d->wall_ctx); }

/* ---- events -------------------------------------------------------------- */


fwx_ota_event fwx_dev_event(const char *module, const char *phase, int64_t ts) {
  fwx_ota_event e;
  memset(&e, 0, sizeof e);
  e.module = module;
  e.phase = phase;
  e.ts = ts;
  return e;
}

void fwx_dev_emit(fwx_device *d, const fwx_ota_event *e, int verdict) {
  if (verdict != FWX_DEV_EVENT) {
    fwx_json_writer w;
    fwx_ota_event rec = *e;
    char hex[65];
    if (d->ota.installing && !rec.has_session) {
      rec.has_session = 1;
      rec.session = d->ota.installing_session;
    }
    if (d->ota.installing && !rec.package) {
      fwx_dev_hex32(d->ota.installing_sha, hex);
      rec.package = hex;
    }
    fwx_jw_init(&w, d->last_install, sizeof d->last_install);
    fwx_ota_write_event(&w, &rec);
    d->has_last_install = fwx_jw_finish(&w) >= 0;
    if (verdict == FWX_DEV_VERDICT) {
      fwx_slots_verdict_t v;
      fwx_dev_verdict_of(&rec, &v);
      (void)fwx_slots_set_verdict(d->slots, &v); /* a flash failure loses the record, not the event */
    }
    fwx_ota_emit(&d->ota, &rec, d->now_ms);
    return;
  }
  fwx_ota_emit(&d->ota, e, d->now_ms);
}

/* ---- boot ------------------------------------------------------------------------
 * fwx_slots_boot counts this boot for every trial and abandons one found too
 * often (slot emptied, verdict recorded). Then every slot that is to run is
 * re-read, re-hashed and re-verified: a trial against the anti-rollback
 * floor (it was accepted under it), a confirmed slot at the floor it was
 * confirmed under (a rollback is an operator's step below the floor). */

static void boot_reverted(fwx_device *d, const char *module, int slot, const uint8_t *sha, int has_session, uint16_t session,
                          const char *problem, int commit) {
  fwx_ota_event e = fwx_dev_event(module, "reverted", fwx_dev_wall(d));
  ev_text x;
  fwx_text t;
  char name[FWX_OTA_ID_MAX + 1];
  (void)fwx_strcpy_bounded(name, sizeof name, module);
  fwx_text_init(&t, x.reason, sizeof x.reason);
  fwx_text_str(&t, "trial of slot ");
  fwx_text_str(&t, fwx_dev_slot_letter(slot));
  fwx_text_str(&t, " abandoned at boot: ");
  fwx_text_str(&t, problem);
  e.module = name;
  e.has_session = has_session;
  e.session = session;
  if (sha) {
    fwx_dev_hex32(sha, x.package);
    e.package = x.package;
  }
  e.reason = x.reason;
  if (commit) { /* the store abandoned it itself (fwx_slots_boot) when commit is 0 */
    fwx_slots_verdict_t v;
    fwx_dev_verdict_of(&e, &v);
    (void)fwx_slots_revert(d->slots, name, &v);
  }
  fwx_dev_emit(d, &e, FWX_DEV_VERDICT_COMMITTED);
}

static int boot(fwx_device *d) {
  fwx_slots_boot_report_t rep;
  unsigned i, k;
  if (fwx_slots_boot(d->slots, FWX_DEVICE_MAX_TRIAL_BOOTS, &rep) != FWX_SLOTS_OK) return -1;
  fwx_dev_last_install_load(d);
  for (k = 0; k < rep.count; k++) {
    const fwx_slots_boot_item_t *it = &rep.items[k];
    const fwx_slots_verdict_t *v = fwx_slots_verdict(d->slots);
    char problem[80];
    fwx_text t;
    if (it->action != FWX_SLOTS_BOOT_TRIAL_ABANDONED) continue;
    fwx_text_init(&t, problem, sizeof problem);
    fwx_text_str(&t, "the device restarted ");
    fwx_text_u64(&t, (uint64_t)it->boots - 1u);
    fwx_text_str(&t, " times during the trial");
    boot_reverted(d, it->name, it->slot, v && fwx_streq(v->module, it->name) ? v->package : NULL, v && v->has_session, v ? v->session : 0u,
                  problem, 0);
  }
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) {
    const fwx_slots_module_t *r = fwx_dev_rec(d, i);
    fwx_pkg_info info;
    const uint8_t *pkg = NULL;
    char problem[200];
    int confirmed;
    if (!fwx_dev_installed(r)) continue;
    if (r->trial != FWX_SLOT_NONE) {
      int slot = fwx_dev_slot_of(r->trial);
      if (fwx_dev_load_slot(d, i, slot, fwx_dev_floor_installed(d, r->name), &pkg, &info, problem, sizeof problem) == 0) {
        fwx_dev_begin_trial(d, i, slot, pkg, &info);
        continue;
      }
      boot_reverted(d, r->name, slot, r->slot[slot].sha256, r->trial_has_session, r->trial_session, problem, 1);
      r = fwx_dev_rec(d, i);
      if (!fwx_dev_installed(r)) continue;
    }
    confirmed = fwx_dev_slot_of(r->confirmed);
    if (confirmed < 0) continue;
    if (fwx_dev_load_slot(d, i, confirmed, 0, &pkg, &info, problem, sizeof problem) != 0) {
      /* The confirmed slot is damaged: the other slot held the previously confirmed package. */
      char other[200];
      int alt = 1 - confirmed;
      fwx_ota_event e;
      fwx_text t;
      char reason[420];
      fwx_text_init(&t, reason, sizeof reason);
      if (fwx_dev_load_slot(d, i, alt, 0, &pkg, &info, other, sizeof other) != 0 || fwx_slots_rollback(d->slots, r->name) != FWX_SLOTS_OK) {
        fwx_text_str(&t, "cannot start: ");
        fwx_text_str(&t, problem);
        fwx_text_str(&t, "; other slot: ");
        fwx_text_str(&t, other);
        e = fwx_dev_event(r->name, "failed", fwx_dev_wall(d));
        e.reason = reason;
        fwx_dev_emit(d, &e, FWX_DEV_EVENT);
        /* Its last verdict is no longer true (nothing runs): a tool flashing that package again gets a real install. */
        if (fwx_slots_verdict(d->slots) && fwx_streq(fwx_slots_verdict(d->slots)->module, r->name)) d->has_last_install = 0;
        continue;
      }
      fwx_text_str(&t, problem);
      fwx_text_str(&t, "; running slot ");
      fwx_text_str(&t, fwx_dev_slot_letter(alt));
      fwx_text_str(&t, " instead");
      e = fwx_dev_event(r->name, "recovered", fwx_dev_wall(d));
      e.reason = reason;
      fwx_dev_emit(d, &e, FWX_DEV_EVENT);
      confirmed = alt;
    }
    /* A power cut between the slot store's confirmation and the port's raise loses nothing. */
    (void)fwx_dev_floor_confirmed(d, i, confirmed, info.sequence);
    fwx_dev_run_confirmed(d, i, confirmed, pkg, &info);
  }
  fwx_dev_settle(d);
  return 0;
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
                    fwx_slots_t *slots, const fwx_device_kv *kv, const fwx_ota_transport *net, const fwx_ota_storage *staging,
                    IM3Environment env, int64_t (*wall_ms)(void *), void *wall_ctx, uint64_t now_ms) {
  fwx_ota_host host;
  fwx_ota_storage partial;
  memset(d, 0, sizeof *d);
  if (cfg->check_work == NULL) return -1;
#ifndef FWX_DEVICE_RAM_PAYLOAD
  /* Packages run where they lie: a port that cannot map needs the RAM build (fwx_device.h). */
  if (slots == NULL || slots->port == NULL || slots->port->map == NULL) return -1;
#endif
  the_device = d;
  d->cfg = *cfg;
  d->verifier = *verifier;
  d->slots = slots;
  d->kv_port = *kv;
  d->wall_ms = wall_ms;
  d->wall_ctx = wall_ctx;
  d->now_ms = now_ms;
  fwx_sup_init(&d->sup, env, cfg->check_work, fwx_dev_on_sup_event, d);
  /* The download in progress lives in the store's staging area. */
  partial.ctx = slots;
  partial.open = fwx_slots_partial_open;
  partial.write = fwx_slots_partial_write;
  partial.read = fwx_slots_partial_read;
  partial.sync = fwx_slots_partial_sync;
  partial.save_meta = fwx_slots_partial_save_meta;
  partial.load_meta = fwx_slots_partial_load_meta;
  partial.stored = fwx_slots_partial_stored;
  partial.discard = fwx_slots_partial_discard;
  fwx_dev_host_bind(d, &host);
  if (fwx_ota_init(&d->ota, &cfg->ota, net, staging ? staging : &partial, &host) != 0) return -1;
  return boot(d);
}

uint32_t fwx_device_poll(fwx_device *d, uint64_t now_ms) {
  uint64_t next;
  d->now_ms = now_ms;
  fwx_ota_poll(&d->ota, now_ms);
  next = fwx_sup_poll(&d->sup);
  fwx_dev_settle(d);
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
  fwx_dev_settle(d);
}

void fwx_device_shutdown(fwx_device *d) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++) fwx_dev_stop(d, i, "device shutting down");
}
