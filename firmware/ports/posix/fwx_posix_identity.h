/* The device's identity and command counter on POSIX, in the file formats
 * of `fwx agent` (src/commands/agent.ts, src/ota/op-guard.ts):
 *   --device-key   PKCS#8 PEM Ed25519 private key (`fwx keys gen`)
 *   --device-cert  the root-signed device certificate (`fwx cert device`), raw bytes
 *   <state>/operations.json  {"counter": n}, the highest command counter accepted
 * The counter sits behind fwx_cmd_counter_port so it can move into the slot store. */
#ifndef FWX_POSIX_IDENTITY_H
#define FWX_POSIX_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_command.h"
#include "fwx_posix_files.h"

#define FWX_POSIX_CERT_MAX 1024u

typedef struct fwx_posix_identity {
  uint8_t seed[32];
  uint8_t cert[FWX_POSIX_CERT_MAX];
  size_t cert_len;
  char cert_b64[(FWX_POSIX_CERT_MAX + 2u) / 3u * 4u + 1u];
  const fwx_posix_files *files;   /* operations.json lives there, written by its one durable write */
} fwx_posix_identity;

/* 0, or -1 with a message naming the file and what is wrong. */
int fwx_posix_identity_load(fwx_posix_identity *id, const char *key_file, const char *cert_file, char *err, size_t cap);
/* Reads operations.json from the device's files (0 when absent) and sets up the port that replaces it durably. -1 when it is unreadable. */
int fwx_posix_counter_open(fwx_posix_identity *id, const fwx_posix_files *files, uint64_t *counter, fwx_cmd_counter_port *port);

#endif
