/* The slot store's operations: sequential writers into slots and the
 * staging area, the repair of a resumed transfer's sector, and the install
 * state machine (src/ota/install.ts's durable half). The journal they
 * commit to is in fwx_slots_journal.c. */
#include "fwx_slots.h"

#include <string.h>

#include "fwx_crc32.h"
#include "fwx_slots_journal.h"

/* --------------------------------------------------------------- writers */

static void writer_start(fwx_slots_t *s, fwx_slots_writer_t *w, uint32_t module, uint32_t slot, uint32_t limit) {
  memset(w, 0, sizeof *w);
  w->active = 1;
  w->module = (uint8_t)module;
  w->slot = (uint8_t)slot;
  w->base = fwx_sj_region_base(s, module, slot);
  w->limit = limit;
}

/* Programs whole words at region offset off, erasing each sector the first time the write reaches it. */
static int32_t writer_program(fwx_slots_t *s, fwx_slots_writer_t *w, uint32_t off, const uint8_t *src, uint32_t n) {
  while (n > 0) {
    uint32_t sec_end = (off / s->sector + 1u) * s->sector;
    uint32_t piece = n < sec_end - off ? n : sec_end - off;
    while (w->erased_to < off + piece) {
      if (fwx_sj_erase(s, w->base + w->erased_to) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
      w->erased_to += s->sector;
    }
    if (fwx_sj_program(s, w->base + off, src, piece) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
    off += piece;
    src += piece;
    n -= piece;
  }
  return FWX_SLOTS_OK;
}

/* Programs the last partial word, padded with 0xFF, once the region's bytes
 * are all written, so reads (the caller's hash check) see them all. The tail
 * stays in the writer: the journal still records it until the install. */
static int32_t writer_seal(fwx_slots_t *s, fwx_slots_writer_t *w) {
  uint8_t word[FWX_SLOTS_MAX_WRITE];
  if (w->sealed || w->pos != w->limit) return FWX_SLOTS_OK;
  if (w->tail_len > 0) {
    memcpy(word, w->tail, w->tail_len);
    memset(word + w->tail_len, FWX_FLASH_ERASED, s->granule - w->tail_len);
    if (writer_program(s, w, w->pos - w->tail_len, word, s->granule) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
  }
  w->sealed = 1;
  return FWX_SLOTS_OK;
}

static int32_t writer_put(fwx_slots_t *s, fwx_slots_writer_t *w, const uint8_t *data, uint32_t len) {
  uint32_t g = s->granule;
  if (len > w->limit - w->pos) return FWX_SLOTS_E_TOO_LARGE;
  while (len > 0) {
    uint32_t flushed = w->pos - w->tail_len;
    if (w->tail_len > 0 || len < g) {
      uint32_t take = g - w->tail_len;
      if (take > len) take = len;
      memcpy(w->tail + w->tail_len, data, take);
      w->tail_len = (uint8_t)(w->tail_len + take);
      w->pos += take;
      data += take;
      len -= take;
      if (w->tail_len == g) {
        if (writer_program(s, w, flushed, w->tail, g) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
        w->tail_len = 0;
      }
    } else {
      uint32_t n = len - len % g;
      if (writer_program(s, w, w->pos, data, n) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
      w->pos += n;
      data += n;
      len -= n;
    }
  }
  return writer_seal(s, w);
}

/* Copies len bytes (a multiple of the write size) between partition offsets; *crc gets their CRC. */
static int32_t copy_bytes(fwx_slots_t *s, uint32_t from, uint32_t to, uint32_t len, uint32_t *crc) {
  uint8_t buf[FWX_SJ_PIECE];
  *crc = 0;
  while (len > 0) {
    uint32_t n = len < FWX_SJ_PIECE ? len : FWX_SJ_PIECE;
    if (fwx_sj_read(s, from, buf, n) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
    *crc = fwx_crc32(*crc, buf, n);
    if (to != 0xFFFFFFFFu && fwx_sj_program(s, to, buf, n) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
    from += n;
    if (to != 0xFFFFFFFFu) to += n;
    len -= n;
  }
  return FWX_SLOTS_OK;
}

/* Second half of a repair (redone after a cut): the spare sector's copy goes back into the erased sector. */
static int32_t finish_repair(fwx_slots_t *s) {
  fwx_slots_repair_t *p = &s->st.repair;
  uint32_t target = fwx_sj_region_base(s, p->module, p->slot) + p->sector, crc;
  int32_t r = copy_bytes(s, s->spare_off, 0xFFFFFFFFu, p->len, &crc);
  if (r != FWX_SLOTS_OK) return r;
  if (crc != p->crc) {
    /* The saved prefix is gone (only a damaged or forged journal gets here): the transfer cannot resume. */
    uint32_t gen = s->st.transfer.gen;
    memset(&s->st.transfer, 0, sizeof s->st.transfer);
    s->st.transfer.gen = gen;
  } else {
    if (fwx_sj_erase(s, target) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
    r = copy_bytes(s, s->spare_off, target, p->len, &crc);
    if (r != FWX_SLOTS_OK) return r;
  }
  memset(p, 0, sizeof *p);
  return fwx_sj_commit(s);
}

/* An active transfer resumes at its acknowledged offset: the words past it in
 * that sector may hold torn bytes from before the cut, which NOR cannot
 * overwrite. Their sector is rebuilt from its good prefix through the spare
 * sector (recorded in the journal first, so a cut during it is redone). */
static int32_t resume_transfer(fwx_slots_t *s) {
  fwx_slots_transfer_t *t = &s->st.transfer;
  fwx_slots_writer_t *w = &s->transfer_writer;
  uint32_t aligned = t->acked - t->tail_len, sec = aligned - aligned % s->sector, base;
  int32_t r;
  writer_start(s, w, t->module, t->slot, t->size);
  w->pos = t->acked;
  w->tail_len = t->tail_len;
  memcpy(w->tail, t->tail, FWX_SLOTS_MAX_WRITE);
  base = w->base;
  if (aligned == sec) {
    w->erased_to = sec; /* that sector is erased when the write reaches it */
    return writer_seal(s, w);
  }
  w->erased_to = sec + s->sector;
  if (t->acked == t->size && t->tail_len > 0) {
    /* Complete and sealed before the cut? Then the last word holds the tail and its padding, and nothing follows it. */
    uint8_t word[FWX_SLOTS_MAX_WRITE], want[FWX_SLOTS_MAX_WRITE];
    memcpy(want, t->tail, t->tail_len);
    memset(want + t->tail_len, FWX_FLASH_ERASED, s->granule - t->tail_len);
    if (fwx_sj_read(s, base + aligned, word, s->granule) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
    if (memcmp(word, want, s->granule) == 0 && fwx_sj_region_erased(s, base + aligned + s->granule, sec + s->sector - aligned - s->granule)) {
      w->sealed = 1;
      return FWX_SLOTS_OK;
    }
  } else if (fwx_sj_region_erased(s, base + aligned, sec + s->sector - aligned)) {
    return s->flash_error ? FWX_SLOTS_E_FLASH : writer_seal(s, w);
  }
  if (fwx_sj_erase(s, s->spare_off) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
  s->st.repair.active = 1;
  s->st.repair.module = t->module;
  s->st.repair.slot = t->slot;
  s->st.repair.sector = sec;
  s->st.repair.len = aligned - sec;
  r = copy_bytes(s, base + sec, s->spare_off, aligned - sec, &s->st.repair.crc);
  if (r == FWX_SLOTS_OK) r = fwx_sj_commit(s);
  if (r == FWX_SLOTS_OK) r = finish_repair(s);
  if (r == FWX_SLOTS_OK && s->st.transfer.active) r = writer_seal(s, w);
  return r;
}

/* ---------------------------------------------------------------- opening */

int32_t fwx_slots_open(fwx_slots_t *s, const fwx_flash_port_t *port) {
  int32_t r = fwx_sj_layout(s, port);
  if (r != FWX_SLOTS_OK) return r;
  r = fwx_sj_load(s);
  if (r != FWX_SLOTS_OK) return r;
  s->open = 1;
  if (s->st.repair.active) r = finish_repair(s);
  if (r == FWX_SLOTS_OK && s->st.transfer.active) r = resume_transfer(s);
  if (r != FWX_SLOTS_OK) s->open = 0;
  return r;
}

int32_t fwx_slots_format(fwx_slots_t *s, const fwx_flash_port_t *port) {
  uint32_t off;
  int32_t r = fwx_sj_layout(s, port);
  if (r != FWX_SLOTS_OK) return r;
  for (off = 2u * FWX_SLOTS_BANK_BYTES; off > 0; off -= s->sector)
    if (fwx_sj_erase(s, off - s->sector) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
  s->seq = 1;
  s->open = 1;
  return fwx_sj_commit(s);
}

/* ------------------------------------------------------------------ reads */

int32_t fwx_slots_find(const fwx_slots_t *s, const char *name) {
  uint32_t i;
  if (name == NULL) return FWX_SLOTS_E_ARG;
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++)
    if (s->st.modules[i].used && strcmp(s->st.modules[i].name, name) == 0) return (int32_t)i;
  return FWX_SLOTS_E_NOT_FOUND;
}

const fwx_slots_module_t *fwx_slots_module(const fwx_slots_t *s, uint32_t index) {
  if (index >= FWX_SLOTS_MAX_MODULES || !s->st.modules[index].used) return NULL;
  return &s->st.modules[index];
}

const uint8_t *fwx_slots_config(const fwx_slots_t *s, uint32_t index, uint32_t *len) {
  *len = 0;
  if (index >= FWX_SLOTS_MAX_MODULES || !s->st.modules[index].used) return NULL;
  *len = s->st.modules[index].config_len;
  return s->st.config + fwx_sj_config_at(&s->st, index);
}

uint64_t fwx_slots_floor(const fwx_slots_t *s, const char *name) {
  int f = name ? fwx_sj_floor_index(&s->st, name) : -1;
  return f < 0 ? 0u : s->st.floors[f].floor;
}

const fwx_slots_transfer_t *fwx_slots_transfer(const fwx_slots_t *s) {
  return s->st.transfer.active ? &s->st.transfer : NULL;
}

const fwx_slots_verdict_t *fwx_slots_verdict(const fwx_slots_t *s) {
  return s->st.verdict.present ? &s->st.verdict : NULL;
}

/* A writer's last partial word is still in RAM until the region is complete: reads see it all the same. */
static void overlay_tail(const fwx_slots_writer_t *w, uint32_t module, uint32_t slot, uint32_t offset, uint8_t *dst, uint32_t len) {
  uint32_t from, i;
  if (!w->active || w->sealed || w->tail_len == 0 || w->module != module || w->slot != slot) return;
  from = w->pos - w->tail_len;
  for (i = 0; i < w->tail_len; i++)
    if (from + i >= offset && from + i - offset < len) dst[from + i - offset] = w->tail[i];
}

int32_t fwx_slots_read(fwx_slots_t *s, uint32_t module, uint32_t slot, uint32_t offset, void *dst, uint32_t len) {
  uint32_t size;
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (module != FWX_SLOTS_STAGING && (module >= FWX_SLOTS_MAX_MODULES || slot > FWX_SLOT_B)) return FWX_SLOTS_E_ARG;
  if (module == FWX_SLOTS_STAGING) slot = 0;
  size = fwx_sj_region_size(module);
  if (offset > size || len > size - offset) return FWX_SLOTS_E_TOO_LARGE;
  if (fwx_sj_read(s, fwx_sj_region_base(s, module, slot) + offset, dst, len) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
  overlay_tail(&s->transfer_writer, module, slot, offset, (uint8_t *)dst, len);
  overlay_tail(&s->slot_writer, module, slot, offset, (uint8_t *)dst, len);
  return FWX_SLOTS_OK;
}

/* A writer holds bytes of this region in RAM (its last partial word, not yet programmed). */
static int holds_tail(const fwx_slots_writer_t *w, uint32_t module, uint32_t slot) {
  return w->active && !w->sealed && w->tail_len > 0 && w->module == module && (module == FWX_SLOTS_STAGING || w->slot == slot);
}

const uint8_t *fwx_slots_map(fwx_slots_t *s, uint32_t module, uint32_t slot, uint32_t offset, uint32_t len) {
  uint32_t size;
  if (!s->open || s->port->map == NULL) return NULL;
  if (module != FWX_SLOTS_STAGING && (module >= FWX_SLOTS_MAX_MODULES || slot > FWX_SLOT_B)) return NULL;
  if (module == FWX_SLOTS_STAGING) slot = 0;
  size = fwx_sj_region_size(module);
  if (offset > size || len > size - offset) return NULL;
  if (holds_tail(&s->transfer_writer, module, slot) || holds_tail(&s->slot_writer, module, slot)) return NULL;
  return s->port->map(s->port->ctx, fwx_sj_region_base(s, module, slot) + offset, len);
}

/* ---------------------------------------------------------- state changes */

static int32_t module_index(const fwx_slots_t *s, const char *name) {
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (name == NULL || fwx_sj_name_len(name, FWX_SLOTS_NAME_MAX + 1u) == 0) return FWX_SLOTS_E_ARG;
  return fwx_slots_find(s, name);
}

static void drop_module(fwx_slots_t *s, uint32_t i) {
  fwx_sj_config_splice(&s->st, i, NULL, 0);
  memset(&s->st.modules[i], 0, sizeof s->st.modules[i]);
  if (s->slot_writer.active && s->slot_writer.module == i) s->slot_writer.active = 0;
}

static void end_transfer(fwx_slots_t *s) {
  uint32_t gen = s->st.transfer.gen;
  memset(&s->st.transfer, 0, sizeof s->st.transfer);
  s->st.transfer.gen = gen;
  s->transfer_writer.active = 0;
}

/* The module's entry (created, with a floor entry, when new); checks before it changes anything. */
static int32_t find_or_create(fwx_slots_t *s, const char *name) {
  int32_t i = module_index(s, name);
  uint32_t k, free_mod = FWX_SLOTS_MAX_MODULES, free_floor = FWX_SLOTS_MAX_FLOORS;
  if (i != FWX_SLOTS_E_NOT_FOUND) return i;
  for (k = 0; k < FWX_SLOTS_MAX_MODULES && free_mod == FWX_SLOTS_MAX_MODULES; k++)
    if (!s->st.modules[k].used) free_mod = k;
  if (free_mod == FWX_SLOTS_MAX_MODULES) return FWX_SLOTS_E_FULL;
  if (fwx_sj_floor_index(&s->st, name) < 0) {
    for (k = 0; k < FWX_SLOTS_MAX_FLOORS && free_floor == FWX_SLOTS_MAX_FLOORS; k++)
      if (!s->st.floors[k].used) free_floor = k;
    /* A floor of 0 (never confirmed) of a module that is gone protects nothing: reuse it. */
    for (k = 0; k < FWX_SLOTS_MAX_FLOORS && free_floor == FWX_SLOTS_MAX_FLOORS; k++)
      if (s->st.floors[k].floor == 0 && fwx_slots_find(s, s->st.floors[k].name) < 0) free_floor = k;
    if (free_floor == FWX_SLOTS_MAX_FLOORS) return FWX_SLOTS_E_FULL;
    memset(&s->st.floors[free_floor], 0, sizeof s->st.floors[free_floor]);
    s->st.floors[free_floor].used = 1;
    memcpy(s->st.floors[free_floor].name, name, strlen(name));
  }
  memset(&s->st.modules[free_mod], 0, sizeof s->st.modules[free_mod]);
  s->st.modules[free_mod].used = 1;
  memcpy(s->st.modules[free_mod].name, name, strlen(name));
  s->st.modules[free_mod].confirmed = FWX_SLOT_NONE;
  s->st.modules[free_mod].trial = FWX_SLOT_NONE;
  return (int32_t)free_mod;
}

static uint32_t inactive_slot(const fwx_slots_module_t *m) {
  return m->confirmed == FWX_SLOT_A ? FWX_SLOT_B : FWX_SLOT_A;
}

int32_t fwx_slots_transfer_begin(fwx_slots_t *s, const char *name, uint32_t size, const uint8_t sha256[32],
                                 const uint8_t *meta, uint32_t meta_len) {
  fwx_slots_transfer_t *t = &s->st.transfer;
  uint32_t module = FWX_SLOTS_STAGING, slot = 0;
  int32_t r;
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (size == 0 || (meta == NULL && meta_len != 0)) return FWX_SLOTS_E_ARG;
  if (meta_len > FWX_SLOTS_META_MAX) return FWX_SLOTS_E_TOO_LARGE;
  if (t->active) return FWX_SLOTS_E_BUSY;
  if (name == NULL) {
    if (size > FWX_SLOTS_STAGING_BYTES) return FWX_SLOTS_E_TOO_LARGE;
  } else {
    int32_t i = module_index(s, name);
    if (i == FWX_SLOTS_E_ARG) return i;
    if (size > FWX_SLOTS_SLOT_BYTES) return FWX_SLOTS_E_TOO_LARGE;
    if (i >= 0 && s->st.modules[i].trial != FWX_SLOT_NONE) return FWX_SLOTS_E_BUSY;
    i = find_or_create(s, name);
    if (i < 0) return i;
    module = (uint32_t)i;
    slot = inactive_slot(&s->st.modules[i]);
    memset(&s->st.modules[i].slot[slot], 0, sizeof s->st.modules[i].slot[slot]);
    if (s->slot_writer.active && s->slot_writer.module == module) s->slot_writer.active = 0;
  }
  t->active = 1;
  t->module = (uint8_t)module;
  t->slot = (uint8_t)slot;
  t->size = size;
  t->acked = 0;
  if (sha256) memcpy(t->sha256, sha256, 32);
  else memset(t->sha256, 0, 32);
  t->gen++;
  t->tail_len = 0;
  memset(t->tail, 0, sizeof t->tail);
  memset(t->meta, 0, sizeof t->meta);
  if (meta_len) memcpy(t->meta, meta, meta_len);
  t->meta_len = (uint16_t)meta_len;
  r = fwx_sj_commit(s);
  if (r != FWX_SLOTS_OK) return r;
  writer_start(s, &s->transfer_writer, module, slot, size);
  return FWX_SLOTS_OK;
}

int32_t fwx_slots_transfer_write(fwx_slots_t *s, uint32_t offset, const void *data, uint32_t len) {
  fwx_slots_writer_t *w = &s->transfer_writer;
  int32_t r;
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (!s->st.transfer.active || !w->active) return FWX_SLOTS_E_STATE;
  if (data == NULL && len != 0) return FWX_SLOTS_E_ARG;
  if (offset != w->pos) return FWX_SLOTS_E_ORDER;
  r = writer_put(s, w, (const uint8_t *)data, len);
  if (r == FWX_SLOTS_E_FLASH) s->open = 0;
  return r;
}

uint32_t fwx_slots_transfer_written(const fwx_slots_t *s) {
  return s->st.transfer.active && s->transfer_writer.active ? s->transfer_writer.pos : 0u;
}

int32_t fwx_slots_transfer_ack(fwx_slots_t *s, const uint8_t *meta, uint32_t meta_len) {
  fwx_slots_transfer_t *t = &s->st.transfer;
  const fwx_slots_writer_t *w = &s->transfer_writer;
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (!t->active || !w->active) return FWX_SLOTS_E_STATE;
  if (meta_len > FWX_SLOTS_META_MAX) return FWX_SLOTS_E_TOO_LARGE;
  if (meta != NULL && meta_len == t->meta_len && memcmp(meta, t->meta, meta_len) == 0) meta = NULL;
  if (w->pos == t->acked && meta == NULL) return FWX_SLOTS_OK;
  t->acked = w->pos;
  t->tail_len = w->tail_len;
  memset(t->tail, 0, sizeof t->tail);
  memcpy(t->tail, w->tail, w->tail_len);
  if (meta != NULL) {
    memset(t->meta, 0, sizeof t->meta);
    memcpy(t->meta, meta, meta_len);
    t->meta_len = (uint16_t)meta_len;
  }
  return fwx_sj_commit_ack(s, meta != NULL);
}

int32_t fwx_slots_transfer_abort(fwx_slots_t *s) {
  fwx_slots_transfer_t *t = &s->st.transfer;
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (!t->active) return FWX_SLOTS_OK;
  if (t->module != FWX_SLOTS_STAGING) {
    const fwx_slots_module_t *m = &s->st.modules[t->module];
    if (m->confirmed == FWX_SLOT_NONE && m->trial == FWX_SLOT_NONE) drop_module(s, t->module);
  }
  end_transfer(s);
  return fwx_sj_commit(s);
}

int32_t fwx_slots_write_begin(fwx_slots_t *s, const char *name, uint32_t size) {
  int32_t i = module_index(s, name);
  uint32_t slot;
  fwx_slots_module_t *m;
  int32_t r = FWX_SLOTS_OK;
  if (i == FWX_SLOTS_E_ARG || i == FWX_SLOTS_E_CLOSED) return i;
  if (size == 0) return FWX_SLOTS_E_ARG;
  if (size > FWX_SLOTS_SLOT_BYTES) return FWX_SLOTS_E_TOO_LARGE;
  if (i >= 0 && s->st.modules[i].trial != FWX_SLOT_NONE) return FWX_SLOTS_E_BUSY;
  if (i >= 0 && s->st.transfer.active && s->st.transfer.module == (uint32_t)i) return FWX_SLOTS_E_BUSY;
  if (i < 0) {
    i = find_or_create(s, name);
    if (i < 0) return i;
    r = fwx_sj_commit(s);
    if (r != FWX_SLOTS_OK) return r;
  }
  m = &s->st.modules[i];
  slot = inactive_slot(m);
  if (m->slot[slot].present) {
    memset(&m->slot[slot], 0, sizeof m->slot[slot]);
    r = fwx_sj_commit(s);
    if (r != FWX_SLOTS_OK) return r;
  }
  writer_start(s, &s->slot_writer, (uint32_t)i, slot, size);
  return FWX_SLOTS_OK;
}

int32_t fwx_slots_write(fwx_slots_t *s, const void *data, uint32_t len) {
  int32_t r;
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (!s->slot_writer.active) return FWX_SLOTS_E_STATE;
  if (data == NULL && len != 0) return FWX_SLOTS_E_ARG;
  r = writer_put(s, &s->slot_writer, (const uint8_t *)data, len);
  if (r == FWX_SLOTS_E_FLASH) s->open = 0;
  return r;
}

/* Length of a string, or cap when it has no NUL within cap bytes. */
static uint32_t text_len(const char *t, uint32_t cap) {
  uint32_t n = 0;
  while (n < cap && t[n] != '\0') n++;
  return n;
}

int32_t fwx_slots_install_trial(fwx_slots_t *s, const char *name, const fwx_slots_package_t *pkg, int has_session,
                                uint16_t session) {
  uint32_t vlen;
  int32_t i = module_index(s, name);
  fwx_slots_module_t *m;
  fwx_slots_writer_t *w;
  fwx_slots_transfer_t *t = &s->st.transfer;
  if (i < 0) return i;
  if (pkg == NULL || pkg->size == 0) return FWX_SLOTS_E_ARG;
  vlen = pkg->version ? text_len(pkg->version, FWX_SLOTS_VERSION_MAX + 1u) : 0u;
  if (vlen > FWX_SLOTS_VERSION_MAX) return FWX_SLOTS_E_ARG;
  m = &s->st.modules[i];
  if (m->trial != FWX_SLOT_NONE) return FWX_SLOTS_E_BUSY;
  if (t->active && t->module == (uint32_t)i && s->transfer_writer.active) {
    w = &s->transfer_writer;
    if (t->acked != t->size) return FWX_SLOTS_E_ORDER;
  } else if (s->slot_writer.active && s->slot_writer.module == (uint32_t)i) {
    w = &s->slot_writer;
  } else {
    return FWX_SLOTS_E_STATE;
  }
  if (w->pos != pkg->size || w->limit != pkg->size) return FWX_SLOTS_E_ORDER;
  if (!w->sealed) return FWX_SLOTS_E_ORDER;
  m->slot[w->slot].present = 1;
  m->slot[w->slot].size = pkg->size;
  m->slot[w->slot].sequence = pkg->sequence;
  m->slot[w->slot].verified_at_ms = pkg->verified_at_ms;
  memcpy(m->slot[w->slot].sha256, pkg->sha256, 32);
  memset(m->slot[w->slot].version, 0, sizeof m->slot[w->slot].version);
  if (vlen) memcpy(m->slot[w->slot].version, pkg->version, vlen);
  m->trial = w->slot;
  m->trial_boots = 1;
  m->trial_has_session = has_session ? 1u : 0u;
  m->trial_session = has_session ? session : 0u;
  /* The transfer that brought this package (into the slot, or a delta in staging) is done with. */
  if (t->active && (t->module == (uint32_t)i || (t->module == FWX_SLOTS_STAGING && t->acked == t->size))) end_transfer(s);
  w->active = 0;
  return fwx_sj_commit(s);
}

static void set_verdict(fwx_slots_t *s, const fwx_slots_verdict_t *v) {
  fwx_slots_verdict_t *d = &s->st.verdict;
  if (v == NULL) return;
  *d = *v;
  d->present = 1;
  d->has_session = d->has_session ? 1u : 0u;
  d->module[FWX_SLOTS_NAME_MAX] = '\0';
  d->text[FWX_SLOTS_VERDICT_TEXT_MAX] = '\0';
  d->version[FWX_SLOTS_VERSION_MAX] = '\0';
  (void)fwx_sj_terminate(d->version, sizeof d->version);
  (void)fwx_sj_terminate(d->module, sizeof d->module);
  (void)fwx_sj_terminate(d->text, sizeof d->text);
}

static int verdict_ok(const fwx_slots_verdict_t *v) {
  return v == NULL || (v->phase >= FWX_SLOTS_PHASE_CONFIRMED && v->phase <= FWX_SLOTS_PHASE_FAILED);
}

int32_t fwx_slots_confirm(fwx_slots_t *s, const char *name, const fwx_slots_verdict_t *verdict) {
  int32_t i = module_index(s, name), f;
  fwx_slots_module_t *m;
  if (i < 0) return i;
  if (!verdict_ok(verdict)) return FWX_SLOTS_E_ARG;
  m = &s->st.modules[i];
  if (m->trial == FWX_SLOT_NONE) return FWX_SLOTS_E_STATE;
  f = fwx_sj_floor_index(&s->st, name);
  if (f < 0) return FWX_SLOTS_E_STATE; /* cannot happen: validate() and find_or_create() keep one */
  m->confirmed = m->trial;
  if (m->slot[m->trial].sequence > s->st.floors[f].floor) s->st.floors[f].floor = m->slot[m->trial].sequence;
  m->trial = FWX_SLOT_NONE;
  m->trial_boots = 0;
  m->trial_has_session = 0;
  m->trial_session = 0;
  set_verdict(s, verdict);
  return fwx_sj_commit(s);
}

/* Ends module i's trial as failed (run time or boot). */
static void abandon_trial(fwx_slots_t *s, uint32_t i) {
  fwx_slots_module_t *m = &s->st.modules[i];
  memset(&m->slot[m->trial], 0, sizeof m->slot[m->trial]);
  m->trial = FWX_SLOT_NONE;
  m->trial_boots = 0;
  m->trial_has_session = 0;
  m->trial_session = 0;
  if (m->confirmed == FWX_SLOT_NONE) drop_module(s, i);
}

int32_t fwx_slots_revert(fwx_slots_t *s, const char *name, const fwx_slots_verdict_t *verdict) {
  int32_t i = module_index(s, name);
  if (i < 0) return i;
  if (!verdict_ok(verdict)) return FWX_SLOTS_E_ARG;
  if (s->st.modules[i].trial == FWX_SLOT_NONE) return FWX_SLOTS_E_STATE;
  abandon_trial(s, (uint32_t)i);
  set_verdict(s, verdict);
  return fwx_sj_commit(s);
}

int32_t fwx_slots_rollback(fwx_slots_t *s, const char *name) {
  int32_t i = module_index(s, name);
  fwx_slots_module_t *m;
  uint32_t to;
  if (i < 0) return i;
  m = &s->st.modules[i];
  if (m->trial != FWX_SLOT_NONE) return FWX_SLOTS_E_BUSY;
  if (m->confirmed == FWX_SLOT_NONE) return FWX_SLOTS_E_STATE;
  to = m->confirmed == FWX_SLOT_A ? FWX_SLOT_B : FWX_SLOT_A;
  if (!m->slot[to].present) return FWX_SLOTS_E_STATE;
  m->confirmed = (uint8_t)to;
  return fwx_sj_commit(s);
}

int32_t fwx_slots_remove(fwx_slots_t *s, const char *name) {
  int32_t i = module_index(s, name);
  if (i < 0) return i;
  if (s->st.modules[i].trial != FWX_SLOT_NONE) return FWX_SLOTS_E_BUSY;
  if (s->st.transfer.active && s->st.transfer.module == (uint32_t)i) end_transfer(s);
  drop_module(s, (uint32_t)i);
  return fwx_sj_commit(s);
}

int32_t fwx_slots_set_config(fwx_slots_t *s, const char *name, const uint8_t *config, uint32_t len) {
  int32_t i = module_index(s, name);
  const fwx_slots_module_t *m;
  if (i < 0) return i;
  if (config == NULL && len != 0) return FWX_SLOTS_E_ARG;
  m = &s->st.modules[i];
  if (len > FWX_SLOTS_CONFIG_MAX || fwx_sj_config_at(&s->st, FWX_SLOTS_MAX_MODULES) - m->config_len + len > FWX_SLOTS_CONFIG_POOL) return FWX_SLOTS_E_TOO_LARGE;
  fwx_sj_config_splice(&s->st, (uint32_t)i, config, len);
  return fwx_sj_commit(s);
}

int32_t fwx_slots_set_verdict(fwx_slots_t *s, const fwx_slots_verdict_t *verdict) {
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  if (verdict == NULL || !verdict_ok(verdict)) return FWX_SLOTS_E_ARG;
  set_verdict(s, verdict);
  return fwx_sj_commit(s);
}

static void put_text(char *dst, uint32_t cap, uint32_t *at, const char *src) {
  while (*src && *at + 1u < cap) dst[(*at)++] = *src++;
  dst[*at] = '\0';
}

int32_t fwx_slots_boot(fwx_slots_t *s, uint8_t max_trial_boots, fwx_slots_boot_report_t *report) {
  uint32_t i;
  int changed = 0;
  if (report) memset(report, 0, sizeof *report);
  if (!s->open) return FWX_SLOTS_E_CLOSED;
  s->slot_writer.active = 0;
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    fwx_slots_module_t *m = &s->st.modules[i];
    fwx_slots_boot_item_t *item = report ? &report->items[report->count] : NULL;
    if (!m->used) continue;
    if (m->trial == FWX_SLOT_NONE) {
      /* An entry with nothing in it that no transfer fills (a delta cut short before its trial) is dropped. */
      if (m->confirmed == FWX_SLOT_NONE && !(s->st.transfer.active && s->st.transfer.module == i)) {
        drop_module(s, i);
        changed = 1;
      }
      continue;
    }
    if (m->trial_boots < 255u) m->trial_boots++;
    changed = 1;
    if (item) {
      memcpy(item->name, m->name, sizeof item->name);
      item->slot = m->trial;
      item->boots = m->trial_boots;
      item->action = FWX_SLOTS_BOOT_TRIAL_RETRY;
      report->count++;
    }
    if (m->trial_boots > max_trial_boots) {
      fwx_slots_verdict_t v;
      uint32_t at = 0;
      char digits[4];
      uint8_t restarts = (uint8_t)(m->trial_boots - 1u);
      memset(&v, 0, sizeof v);
      v.phase = FWX_SLOTS_PHASE_REVERTED;
      v.has_session = m->trial_has_session;
      v.session = m->trial_session;
      v.sequence = m->slot[m->trial].sequence;
      memcpy(v.package, m->slot[m->trial].sha256, 32);
      memcpy(v.version, m->slot[m->trial].version, sizeof v.version);
      memcpy(v.module, m->name, sizeof v.module);
      digits[0] = (char)('0' + restarts / 100u);
      digits[1] = (char)('0' + restarts / 10u % 10u);
      digits[2] = (char)('0' + restarts % 10u);
      digits[3] = '\0';
      put_text(v.text, sizeof v.text, &at, m->trial == FWX_SLOT_A ? "trial of slot A" : "trial of slot B");
      put_text(v.text, sizeof v.text, &at, " abandoned at boot: the device restarted ");
      put_text(v.text, sizeof v.text, &at, digits[0] != '0' ? digits : digits[1] != '0' ? digits + 1 : digits + 2);
      put_text(v.text, sizeof v.text, &at, " times during the trial");
      set_verdict(s, &v);
      if (item) {
        item->action = FWX_SLOTS_BOOT_TRIAL_ABANDONED;
        item->module_gone = m->confirmed == FWX_SLOT_NONE;
      }
      abandon_trial(s, i);
    }
  }
  return changed ? fwx_sj_commit(s) : FWX_SLOTS_OK;
}
