/* A completed transfer becomes a trial, without a copy of any package in
 * RAM: the transfer's SHA-256 checked where it lies in the staging area
 * (mapped flash), a full package verified there (verifyPackage with the
 * anti-rollback floor) and copied into the inactive slot, a delta applied
 * streaming (base read from the confirmed slot, delta from the staging area,
 * the target programmed into the inactive slot in order) and the result
 * verified in the slot; then the trial recorded and the module started from
 * its slot. */
#include "fwx_device.h"

#include <string.h>

#include "fwx_crypto_port.h"
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

static void emit_step(fwx_device *d, const fwx_pkg_info *info, const char *phase, const char *reason) {
  fwx_ota_event e = fwx_dev_event(info->module, phase, fwx_dev_wall(d));
  e.version = info->version;
  e.has_sequence = 1;
  e.sequence = info->sequence;
  e.reason = reason;
  fwx_dev_emit(d, &e, FWX_DEV_EVENT);
}

/* verifyPackage on pkg (where it lies) with the module's anti-rollback floor, which outlives the module
 * (remove, revert): a removed module cannot come back older. 0, or -1 with the refusal published. */
static int verify_new(fwx_device *d, const char *module, const uint8_t *pkg, uint32_t len, fwx_pkg_info *info) {
  const char *code = NULL;
  char msg[200];
  /* The floor outlives the module (remove, revert) and a rewrite of the slot store (the counter port). */
  uint64_t floor = fwx_dev_floor_installed(d, module);
  if (d->verifier.verify(d->verifier.ctx, pkg, len, fwx_dev_wall(d), floor > 0xffffffffu ? 0xffffffffu : (uint32_t)floor, info, &code, msg,
                         sizeof msg) != 0) {
    finish(d, module, "refused", msg, code);
    return -1;
  }
  return 0;
}

/* Refused while the module is on trial (its verdict first). */
static int on_trial(fwx_device *d, const char *module) {
  int i = fwx_dev_find(d, module);
  if (i >= 0 && fwx_dev_rec(d, (unsigned)i)->trial != FWX_SLOT_NONE) {
    finish(d, module, "refused", "module is on trial; wait for its verdict", "busy");
    return 1;
  }
  return 0;
}

/* Starts writing the module's inactive slot (committed empty first: its old package, the rollback target,
 * goes). The slot's index (0/1), or -1 with the verdict published. */
static int begin_slot(fwx_device *d, const char *module, uint32_t len) {
  int32_t rc = fwx_slots_write_begin(d->slots, module, len);
  if (rc == FWX_SLOTS_E_FULL) {
    finish(d, module, "refused", "no free module slot on this device", "too-many-modules");
    return -1;
  }
  if (rc != FWX_SLOTS_OK || fwx_dev_find(d, module) < 0) {
    finish(d, module, "failed", "cannot write the slot (flash)", NULL);
    return -1;
  }
  return d->slots->slot_writer.slot == FWX_SLOT_B ? 1 : 0;
}

/* The slot holds the verified package (sha256): the trial is recorded and the module started from the slot. */
static void record_trial(fwx_device *d, const fwx_pkg_info *info, int target, const uint8_t sha256[32], uint32_t len,
                         const fwx_ota_transfer *t) {
  fwx_slots_package_t desc;
  int i = fwx_dev_find(d, info->module);
  const uint8_t *slot = i >= 0 ? fwx_dev_bytes(d, (uint32_t)i, (uint32_t)target, len) : NULL;
  uint8_t sha[32];
  /* Re-read where it will run: the module runs from these bytes, not from what was checked before. */
  if (slot != NULL) d->verifier.sha256(d->verifier.ctx, slot, len, sha);
  if (slot == NULL || memcmp(sha, sha256, 32) != 0) {
    finish(d, info->module, "failed", "the slot does not read back as written (flash)", NULL);
    return;
  }
  emit_step(d, info, "written", target ? "slot B" : "slot A");
  memset(&desc, 0, sizeof desc);
  memcpy(desc.sha256, sha256, 32);
  desc.size = len;
  desc.sequence = info->sequence;
  {
    int64_t now = fwx_dev_wall(d);
    desc.verified_at_ms = now > 0 ? (uint64_t)now : 0u;
  }
  desc.version = info->version;
  /* One commit: the slot holds this package, on trial (boots 1), the staging transfer closed. */
  if (fwx_slots_install_trial(d->slots, info->module, &desc, 1, t->session) != FWX_SLOTS_OK) {
    finish(d, info->module, "failed", "cannot record the trial (flash)", NULL);
    return;
  }
  if (d->cfg.checkpoint) d->cfg.checkpoint("trial-recorded");
  fwx_dev_begin_trial(d, (unsigned)i, target, slot, info);
}

/* "received": the transfer is whole and has the announced hash ("<n> bytes (full)" or "(delta)"). */
static void emit_received(fwx_device *d, const fwx_ota_transfer *t, const char *how, char *reason, size_t cap) {
  fwx_ota_event e = fwx_dev_event(t->package.module, "received", fwx_dev_wall(d));
  fwx_text txt;
  fwx_text_init(&txt, reason, cap);
  e.version = t->package.version;
  e.has_sequence = 1;
  e.sequence = t->package.sequence;
  fwx_text_u64(&txt, t->size);
  fwx_text_str(&txt, " bytes (");
  fwx_text_str(&txt, how);
  fwx_text_str(&txt, ")");
  e.reason = reason;
  fwx_dev_emit(d, &e, FWX_DEV_EVENT);
}

/* A full package in the staging area: verified there, then copied into the inactive slot. */
static void install_full(fwx_device *d, const uint8_t *staged, uint32_t len, const uint8_t sha256[32], const fwx_ota_transfer *t) {
  fwx_pkg_info info;
  int target;
  if (on_trial(d, t->package.module) || verify_new(d, t->package.module, staged, len, &info) != 0) return;
  emit_step(d, &info, "verified", NULL);
  target = begin_slot(d, info.module, len);
  if (target < 0) return;
  if (fwx_slots_write(d->slots, staged, len) != FWX_SLOTS_OK) {
    finish(d, info.module, "failed", "cannot write the slot (flash)", NULL);
    return;
  }
  record_trial(d, &info, target, sha256, len, t);
}

typedef struct delta_ctx {
  fwx_device *d;
  uint32_t base_module, base_slot;
  fwx_sha256_t hash; /* the dry run's */
} delta_ctx;

static int rd_staging(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  delta_ctx *c = ctx;
  return fwx_slots_read(c->d->slots, FWX_SLOTS_STAGING, 0, off, out, (uint32_t)n) == FWX_SLOTS_OK ? 0 : -1;
}
static int rd_base(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  delta_ctx *c = ctx;
  return fwx_slots_read(c->d->slots, c->base_module, c->base_slot, off, out, (uint32_t)n) == FWX_SLOTS_OK ? 0 : -1;
}
static int wr_slot(void *ctx, uint32_t off, const uint8_t *data, size_t n) {
  delta_ctx *c = ctx;
  (void)off; /* fwx_delta_apply writes strictly in order, as the slot writer takes it */
  return fwx_slots_write(c->d->slots, data, (uint32_t)n) == FWX_SLOTS_OK ? 0 : -1;
}

/* The dry run's sink: the rebuilt bytes are only hashed. */
static int hash_target(void *ctx, uint32_t off, const uint8_t *data, size_t n) {
  delta_ctx *c = ctx;
  (void)off;
  fwx_sha256_update(&c->hash, data, (uint32_t)n);
  return 0;
}

/* A delta in the staging area against the confirmed slot. There is no RAM for the rebuilt package, so it is
 * built twice, streaming: first only hashed, and a delta that does not rebuild exactly the announced package
 * (a wrong base, a corrupt delta) is refused with the inactive slot, the module's rollback target, untouched;
 * then into the inactive slot, where it is hashed again and verified. A result that does not verify there
 * leaves the inactive slot committed empty (as any install does before it writes) and the module as it was. */
static void install_delta(fwx_device *d, uint32_t delta_len, const fwx_ota_transfer *t, char *reason, size_t cap) {
  int i = fwx_dev_find(d, t->package.module);
  fwx_pkg_info info;
  char problem[200];
  const uint8_t *base, *built;
  fwx_delta_io io;
  fwx_delta_result res;
  delta_ctx c;
  uint8_t sha[32];
  fwx_text txt;
  const fwx_slots_module_t *r = i >= 0 ? fwx_dev_rec(d, (unsigned)i) : NULL;
  int confirmed = r ? fwx_dev_slot_of(r->confirmed) : -1, target;
  fwx_text_init(&txt, reason, cap);
  if (confirmed < 0 || memcmp(r->slot[confirmed].sha256, t->base, 32) != 0 ||
      fwx_dev_load_slot(d, (unsigned)i, confirmed, 0, &base, &info, problem, sizeof problem) != 0) {
    finish(d, t->package.module, "failed", "the delta's base package is no longer the confirmed one", NULL);
    return;
  }
  c.d = d;
  c.base_module = (uint32_t)i;
  c.base_slot = (uint32_t)confirmed;
  memset(&io, 0, sizeof io);
  io.ctx = &c;
  io.read_delta = rd_staging;
  io.delta_size = delta_len;
  io.read_base = rd_base;
  io.base_size = r->slot[confirmed].size;
  io.write_target = wr_slot;
  io.max_target = FWX_DEVICE_MAX_PACKAGE;
  if (fwx_delta_target_size(&io, &res) != 0) {
    fwx_text_str(&txt, "delta does not apply: ");
    fwx_text_str(&txt, res.message);
    finish(d, t->package.module, "failed", reason, NULL);
    return;
  }
  if (on_trial(d, t->package.module)) return;
  io.write_target = hash_target;
  fwx_sha256_init(&c.hash);
  if (fwx_delta_apply(&io, &res) != 0) {
    fwx_text_str(&txt, "delta does not apply: ");
    fwx_text_str(&txt, res.message);
    finish(d, t->package.module, "failed", reason, NULL);
    return;
  }
  fwx_sha256_final(&c.hash, sha);
  if (memcmp(sha, t->package.sha256, 32) != 0) {
    finish(d, t->package.module, "failed", "delta reconstruction does not have the package's SHA-256", NULL);
    return;
  }
  io.write_target = wr_slot;
  target = begin_slot(d, t->package.module, res.target_size);
  if (target < 0) return;
  if (fwx_delta_apply(&io, &res) != 0) {
    fwx_text_str(&txt, "delta does not apply: ");
    fwx_text_str(&txt, res.message);
    finish(d, t->package.module, "failed", reason, NULL);
    return;
  }
  built = fwx_dev_bytes(d, (uint32_t)i, (uint32_t)target, res.target_size);
  if (built != NULL) d->verifier.sha256(d->verifier.ctx, built, res.target_size, sha);
  if (built == NULL || memcmp(sha, t->package.sha256, 32) != 0) {
    finish(d, t->package.module, "failed", "delta reconstruction does not have the package's SHA-256", NULL);
    return;
  }
  emit_received(d, t, "delta", reason, cap);
  if (verify_new(d, t->package.module, built, res.target_size, &info) != 0) return;
  emit_step(d, &info, "verified", NULL);
  record_trial(d, &info, target, sha, res.target_size, t);
}

void fwx_dev_transfer_complete(void *ctx, const fwx_ota_transfer *t) {
  fwx_device *d = ctx;
  uint8_t sha[32];
  const uint8_t *staged;
  char reason[240];
  fwx_text txt;
  fwx_text_init(&txt, reason, sizeof reason);
  /* The transfer where it lies: the staging area (the OTA's partial download). */
  staged = t->size > FWX_DEVICE_MAX_PACKAGE ? NULL : fwx_dev_bytes(d, FWX_SLOTS_STAGING, 0, t->size);
  if (staged == NULL) {
    finish(d, t->package.module, "failed", "cannot read the received transfer back", NULL);
    return;
  }
  d->verifier.sha256(d->verifier.ctx, staged, t->size, sha);
  if (memcmp(sha, t->sha256, 32) != 0) {
    fwx_text_str(&txt, "received ");
    fwx_text_str(&txt, t->delta ? "delta" : "full");
    fwx_text_str(&txt, " transfer does not have the SHA-256 the tool announced; discarded, flash again");
    finish(d, t->package.module, "failed", reason, NULL);
    return;
  }
  if (t->delta) {
    install_delta(d, t->size, t, reason, sizeof reason);
  } else {
    emit_received(d, t, "full", reason, sizeof reason);
    install_full(d, staged, t->size, sha, t);
  }
  fwx_dev_settle(d);
}
