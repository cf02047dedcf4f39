/* Internal to the slot store: what fwx_slots.c uses of the journal
 * (fwx_slots_journal.c). Not for callers of the store. */
#ifndef FWX_SLOTS_JOURNAL_H
#define FWX_SLOTS_JOURNAL_H

#include <stdint.h>

#include "fwx_slots.h"

#define FWX_SJ_PIECE 64u /* bytes per buffered read/program; a multiple of every write size */

/* Flash access recording the port's error kind in s->flash_error; FWX_SLOTS_OK or FWX_SLOTS_E_FLASH. */
int32_t fwx_sj_read(fwx_slots_t *s, uint32_t off, void *dst, uint32_t len);
int32_t fwx_sj_program(fwx_slots_t *s, uint32_t off, const void *src, uint32_t len);
int32_t fwx_sj_erase(fwx_slots_t *s, uint32_t off);
/* 1 when every byte of [off, off+len) reads 0xFF. */
int fwx_sj_region_erased(fwx_slots_t *s, uint32_t off, uint32_t len);

/* Regions: a module's slot, or the staging area (module FWX_SLOTS_STAGING). */
uint32_t fwx_sj_region_base(const fwx_slots_t *s, uint32_t module, uint32_t slot);
uint32_t fwx_sj_region_size(uint32_t module);

/* Length of a valid module id in a NUL-terminated buffer of cap bytes, or 0. */
uint32_t fwx_sj_name_len(const char *n, uint32_t cap);
/* A NUL within cap bytes (the rest zeroed): 1, else 0. */
int fwx_sj_terminate(char *t, uint32_t cap);
/* Index of name's floor entry, or -1. */
int fwx_sj_floor_index(const fwx_slots_state_t *st, const char *name);
/* Where module index's blob starts in the config pool (the blobs before it); index
 * FWX_SLOTS_MAX_MODULES gives the bytes in use. */
uint32_t fwx_sj_config_at(const fwx_slots_state_t *st, uint32_t index);
/* Replaces module index's blob in the pool with len bytes (the caller checked they fit). */
void fwx_sj_config_splice(fwx_slots_state_t *st, uint32_t index, const uint8_t *blob, uint32_t len);

/* Checks the port against the compile-time layout and clears the store. */
int32_t fwx_sj_layout(fwx_slots_t *s, const fwx_flash_port_t *port);
/* Reads the newest valid state into s->st (blank: empty state). */
int32_t fwx_sj_load(fwx_slots_t *s);
/* Commits s->st as a snapshot / the transfer's ack (with its meta when
 * with_meta). On failure the store is closed (s->open = 0). */
int32_t fwx_sj_commit(fwx_slots_t *s);
int32_t fwx_sj_commit_ack(fwx_slots_t *s, int with_meta);

#endif
