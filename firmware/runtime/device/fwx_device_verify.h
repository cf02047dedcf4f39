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

/* The largest manifest + signature block verified (FWX_PKG_WORK_BYTES(M, S);
 * a typical package needs about 700 B): a larger one is refused
 * FWX_PKG_E_TOO_LARGE. The POSIX device takes the format's limit, 2 x 64 KiB. */
#ifndef FWX_DEVICE_PKG_WORK_BYTES
#define FWX_DEVICE_PKG_WORK_BYTES 8192u
#endif

/* One work area for every verification the device makes: a package's
 * manifest and signature block, a revocation list, a module's install check
 * (its type tables and operand stack, lent to the supervisor). Each finishes
 * before the next starts and none runs inside another (a package is verified,
 * then its module is checked when it starts; a list is verified at start-up
 * and when a signed `revocations` command delivers one), and the device is
 * single-threaded, so they share it: the caller allocates one and lends it to
 * fwx_device_trust, fwx_rl_keeper_open and fwx_device_config. */
typedef union fwx_verify_work {
  fwx_check_work_t check;
  uint8_t package[FWX_DEVICE_PKG_WORK_BYTES];
  uint8_t revocations[FWX_RL_WORK_BYTES];
} fwx_verify_work;

typedef struct fwx_device_trust {
  uint8_t root_public_key[32];
  const char *customer;
  const char *group;
  const uint8_t *board_caps; /* the board's grantable capabilities as a CBOR capability map */
  uint32_t board_caps_len;
  /* The kept revocation list (fwx_revocations_keep.h; NULL: none is kept): every package is checked
   * against the list kept at that moment, at install and at boot. */
  const fwx_rl_keeper *revocations;
  fwx_verify_work *work; /* lent */
} fwx_device_trust;

void fwx_device_verifier_init(fwx_device_verifier *v, fwx_device_trust *trust);

#endif
