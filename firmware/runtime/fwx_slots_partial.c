#include "fwx_slots_partial.h"

#include <string.h>

#include "fwx_slots.h"

int fwx_slots_partial_open(void *ctx, uint32_t size) {
  fwx_slots_t *s = (fwx_slots_t *)ctx;
  if (fwx_slots_transfer_abort(s) != FWX_SLOTS_OK) return -1;
  return fwx_slots_transfer_begin(s, NULL, size, NULL, NULL, 0) == FWX_SLOTS_OK ? 0 : -1;
}

int fwx_slots_partial_write(void *ctx, uint32_t offset, const uint8_t *data, size_t n) {
  if (n > UINT32_MAX) return -1;
  return fwx_slots_transfer_write((fwx_slots_t *)ctx, offset, data, (uint32_t)n) == FWX_SLOTS_OK ? 0 : -1;
}

int fwx_slots_partial_read(void *ctx, uint32_t offset, uint8_t *out, size_t n) {
  if (n > UINT32_MAX) return -1;
  return fwx_slots_read((fwx_slots_t *)ctx, FWX_SLOTS_STAGING, 0, offset, out, (uint32_t)n) == FWX_SLOTS_OK ? 0 : -1;
}

int fwx_slots_partial_sync(void *ctx) {
  (void)ctx;
  return 0;
}

int fwx_slots_partial_save_meta(void *ctx, const char *json, size_t n) {
  if (n > FWX_SLOTS_META_MAX) return -1;
  return fwx_slots_transfer_ack((fwx_slots_t *)ctx, (const uint8_t *)json, (uint32_t)n) == FWX_SLOTS_OK ? 0 : -1;
}

long fwx_slots_partial_load_meta(void *ctx, char *json, size_t cap) {
  const fwx_slots_transfer_t *t = fwx_slots_transfer((const fwx_slots_t *)ctx);
  if (t == NULL || cap == 0 || t->meta_len >= cap) return -1;
  memcpy(json, t->meta, t->meta_len);
  json[t->meta_len] = '\0';
  return (long)t->meta_len;
}

uint32_t fwx_slots_partial_stored(void *ctx) {
  return fwx_slots_transfer_written((const fwx_slots_t *)ctx);
}

void fwx_slots_partial_discard(void *ctx) {
  (void)fwx_slots_transfer_abort((fwx_slots_t *)ctx);
}
