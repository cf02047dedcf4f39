/* The slot store: per module an A and a B slot holding whole signed
 * packages, a staging area for one transfer, and a journal saying which slot
 * is confirmed or on trial, the anti-rollback floor, config values, the last
 * verdict and the transfer in progress with its acknowledged offset. The
 * semantics are the Node agent's (src/ota/install.ts, state-store.ts,
 * receiver.ts); the store is their durable half, the caller (the device
 * core) verifies packages and runs modules.
 *
 * Flash layout (one partition, fwx_flash_port.h), fixed at compile time:
 *
 *   [bank 0][bank 1][spare sector][staging][m0 A][m0 B][m1 A][m1 B]...
 *
 * The two banks hold the journal: a sequence of entries (a full snapshot of
 * the state, or a short ack record), each with a sequence number and a
 * CRC-32. A commit appends one entry; when a bank is full the other bank is
 * erased and a snapshot written there. The newest entry whose CRC and
 * contents check out is the state; a torn entry is simply not there. So
 * after a power cut at any program or erase step the store opens to the
 * state before or after the interrupted operation, never a mix.
 *
 * Rules that make that hold for the slots:
 *   - a slot is erased only after a commit says it is empty, and a slot is
 *     recorded as holding a package only after its bytes are programmed;
 *   - an acknowledged transfer offset is committed after the bytes below it
 *     are programmed (words not yet complete go into the journal entry);
 *     when a transfer resumes after a cut, bytes past the acknowledged
 *     offset may be torn: the store restores that sector through the spare
 *     sector (a two-commit copy, redone if cut) before writing on;
 *   - the anti-rollback floor lives in its own table, kept when a module is
 *     removed or reverted (the Node agent forgets it on remove).
 *
 * Everything read from flash is hostile: entries are CRC-checked, then
 * every field is bounds-checked before it is believed. No allocation; the
 * caller provides the fwx_slots_t (a few KiB, sized by the macros below);
 * stack use is bounded and small (no recursion, buffers of 64 bytes).
 * Not thread-safe: one caller at a time. */
#ifndef FWX_SLOTS_H
#define FWX_SLOTS_H

#include <stdint.h>

#include "fwx_flash_port.h"

/* ---- compile-time layout (override with -D) ---- */
#ifndef FWX_SLOTS_MAX_MODULES
#define FWX_SLOTS_MAX_MODULES 4u
#endif
#ifndef FWX_SLOTS_MAX_FLOORS /* modules ever confirmed whose floor is remembered */
#define FWX_SLOTS_MAX_FLOORS (2u * FWX_SLOTS_MAX_MODULES)
#endif
#ifndef FWX_SLOTS_SLOT_BYTES
#define FWX_SLOTS_SLOT_BYTES (64u * 1024u)
#endif
#ifndef FWX_SLOTS_STAGING_BYTES /* 0: transfers go straight into a slot only */
#define FWX_SLOTS_STAGING_BYTES FWX_SLOTS_SLOT_BYTES
#endif
#ifndef FWX_SLOTS_BANK_BYTES /* each of the two journal banks; holds 2 snapshots at least */
#define FWX_SLOTS_BANK_BYTES (8u * 1024u)
#endif
#ifndef FWX_SLOTS_CONFIG_MAX /* config values per module, an opaque blob */
#define FWX_SLOTS_CONFIG_MAX 128u
#endif
/* The config blobs of all modules share one pool, so RAM and every snapshot
 * pay for the bytes a device really keeps, not for each module's maximum
 * (the device build: 4 modules of up to 4,640 B in one 4,640 B pool, 13.6 KiB
 * less RAM than a blob each). A set that would overflow it is refused. */
#ifndef FWX_SLOTS_CONFIG_POOL
#define FWX_SLOTS_CONFIG_POOL (FWX_SLOTS_MAX_MODULES * FWX_SLOTS_CONFIG_MAX)
#endif
#ifndef FWX_SLOTS_META_MAX /* the transfer's metadata, an opaque blob (the OTA's partial-download JSON fits) */
#define FWX_SLOTS_META_MAX 640u
#endif
#ifndef FWX_SLOTS_VERDICT_TEXT_MAX
#define FWX_SLOTS_VERDICT_TEXT_MAX 96u
#endif
#define FWX_SLOTS_NAME_MAX 64u  /* module ids: 1-64 of a-z 0-9 . _ -, alphanumeric first */
#ifndef FWX_SLOTS_VERSION_MAX /* a package's version text (status shows it for both slots) */
#define FWX_SLOTS_VERSION_MAX 64u
#endif
#define FWX_SLOTS_MAX_WRITE 32u /* largest flash write_size supported */
#define FWX_SLOTS_DEFAULT_TRIAL_BOOTS 2u /* HealthPolicy.maxTrialBoots */

/* ---- statuses (i32) ---- */
#define FWX_SLOTS_OK 0
#define FWX_SLOTS_E_FLASH (-1)     /* the port failed; fwx_slots_t.flash_error has its kind */
#define FWX_SLOTS_E_LAYOUT (-2)    /* the partition's geometry does not fit the compile-time layout */
#define FWX_SLOTS_E_CORRUPT (-3)   /* open: the journal holds no valid state and is not blank */
#define FWX_SLOTS_E_ARG (-4)       /* bad argument (name, slot, length) */
#define FWX_SLOTS_E_NOT_FOUND (-5) /* no such module */
#define FWX_SLOTS_E_BUSY (-6)      /* a transfer/trial is in the way */
#define FWX_SLOTS_E_FULL (-7)      /* no free module entry or floor entry */
#define FWX_SLOTS_E_TOO_LARGE (-8) /* does not fit the slot/staging area/blob */
#define FWX_SLOTS_E_ORDER (-9)     /* write not at the current end, or not complete */
#define FWX_SLOTS_E_STATE (-10)    /* not possible in this state (no trial, no previous, ...) */
#define FWX_SLOTS_E_CLOSED (-11)   /* the store failed earlier and must be opened again */

#define FWX_SLOT_A 0u
#define FWX_SLOT_B 1u
#define FWX_SLOT_NONE 2u
#define FWX_SLOTS_STAGING 0xFFu /* module index standing for the staging area */

/* Verdict phases (docs/ota-protocol.md); the store itself writes REVERTED
 * for a trial abandoned at boot. */
#define FWX_SLOTS_PHASE_CONFIRMED 1u
#define FWX_SLOTS_PHASE_REVERTED 2u
#define FWX_SLOTS_PHASE_REFUSED 3u
#define FWX_SLOTS_PHASE_FAILED 4u

typedef struct fwx_slots_slot {
  uint8_t present;         /* holds a complete package */
  uint32_t size;
  uint64_t sequence;
  uint64_t verified_at_ms; /* device wall clock at first verification (boot re-verifies at this instant) */
  uint8_t sha256[32];
  char version[FWX_SLOTS_VERSION_MAX + 1];
} fwx_slots_slot_t;

typedef struct fwx_slots_module {
  uint8_t used;
  char name[FWX_SLOTS_NAME_MAX + 1];
  uint8_t confirmed;   /* FWX_SLOT_A/B/NONE */
  uint8_t trial;       /* slot on trial, or FWX_SLOT_NONE */
  uint8_t trial_boots; /* times the trial was started (1 at install, +1 per boot) */
  uint8_t trial_has_session;
  uint16_t trial_session;
  fwx_slots_slot_t slot[2];
  uint16_t config_len; /* its blob's bytes in the state's config pool (fwx_slots_config) */
} fwx_slots_module_t;

typedef struct fwx_slots_floor {
  uint8_t used;
  char name[FWX_SLOTS_NAME_MAX + 1];
  uint64_t floor; /* highest sequence ever confirmed */
} fwx_slots_floor_t;

typedef struct fwx_slots_transfer {
  uint8_t active;
  uint8_t module;  /* module index, or FWX_SLOTS_STAGING */
  uint8_t slot;    /* target slot when module is an index */
  uint32_t size;
  uint32_t acked;  /* bytes durably stored; never goes back */
  uint8_t sha256[32];
  uint32_t gen;    /* transfer generation (ack records name it) */
  uint8_t tail_len;/* acked % write_size bytes not yet programmed... */
  uint8_t tail[FWX_SLOTS_MAX_WRITE]; /* ...kept here */
  uint16_t meta_len;
  uint8_t meta[FWX_SLOTS_META_MAX];
} fwx_slots_transfer_t;

typedef struct fwx_slots_verdict {
  uint8_t present;
  uint8_t phase; /* FWX_SLOTS_PHASE_* */
  uint8_t has_session;
  uint16_t session;
  uint64_t sequence;
  uint8_t package[32]; /* SHA-256 of the package decided */
  char module[FWX_SLOTS_NAME_MAX + 1];
  char version[FWX_SLOTS_VERSION_MAX + 1];
  char text[FWX_SLOTS_VERDICT_TEXT_MAX + 1]; /* reason / code, NUL-terminated */
} fwx_slots_verdict_t;

/* Interrupted copy of a sector's good prefix through the spare sector. */
typedef struct fwx_slots_repair {
  uint8_t active;
  uint8_t module; /* region: module index or FWX_SLOTS_STAGING */
  uint8_t slot;
  uint32_t sector; /* offset of the sector in the region */
  uint32_t len;    /* prefix length saved in the spare sector */
  uint32_t crc;    /* of that prefix */
} fwx_slots_repair_t;

/* The committed state (what the journal records). */
typedef struct fwx_slots_state {
  fwx_slots_module_t modules[FWX_SLOTS_MAX_MODULES];
  /* The modules' config blobs back to back, in module index order; zeroes after the last. */
  uint8_t config[FWX_SLOTS_CONFIG_POOL];
  fwx_slots_floor_t floors[FWX_SLOTS_MAX_FLOORS];
  fwx_slots_transfer_t transfer;
  fwx_slots_verdict_t verdict;
  fwx_slots_repair_t repair;
} fwx_slots_state_t;

/* A sequential writer into a region (RAM only). */
typedef struct fwx_slots_writer {
  uint8_t active;
  uint8_t module, slot;
  uint32_t base, limit; /* region in the partition */
  uint32_t pos;         /* logical bytes written = flushed + tail_len */
  uint32_t erased_to;   /* region offset up to which sectors are erased for this write */
  uint8_t tail_len;
  uint8_t sealed;       /* all bytes in, the last partial word programmed */
  uint8_t tail[FWX_SLOTS_MAX_WRITE];
} fwx_slots_writer_t;

typedef struct fwx_slots {
  const fwx_flash_port_t *port;
  uint8_t open;
  int32_t flash_error;    /* last FWX_FLASH_E_* seen */
  uint32_t sector, granule;
  uint32_t spare_off, staging_off, slots_off;
  uint32_t snapshot_payload; /* payload bytes of a snapshot entry */
  uint32_t snapshot_len;  /* bank bytes of a snapshot entry */
  uint8_t bank;           /* bank appended to */
  uint8_t must_switch;    /* next commit starts the other bank */
  uint32_t cursor;        /* next free offset in the bank */
  uint32_t seq;           /* next entry sequence */
  fwx_slots_state_t st;
  fwx_slots_writer_t transfer_writer; /* the transfer's bytes */
  fwx_slots_writer_t slot_writer;     /* fwx_slots_write_begin: a package built on the device (delta) */
} fwx_slots_t;

/* A package ready for trial: what the caller verified. */
typedef struct fwx_slots_package {
  uint8_t sha256[32];
  uint32_t size;
  uint64_t sequence;
  uint64_t verified_at_ms;
  const char *version; /* NULL: none; longer than FWX_SLOTS_VERSION_MAX: refused (E_ARG) */
} fwx_slots_package_t;

/* What fwx_slots_boot did to one module. */
#define FWX_SLOTS_BOOT_TRIAL_RETRY 1u     /* trial continues: verify and run it again */
#define FWX_SLOTS_BOOT_TRIAL_ABANDONED 2u /* found once too often: reverted (verdict recorded) */
typedef struct fwx_slots_boot_item {
  char name[FWX_SLOTS_NAME_MAX + 1];
  uint8_t action;
  uint8_t slot;         /* the trial's slot */
  uint8_t boots;        /* trial_boots after this boot */
  uint8_t module_gone;  /* abandoned and nothing was confirmed: the module entry is gone */
} fwx_slots_boot_item_t;
typedef struct fwx_slots_boot_report {
  uint32_t count;
  fwx_slots_boot_item_t items[FWX_SLOTS_MAX_MODULES];
} fwx_slots_boot_report_t;

/* ---- opening ---- */

/* Reads the journal (and finishes an interrupted sector repair, or repairs
 * the sector an active transfer resumes in). A blank partition opens empty.
 * FWX_SLOTS_E_CORRUPT when no valid state exists: call fwx_slots_format
 * (that forgets every floor: a deliberate, visible decision). */
int32_t fwx_slots_open(fwx_slots_t *s, const fwx_flash_port_t *port);
/* Erases the journal and commits an empty state. */
int32_t fwx_slots_format(fwx_slots_t *s, const fwx_flash_port_t *port);

/* Once per device start, after open: counts a boot for every trial; a trial
 * found more than max_trial_boots times is abandoned as the Node agent does
 * (slot emptied, verdict "reverted" naming its package, module dropped when
 * nothing was confirmed). One commit. The caller then re-verifies the
 * slots it runs (fwx_slots_read) and calls fwx_slots_revert for a trial
 * that no longer verifies, or fwx_slots_rollback for a damaged confirmed
 * slot whose other slot verifies ("recovered"). */
int32_t fwx_slots_boot(fwx_slots_t *s, uint8_t max_trial_boots, fwx_slots_boot_report_t *report);

/* ---- reading ---- */
int32_t fwx_slots_find(const fwx_slots_t *s, const char *name); /* index, or FWX_SLOTS_E_NOT_FOUND */
/* The module at index (0..FWX_SLOTS_MAX_MODULES-1), NULL when unused. An entry
 * with neither confirmed nor trial is a first install still in transfer. */
const fwx_slots_module_t *fwx_slots_module(const fwx_slots_t *s, uint32_t index);
/* Module index's config blob (valid until the next change), NULL with *len 0 when the index is unused. */
const uint8_t *fwx_slots_config(const fwx_slots_t *s, uint32_t index, uint32_t *len);
uint64_t fwx_slots_floor(const fwx_slots_t *s, const char *name); /* 0 when none */
const fwx_slots_transfer_t *fwx_slots_transfer(const fwx_slots_t *s); /* NULL when none active */
const fwx_slots_verdict_t *fwx_slots_verdict(const fwx_slots_t *s);   /* NULL when none */
/* Bytes of a slot (module index, FWX_SLOT_A/B) or of the staging area
 * (FWX_SLOTS_STAGING, slot ignored), e.g. to re-verify at boot; bytes a
 * writer holds in RAM (its last partial word) included. */
int32_t fwx_slots_read(fwx_slots_t *s, uint32_t module, uint32_t slot, uint32_t offset, void *dst, uint32_t len);
/* The same bytes where they lie, through the port's map (memory-mapped
 * flash): NULL when the port has no map, the range is out of the region, or
 * a writer still holds some of the region's bytes in RAM (not sealed).
 * The pointer shows the flash as it changes: bytes stay what they are only
 * while the store neither erases nor writes that region, i.e. while the
 * region is recorded as holding its package (the store writes only into a
 * slot committed empty, and into the staging area for a new transfer). */
const uint8_t *fwx_slots_map(fwx_slots_t *s, uint32_t module, uint32_t slot, uint32_t offset, uint32_t len);

/* ---- the transfer in progress (one at a time) ---- */

/* Starts a transfer of `size` bytes into the staging area (name NULL) or
 * straight into the inactive slot of module `name` (created if new; the
 * slot is committed empty before anything is erased: its old package, the
 * rollback target, is gone). `meta` is the caller's opaque record of the
 * transfer (session, package ref...). E_BUSY when a transfer is active
 * (abort it first) or the module is on trial. */
int32_t fwx_slots_transfer_begin(fwx_slots_t *s, const char *name, uint32_t size, const uint8_t sha256[32],
                                 const uint8_t *meta, uint32_t meta_len);
/* Appends bytes at `offset`, which must be where the transfer's bytes end
 * (fwx_slots_transfer_written). Erases sectors as it reaches them. */
int32_t fwx_slots_transfer_write(fwx_slots_t *s, uint32_t offset, const void *data, uint32_t len);
uint32_t fwx_slots_transfer_written(const fwx_slots_t *s);
/* Makes every byte written so far durable and records it as acknowledged,
 * with new meta (meta NULL: unchanged). On return the offset survives any
 * power cut; then send the ack. */
int32_t fwx_slots_transfer_ack(fwx_slots_t *s, const uint8_t *meta, uint32_t meta_len);
/* Drops the transfer (abort, stale, hash mismatch, refused package). A
 * module created by it with nothing in it goes too. */
int32_t fwx_slots_transfer_abort(fwx_slots_t *s);

/* ---- building a package on the device (a delta applied from a slot and the staging area, or a copy out of staging) ---- */
/* Commits the module's inactive slot empty (the module is created if new)
 * and starts writing it sequentially from 0. Nothing about it is recorded:
 * after a power cut, start again (fwx_slots_boot drops a module entry left
 * with nothing in it). */
int32_t fwx_slots_write_begin(fwx_slots_t *s, const char *name, uint32_t size);
int32_t fwx_slots_write(fwx_slots_t *s, const void *data, uint32_t len);

/* ---- install state machine ---- */

/* The package (all its bytes written by a transfer into this module's slot,
 * or by fwx_slots_write) goes on trial: slot recorded with pkg, trial =
 * {slot, session, boots 1}, the transfer (if any) closed. One commit. */
int32_t fwx_slots_install_trial(fwx_slots_t *s, const char *name, const fwx_slots_package_t *pkg,
                                int has_session, uint16_t session);
/* Health passed: confirmed = trial slot, floor = max(floor, sequence). */
int32_t fwx_slots_confirm(fwx_slots_t *s, const char *name, const fwx_slots_verdict_t *verdict);
/* Trial failed: the trial's slot is emptied; with nothing confirmed, the
 * module goes (its floor stays). */
int32_t fwx_slots_revert(fwx_slots_t *s, const char *name, const fwx_slots_verdict_t *verdict);
/* confirmed = the other slot (must hold a package; the caller verified it). */
int32_t fwx_slots_rollback(fwx_slots_t *s, const char *name);
/* Removes the module (not on trial): slots and config go, the floor stays. */
int32_t fwx_slots_remove(fwx_slots_t *s, const char *name);
/* Replaces the module's config blob (at most FWX_SLOTS_CONFIG_MAX bytes, and
 * the pool must hold every module's: else FWX_SLOTS_E_TOO_LARGE, nothing
 * changed). config must not point into the store. */
int32_t fwx_slots_set_config(fwx_slots_t *s, const char *name, const uint8_t *config, uint32_t len);
/* Records a verdict on its own (refused, failed). */
int32_t fwx_slots_set_verdict(fwx_slots_t *s, const fwx_slots_verdict_t *verdict);

/* CRC-32 of the committed state as it would be journaled, without the
 * store's own bookkeeping (repair): equal digests mean equal states. */
uint32_t fwx_slots_digest(const fwx_slots_t *s);

#endif
