/* A flash-like storage port (embedded-hal style): the one thing the slot
 * store (fwx_slots.h) needs from the device.
 *
 * Semantics are those of NOR flash, the most restrictive common case:
 *   - erase works on whole sectors of `sector_size` bytes and sets every
 *     byte to 0xFF;
 *   - program writes whole words of `write_size` bytes at word-aligned
 *     offsets and can only clear bits (1 -> 0): the store never programs a
 *     word twice between erases, so flashes with ECC that forbid it work;
 *   - read has no alignment rule.
 * Sectors are uniform. The port covers one partition: offsets run from 0 to
 * `size`. A port whose writes are cached (a file) makes them durable in
 * `sync`; on raw flash `sync` may be NULL.
 *
 * `map` (may be NULL) gives the bytes as the CPU sees them: execute-in-place
 * flash mapped into the address space (ESP32's MMU cache, STM32's memory-
 * mapped QSPI, internal flash on a Cortex-M), an mmap on POSIX. The device
 * then verifies and runs packages where they lie instead of copying them
 * into RAM (fwx_device.h). The pointer must stay valid, and show every later
 * program and erase, until the port is closed: a running wasm3 module keeps
 * pointers into its slot. NULL when the range is not memory-mapped (or the
 * power is off in a simulation).
 *
 * Every function returns FWX_FLASH_OK or a negative FWX_FLASH_E_* kind. */
#ifndef FWX_FLASH_PORT_H
#define FWX_FLASH_PORT_H

#include <stdint.h>

#define FWX_FLASH_OK 0
#define FWX_FLASH_E_IO (-1)         /* the device reported a failure */
#define FWX_FLASH_E_BOUNDS (-2)     /* offset or length outside the partition */
#define FWX_FLASH_E_ALIGN (-3)      /* program/erase not on a word/sector boundary */
#define FWX_FLASH_E_NOT_ERASED (-4) /* program over a word that is not erased (ports that detect it) */
#define FWX_FLASH_E_POWER (-5)      /* power lost mid-operation (simulated cuts) */

#define FWX_FLASH_ERASED 0xFFu

typedef struct fwx_flash_port {
  void *ctx;
  uint32_t size;        /* bytes in the partition, a multiple of sector_size */
  uint32_t sector_size; /* erase unit */
  uint32_t write_size;  /* program unit: 1, 2, 4, 8, 16 or 32 */
  int32_t (*read)(void *ctx, uint32_t offset, void *dst, uint32_t len);
  int32_t (*program)(void *ctx, uint32_t offset, const void *src, uint32_t len);
  int32_t (*erase)(void *ctx, uint32_t offset); /* the sector starting at offset */
  int32_t (*sync)(void *ctx);                   /* may be NULL */
  const uint8_t *(*map)(void *ctx, uint32_t offset, uint32_t len); /* may be NULL (see above) */
} fwx_flash_port_t;

#endif
