/* The POSIX device's board: the profile's name and grantable capabilities
 * (the JSON files under boards/, the simulator's format) turned into the CBOR capability
 * map the package verifier checks requests against. The peripherals
 * themselves come from the HAL bridge (fwx_bridge.c, docs/hal-bridge.md). */
#ifndef FWX_POSIX_BOARD_H
#define FWX_POSIX_BOARD_H

#include <stddef.h>
#include <stdint.h>

typedef struct fwx_posix_board {
  char name[65];
  uint8_t caps[8192];
  uint32_t caps_len;
} fwx_posix_board;

/* 0, or -1 with a message naming the file and the field. */
int fwx_posix_board_load(fwx_posix_board *b, const char *path, char *error, size_t cap);

/* A granted capability map (CBOR, as verified) as the JSON the HAL bridge's attach takes. 0 or -1. */
int fwx_posix_caps_json(const uint8_t *caps, uint32_t len, char *out, size_t cap);

/* The first peripheral kind (sensors, gpio, adc, pwm, i2c, spi, uart) a granted capability map
 * (CBOR, as verified) grants, or NULL when it grants none: what a device without the HAL bridge
 * cannot serve. A map it cannot read is named as such, so the caller refuses it too. */
const char *fwx_posix_caps_peripheral(const uint8_t *caps, uint32_t len);

#endif
