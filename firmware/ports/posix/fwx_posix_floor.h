/* The anti-rollback counter port (fwx_counter_port.h) on POSIX: one JSON file
 * OUTSIDE the state directory, the Node agent's format
 * ({"format":1,"floors":{"installed:<module>":n,...}}, src/ota/anti-rollback.ts),
 * replaced with the one durable write. `fwx-device --floor <file>`, default
 * beside the state directory: /var/lib/fwx -> /var/lib/fwx.anti-rollback.json.
 * Protects against whoever can rewrite the state directory but not this file;
 * not against root (docs/c-device.md). */
#ifndef FWX_POSIX_FLOOR_H
#define FWX_POSIX_FLOOR_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_counter_port.h"

#ifndef FWX_POSIX_FLOOR_MAX
#define FWX_POSIX_FLOOR_MAX 40u /* names kept: two per module ever confirmed, plus two */
#endif

typedef struct fwx_posix_floor_entry {
  char name[FWX_COUNTER_NAME_MAX + 1];
  uint64_t value;
} fwx_posix_floor_entry;

typedef struct fwx_posix_floor {
  char path[512];
  char where[530]; /* "file <path>" */
  unsigned count;
  fwx_posix_floor_entry entries[FWX_POSIX_FLOOR_MAX];
} fwx_posix_floor;

/* The default path for a state dir (trailing slashes dropped). 0, or -1 when it does not fit. */
int fwx_posix_floor_default(const char *state_dir, char *out, size_t cap);
/* Whether `path` lies inside `state_dir` (compared after realpath of the existing parts). */
int fwx_posix_floor_inside(const char *path, const char *state_dir);
/* Loads the file, creating it (empty) when missing. 0, or -1 with a message in `why`
 * (unreadable, not format 1, a bad value: never treated as empty). */
int fwx_posix_floor_open(fwx_posix_floor *f, const char *path, char *why, size_t cap);
void fwx_posix_floor_port(fwx_posix_floor *f, fwx_counter_port *out);

#endif
