/* Applies a package delta (the format of src/ota/delta.ts) streaming: the
 * delta and the base are read through callbacks, the target is written
 * strictly in order through another, so an MCU rebuilds a package from its
 * confirmed slot into the inactive one with a small fixed buffer.
 *
 *   "FWXD" u8 version=1, uleb targetSize, uleb baseSize,
 *   then ops: 0x00 COPY zigzag(offset - end of previous copy), length
 *             0x01 INSERT length, bytes
 *
 * The delta comes off the network: every length is checked against the
 * declared target size (itself bounded by the caller's limit) and the base
 * size before anything is read or written. */
#ifndef FWX_DELTA_H
#define FWX_DELTA_H

#include <stddef.h>
#include <stdint.h>

typedef int (*fwx_delta_read_fn)(void *ctx, uint32_t offset, uint8_t *out, size_t n);
typedef int (*fwx_delta_write_fn)(void *ctx, uint32_t offset, const uint8_t *data, size_t n);

typedef struct fwx_delta_io {
  void *ctx;
  fwx_delta_read_fn read_delta; /* 0 on success */
  uint32_t delta_size;
  fwx_delta_read_fn read_base;
  uint32_t base_size;
  fwx_delta_write_fn write_target;
  uint32_t max_target; /* the device's transfer limit */
} fwx_delta_io;

typedef struct fwx_delta_result {
  uint32_t target_size;
  uint32_t at;        /* delta byte offset of the problem */
  char message[120];  /* empty on success */
} fwx_delta_result;

/* 0 when the target was written completely; -1 with result->message naming the delta byte offset. */
int fwx_delta_apply(const fwx_delta_io *io, fwx_delta_result *result);
/* Only the header: the target size (for a caller that must reserve room first). */
int fwx_delta_target_size(const fwx_delta_io *io, fwx_delta_result *result);

#endif
