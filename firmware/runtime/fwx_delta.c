#include "fwx_delta.h"

#include <string.h>

#include "fwx_text.h"
#include "fwx_wasm_read.h" /* the one varint reader of firmware/ */

#define OP_COPY 0x00u
#define OP_INSERT 0x01u
#define COPY_BUF 256u

typedef struct reader {
  const fwx_delta_io *io;
  uint32_t p;
  fwx_delta_result *r;
} reader;

static int fail(reader *rd, uint32_t at, const char *what) {
  fwx_text t;
  rd->r->at = at;
  fwx_text_init(&t, rd->r->message, sizeof rd->r->message);
  fwx_text_str(&t, "delta byte ");
  fwx_text_u64(&t, at);
  fwx_text_str(&t, ": ");
  fwx_text_str(&t, what);
  return -1;
}

static int byte_at(reader *rd, uint8_t *b) {
  if (rd->p >= rd->io->delta_size) return -1;
  if (rd->io->read_delta(rd->io->ctx, rd->p, b, 1) != 0) return -1;
  rd->p++;
  return 0;
}

/* Unsigned LEB128 fitting 32 bits, through the one varint reader (fwx_wasm_read.h) on the next 5 bytes at most. */
static int uleb(reader *rd, uint32_t *out, const char *what) {
  uint8_t b[5];
  fwx_cursor_t c;
  uint32_t at = rd->p, n = rd->p < rd->io->delta_size ? rd->io->delta_size - rd->p : 0u;
  char msg[64];
  fwx_text t;
  fwx_text_init(&t, msg, sizeof msg);
  if (n > sizeof b) n = sizeof b;
  if (n > 0 && rd->io->read_delta(rd->io->ctx, at, b, n) != 0) {
    fwx_text_str(&t, "cannot read ");
    fwx_text_str(&t, what);
    return fail(rd, at, msg);
  }
  c.bytes = b;
  c.pos = 0;
  c.end = n;
  c.error = FWX_READ_OK;
  c.error_at = 0;
  if (!fwx_read_u32(&c, out)) {
    if (c.error == FWX_READ_TRUNCATED) fwx_text_str(&t, "truncated ");
    fwx_text_str(&t, what);
    if (c.error != FWX_READ_TRUNCATED) fwx_text_str(&t, " is not a LEB128 number of 32 bits (5 bytes at most)");
    return fail(rd, at, msg);
  }
  rd->p += c.pos;
  return 0;
}

static int header(reader *rd, uint32_t *target, uint32_t *base) {
  uint8_t h[5];
  char msg[100];
  fwx_text t;
  fwx_text_init(&t, msg, sizeof msg);
  if (rd->io->delta_size < 5 || rd->io->read_delta(rd->io->ctx, 0, h, 5) != 0 || memcmp(h, "FWXD", 4) != 0)
    return fail(rd, 0, "delta does not start with FWXD");
  if (h[4] != 1) return fail(rd, 4, "delta format is not version 1");
  rd->p = 5;
  if (uleb(rd, target, "target size") != 0) return -1;
  if (*target > rd->io->max_target) {
    fwx_text_str(&t, "target size ");
    fwx_text_u64(&t, *target);
    fwx_text_str(&t, " exceeds the limit of ");
    fwx_text_u64(&t, rd->io->max_target);
    fwx_text_str(&t, " bytes");
    return fail(rd, 5, msg);
  }
  if (uleb(rd, base, "base size") != 0) return -1;
  if (*base != rd->io->base_size) {
    fwx_text_str(&t, "made against a ");
    fwx_text_u64(&t, *base);
    fwx_text_str(&t, "-byte base; the slot holds ");
    fwx_text_u64(&t, rd->io->base_size);
    fwx_text_str(&t, " bytes");
    return fail(rd, 5, msg);
  }
  return 0;
}

int fwx_delta_target_size(const fwx_delta_io *io, fwx_delta_result *result) {
  reader rd;
  uint32_t base;
  rd.io = io;
  rd.p = 0;
  rd.r = result;
  result->message[0] = '\0';
  return header(&rd, &result->target_size, &base);
}

int fwx_delta_apply(const fwx_delta_io *io, fwx_delta_result *result) {
  reader rd;
  uint32_t size, base, w = 0, last_copy_end = 0;
  uint8_t buf[COPY_BUF];
  rd.io = io;
  rd.p = 0;
  rd.r = result;
  result->message[0] = '\0';
  if (header(&rd, &size, &base) != 0) return -1;
  result->target_size = size;
  while (rd.p < io->delta_size) {
    uint32_t at = rd.p, len, done;
    uint8_t op;
    /* A failed read leaves `op` unset (or whatever the driver left): never decode it. */
    if (byte_at(&rd, &op) != 0) return fail(&rd, at, "delta read failed");
    if (op == OP_COPY) {
      uint32_t z;
      int64_t from;
      if (uleb(&rd, &z, "copy offset") != 0 || uleb(&rd, &len, "copy length") != 0) return -1;
      from = (int64_t)last_copy_end + ((z & 1u) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1));
      if (from < 0 || from + (int64_t)len > (int64_t)base) return fail(&rd, at, "copy is outside the base");
      if ((uint64_t)w + len > size) return fail(&rd, at, "copy runs past the target");
      for (done = 0; done < len;) {
        uint32_t n = len - done < COPY_BUF ? len - done : COPY_BUF;
        if (io->read_base(io->ctx, (uint32_t)from + done, buf, n) != 0) return fail(&rd, at, "base slot read failed");
        if (io->write_target(io->ctx, w, buf, n) != 0) return fail(&rd, at, "target write failed");
        w += n;
        done += n;
      }
      last_copy_end = (uint32_t)from + len;
    } else if (op == OP_INSERT) {
      if (uleb(&rd, &len, "insert length") != 0) return -1;
      if ((uint64_t)rd.p + len > io->delta_size) return fail(&rd, at, "insert runs past the end of the delta");
      if ((uint64_t)w + len > size) return fail(&rd, at, "insert runs past the target");
      for (done = 0; done < len;) {
        uint32_t n = len - done < COPY_BUF ? len - done : COPY_BUF;
        if (io->read_delta(io->ctx, rd.p, buf, n) != 0) return fail(&rd, at, "delta read failed");
        if (io->write_target(io->ctx, w, buf, n) != 0) return fail(&rd, at, "target write failed");
        rd.p += n;
        w += n;
        done += n;
      }
    } else {
      return fail(&rd, at, "unknown operation");
    }
  }
  if (w != size) {
    char msg[80];
    fwx_text t;
    fwx_text_init(&t, msg, sizeof msg);
    fwx_text_str(&t, "produced ");
    fwx_text_u64(&t, w);
    fwx_text_str(&t, " bytes; the header promises ");
    fwx_text_u64(&t, size);
    return fail(&rd, rd.p, msg);
  }
  return 0;
}
