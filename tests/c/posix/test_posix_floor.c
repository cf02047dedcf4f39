/* The POSIX anti-rollback store (fwx_posix_floor.c) when its durable write
 * fails at each of its steps (open of the temp file, write, fsync, rename,
 * the directory's fsync), injected with the linker's --wrap: a failed raise
 * says so, the file on disk is always a whole old or new store, and no value
 * the file ever held goes down, neither in the file nor in what the port
 * answers. A power cut at any of these steps leaves one of the states a
 * failure there leaves (the temp file is only ever renamed whole). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "fwx_posix_floor.h"

int __real_open(const char *path, int flags, ...);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t at);
int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);
int __wrap_open(const char *path, int flags, ...);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t at);
int __wrap_fsync(int fd);
int __wrap_rename(const char *from, const char *to);

static int calls, fail_at;

/* The k-th intercepted call fails with EIO. */
static int fails(void) {
  if (fail_at > 0 && ++calls == fail_at) {
    errno = EIO;
    return 1;
  }
  return 0;
}

int __wrap_open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (fails()) return -1;
  return __real_open(path, flags, mode);
}
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t at) { return fails() ? -1 : __real_pwrite(fd, buf, n, at); }
int __wrap_fsync(int fd) { return fails() ? -1 : __real_fsync(fd); }
int __wrap_rename(const char *from, const char *to) { return fails() ? -1 : __real_rename(from, to); }

static int passed, failed;
#define CHECK(c, ...)                  \
  do {                                 \
    if (c) passed++;                   \
    else {                             \
      failed++;                        \
      printf("FAIL: " __VA_ARGS__);    \
      printf("\n");                    \
    }                                  \
  } while (0)

static fwx_posix_floor store, disk;

static uint64_t on_disk(const char *path) {
  char why[200];
  fwx_counter_port p;
  uint64_t v = 0;
  if (fwx_posix_floor_open(&disk, path, why, sizeof why) != 0) {
    printf("FAIL: the store reopens: %s\n", why);
    failed++;
    return 0;
  }
  fwx_posix_floor_port(&disk, &p);
  (void)p.get(p.ctx, "installed:m", &v);
  return v;
}

int main(int argc, char **argv) {
  char path[600], why[200];
  fwx_counter_port port;
  uint64_t highest = 3, value;
  int k, steps = 0;
  if (argc < 2) return 2;
  snprintf(path, sizeof path, "%s/floor.json", argv[1]);
  unlink(path);
  CHECK(fwx_posix_floor_open(&store, path, why, sizeof why) == 0, "a new store opens: %s", why);
  fwx_posix_floor_port(&store, &port);
  CHECK(port.raise(port.ctx, "installed:m", 3) == FWX_COUNTER_OK, "a raise without faults succeeds");
  for (k = 1; k < 20; k++) {
    uint64_t attempt = 3u + 2u * (uint64_t)k, now, answered;
    int32_t rc;
    calls = 0;
    fail_at = k;
    rc = port.raise(port.ctx, "installed:m", attempt);
    fail_at = 0;
    if (calls < k) { /* the raise made fewer calls than k: every step has had its fault */
      CHECK(rc == FWX_COUNTER_OK, "with no fault left to inject the raise succeeds");
      break;
    }
    steps++;
    CHECK(rc == FWX_COUNTER_E_IO, "a fault at step %d is reported (rc %d)", k, (int)rc);
    now = on_disk(path);
    CHECK(now == highest || now == attempt, "after a fault at step %d the file holds the old %llu or the new %llu, not %llu", k,
          (unsigned long long)highest, (unsigned long long)attempt, (unsigned long long)now);
    (void)port.get(port.ctx, "installed:m", &answered);
    CHECK(answered == now, "after a fault at step %d the port answers what the file holds (%llu, file %llu)", k,
          (unsigned long long)answered, (unsigned long long)now);
    highest = now;
    /* A smaller raise afterwards never writes the file lower than it is. */
    CHECK(port.raise(port.ctx, "installed:m", attempt - 1u) == FWX_COUNTER_OK, "a raise after the fault at step %d succeeds", k);
    value = on_disk(path);
    CHECK(value >= highest && value >= attempt - 1u, "after the fault at step %d a smaller raise keeps the file at %llu or more (got %llu)", k,
          (unsigned long long)highest, (unsigned long long)value);
    highest = value;
  }
  CHECK(steps >= 5, "faults were injected at every step of the durable write (open, write, fsync, rename, directory fsync): %d", steps);
  printf("{\"suite\":\"posix-floor\",\"steps\":%d}\n%d passed, %d failed\n", steps, passed, failed);
  return failed ? 1 : 0;
}
