#define _POSIX_C_SOURCE 200809L
#include "fwx_posix_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* FWX_CRASH_AT=<point>[#n]: die by SIGKILL the n-th time <point> is reached (as `fwx agent` does). */
void fwx_posix_crash_point(const char *point);

static int path_of(const fwx_posix_store *s, char *out, size_t cap, const char *a, const char *b, const char *c) {
  int n = snprintf(out, cap, "%s/%s%s%s%s%s", s->dir, a, b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "");
  return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int sync_dir(const char *file) {
  char dir[600];
  const char *slash = strrchr(file, '/');
  int fd, rc;
  size_t n = slash ? (size_t)(slash - file) : 0;
  if (n == 0 || n >= sizeof dir) return 0;
  memcpy(dir, file, n);
  dir[n] = '\0';
  fd = open(dir, O_RDONLY);
  if (fd < 0) return -1;
  rc = fsync(fd);
  close(fd);
  return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n, off_t at) {
  while (n) {
    ssize_t w = pwrite(fd, p, n, at);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
    at += w;
  }
  return 0;
}

/* The one durable write: temp, fsync, rename, fsync of the directory. */
int fwx_posix_write_durable(const char *path, const uint8_t *bytes, size_t len, const char *crash_prefix) {
  char tmp[640];
  int fd;
  char point[80];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  if (write_all(fd, bytes, len, 0) != 0 || fsync(fd) != 0) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  if (crash_prefix) {
    (void)snprintf(point, sizeof point, "%s:temp-written", crash_prefix);
    fwx_posix_crash_point(point);
  }
  if (rename(tmp, path) != 0) return -1;
  if (crash_prefix) {
    (void)snprintf(point, sizeof point, "%s:renamed", crash_prefix);
    fwx_posix_crash_point(point);
  }
  return sync_dir(path);
}

static long read_file(const char *path, uint8_t *out, size_t cap) {
  int fd = open(path, O_RDONLY);
  size_t got = 0;
  if (fd < 0) return -1;
  while (got < cap) {
    ssize_t r = read(fd, out + got, cap - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  {
    uint8_t extra;
    if (got == cap && read(fd, &extra, 1) == 1) {
      close(fd);
      return -1; /* larger than the caller can hold: not trusted in part */
    }
  }
  close(fd);
  return (long)got;
}

static int mkdirs(const char *path) {
  char tmp[600];
  size_t i, n = strlen(path);
  if (n >= sizeof tmp) return -1;
  memcpy(tmp, path, n + 1);
  for (i = 1; i <= n; i++) {
    if (tmp[i] == '/' || tmp[i] == '\0') {
      char keep = tmp[i];
      tmp[i] = '\0';
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
      tmp[i] = keep;
    }
  }
  return 0;
}

/* ---- device store ---------------------------------------------------------------- */

static int write_slot(void *ctx, const char *module, int slot, const uint8_t *bytes, uint32_t len) {
  fwx_posix_store *s = ctx;
  char dir[600], path[640];
  if (path_of(s, dir, sizeof dir, "slots", module, NULL) != 0 || mkdirs(dir) != 0) return -1;
  if (snprintf(path, sizeof path, "%s/%s.fwx", dir, slot ? "B" : "A") >= (int)sizeof path) return -1;
  if (fwx_posix_write_durable(path, bytes, len, "slot") != 0) return -1;
  fwx_posix_crash_point("slot-written");
  return 0;
}

static long read_slot(void *ctx, const char *module, int slot, uint8_t *out, uint32_t cap) {
  fwx_posix_store *s = ctx;
  char path[640];
  if (path_of(s, path, sizeof path, "slots", module, slot ? "B.fwx" : "A.fwx") != 0) return -1;
  return read_file(path, out, cap);
}

static int save_state(void *ctx, const char *json, size_t len) {
  fwx_posix_store *s = ctx;
  char path[600];
  if (path_of(s, path, sizeof path, "device.json", NULL, NULL) != 0) return -1;
  return fwx_posix_write_durable(path, (const uint8_t *)json, len, "state");
}

static long load_state(void *ctx, char *json, size_t cap) {
  fwx_posix_store *s = ctx;
  char path[600];
  if (path_of(s, path, sizeof path, "device.json", NULL, NULL) != 0) return -1;
  return read_file(path, (uint8_t *)json, cap);
}

static void remove_module(void *ctx, const char *module) {
  fwx_posix_store *s = ctx;
  char path[640];
  if (path_of(s, path, sizeof path, "slots", module, "A.fwx") == 0) unlink(path);
  if (path_of(s, path, sizeof path, "slots", module, "B.fwx") == 0) unlink(path);
  if (path_of(s, path, sizeof path, "slots", module, NULL) == 0) {
    rmdir(path);
    (void)sync_dir(path);
  }
  /* The module's kv record stays, as the Node agent keeps kv/<module>.json: a later reinstall finds its data. */
}

static int save_kv(void *ctx, const char *module, const uint8_t *bytes, uint32_t len) {
  fwx_posix_store *s = ctx;
  char dir[600], path[640];
  if (path_of(s, dir, sizeof dir, "kv", NULL, NULL) != 0 || mkdirs(dir) != 0) return -1;
  if (snprintf(path, sizeof path, "%s/%s.kv", dir, module) >= (int)sizeof path) return -1;
  return fwx_posix_write_durable(path, bytes, len, NULL);
}

static long load_kv(void *ctx, const char *module, uint8_t *out, uint32_t cap) {
  fwx_posix_store *s = ctx;
  char path[640];
  if (snprintf(path, sizeof path, "%s/kv/%s.kv", s->dir, module) >= (int)sizeof path) return -1;
  return read_file(path, out, cap);
}

/* ---- partial download --------------------------------------------------------------- */

static int p_path(const fwx_posix_store *s, char *out, size_t cap, const char *name) {
  return path_of(s, out, cap, "partial", name, NULL);
}

static void p_close(fwx_posix_store *s) {
  if (s->partial_fd >= 0) close(s->partial_fd);
  s->partial_fd = -1;
}

static int p_open(void *ctx, uint32_t size) {
  fwx_posix_store *s = ctx;
  char path[600];
  (void)size;
  p_close(s);
  if (p_path(s, path, sizeof path, "transfer.bin") != 0) return -1;
  s->partial_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  return s->partial_fd >= 0 ? 0 : -1;
}

static int ensure_fd(fwx_posix_store *s) {
  char path[600];
  if (s->partial_fd >= 0) return 0;
  if (p_path(s, path, sizeof path, "transfer.bin") != 0) return -1;
  s->partial_fd = open(path, O_RDWR);
  return s->partial_fd >= 0 ? 0 : -1;
}

static int p_write(void *ctx, uint32_t offset, const uint8_t *data, size_t n) {
  fwx_posix_store *s = ctx;
  if (ensure_fd(s) != 0 || write_all(s->partial_fd, data, n, (off_t)offset) != 0) return -1;
  fwx_posix_crash_point("chunk-written");
  return 0;
}

static int p_read(void *ctx, uint32_t offset, uint8_t *out, size_t n) {
  fwx_posix_store *s = ctx;
  size_t got = 0;
  if (ensure_fd(s) != 0) return -1;
  while (got < n) {
    ssize_t r = pread(s->partial_fd, out + got, n - got, (off_t)(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int p_sync(void *ctx) {
  fwx_posix_store *s = ctx;
  if (ensure_fd(s) != 0) return -1;
  return fsync(s->partial_fd);
}

static int p_save_meta(void *ctx, const char *json, size_t n) {
  fwx_posix_store *s = ctx;
  char path[600];
  if (p_path(s, path, sizeof path, "transfer.json") != 0) return -1;
  if (fwx_posix_write_durable(path, (const uint8_t *)json, n, "partial-meta") != 0) return -1;
  fwx_posix_crash_point("ack-persisted");
  return 0;
}

static long p_load_meta(void *ctx, char *json, size_t cap) {
  fwx_posix_store *s = ctx;
  char path[600];
  if (p_path(s, path, sizeof path, "transfer.json") != 0) return -1;
  return read_file(path, (uint8_t *)json, cap);
}

static uint32_t p_stored(void *ctx) {
  fwx_posix_store *s = ctx;
  struct stat st;
  if (ensure_fd(s) != 0 || fstat(s->partial_fd, &st) != 0 || st.st_size < 0) return 0;
  return st.st_size > (off_t)0xffffffffu ? 0xffffffffu : (uint32_t)st.st_size;
}

static void p_discard(void *ctx) {
  fwx_posix_store *s = ctx;
  char path[600];
  p_close(s);
  if (p_path(s, path, sizeof path, "transfer.json") == 0) unlink(path);
  if (p_path(s, path, sizeof path, "transfer.bin") == 0) {
    unlink(path);
    (void)sync_dir(path);
  }
}

int fwx_posix_store_open(fwx_posix_store *s, const char *dir) {
  char path[600];
  memset(s, 0, sizeof *s);
  s->partial_fd = -1;
  if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir) return -1;
  if (mkdirs(dir) != 0) return -1;
  if (path_of(s, path, sizeof path, "partial", NULL, NULL) != 0 || mkdirs(path) != 0) return -1;
  if (path_of(s, path, sizeof path, "slots", NULL, NULL) != 0 || mkdirs(path) != 0) return -1;
  return 0;
}

void fwx_posix_store_ports(fwx_posix_store *s, fwx_device_store *store, fwx_ota_storage *partial) {
  store->ctx = s;
  store->write_slot = write_slot;
  store->read_slot = read_slot;
  store->save_state = save_state;
  store->load_state = load_state;
  store->remove_module = remove_module;
  store->save_kv = save_kv;
  store->load_kv = load_kv;
  partial->ctx = s;
  partial->open = p_open;
  partial->write = p_write;
  partial->read = p_read;
  partial->sync = p_sync;
  partial->save_meta = p_save_meta;
  partial->load_meta = p_load_meta;
  partial->stored = p_stored;
  partial->discard = p_discard;
}
