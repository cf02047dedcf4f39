/* A completed transfer becomes a trial: SHA-256 of what arrived, a delta
 * applied to the confirmed slot, verifyPackage with the anti-rollback
 * floor, the inactive slot written, the trial recorded, the module started. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_delta.h"
#include "fwx_device_internal.h"
#include "fwx_text.h"


static void finish(fwx_device *d, const char *module, const char *phase, const char *reason, const char *code) {
  fwx_ota_event e = fwx_dev_event(module, phase, fwx_dev_wall(d));
  e.reason = reason;
  e.code = code;
  fwx_dev_emit(d, &e, 1);
}

static void install(fwx_device *d, const uint8_t *pkg, uint32_t len, const fwx_ota_transfer *t) {
  fwx_pkg_info info;
  const char *code = NULL;
  char msg[200];
  int i = fwx_dev_find(d, t->package.module);
  int target;
  fwx_module_rec *r;
  fwx_ota_event e;
  char hex[65];
  if (i >= 0 && d->modules[i].trial >= 0) {
    finish(d, t->package.module, "refused", "module is on trial; wait for its verdict", "busy");
    return;
  }
  if (d->verifier.verify(d->verifier.ctx, pkg, len, fwx_dev_wall(d), i >= 0 ? d->modules[i].installed_seq : 0u, &info, &code, msg, sizeof msg) != 0) {
    finish(d, t->package.module, "refused", msg, code);
    return;
  }
  i = fwx_dev_find(d, info.module);
  if (i < 0) i = fwx_dev_free(d);
  if (i < 0) {
    finish(d, info.module, "refused", "no free module slot on this device", "too-many-modules");
    return;
  }
  r = &d->modules[i];
  e = fwx_dev_event(info.module, "verified", fwx_dev_wall(d));
  e.version = info.version;
  e.has_sequence = 1;
  e.sequence = info.sequence;
  fwx_dev_emit(d, &e, 0);
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
  e = fwx_dev_event(info.module, "written", fwx_dev_wall(d));
  e.version = info.version;
  e.has_sequence = 1;
  e.sequence = info.sequence;
  e.reason = target ? "slot B" : "slot A";
  fwx_dev_emit(d, &e, 0);
  r->used = 1;
  memset(&r->slots[target], 0, sizeof r->slots[target]);
  r->slots[target].used = 1;
  d->verifier.sha256(d->verifier.ctx, pkg, len, r->slots[target].sha256);
  r->slots[target].size = len;
  (void)fwx_strcpy_bounded(r->slots[target].version, sizeof r->slots[target].version, info.version);
  r->slots[target].sequence = info.sequence;
  r->slots[target].verified_at = fwx_dev_wall(d);
  r->trial = target;
  r->trial_has_session = 1;
  r->trial_session = t->session;
  r->trial_boots = 1;
  if (fwx_dev_save_state(d) != 0) {
    fwx_dev_hex32(r->slots[target].sha256, hex);
    r->trial = -1;
    memset(&r->slots[target], 0, sizeof r->slots[target]);
    if (r->confirmed < 0) r->used = 0;
    finish(d, info.module, "failed", "cannot record the trial", NULL);
    return;
  }
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
    const fwx_module_rec *r = i >= 0 ? &d->modules[i] : NULL;
    if (!r || r->confirmed < 0 || memcmp(r->slots[r->confirmed].sha256, t->base, 32) != 0 ||
        fwx_dev_load_slot(d, r, r->confirmed, 0, d->base, &base_info, problem, sizeof problem) != 0) {
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
  e = fwx_dev_event(t->package.module, "received", fwx_dev_wall(d));
  e.version = t->package.version;
  e.has_sequence = 1;
  e.sequence = t->package.sequence;
  fwx_text_u64(&txt, t->size);
  fwx_text_str(&txt, t->delta ? " bytes (delta)" : " bytes (full)");
  e.reason = reason;
  fwx_dev_emit(d, &e, 0);
  install(d, pkg, len, t);
  fwx_dev_settle(d);
}

