/* A completed transfer becomes a trial: SHA-256 of what arrived, a delta
 * applied to the confirmed slot, verifyPackage with the anti-rollback
 * floor, the inactive slot written, the trial recorded, the module started. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_delta.h"
#include "fwx_device_floor.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"


static void finish(fwx_device *d, const char *module, const char *phase, const char *reason, const char *code) {
  fwx_ota_event e = fwx_dev_event(module, phase, fwx_dev_wall(d));
  e.reason = reason;
  e.code = code;
  fwx_dev_emit(d, &e, FWX_DEV_VERDICT);
}

static void install(fwx_device *d, const uint8_t *pkg, uint32_t len, const fwx_ota_transfer *t) {
  fwx_pkg_info info;
  const char *code = NULL;
  char msg[200];
  int i = fwx_dev_find(d, t->package.module);
  int target;
  int32_t rc;
  fwx_slots_package_t desc;
  fwx_ota_event e;
  uint64_t floor;
  if (i >= 0 && fwx_dev_rec(d, (unsigned)i)->trial != FWX_SLOT_NONE) {
    finish(d, t->package.module, "refused", "module is on trial; wait for its verdict", "busy");
    return;
  }
  /* The floor outlives the module (remove, revert): a removed module cannot come back older. */
  floor = fwx_dev_floor_installed(d, t->package.module);
  if (d->verifier.verify(d->verifier.ctx, pkg, len, fwx_dev_wall(d), floor > 0xffffffffu ? 0xffffffffu : (uint32_t)floor, &info, &code, msg,
                         sizeof msg) != 0) {
    finish(d, t->package.module, "refused", msg, code);
    return;
  }
  e = fwx_dev_event(info.module, "verified", fwx_dev_wall(d));
  e.version = info.version;
  e.has_sequence = 1;
  e.sequence = info.sequence;
  fwx_dev_emit(d, &e, FWX_DEV_EVENT);
  /* The inactive slot is committed empty first (the rollback target goes), then programmed. */
  rc = fwx_slots_write_begin(d->slots, info.module, len);
  if (rc == FWX_SLOTS_E_FULL) {
    finish(d, info.module, "refused", "no free module slot on this device", "too-many-modules");
    return;
  }
  if (rc == FWX_SLOTS_OK) rc = fwx_slots_write(d->slots, pkg, len);
  i = fwx_dev_find(d, info.module);
  if (rc != FWX_SLOTS_OK || i < 0) {
    finish(d, info.module, "failed", "cannot write the slot (flash)", NULL);
    return;
  }
  target = d->slots->slot_writer.slot == FWX_SLOT_B ? 1 : 0;
  e = fwx_dev_event(info.module, "written", fwx_dev_wall(d));
  e.version = info.version;
  e.has_sequence = 1;
  e.sequence = info.sequence;
  e.reason = target ? "slot B" : "slot A";
  fwx_dev_emit(d, &e, FWX_DEV_EVENT);
  memset(&desc, 0, sizeof desc);
  d->verifier.sha256(d->verifier.ctx, pkg, len, desc.sha256);
  desc.size = len;
  desc.sequence = info.sequence;
  {
    int64_t now = fwx_dev_wall(d);
    desc.verified_at_ms = now > 0 ? (uint64_t)now : 0u;
  }
  desc.version = info.version;
  /* One commit: the slot holds this package, on trial (boots 1), the staging transfer closed. */
  if (fwx_slots_install_trial(d->slots, info.module, &desc, 1, t->session) != FWX_SLOTS_OK) {
    finish(d, info.module, "failed", "cannot record the trial (flash)", NULL);
    return;
  }
  if (d->cfg.checkpoint) d->cfg.checkpoint("trial-recorded");
  fwx_dev_values_load(d, (unsigned)i);
  fwx_dev_begin_trial(d, (unsigned)i, target, pkg, &info);
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

void fwx_dev_transfer_complete(void *ctx, const fwx_ota_transfer *t) {
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
    int i = fwx_dev_find(d, t->package.module);
    fwx_pkg_info base_info;
    char problem[200];
    fwx_delta_io io;
    fwx_delta_result res;
    delta_ctx c;
    const fwx_slots_module_t *r = i >= 0 ? fwx_dev_rec(d, (unsigned)i) : NULL;
    int confirmed = r ? fwx_dev_slot_of(r->confirmed) : -1;
    if (confirmed < 0 || memcmp(r->slot[confirmed].sha256, t->base, 32) != 0 ||
        fwx_dev_load_slot(d, (unsigned)i, confirmed, 0, d->base, &base_info, problem, sizeof problem) != 0) {
      finish(d, t->package.module, "failed", "the delta's base package is no longer the confirmed one", NULL);
      return;
    }
    c.d = d;
    c.base_len = r->slot[confirmed].size;
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
  e = fwx_dev_event(t->package.module, "received", fwx_dev_wall(d));
  e.version = t->package.version;
  e.has_sequence = 1;
  e.sequence = t->package.sequence;
  fwx_text_u64(&txt, t->size);
  fwx_text_str(&txt, t->delta ? " bytes (delta)" : " bytes (full)");
  e.reason = reason;
  fwx_dev_emit(d, &e, FWX_DEV_EVENT);
  install(d, pkg, len, t);
  fwx_dev_settle(d);
}

