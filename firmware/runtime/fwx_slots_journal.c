/* The slot store's journal: the state's codec, its validation (everything
 * read from flash is hostile), and the two banks it is committed to. See
 * fwx_slots.h for the layout and the rules that make every step safe
 * against power loss.
 *
 * Journal entry, little-endian, padded with 0xFF to the write size:
 *   u32 magic "FWXJ" | u8 type | u8[3] 0 | u32 payload length | u32 sequence
 *   | payload | u32 CRC-32 of everything before it
 * A bank is a chain of entries from offset 0: the first is a snapshot, each
 * next one has the sequence after its predecessor's. The chain ends at the
 * first entry that is torn (bad magic, length or CRC). */
#include "fwx_slots_journal.h"

#include <string.h>

#include "fwx_crc32.h"

#define MAGIC 0x4A585746u /* "FWXJ" */
#define T_SNAPSHOT 1u
#define T_ACK 2u
#define HDR 16u
#define ACK_FIXED (4u + 4u + 1u + FWX_SLOTS_MAX_WRITE + 1u + 2u)

#if FWX_SLOTS_MAX_MODULES < 1u || FWX_SLOTS_MAX_MODULES > 64u
#error "FWX_SLOTS_MAX_MODULES must be 1..64"
#endif
#if FWX_SLOTS_MAX_FLOORS < FWX_SLOTS_MAX_MODULES
#error "FWX_SLOTS_MAX_FLOORS must be at least FWX_SLOTS_MAX_MODULES"
#endif
#if FWX_SLOTS_CONFIG_MAX > 65535u || FWX_SLOTS_META_MAX > 65535u
#error "config and meta blobs are at most 65535 bytes"
#endif
#if FWX_SLOTS_CONFIG_POOL < FWX_SLOTS_CONFIG_MAX
#error "FWX_SLOTS_CONFIG_POOL must hold one module's largest config blob"
#endif

/* ---------------------------------------------------------------- sinks */

enum { SINK_COUNT, SINK_CRC, SINK_FLASH };

typedef struct sink {
  fwx_slots_t *s;
  int mode;
  uint32_t addr;  /* SINK_FLASH: where the buffer goes next */
  uint32_t crc;
  uint32_t count;
  uint32_t fill;
  int32_t err;
  uint8_t buf[FWX_SJ_PIECE];
} sink_t;

static void fail_flash(fwx_slots_t *s, int32_t e) {
  s->flash_error = e;
}

int32_t fwx_sj_program(fwx_slots_t *s, uint32_t off, const void *src, uint32_t len) {
  int32_t r = s->port->program(s->port->ctx, off, src, len);
  if (r != FWX_FLASH_OK) {
    fail_flash(s, r);
    return FWX_SLOTS_E_FLASH;
  }
  return FWX_SLOTS_OK;
}

int32_t fwx_sj_read(fwx_slots_t *s, uint32_t off, void *dst, uint32_t len) {
  int32_t r = s->port->read(s->port->ctx, off, dst, len);
  if (r != FWX_FLASH_OK) {
    fail_flash(s, r);
    return FWX_SLOTS_E_FLASH;
  }
  return FWX_SLOTS_OK;
}

int32_t fwx_sj_erase(fwx_slots_t *s, uint32_t off) {
  int32_t r = s->port->erase(s->port->ctx, off);
  if (r != FWX_FLASH_OK) {
    fail_flash(s, r);
    return FWX_SLOTS_E_FLASH;
  }
  return FWX_SLOTS_OK;
}

static int32_t sync_port(fwx_slots_t *s) {
  if (s->port->sync == NULL) return FWX_SLOTS_OK;
  {
    int32_t r = s->port->sync(s->port->ctx);
    if (r != FWX_FLASH_OK) {
      fail_flash(s, r);
      return FWX_SLOTS_E_FLASH;
    }
  }
  return FWX_SLOTS_OK;
}

static void put(sink_t *k, const void *data, uint32_t n) {
  const uint8_t *p = (const uint8_t *)data;
  k->crc = fwx_crc32(k->crc, p, n);
  k->count += n;
  if (k->mode != SINK_FLASH) return;
  while (n > 0 && k->err == FWX_SLOTS_OK) {
    uint32_t take = FWX_SJ_PIECE - k->fill;
    if (take > n) take = n;
    memcpy(k->buf + k->fill, p, take);
    k->fill += take;
    p += take;
    n -= take;
    if (k->fill == FWX_SJ_PIECE) {
      k->err = fwx_sj_program(k->s, k->addr, k->buf, FWX_SJ_PIECE);
      k->addr += FWX_SJ_PIECE;
      k->fill = 0;
    }
  }
}

static void put_u8(sink_t *k, uint8_t v) {
  put(k, &v, 1);
}
static void put_u16(sink_t *k, uint16_t v) {
  uint8_t b[2];
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
  put(k, b, 2);
}
static void put_u32(sink_t *k, uint32_t v) {
  uint8_t b[4];
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
  b[2] = (uint8_t)(v >> 16);
  b[3] = (uint8_t)(v >> 24);
  put(k, b, 4);
}
static void put_u64(sink_t *k, uint64_t v) {
  put_u32(k, (uint32_t)v);
  put_u32(k, (uint32_t)(v >> 32));
}

/* Pads to the write size with 0xFF and programs what is buffered. */
static void sink_end(sink_t *k) {
  uint32_t g = k->s->granule;
  while (k->count % g != 0) {
    k->count++;
    if (k->mode == SINK_FLASH) k->buf[k->fill++] = FWX_FLASH_ERASED;
  }
  if (k->mode == SINK_FLASH && k->fill > 0 && k->err == FWX_SLOTS_OK) {
    k->err = fwx_sj_program(k->s, k->addr, k->buf, k->fill);
    k->addr += k->fill;
    k->fill = 0;
  }
}

/* -------------------------------------------------------------- sources */

typedef struct source {
  fwx_slots_t *s;
  uint32_t addr, end;
  int32_t err;
} source_t;

static void get(source_t *r, void *dst, uint32_t n) {
  if (r->err != FWX_SLOTS_OK) {
    memset(dst, 0, n);
    return;
  }
  if (n > r->end - r->addr) {
    r->err = FWX_SLOTS_E_CORRUPT;
    memset(dst, 0, n);
    return;
  }
  r->err = fwx_sj_read(r->s, r->addr, dst, n);
  r->addr += n;
}
static uint8_t get_u8(source_t *r) {
  uint8_t v;
  get(r, &v, 1);
  return v;
}
static uint16_t get_u16(source_t *r) {
  uint8_t b[2];
  get(r, b, 2);
  return (uint16_t)(b[0] | (b[1] << 8));
}
static uint32_t le32(const uint8_t *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}
static uint32_t get_u32(source_t *r) {
  uint8_t b[4];
  get(r, b, 4);
  return le32(b);
}
static uint64_t get_u64(source_t *r) {
  uint64_t lo = get_u32(r);
  uint64_t hi = get_u32(r);
  return lo | (hi << 32);
}

/* ---------------------------------------------------------- state codec */

/* One function walks the state for both directions, so the two can never disagree. */
static void ser_state(sink_t *k, const fwx_slots_state_t *st, int internal) {
  uint32_t i, j;
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    const fwx_slots_module_t *m = &st->modules[i];
    put_u8(k, m->used);
    put(k, m->name, sizeof m->name);
    put_u8(k, m->confirmed);
    put_u8(k, m->trial);
    put_u8(k, m->trial_boots);
    put_u8(k, m->trial_has_session);
    put_u16(k, m->trial_session);
    for (j = 0; j < 2; j++) {
      put_u8(k, m->slot[j].present);
      put_u32(k, m->slot[j].size);
      put_u64(k, m->slot[j].sequence);
      put_u64(k, m->slot[j].verified_at_ms);
      put(k, m->slot[j].sha256, 32);
      put(k, m->slot[j].version, sizeof m->slot[j].version);
    }
    put_u16(k, m->config_len);
  }
  put(k, st->config, FWX_SLOTS_CONFIG_POOL);
  for (i = 0; i < FWX_SLOTS_MAX_FLOORS; i++) {
    put_u8(k, st->floors[i].used);
    put(k, st->floors[i].name, sizeof st->floors[i].name);
    put_u64(k, st->floors[i].floor);
  }
  put_u8(k, st->transfer.active);
  put_u8(k, st->transfer.module);
  put_u8(k, st->transfer.slot);
  put_u32(k, st->transfer.size);
  put_u32(k, st->transfer.acked);
  put(k, st->transfer.sha256, 32);
  put_u32(k, st->transfer.gen);
  put_u8(k, st->transfer.tail_len);
  put(k, st->transfer.tail, FWX_SLOTS_MAX_WRITE);
  put_u16(k, st->transfer.meta_len);
  put(k, st->transfer.meta, FWX_SLOTS_META_MAX);
  put_u8(k, st->verdict.present);
  put_u8(k, st->verdict.phase);
  put_u8(k, st->verdict.has_session);
  put_u16(k, st->verdict.session);
  put_u64(k, st->verdict.sequence);
  put(k, st->verdict.package, 32);
  put(k, st->verdict.module, sizeof st->verdict.module);
  put(k, st->verdict.version, sizeof st->verdict.version);
  put(k, st->verdict.text, sizeof st->verdict.text);
  if (internal) {
    put_u8(k, st->repair.active);
    put_u8(k, st->repair.module);
    put_u8(k, st->repair.slot);
    put_u32(k, st->repair.sector);
    put_u32(k, st->repair.len);
    put_u32(k, st->repair.crc);
  }
}

static void de_state(source_t *r, fwx_slots_state_t *st) {
  uint32_t i, j;
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    fwx_slots_module_t *m = &st->modules[i];
    m->used = get_u8(r);
    get(r, m->name, sizeof m->name);
    m->confirmed = get_u8(r);
    m->trial = get_u8(r);
    m->trial_boots = get_u8(r);
    m->trial_has_session = get_u8(r);
    m->trial_session = get_u16(r);
    for (j = 0; j < 2; j++) {
      m->slot[j].present = get_u8(r);
      m->slot[j].size = get_u32(r);
      m->slot[j].sequence = get_u64(r);
      m->slot[j].verified_at_ms = get_u64(r);
      get(r, m->slot[j].sha256, 32);
      get(r, m->slot[j].version, sizeof m->slot[j].version);
    }
    m->config_len = get_u16(r);
  }
  get(r, st->config, FWX_SLOTS_CONFIG_POOL);
  for (i = 0; i < FWX_SLOTS_MAX_FLOORS; i++) {
    st->floors[i].used = get_u8(r);
    get(r, st->floors[i].name, sizeof st->floors[i].name);
    st->floors[i].floor = get_u64(r);
  }
  st->transfer.active = get_u8(r);
  st->transfer.module = get_u8(r);
  st->transfer.slot = get_u8(r);
  st->transfer.size = get_u32(r);
  st->transfer.acked = get_u32(r);
  get(r, st->transfer.sha256, 32);
  st->transfer.gen = get_u32(r);
  st->transfer.tail_len = get_u8(r);
  get(r, st->transfer.tail, FWX_SLOTS_MAX_WRITE);
  st->transfer.meta_len = get_u16(r);
  get(r, st->transfer.meta, FWX_SLOTS_META_MAX);
  st->verdict.present = get_u8(r);
  st->verdict.phase = get_u8(r);
  st->verdict.has_session = get_u8(r);
  st->verdict.session = get_u16(r);
  st->verdict.sequence = get_u64(r);
  get(r, st->verdict.package, 32);
  get(r, st->verdict.module, sizeof st->verdict.module);
  get(r, st->verdict.version, sizeof st->verdict.version);
  get(r, st->verdict.text, sizeof st->verdict.text);
  st->repair.active = get_u8(r);
  st->repair.module = get_u8(r);
  st->repair.slot = get_u8(r);
  st->repair.sector = get_u32(r);
  st->repair.len = get_u32(r);
  st->repair.crc = get_u32(r);
}

/* ------------------------------------------------------------ validation */

static int name_char(char c, int first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return 1;
  return !first && (c == '.' || c == '_' || c == '-');
}

/* Length of a valid module id held in a NUL-terminated buffer of cap bytes, or 0. */
uint32_t fwx_sj_name_len(const char *n, uint32_t cap) {
  uint32_t i;
  for (i = 0; i < cap && n[i] != '\0'; i++)
    if (!name_char(n[i], i == 0)) return 0;
  return i < cap ? i : 0;
}

/* A NUL within cap bytes; the bytes after it zeroed (one canonical form). */
int fwx_sj_terminate(char *t, uint32_t cap) {
  uint32_t i;
  for (i = 0; i < cap; i++)
    if (t[i] == '\0') {
      memset(t + i, 0, cap - i);
      return 1;
    }
  return 0;
}

uint32_t fwx_sj_region_size(uint32_t module) {
  return module == FWX_SLOTS_STAGING ? FWX_SLOTS_STAGING_BYTES : FWX_SLOTS_SLOT_BYTES;
}

int fwx_sj_floor_index(const fwx_slots_state_t *st, const char *name) {
  uint32_t i;
  for (i = 0; i < FWX_SLOTS_MAX_FLOORS; i++)
    if (st->floors[i].used && strcmp(st->floors[i].name, name) == 0) return (int)i;
  return -1;
}

uint32_t fwx_sj_config_at(const fwx_slots_state_t *st, uint32_t index) {
  uint32_t i, n = 0;
  for (i = 0; i < index; i++) n += st->modules[i].config_len;
  return n;
}

void fwx_sj_config_splice(fwx_slots_state_t *st, uint32_t index, const uint8_t *blob, uint32_t len) {
  uint32_t off = fwx_sj_config_at(st, index), used = fwx_sj_config_at(st, FWX_SLOTS_MAX_MODULES), old = st->modules[index].config_len;
  /* The blobs after it move once; the bytes freed at the end are zeroed (the pool's canonical form). */
  memmove(st->config + off + len, st->config + off + old, used - off - old);
  if (len) memcpy(st->config + off, blob, len);
  if (len < old) memset(st->config + used - old + len, 0, old - len);
  st->modules[index].config_len = (uint16_t)len;
}

/* Checks every field of a state read from flash and zeroes what an unused
 * field may hold, so equal states serialise to equal bytes. 1 when sane. */
static int validate(fwx_slots_t *s, fwx_slots_state_t *st) {
  uint32_t i, j, used = 0;
  /* The pool's layout first: every length as recorded, before unused records give theirs up. */
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    if (st->modules[i].config_len > FWX_SLOTS_CONFIG_MAX) return 0;
    used += st->modules[i].config_len;
  }
  if (used > FWX_SLOTS_CONFIG_POOL) return 0;
  memset(st->config + used, 0, FWX_SLOTS_CONFIG_POOL - used);
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    fwx_slots_module_t *m = &st->modules[i];
    if (m->used > 1) return 0;
    if (!m->used) {
      fwx_sj_config_splice(st, i, NULL, 0);
      memset(m, 0, sizeof *m);
      continue;
    }
    if (!fwx_sj_terminate(m->name, sizeof m->name) || fwx_sj_name_len(m->name, sizeof m->name) == 0) return 0;
    for (j = 0; j < i; j++)
      if (st->modules[j].used && strcmp(st->modules[j].name, m->name) == 0) return 0;
    if (m->confirmed > FWX_SLOT_NONE || m->trial > FWX_SLOT_NONE || m->trial_has_session > 1) return 0;
    for (j = 0; j < 2; j++) {
      fwx_slots_slot_t *sl = &m->slot[j];
      if (sl->present > 1) return 0;
      if (!sl->present) memset(sl, 0, sizeof *sl);
      else if (sl->size == 0 || sl->size > FWX_SLOTS_SLOT_BYTES || !fwx_sj_terminate(sl->version, sizeof sl->version)) return 0;
    }
    if (m->confirmed != FWX_SLOT_NONE && !m->slot[m->confirmed].present) return 0;
    if (m->trial != FWX_SLOT_NONE && (!m->slot[m->trial].present || m->trial == m->confirmed || m->trial_boots == 0)) return 0;
    if (m->trial == FWX_SLOT_NONE) {
      m->trial_boots = 0;
      m->trial_has_session = 0;
      m->trial_session = 0;
    }
  }
  for (i = 0; i < FWX_SLOTS_MAX_FLOORS; i++) {
    fwx_slots_floor_t *f = &st->floors[i];
    if (f->used > 1) return 0;
    if (!f->used) {
      memset(f, 0, sizeof *f);
      continue;
    }
    if (!fwx_sj_terminate(f->name, sizeof f->name) || fwx_sj_name_len(f->name, sizeof f->name) == 0) return 0;
    for (j = 0; j < i; j++)
      if (st->floors[j].used && strcmp(st->floors[j].name, f->name) == 0) return 0;
  }
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++)
    if (st->modules[i].used && fwx_sj_floor_index(st, st->modules[i].name) < 0) return 0;
  {
    fwx_slots_transfer_t *t = &st->transfer;
    if (t->active > 1) return 0;
    if (!t->active) {
      uint32_t gen = t->gen;
      memset(t, 0, sizeof *t);
      t->gen = gen;
    } else {
      if (t->module == FWX_SLOTS_STAGING) {
        if (FWX_SLOTS_STAGING_BYTES == 0) return 0;
        t->slot = 0;
      } else {
        const fwx_slots_module_t *m;
        if (t->module >= FWX_SLOTS_MAX_MODULES || t->slot > FWX_SLOT_B) return 0;
        m = &st->modules[t->module];
        if (!m->used || m->slot[t->slot].present || m->confirmed == t->slot) return 0;
      }
      if (t->size == 0 || t->size > fwx_sj_region_size(t->module) || t->acked > t->size) return 0;
      if (t->tail_len != t->acked % s->granule) return 0;
      memset(t->tail + t->tail_len, 0, FWX_SLOTS_MAX_WRITE - t->tail_len);
      if (t->meta_len > FWX_SLOTS_META_MAX) return 0;
      memset(t->meta + t->meta_len, 0, FWX_SLOTS_META_MAX - t->meta_len);
    }
  }
  {
    fwx_slots_verdict_t *v = &st->verdict;
    if (v->present > 1) return 0;
    if (!v->present) memset(v, 0, sizeof *v);
    else if (v->has_session > 1 || v->phase < FWX_SLOTS_PHASE_CONFIRMED || v->phase > FWX_SLOTS_PHASE_FAILED ||
             !fwx_sj_terminate(v->module, sizeof v->module) || !fwx_sj_terminate(v->version, sizeof v->version) ||
             !fwx_sj_terminate(v->text, sizeof v->text))
      return 0;
  }
  {
    fwx_slots_repair_t *p = &st->repair;
    const fwx_slots_transfer_t *t = &st->transfer;
    if (p->active > 1) return 0;
    if (!p->active) memset(p, 0, sizeof *p);
    else if (!t->active || p->module != t->module || p->slot != t->slot || p->sector % s->sector != 0 || p->len == 0 ||
             p->len >= s->sector || p->len % s->granule != 0 || p->sector > t->acked - t->tail_len ||
             p->len > t->acked - t->tail_len - p->sector)
      return 0;
  }
  return 1;
}

/* --------------------------------------------------------------- layout */

static uint32_t round_up(uint32_t v, uint32_t g) {
  return (v + g - 1u) / g * g;
}

static uint32_t bank_off(uint8_t b) {
  return b ? FWX_SLOTS_BANK_BYTES : 0u;
}

uint32_t fwx_sj_region_base(const fwx_slots_t *s, uint32_t module, uint32_t slot) {
  if (module == FWX_SLOTS_STAGING) return s->staging_off;
  return s->slots_off + (2u * module + slot) * FWX_SLOTS_SLOT_BYTES;
}

int32_t fwx_sj_layout(fwx_slots_t *s, const fwx_flash_port_t *port) {
  uint64_t need;
  uint32_t g;
  sink_t k;
  memset(s, 0, sizeof *s);
  if (port == NULL || port->read == NULL || port->program == NULL || port->erase == NULL) return FWX_SLOTS_E_ARG;
  s->port = port;
  g = port->write_size;
  if (g == 0 || g > FWX_SLOTS_MAX_WRITE || (g & (g - 1u)) != 0) return FWX_SLOTS_E_LAYOUT;
  if (port->sector_size < FWX_SJ_PIECE || port->sector_size % FWX_SJ_PIECE != 0) return FWX_SLOTS_E_LAYOUT;
  if (FWX_SLOTS_BANK_BYTES % port->sector_size != 0 || FWX_SLOTS_SLOT_BYTES % port->sector_size != 0 ||
      FWX_SLOTS_STAGING_BYTES % port->sector_size != 0 || FWX_SLOTS_SLOT_BYTES == 0)
    return FWX_SLOTS_E_LAYOUT;
  s->sector = port->sector_size;
  s->granule = g;
  s->spare_off = 2u * FWX_SLOTS_BANK_BYTES;
  s->staging_off = s->spare_off + s->sector;
  s->slots_off = s->staging_off + FWX_SLOTS_STAGING_BYTES;
  need = (uint64_t)s->slots_off + 2ull * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES;
  if (need > port->size) return FWX_SLOTS_E_LAYOUT;
  memset(&k, 0, sizeof k);
  k.s = s;
  k.mode = SINK_COUNT;
  ser_state(&k, &s->st, 1);
  s->snapshot_payload = k.count;
  s->snapshot_len = round_up(HDR + k.count + 4u, g);
  /* Two snapshots per bank at least, so acks and the next snapshot fit without a switch each time. */
  if (2u * s->snapshot_len > FWX_SLOTS_BANK_BYTES) return FWX_SLOTS_E_LAYOUT;
  return FWX_SLOTS_OK;
}

/* --------------------------------------------------------------- journal */

typedef struct entry {
  uint8_t type;
  uint32_t len;   /* payload bytes */
  uint32_t seq;
  uint32_t total; /* bytes in the bank, padding included */
} entry_t;

/* Reads the entry at bank offset off and checks its CRC. 1 when whole. */
static int read_entry(fwx_slots_t *s, uint8_t bank, uint32_t off, entry_t *e) {
  uint8_t h[HDR];
  uint8_t buf[FWX_SJ_PIECE];
  uint32_t base = bank_off(bank) + off, room = FWX_SLOTS_BANK_BYTES - off, crc, at, left;
  if (room < HDR + 4u || fwx_sj_read(s, base, h, HDR) != FWX_SLOTS_OK) return 0;
  if (le32(h) != MAGIC || h[5] != 0 || h[6] != 0 || h[7] != 0) return 0;
  e->type = h[4];
  e->len = le32(h + 8);
  e->seq = le32(h + 12);
  if (e->type == T_SNAPSHOT) {
    if (e->len != s->snapshot_payload) return 0;
  } else if (e->type == T_ACK) {
    if (e->len < ACK_FIXED || e->len > ACK_FIXED + FWX_SLOTS_META_MAX) return 0;
  } else {
    return 0;
  }
  if (e->len > room - HDR - 4u) return 0;
  e->total = round_up(HDR + e->len + 4u, s->granule);
  if (e->total > room) return 0;
  crc = fwx_crc32(0, h, HDR);
  at = base + HDR;
  left = e->len;
  while (left > 0) {
    uint32_t n = left < FWX_SJ_PIECE ? left : FWX_SJ_PIECE;
    if (fwx_sj_read(s, at, buf, n) != FWX_SLOTS_OK) return 0;
    crc = fwx_crc32(crc, buf, n);
    at += n;
    left -= n;
  }
  if (fwx_sj_read(s, at, buf, 4) != FWX_SLOTS_OK) return 0;
  return le32(buf) == crc;
}

typedef struct chain {
  int ok;             /* the bank starts with a whole snapshot */
  uint32_t first_seq; /* its sequence */
  uint32_t last_seq;
  uint32_t end;       /* bank offset after the last whole entry */
} chain_t;

static void scan(fwx_slots_t *s, uint8_t bank, chain_t *c) {
  entry_t e;
  uint32_t off = 0;
  memset(c, 0, sizeof *c);
  while (read_entry(s, bank, off, &e)) {
    if (off == 0) {
      if (e.type != T_SNAPSHOT) break;
      c->ok = 1;
      c->first_seq = e.seq;
    } else if (e.seq != c->last_seq + 1u) {
      break;
    }
    c->last_seq = e.seq;
    off += e.total;
  }
  c->end = off;
}

int fwx_sj_region_erased(fwx_slots_t *s, uint32_t off, uint32_t len) {
  uint8_t buf[FWX_SJ_PIECE];
  while (len > 0) {
    uint32_t n = len < FWX_SJ_PIECE ? len : FWX_SJ_PIECE, i;
    if (fwx_sj_read(s, off, buf, n) != FWX_SLOTS_OK) return 0;
    for (i = 0; i < n; i++)
      if (buf[i] != FWX_FLASH_ERASED) return 0;
    off += n;
    len -= n;
  }
  return 1;
}

static int parse_snapshot(fwx_slots_t *s, uint8_t bank, uint32_t off, const entry_t *e) {
  source_t r;
  r.s = s;
  r.addr = bank_off(bank) + off + HDR;
  r.end = r.addr + e->len;
  r.err = FWX_SLOTS_OK;
  de_state(&r, &s->st);
  return r.err == FWX_SLOTS_OK && r.addr == r.end && validate(s, &s->st);
}

/* Applies an ack entry to the transfer; 0 (nothing changed) when it does not fit the state. */
static int apply_ack(fwx_slots_t *s, uint8_t bank, uint32_t off, const entry_t *e) {
  fwx_slots_transfer_t *t = &s->st.transfer;
  source_t r;
  uint32_t gen, acked;
  uint8_t tail_len, has_meta, tail[FWX_SLOTS_MAX_WRITE];
  uint16_t meta_len;
  r.s = s;
  r.addr = bank_off(bank) + off + HDR;
  r.end = r.addr + e->len;
  r.err = FWX_SLOTS_OK;
  gen = get_u32(&r);
  acked = get_u32(&r);
  tail_len = get_u8(&r);
  get(&r, tail, FWX_SLOTS_MAX_WRITE);
  has_meta = get_u8(&r);
  meta_len = get_u16(&r);
  if (r.err != FWX_SLOTS_OK || !t->active || s->st.repair.active || gen != t->gen || acked < t->acked || acked > t->size ||
      tail_len != acked % s->granule || has_meta > 1 || meta_len > FWX_SLOTS_META_MAX ||
      e->len != ACK_FIXED + (has_meta ? meta_len : 0u))
    return 0;
  if (has_meta) {
    get(&r, t->meta, meta_len);
    if (r.err != FWX_SLOTS_OK) return 0;
    t->meta_len = meta_len;
    memset(t->meta + meta_len, 0, FWX_SLOTS_META_MAX - meta_len);
  }
  t->acked = acked;
  t->tail_len = tail_len;
  memcpy(t->tail, tail, FWX_SLOTS_MAX_WRITE);
  memset(t->tail + tail_len, 0, FWX_SLOTS_MAX_WRITE - tail_len);
  return 1;
}

/* The newest valid state of one bank: its newest snapshot that checks out,
 * then the acks after it. *clean is cleared when anything was passed over
 * (new entries must then not follow it: the next commit starts a fresh bank). */
static int load_bank(fwx_slots_t *s, uint8_t bank, const chain_t *c, int *clean) {
  uint32_t limit = c->end;
  for (;;) {
    entry_t e;
    uint32_t off = 0, snap = 0, at;
    int found = 0;
    while (off < limit && read_entry(s, bank, off, &e)) {
      if (e.type == T_SNAPSHOT) {
        snap = off;
        found = 1;
      }
      off += e.total;
    }
    if (!found) return 0;
    if (!read_entry(s, bank, snap, &e) || !parse_snapshot(s, bank, snap, &e)) {
      *clean = 0;
      limit = snap;
      continue;
    }
    at = snap + e.total;
    while (at < c->end && read_entry(s, bank, at, &e)) {
      if (e.type != T_ACK || !apply_ack(s, bank, at, &e)) {
        *clean = 0;
        break;
      }
      at += e.total;
    }
    return 1;
  }
}

int32_t fwx_sj_load(fwx_slots_t *s) {
  chain_t c[2];
  uint8_t order[2];
  uint32_t k;
  scan(s, 0, &c[0]);
  scan(s, 1, &c[1]);
  order[0] = (c[1].ok && (!c[0].ok || c[1].first_seq > c[0].first_seq)) ? 1u : 0u;
  order[1] = (uint8_t)(1u - order[0]);
  for (k = 0; k < 2; k++) {
    uint8_t b = order[k];
    int clean = 1;
    if (!c[b].ok) continue;
    memset(&s->st, 0, sizeof s->st);
    if (!load_bank(s, b, &c[b], &clean)) continue;
    s->bank = b;
    s->cursor = c[b].end;
    /* The next entry continues this bank's chain (whatever a damaged other bank claims); a switch
     * erases that bank first, and this number still exceeds everything this bank holds. */
    s->seq = c[b].last_seq + 1u;
    s->must_switch = (uint8_t)(!clean || k != 0 ||
                               !fwx_sj_region_erased(s, bank_off(b) + c[b].end, FWX_SLOTS_BANK_BYTES - c[b].end));
    return FWX_SLOTS_OK;
  }
  memset(&s->st, 0, sizeof s->st);
  if (fwx_sj_region_erased(s, 0, 2u * FWX_SLOTS_BANK_BYTES)) {
    s->bank = 0;
    s->cursor = 0;
    s->must_switch = 0;
    s->seq = 1;
    return FWX_SLOTS_OK;
  }
  return s->flash_error ? FWX_SLOTS_E_FLASH : FWX_SLOTS_E_CORRUPT;
}

static void entry_header(sink_t *k, uint8_t type, uint32_t len, uint32_t seq) {
  put_u32(k, MAGIC);
  put_u8(k, type);
  put_u8(k, 0);
  put_u16(k, 0);
  put_u32(k, len);
  put_u32(k, seq);
}

static void sink_flash(sink_t *k, fwx_slots_t *s) {
  memset(k, 0, sizeof *k);
  k->s = s;
  k->mode = SINK_FLASH;
  k->addr = bank_off(s->bank) + s->cursor;
}

/* Starts the other bank when needed: erased (its sectors one by one), so the current bank keeps the state until the new snapshot is whole. */
static int32_t make_room(fwx_slots_t *s, uint32_t need) {
  uint32_t off;
  if (!s->must_switch && s->cursor + need <= FWX_SLOTS_BANK_BYTES) return FWX_SLOTS_OK;
  s->bank = (uint8_t)(1u - s->bank);
  s->cursor = 0;
  for (off = 0; off < FWX_SLOTS_BANK_BYTES; off += s->sector)
    if (fwx_sj_erase(s, bank_off(s->bank) + off) != FWX_SLOTS_OK) return FWX_SLOTS_E_FLASH;
  s->must_switch = 0;
  return FWX_SLOTS_OK;
}

static int32_t finish_entry(fwx_slots_t *s, sink_t *k) {
  uint32_t crc = k->crc;
  put_u32(k, crc);
  sink_end(k);
  if (k->err != FWX_SLOTS_OK) return k->err;
  s->cursor += k->count;
  s->seq++;
  return sync_port(s);
}

int32_t fwx_sj_commit(fwx_slots_t *s) {
  sink_t k;
  int32_t r = sync_port(s);
  if (r == FWX_SLOTS_OK) r = make_room(s, s->snapshot_len);
  if (r == FWX_SLOTS_OK) {
    sink_flash(&k, s);
    entry_header(&k, T_SNAPSHOT, s->snapshot_payload, s->seq);
    ser_state(&k, &s->st, 1);
    r = finish_entry(s, &k);
  }
  if (r != FWX_SLOTS_OK) s->open = 0;
  return r;
}

int32_t fwx_sj_commit_ack(fwx_slots_t *s, int with_meta) {
  const fwx_slots_transfer_t *t = &s->st.transfer;
  uint32_t len = ACK_FIXED + (with_meta ? t->meta_len : 0u);
  uint32_t need = round_up(HDR + len + 4u, s->granule);
  sink_t k;
  int32_t r;
  if (s->must_switch || s->cursor + need > FWX_SLOTS_BANK_BYTES) return fwx_sj_commit(s);
  r = sync_port(s);
  if (r == FWX_SLOTS_OK) {
    sink_flash(&k, s);
    entry_header(&k, T_ACK, len, s->seq);
    put_u32(&k, t->gen);
    put_u32(&k, t->acked);
    put_u8(&k, t->tail_len);
    put(&k, t->tail, FWX_SLOTS_MAX_WRITE);
    put_u8(&k, (uint8_t)(with_meta ? 1 : 0));
    put_u16(&k, with_meta ? t->meta_len : 0u);
    if (with_meta) put(&k, t->meta, t->meta_len);
    r = finish_entry(s, &k);
  }
  if (r != FWX_SLOTS_OK) s->open = 0;
  return r;
}

uint32_t fwx_slots_digest(const fwx_slots_t *s) {
  sink_t k;
  memset(&k, 0, sizeof k);
  k.mode = SINK_CRC;
  ser_state(&k, &s->st, 0);
  return k.crc;
}
