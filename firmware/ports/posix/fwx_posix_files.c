/* The POSIX device's files beside its flash image (fwx_posix_files.h). */
#define _POSIX_C_SOURCE 200809L
#include "fwx_posix_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int path_of(const fwx_posix_files *s, char *out, size_t cap, const char *a, const char *b, const char *c) {
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
static int write_durable(const char *path, const uint8_t *bytes, size_t len) {
  char tmp[640];
  int fd;
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  if (write_all(fd, bytes, len, 0) != 0 || fsync(fd) != 0) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  if (rename(tmp, path) != 0) return -1;
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

/* ---- modules' kv records ---- */

static int save_kv(void *ctx, const char *module, const uint8_t *bytes, uint32_t len) {
  fwx_posix_files *s = ctx;
  char dir[600], path[640];
  if (path_of(s, dir, sizeof dir, "kv", NULL, NULL) != 0 || mkdirs(dir) != 0) return -1;
  if (snprintf(path, sizeof path, "%s/%s.kv", dir, module) >= (int)sizeof path) return -1;
  return write_durable(path, bytes, len);
}

static long load_kv(void *ctx, const char *module, uint8_t *out, uint32_t cap) {
  fwx_posix_files *s = ctx;
  char path[640];
  if (snprintf(path, sizeof path, "%s/kv/%s.kv", s->dir, module) >= (int)sizeof path) return -1;
  return read_file(path, out, cap);
}

int fwx_posix_files_open(fwx_posix_files *s, const char *dir) {
  memset(s, 0, sizeof *s);
  if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir) return -1;
  return mkdirs(dir);
}

void fwx_posix_files_kv(fwx_posix_files *s, fwx_device_kv *kv) {
  kv->ctx = s;
  kv->save = save_kv;
  kv->load = load_kv;
}

int fwx_posix_files_save(const fwx_posix_files *s, const char *name, const uint8_t *bytes, size_t len) {
  char path[600];
  if (path_of(s, path, sizeof path, name, NULL, NULL) != 0) return -1;
  return write_durable(path, bytes, len);
}

long fwx_posix_files_load(const fwx_posix_files *s, const char *name, uint8_t *out, size_t cap) {
  char path[600];
  if (path_of(s, path, sizeof path, name, NULL, NULL) != 0) return -1;
  return read_file(path, out, cap);
}

/* ---- the kept revocation list (fwx_revocations_keep.h's store port) ---- */

static int save_revocations(void *ctx, const uint8_t *bytes, uint32_t len) {
  return fwx_posix_files_save(ctx, "revocations.bin", bytes, len);
}

static long load_revocations(void *ctx, uint8_t *out, uint32_t cap) {
  return fwx_posix_files_load(ctx, "revocations.bin", out, cap);
}

void fwx_posix_files_revocations(fwx_posix_files *s, fwx_rl_store *store) {
  store->ctx = s;
  store->save = save_revocations;
  store->load = load_revocations;
}
