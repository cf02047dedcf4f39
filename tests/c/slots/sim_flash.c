#include "sim_flash.h"

#include <stdio.h>
#include <string.h>

uint32_t sim_random(uint32_t *state) {
  uint32_t x = *state ? *state : 0x9E3779B9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

static void violation(sim_flash_t *f, const char *what, uint32_t off, uint32_t len) {
  f->violations++;
  if (f->violations == 1) snprintf(f->violation, sizeof f->violation, "%s at offset %u, %u bytes (op %llu)", what, off, len, (unsigned long long)f->ops);
}

static int32_t s_read(void *ctx, uint32_t off, void *dst, uint32_t len) {
  sim_flash_t *f = (sim_flash_t *)ctx;
  if (f->cut) return FWX_FLASH_E_POWER;
  if (off > f->port.size || len > f->port.size - off) {
    violation(f, "read out of bounds", off, len);
    return FWX_FLASH_E_BOUNDS;
  }
  memcpy(dst, f->mem + off, len);
  return FWX_FLASH_OK;
}

static int tear_now(sim_flash_t *f) {
  f->ops++;
  return f->cut_at != 0 && f->ops == f->cut_at;
}

static int32_t s_program(void *ctx, uint32_t off, const void *src, uint32_t len) {
  sim_flash_t *f = (sim_flash_t *)ctx;
  const uint8_t *in = (const uint8_t *)src;
  uint32_t i, stop = len;
  if (f->cut) return FWX_FLASH_E_POWER;
  if (off > f->port.size || len > f->port.size - off) {
    violation(f, "program out of bounds", off, len);
    return FWX_FLASH_E_BOUNDS;
  }
  if (off % f->port.write_size || len % f->port.write_size) {
    violation(f, "misaligned program", off, len);
    return FWX_FLASH_E_ALIGN;
  }
  for (i = 0; i < len; i++)
    if (f->mem[off + i] != 0xFF) {
      violation(f, "program over a non-erased byte", off + i, len);
      return FWX_FLASH_E_NOT_ERASED;
    }
  if (tear_now(f)) {
    stop = sim_random(&f->rng) % (len + 1u);
    for (i = 0; i < stop; i++) f->mem[off + i] &= in[i];
    if (stop < len) f->mem[off + stop] &= (uint8_t)(in[stop] | (uint8_t)sim_random(&f->rng));
    f->cut = 1;
    return FWX_FLASH_E_POWER;
  }
  for (i = 0; i < len; i++) f->mem[off + i] &= in[i];
  return FWX_FLASH_OK;
}

static int32_t s_erase(void *ctx, uint32_t off) {
  sim_flash_t *f = (sim_flash_t *)ctx;
  uint32_t n = f->port.sector_size, i;
  if (f->cut) return FWX_FLASH_E_POWER;
  if (off >= f->port.size || off % n) {
    violation(f, "misaligned or out-of-bounds erase", off, n);
    return FWX_FLASH_E_ALIGN;
  }
  if (tear_now(f)) {
    /* Three ways an erase is found half done: all random, erased up to a point then old, erased up to a point then random. */
    uint32_t mode = sim_random(&f->rng) % 3u, split = sim_random(&f->rng) % (n + 1u);
    for (i = 0; i < n; i++) {
      if (mode == 0) f->mem[off + i] = (uint8_t)sim_random(&f->rng);
      else if (i < split) f->mem[off + i] = 0xFF;
      else if (mode == 2) f->mem[off + i] = (uint8_t)sim_random(&f->rng);
    }
    f->cut = 1;
    return FWX_FLASH_E_POWER;
  }
  memset(f->mem + off, 0xFF, n);
  return FWX_FLASH_OK;
}

/* The RAM array is the flash as the CPU sees it (XIP): a pointer into it. */
static const uint8_t *s_map(void *ctx, uint32_t off, uint32_t len) {
  sim_flash_t *f = (sim_flash_t *)ctx;
  if (f->cut) return NULL;
  if (off > f->port.size || len > f->port.size - off) return NULL;
  return f->mem + off;
}

void sim_init(sim_flash_t *f, uint32_t size, uint32_t sector, uint32_t write_size) {
  memset(f, 0, sizeof *f);
  memset(f->mem, 0xFF, sizeof f->mem);
  f->port.ctx = f;
  f->port.size = size;
  f->port.sector_size = sector;
  f->port.write_size = write_size;
  f->port.read = s_read;
  f->port.program = s_program;
  f->port.erase = s_erase;
  f->port.sync = NULL;
  f->port.map = s_map;
}

void sim_cut_after(sim_flash_t *f, uint64_t n, uint32_t seed) {
  f->cut_at = n ? f->ops + n : 0;
  f->rng = seed * 2654435761u + 1u;
  f->cut = 0;
}

void sim_power_on(sim_flash_t *f) {
  f->cut = 0;
  f->cut_at = 0;
}
