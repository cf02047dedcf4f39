/* The device core: see fwx_device.h. Start-up, boot recovery and the
 * poll/message API; events and the small helpers the other files share.
 *   fwx_device_run.c      running modules: start, trial, confirm, revert
 *   fwx_device_install.c  a completed transfer: hash, delta, verify, slot, trial
 *   fwx_device_host.c     what the OTA state machine asks: status, commands, logs
 * Mirrors src/ota/install.ts and the install half of src/ota/device-agent.ts. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_device_internal.h"
#include "fwx_text.h"

static fwx_device *the_device; /* the HAL services find their device through the module's supervisor */

const char *fwx_dev_slot_letter(int slot) { return slot ? "B" : "A"; }

void fwx_dev_hex32(const uint8_t sha[32], char out[65]) {
  fwx_text t;
  fwx_text_init(&t, out, 65);
  fwx_text_hex(&t, sha, 32);
}

int fwx_dev_find(const fwx_device *d, const char *id) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++)
    if (d->modules[i].used && fwx_streq(d->modules[i].id, id)) return (int)i;
  return -1;
}

int fwx_dev_free(const fwx_device *d) {
  unsigned i;
  for (i = 0; i < FWX_DEVICE_MAX_MODULES; i++)
    if (!d->modules[i].used) return (int)i;
  return -1;
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

/* Publishes; for a verdict, records it as the last install first (the status published with it names it). */
void fwx_dev_emit(fwx_device *d, const fwx_ota_event *e, int verdict) {
  if (verdict) {
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
    (void)fwx_dev_save_state(d);
    fwx_ota_emit(&d->ota, &rec, d->now_ms);
    return;
  }
  fwx_ota_emit(&d->ota, e, d->now_ms);
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
        ok = fwx_dev_load_slot(d, r, r->trial, r->installed_seq, d->pkg, &info, problem, sizeof problem);
      }
      if (ok == 0) {
        (void)fwx_dev_save_state(d);
        fwx_dev_begin_trial(d, i, r->trial, d->pkg, &info);
        continue;
      }
      {
        fwx_ota_event e = fwx_dev_event(r->id, "reverted", fwx_dev_wall(d));
        ev_text x;
        fwx_text t;
        char module[FWX_OTA_ID_MAX + 1];
        int slot = r->trial;
        (void)fwx_strcpy_bounded(module, sizeof module, r->id);
        fwx_dev_hex32(r->slots[slot].sha256, x.package);
        fwx_text_init(&t, x.reason, sizeof x.reason);
        fwx_text_str(&t, "trial of slot ");
        fwx_text_str(&t, fwx_dev_slot_letter(slot));
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
        fwx_dev_emit(d, &e, 1);
        if (!r->used) {
          d->store.remove_module(d->store.ctx, module);
          continue;
        }
      }
    }
    if (r->confirmed < 0) continue;
    if (fwx_dev_load_slot(d, r, r->confirmed, 0, d->pkg, &info, problem, sizeof problem) != 0) {
      /* The confirmed slot is damaged: the other slot held the previously confirmed package. */
      char other[200];
      int alt = 1 - r->confirmed;
      fwx_ota_event e;
      fwx_text t;
      char reason[420];
      fwx_text_init(&t, reason, sizeof reason);
      if (fwx_dev_load_slot(d, r, alt, 0, d->pkg, &info, other, sizeof other) != 0) {
        fwx_text_str(&t, "cannot start: ");
        fwx_text_str(&t, problem);
        fwx_text_str(&t, "; other slot: ");
        fwx_text_str(&t, other);
        e = fwx_dev_event(r->id, "failed", fwx_dev_wall(d));
        e.reason = reason;
        fwx_dev_emit(d, &e, 0);
        continue;
      }
      fwx_text_str(&t, problem);
      fwx_text_str(&t, "; running slot ");
      fwx_text_str(&t, fwx_dev_slot_letter(alt));
      fwx_text_str(&t, " instead");
      e = fwx_dev_event(r->id, "recovered", fwx_dev_wall(d));
      e.reason = reason;
      fwx_dev_emit(d, &e, 0);
      r->confirmed = alt;
      changed = 1;
    }
    fwx_dev_run_confirmed(d, i, r->confirmed, d->pkg, &info);
  }
  if (changed) (void)fwx_dev_save_state(d);
  fwx_dev_settle(d);
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
  fwx_sup_init(&d->sup, env, fwx_dev_on_sup_event, d);
  if (fwx_dev_load_state(d) != 0) {
    memset(d->modules, 0, sizeof d->modules);
    d->has_last_install = 0;
    return -1;
  }
  fwx_dev_host_bind(d, &host);
  if (fwx_ota_init(&d->ota, &cfg->ota, net, partial, &host) != 0) return -1;
  boot(d);
  return 0;
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
