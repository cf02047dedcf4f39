/* The anti-rollback counter port on POSIX: a file outside the state dir (fwx_posix_floor.h). */
#define _XOPEN_SOURCE 700
#include "fwx_posix_floor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_json.h"
#include "fwx_posix_files.h"

#define FLOOR_FILE_MAX (FWX_POSIX_FLOOR_MAX * (FWX_COUNTER_NAME_MAX + 32u) + 64u)

static char file_text[FLOOR_FILE_MAX + 1]; /* one store per process: sizes at compile time, no malloc */

int fwx_posix_floor_default(const char *state_dir, char *out, size_t cap) {
  char real[PATH_MAX];
  const char *dir = state_dir;
  size_t n;
  int w;
  const char *last;
  /* Beside the directory whatever its spelling: "--state-dir ." or "state/." would otherwise put the store
   * inside it ("./..anti-rollback.json"), where a restored state directory restores the floors too. Only
   * such a spelling is resolved: a state directory reached through a symbolic link keeps the store where
   * it has always been (beside the link), so an upgrade never loses sight of the floors. */
  n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  for (last = dir + n; last > dir && last[-1] != '/'; last--) {}
  if ((dir + n - last == 1 && last[0] == '.') || (dir + n - last == 2 && last[0] == '.' && last[1] == '.')) {
    if (!realpath(state_dir, real)) return -1;
    dir = real;
    n = strlen(dir);
  }
  w = snprintf(out, cap, "%.*s.anti-rollback.json", (int)n, dir);
  return w > 0 && (size_t)w < cap ? 0 : -1;
}

/* realpath of `path`, or of its directory with the last name appended (the file may not exist yet). */
static void resolve(const char *path, char *out, size_t cap) {
  char dir[PATH_MAX], real[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (realpath(path, real)) {
    (void)snprintf(out, cap, "%s", real);
    return;
  }
  (void)snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? (slash == path ? "/" : path) : ".");
  if (realpath(dir, real)) (void)snprintf(out, cap, "%s/%s", real, slash ? slash + 1 : path);
  else (void)snprintf(out, cap, "%s", path);
}

int fwx_posix_floor_inside(const char *path, const char *state_dir) {
  char p[PATH_MAX + 64], d[PATH_MAX + 64];
  size_t n;
  resolve(path, p, sizeof p);
  resolve(state_dir, d, sizeof d);
  n = strlen(d);
  while (n > 1 && d[n - 1] == '/') d[--n] = '\0';
  return strncmp(p, d, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

static int write_file(const fwx_posix_floor *f) {
  fwx_json_writer w;
  unsigned i;
  long n;
  fwx_jw_init(&w, file_text, sizeof file_text);
  fwx_jw_begin_object(&w);
  fwx_jw_key(&w, "format");
  fwx_jw_int(&w, 1);
  fwx_jw_key(&w, "floors");
  fwx_jw_begin_object(&w);
  for (i = 0; i < f->count; i++) {
    fwx_jw_key(&w, f->entries[i].name);
    fwx_jw_int(&w, (int64_t)f->entries[i].value);
  }
  fwx_jw_end_object(&w);
  fwx_jw_end_object(&w);
  n = fwx_jw_finish(&w);
  if (n < 0 || (size_t)n >= sizeof file_text) return -1;
  file_text[n] = '\n';
  return fwx_posix_write_durable(f->path, (const uint8_t *)file_text, (size_t)n + 1u);
}

static int find(const fwx_posix_floor *f, const char *name) {
  unsigned i;
  for (i = 0; i < f->count; i++)
    if (strcmp(f->entries[i].name, name) == 0) return (int)i;
  return -1;
}

static int32_t floor_get(void *ctx, const char *name, uint64_t *value) {
  const fwx_posix_floor *f = ctx;
  int i = find(f, name);
  *value = i < 0 ? 0u : f->entries[i].value;
  return FWX_COUNTER_OK;
}

/* After a failed write, what the file holds now: a write that failed at the directory's sync left the
 * new file in place, and memory must not stay below it (a later, smaller raise would write it lower). */
static void reload(fwx_posix_floor *f) {
  static fwx_posix_floor disk; /* one store per process, as file_text */
  char why[8];
  if (fwx_posix_floor_open(&disk, f->path, why, sizeof why) == 0) *f = disk;
}

static int32_t floor_raise(void *ctx, const char *name, uint64_t value) {
  fwx_posix_floor *f = ctx;
  size_t len = strlen(name);
  int i = find(f, name);
  fwx_posix_floor_entry before;
  if (len == 0 || len > FWX_COUNTER_NAME_MAX) return FWX_COUNTER_E_NAME;
  if (value > (uint64_t)INT64_MAX) return FWX_COUNTER_E_IO;
  if (i >= 0 && f->entries[i].value >= value) return FWX_COUNTER_OK;
  if (i < 0) {
    if (f->count >= FWX_POSIX_FLOOR_MAX) return FWX_COUNTER_E_FULL;
    i = (int)f->count++;
    memcpy(f->entries[i].name, name, len + 1u);
    f->entries[i].value = 0;
  }
  before = f->entries[i];
  f->entries[i].value = value;
  if (write_file(f) != 0) { /* not done: memory is what the file holds */
    if (before.value == 0 && (unsigned)i + 1u == f->count) f->count--;
    else f->entries[i] = before;
    reload(f);
    return FWX_COUNTER_E_IO;
  }
  return FWX_COUNTER_OK;
}

int fwx_posix_floor_open(fwx_posix_floor *f, const char *path, char *why, size_t cap) {
  FILE *fp;
  size_t got;
  fwx_json_span doc, floors, key, value;
  size_t pos = 0;
  int64_t format;
  memset(f, 0, sizeof *f);
  if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path) {
    (void)snprintf(why, cap, "path too long");
    return -1;
  }
  (void)snprintf(f->where, sizeof f->where, "file %s", path);
  fp = fopen(path, "rb");
  if (!fp) {
    if (errno != ENOENT) {
      (void)snprintf(why, cap, "unreadable (%s); refusing to start rather than forget the floors", strerror(errno));
      return -1;
    }
    if (write_file(f) != 0) { /* an agent that cannot write it fails now, not at its first confirmation */
      (void)snprintf(why, cap, "cannot create it (%s)", strerror(errno));
      return -1;
    }
    return 0;
  }
  got = fread(file_text, 1, FLOOR_FILE_MAX + 1u, fp);
  fclose(fp);
  doc.p = file_text;
  doc.len = got;
  if (got > FLOOR_FILE_MAX || !fwx_json_valid(file_text, got) || fwx_json_kind_of(doc) != FWX_JSON_OBJECT) {
    (void)snprintf(why, cap, "unreadable (not JSON, or larger than %u bytes); refusing to start rather than forget the floors", (unsigned)FLOOR_FILE_MAX);
    return -1;
  }
  floors = fwx_json_get(doc, "floors");
  if (fwx_json_int(fwx_json_get(doc, "format"), 1, 1, &format) != 0 || fwx_json_kind_of(floors) != FWX_JSON_OBJECT) {
    (void)snprintf(why, cap, "not a format 1 anti-rollback store; refusing to start rather than forget the floors");
    return -1;
  }
  while (fwx_json_next_member(floors, &pos, &key, &value) == 1) {
    fwx_posix_floor_entry *e;
    int64_t v;
    long n;
    if (f->count >= FWX_POSIX_FLOOR_MAX) {
      (void)snprintf(why, cap, "more than %u values", (unsigned)FWX_POSIX_FLOOR_MAX);
      return -1;
    }
    e = &f->entries[f->count];
    n = fwx_json_string(key, e->name, sizeof e->name);
    if (n <= 0 || fwx_json_int(value, 0, INT64_MAX, &v) != 0) {
      (void)snprintf(why, cap, "value %u (byte %ld) is not a name of at most %u bytes with a non-negative integer", f->count,
                     (long)(key.p - file_text), (unsigned)FWX_COUNTER_NAME_MAX);
      return -1;
    }
    e->value = (uint64_t)v;
    f->count++;
  }
  return 0;
}

void fwx_posix_floor_port(fwx_posix_floor *f, fwx_counter_port *out) {
  out->ctx = f;
  out->where = f->where;
  out->get = floor_get;
  out->raise = floor_raise;
}
