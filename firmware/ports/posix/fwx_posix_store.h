/* The device's durable storage as files under --state-dir, each write
 * atomic (temp file, fsync, rename, directory fsync), so a kill -9 or a
 * power cut leaves the old or the new content, never a mix:
 *   device.json              the state record (the commit point)
 *   slots/<module>/A.fwx, B.fwx
 *   kv/<module>.kv
 *   partial/transfer.bin, transfer.json   the download in progress */
#ifndef FWX_POSIX_STORE_H
#define FWX_POSIX_STORE_H

#include "fwx_device.h"

typedef struct fwx_posix_store {
  char dir[512];
  int partial_fd;
} fwx_posix_store;

/* The one durable write (temp, fsync, rename, directory fsync), for the port's other files. */
int fwx_posix_write_durable(const char *path, const uint8_t *bytes, size_t len, const char *crash_prefix);
int fwx_posix_store_open(fwx_posix_store *s, const char *dir);
void fwx_posix_store_ports(fwx_posix_store *s, fwx_device_store *store, fwx_ota_storage *partial);

#endif
