/* The OTA state machine's partial-download port (fwx_ota_storage in
 * fwx_ota.h) on the slot store's staging area, so a device keeps the
 * download in progress in flash with the same guarantees as its slots: the
 * acknowledged offset and the metadata survive any power cut.
 *
 * Each function has the signature of the matching fwx_ota_storage member;
 * ctx is the opened fwx_slots_t:
 *   storage.ctx = &slots; storage.open = fwx_slots_partial_open; ...
 * Returns 0 on success, -1 on failure (the store's reason stays in its
 * flash_error; a failed store must be opened again).
 *
 * The metadata is committed with every acknowledgement; metadata that did
 * not change costs a 64-byte journal entry, changed metadata an entry of
 * its size. So keep what changes per ack (the offset: the store records it,
 * stored() returns it) out of the metadata. */
#ifndef FWX_SLOTS_PARTIAL_H
#define FWX_SLOTS_PARTIAL_H

#include <stddef.h>
#include <stdint.h>

/* A new, empty transfer of `size` bytes (any previous one is dropped). */
int fwx_slots_partial_open(void *ctx, uint32_t size);
/* Bytes at `offset`, which must be where the stored bytes end. */
int fwx_slots_partial_write(void *ctx, uint32_t offset, const uint8_t *data, size_t n);
int fwx_slots_partial_read(void *ctx, uint32_t offset, uint8_t *out, size_t n);
/* Nothing to do: the acknowledgement (save_meta) makes the bytes durable first. */
int fwx_slots_partial_sync(void *ctx);
/* Commits the offset written so far as acknowledged, with this metadata. */
int fwx_slots_partial_save_meta(void *ctx, const char *json, size_t n);
/* The metadata (NUL-terminated) and its length, or -1 when there is no transfer or it does not fit. */
long fwx_slots_partial_load_meta(void *ctx, char *json, size_t cap);
/* Bytes stored: after a restart, exactly the acknowledged offset. */
uint32_t fwx_slots_partial_stored(void *ctx);
void fwx_slots_partial_discard(void *ctx);

#endif
