/* The device's verifier port on the runtime's package verifier
 * (fwx_pkg_verify.c) and crypto port (fwx_crypto_port.h): verifyPackage for
 * an mcu device of this customer and group, and what the device core needs
 * of a verified package (id, version, sequence, payload, granted kinds,
 * config schema). */
#ifndef FWX_DEVICE_VERIFY_H
#define FWX_DEVICE_VERIFY_H

#include "fwx_device.h"
#include "fwx_pkg_verify.h"
#include "fwx_revocations_keep.h"

#define FWX_DEVICE_WORK_BYTES (2u * 65536u + 64u)

typedef struct fwx_device_trust {
  uint8_t root_public_key[32];
  const char *customer;
  const char *group;
  const uint8_t *board_caps; /* the board's grantable capabilities as a CBOR capability map */
  uint32_t board_caps_len;
  /* The kept revocation list (fwx_revocations_keep.h; NULL: none is kept): every package is checked
   * against the list kept at that moment, at install and at boot. */
  const fwx_rl_keeper *revocations;
  uint8_t work[FWX_DEVICE_WORK_BYTES];
} fwx_device_trust;

void fwx_device_verifier_init(fwx_device_verifier *v, fwx_device_trust *trust);

#endif
