#define _POSIX_C_SOURCE 200809L
#include "fwx_flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 4096u

static uint32_t next_random(fwx_flash_file_t *f) {
  /* xorshift32: the tear pattern is reproducible from the seed. */
  uint32_t x = f->seed ? f->seed : 0x9E3779B9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  f->seed = x;
  return x;
}

static int pread_all(int fd, uint8_t *dst, uint32_t len, uint32_t off) {
  while (len > 0) {
    ssize_t n = pread(fd, dst, len, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    dst += n;
    off += (uint32_t)n;
    len -= (uint32_t)n;
  }
  return 0;
}

static int pwrite_all(int fd, const uint8_t *src, uint32_t len, uint32_t off) {
  while (len > 0) {
    ssize_t n = pwrite(fd, src, len, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    src += n;
    off += (uint32_t)n;
    len -= (uint32_t)n;
  }
  return 0;
}

static int32_t f_read(void *ctx, uint32_t off, void *dst, uint32_t len) {
  fwx_flash_file_t *f = (fwx_flash_file_t *)ctx;
  if (f->cut) return FWX_FLASH_E_POWER;
  if (off > f->port.size || len > f->port.size - off) return FWX_FLASH_E_BOUNDS;
  /* Through the shared map when there is one: it shows every pwrite at once (one page cache), and a
   * read is then a copy, not a system call (the power-cut suites read millions of times). */
  if (f->mapped != NULL) {
    if (len > 0) memcpy(dst, f->mapped + off, len);
    return FWX_FLASH_OK;
  }
  return pread_all(f->fd, (uint8_t *)dst, len, off) == 0 ? FWX_FLASH_OK : FWX_FLASH_E_IO;
}

/* Counts an operation; 1 when this one is to be torn. */
static int cut_now(fwx_flash_file_t *f) {
  f->ops++;
  return f->cut_at != 0 && f->ops == f->cut_at;
}

static int32_t power_lost(fwx_flash_file_t *f, const char *what, uint32_t off) {
  (void)fsync(f->fd);
  if (f->cut_mode == FWX_FLASH_CUT_EXIT) {
    char line[160];
    int n = snprintf(line, sizeof line, "fwx_flash_file: power cut at operation %llu (%s at offset %lu)\n",
                     (unsigned long long)f->ops, what, (unsigned long)off);
    if (n > 0) (void)!write(2, line, (size_t)n);
    _exit(FWX_FLASH_CUT_EXIT_STATUS);
  }
  f->cut = 1;
  return FWX_FLASH_E_POWER;
}

static int32_t f_program(void *ctx, uint32_t off, const void *src, uint32_t len) {
  fwx_flash_file_t *f = (fwx_flash_file_t *)ctx;
  const uint8_t *in = (const uint8_t *)src;
  uint8_t buf[CHUNK];
  uint32_t done = 0, stop = len, partial = 0;
  int tear;
  if (f->cut) return FWX_FLASH_E_POWER;
  if (off > f->port.size || len > f->port.size - off) return FWX_FLASH_E_BOUNDS;
  if (off % f->port.write_size != 0 || len % f->port.write_size != 0) return FWX_FLASH_E_ALIGN;
  /* NOR: a word is programmed once between erases; anything else is a caller bug. */
  for (done = 0; done < len; done += CHUNK) {
    uint32_t n = len - done < CHUNK ? len - done : CHUNK, i;
    const uint8_t *now = buf;
    if (f->mapped != NULL) now = f->mapped + off + done;
    else if (pread_all(f->fd, buf, n, off + done) != 0) return FWX_FLASH_E_IO;
    for (i = 0; i < n; i++)
      if (now[i] != FWX_FLASH_ERASED) return FWX_FLASH_E_NOT_ERASED;
  }
  tear = cut_now(f);
  if (tear) {
    stop = len ? next_random(f) % len : 0; /* bytes before it land, the byte at it partly */
    partial = 1;
  }
  for (done = 0; done < stop; done += CHUNK) {
    uint32_t n = stop - done < CHUNK ? stop - done : CHUNK;
    if (pwrite_all(f->fd, in + done, n, off + done) != 0) return FWX_FLASH_E_IO;
  }
  if (tear) {
    if (partial && stop < len) {
      uint8_t b = (uint8_t)(in[stop] | (uint8_t)next_random(f));
      if (pwrite_all(f->fd, &b, 1, off + stop) != 0) return FWX_FLASH_E_IO;
    }
    return power_lost(f, "program", off);
  }
  return FWX_FLASH_OK;
}

static int32_t f_erase(void *ctx, uint32_t off) {
  fwx_flash_file_t *f = (fwx_flash_file_t *)ctx;
  uint8_t buf[CHUNK];
  uint32_t done;
  int tear;
  if (f->cut) return FWX_FLASH_E_POWER;
  if (off >= f->port.size) return FWX_FLASH_E_BOUNDS;
  if (off % f->port.sector_size != 0) return FWX_FLASH_E_ALIGN;
  tear = cut_now(f);
  for (done = 0; done < f->port.sector_size; done += CHUNK) {
    uint32_t n = f->port.sector_size - done < CHUNK ? f->port.sector_size - done : CHUNK, i;
    if (tear)
      for (i = 0; i < n; i++) buf[i] = (next_random(f) & 3u) == 0 ? FWX_FLASH_ERASED : (uint8_t)next_random(f);
    else
      memset(buf, FWX_FLASH_ERASED, n);
    if (pwrite_all(f->fd, buf, n, off + done) != 0) return FWX_FLASH_E_IO;
  }
  return tear ? power_lost(f, "erase", off) : FWX_FLASH_OK;
}

static const uint8_t *f_map(void *ctx, uint32_t off, uint32_t len) {
  fwx_flash_file_t *f = (fwx_flash_file_t *)ctx;
  if (f->cut || f->mapped == NULL) return NULL;
  if (off > f->port.size || len > f->port.size - off) return NULL;
  return f->mapped + off;
}

static int32_t f_sync(void *ctx) {
  fwx_flash_file_t *f = (fwx_flash_file_t *)ctx;
  if (f->cut) return FWX_FLASH_E_POWER;
  return fsync(f->fd) == 0 ? FWX_FLASH_OK : FWX_FLASH_E_IO;
}

int fwx_flash_file_open(fwx_flash_file_t *f, const char *path, uint32_t size, uint32_t sector_size, uint32_t write_size) {
  struct stat st;
  const char *cut;
  memset(f, 0, sizeof *f);
  f->fd = -1;
  if (sector_size == 0 || size % sector_size != 0 || write_size == 0 || sector_size % write_size != 0) {
    errno = EINVAL;
    return -1;
  }
  f->fd = open(path, O_RDWR | O_CREAT, 0644);
  if (f->fd < 0) return -1;
  if (fstat(f->fd, &st) != 0) goto fail;
  if ((uint64_t)st.st_size < size) {
    /* New flash is erased. */
    uint8_t buf[CHUNK];
    uint32_t at = (uint32_t)st.st_size;
    memset(buf, FWX_FLASH_ERASED, sizeof buf);
    while (at < size) {
      uint32_t n = size - at < CHUNK ? size - at : CHUNK;
      if (pwrite_all(f->fd, buf, n, at) != 0) goto fail;
      at += n;
    }
    if (fsync(f->fd) != 0) goto fail;
  }
  f->port.ctx = f;
  f->port.size = size;
  f->port.sector_size = sector_size;
  f->port.write_size = write_size;
  f->port.read = f_read;
  f->port.program = f_program;
  f->port.erase = f_erase;
  f->port.sync = f_sync;
  f->port.map = f_map;
  {
    /* Mapped once, after the file holds `size` bytes (a file that is longer keeps its tail unmapped). */
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, f->fd, 0);
    f->mapped = m == MAP_FAILED ? NULL : (const uint8_t *)m;
  }
  cut = getenv("FWX_FLASH_CUT_AT");
  if (cut != NULL && *cut != '\0') {
    char *end;
    unsigned long long n = strtoull(cut, &end, 10);
    unsigned long seed = 1;
    if (*end == ':') seed = strtoul(end + 1, &end, 10);
    if (*end != '\0' || n == 0) {
      errno = EINVAL;
      goto fail;
    }
    fwx_flash_file_cut_after(f, n, (uint32_t)seed, FWX_FLASH_CUT_EXIT);
  }
  return 0;
fail:
  {
    int e = errno;
    if (f->mapped != NULL) (void)munmap((void *)(uintptr_t)f->mapped, size);
    f->mapped = NULL;
    close(f->fd);
    f->fd = -1;
    errno = e;
  }
  return -1;
}

void fwx_flash_file_close(fwx_flash_file_t *f) {
  if (f->mapped != NULL) (void)munmap((void *)(uintptr_t)f->mapped, f->port.size);
  f->mapped = NULL;
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
}

void fwx_flash_file_cut_after(fwx_flash_file_t *f, uint64_t n, uint32_t seed, int mode) {
  f->cut_at = n ? f->ops + n : 0;
  f->seed = seed;
  f->cut_mode = n ? mode : FWX_FLASH_CUT_NONE;
  f->cut = 0;
}
