/* The POSIX device's files beside its flash image (flash.bin, the slot
 * store: all device state), under --state-dir, each replaced atomically
 * (temp file, fsync, rename, directory fsync):
 *   kv/<module>.kv     a module's kv record (the kv HAL service's data, not
 *                      device state; kept when the module is removed, as the
 *                      Node agent keeps kv/<module>.json)
 *   revocations.bin    the revocation list with the highest serial seen */
#ifndef FWX_POSIX_FILES_H
#define FWX_POSIX_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_device.h"
#include "fwx_revocations_keep.h"

typedef struct fwx_posix_files {
  char dir[512];
} fwx_posix_files;

/* Creates the directory when missing. 0, or -1 with errno. */
int fwx_posix_files_open(fwx_posix_files *s, const char *dir);
void fwx_posix_files_kv(fwx_posix_files *s, fwx_device_kv *kv);
/* revocations.bin as the kept revocation list's store. */
void fwx_posix_files_revocations(fwx_posix_files *s, fwx_rl_store *store);
int fwx_posix_files_save(const fwx_posix_files *s, const char *name, const uint8_t *bytes, size_t len);
/* The file's bytes, or -1 when it is absent or larger than cap. */
long fwx_posix_files_load(const fwx_posix_files *s, const char *name, uint8_t *out, size_t cap);

#endif
