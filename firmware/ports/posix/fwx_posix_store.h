/* The device's durable storage as files under --state-dir, each write
 * atomic (temp file, fsync, rename, directory fsync), so a kill -9 or a
 * power cut leaves the old or the new content, never a mix:
 *   device.json              the state record (the commit point)
 *   slots/<module>/A.fwx, B.fwx
 *   kv/<module>.kv
 *   partial/transfer.bin, transfer.json   the download in progress
 *   revocations.bin          the revocation list with the highest serial seen */
#ifndef FWX_POSIX_STORE_H
#define FWX_POSIX_STORE_H

#include "fwx_device.h"

typedef struct fwx_posix_store {
  char dir[512];
  int partial_fd;
} fwx_posix_store;

int fwx_posix_store_open(fwx_posix_store *s, const char *dir);
void fwx_posix_store_ports(fwx_posix_store *s, fwx_device_store *store, fwx_ota_storage *partial);
/* A whole file directly under the state dir (e.g. the kept revocation list), replaced atomically. */
int fwx_posix_store_save_file(const fwx_posix_store *s, const char *name, const uint8_t *bytes, size_t len);
/* Its bytes, or -1 when it is absent or larger than cap. */
long fwx_posix_store_load_file(const fwx_posix_store *s, const char *name, uint8_t *out, size_t cap);

#endif
