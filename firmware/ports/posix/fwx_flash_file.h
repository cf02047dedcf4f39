/* The flash port (firmware/runtime/fwx_flash_port.h) over a file, for the
 * POSIX reference device: NOR semantics (program only clears bits, refuses
 * a word that is not erased; erase sets a sector to 0xFF), fsync in sync.
 *
 * Power cuts: after N program/erase operations the N-th is torn (a program
 * half done, with one word partly programmed; an erase leaving random bytes)
 * and then either the process exits at once with FWX_FLASH_CUT_EXIT_STATUS
 * (as a whole device losing power), or this and every later operation fails
 * with FWX_FLASH_E_POWER (in-process tests). Set it with
 * fwx_flash_file_cut_after(), or for a whole device with the environment
 * variable FWX_FLASH_CUT_AT=<N>[:<seed>], read by fwx_flash_file_open (exit
 * mode). The file models the flash chip: a completed program survives the
 * cut, as on NOR; fsync keeps that true on a real host crash too.
 *
 * map: the file is mapped read-only and shared (MAP_SHARED, PROT_READ), as
 * execute-in-place flash is mapped into an MCU's address space. Programs and
 * erases go through the fd (pwrite); on a POSIX system with a unified buffer
 * cache (Linux, the BSDs, macOS) a shared mapping shows them at once, so a
 * pointer handed out stays valid and current, as XIP flash does. The
 * mapping covers the partition's `size` bytes, which the open extends the
 * file to; the file is never truncated or grown afterwards, so the mapping
 * is made once at open and never moved (moving it would leave running
 * modules' pointers dangling). After a simulated cut (FAIL mode) map returns
 * NULL like read. */
#ifndef FWX_FLASH_FILE_H
#define FWX_FLASH_FILE_H

#include <stdint.h>

#include "fwx_flash_port.h"

#define FWX_FLASH_CUT_EXIT_STATUS 86
#define FWX_FLASH_CUT_NONE 0
#define FWX_FLASH_CUT_EXIT 1 /* tear, then _exit(FWX_FLASH_CUT_EXIT_STATUS) */
#define FWX_FLASH_CUT_FAIL 2 /* tear, then FWX_FLASH_E_POWER from every call */

typedef struct fwx_flash_file {
  int fd;
  uint64_t ops;    /* program and erase operations so far */
  uint64_t cut_at; /* 0: never */
  uint32_t seed;
  int cut_mode;
  int cut;         /* the power is off (FAIL mode) */
  const uint8_t *mapped; /* the whole partition, read-only shared (NULL when mmap failed: map then returns NULL) */
  fwx_flash_port_t port;
} fwx_flash_file_t;

/* Opens (creating, or extending with 0xFF) a flash image of `size` bytes.
 * 0, or -1 with errno set (or EINVAL for a bad geometry). */
int fwx_flash_file_open(fwx_flash_file_t *f, const char *path, uint32_t size, uint32_t sector_size, uint32_t write_size);
void fwx_flash_file_close(fwx_flash_file_t *f);
/* Cuts the power at the n-th program/erase from now (0: never). */
void fwx_flash_file_cut_after(fwx_flash_file_t *f, uint64_t n, uint32_t seed, int mode);

#endif
