/*
 * fwx_revocations_keep.h: the revocation list a device keeps (what
 * src/ota/op-guard.ts does with revocations.fwxrl for the Node agent).
 *
 * One list is kept: the root-signed one with the highest serial seen. A list
 * offered later (the signed "revocations" command, or a list given at start)
 * replaces it only when it verifies against the root and its serial is higher
 * (an older list would un-revoke entries); it is made durable through the
 * store port before it is used. The kept list is enforced by the package
 * verifier (fwx_pkg_device_t.revoked: at install and at boot) and by the
 * command gate (operator certificates).
 *
 * The store is a port so the list can live in a file (POSIX:
 * fwx_posix_files.c, revocations.bin) or, later, in the slot store.
 */
#ifndef FWX_REVOCATIONS_KEEP_H
#define FWX_REVOCATIONS_KEEP_H

#include <stdint.h>

#include "fwx_pkg_verify.h"

#ifndef FWX_RL_KEEP_MAX
/* Largest revocation list file kept: by default what a signed command can carry (FWX_CMD_MAX, about
 * 110 entries), since a list that cannot be delivered could never be replaced by a newer one either. */
#define FWX_RL_KEEP_MAX 4096u
#endif

/* The verifier's work area for a list of up to FWX_RL_KEEP_MAX bytes (the signed body behind its domain). */
#define FWX_RL_WORK_BYTES (FWX_RL_KEEP_MAX + 18u)

/* Offer refused because the list could not be made durable (the kept one stays). */
#define FWX_RL_E_STORE 100

/* Where the kept list lives. save replaces it whole and atomically (durable
 * on return 0); load gives its bytes, or -1 when there is none. */
typedef struct fwx_rl_store {
    void *ctx;
    int (*save)(void *ctx, const uint8_t *bytes, uint32_t len);
    long (*load)(void *ctx, uint8_t *out, uint32_t cap);
} fwx_rl_store;

/* What the OTA state machine and the command gate use of the kept list,
 * through pointers: they link without the package verifier. */
typedef struct fwx_rl_port {
    void *ctx;
    /* A delivered list: FWX_RL_OK with *replaced (0: the kept list's serial is
     * not lower), or FWX_RL_E_* (refused), or FWX_RL_E_STORE. */
    int (*offer)(void *ctx, const uint8_t *list, uint32_t len, int *replaced);
    /* The kept list's serial, 0 when none is kept. */
    uint64_t (*serial)(void *ctx);
    /* Whether the kept list names a certificate digest (1) or a key (2); 0 otherwise. */
    int (*lists)(void *ctx, const uint8_t digest[32], const uint8_t key[32]);
} fwx_rl_port;

typedef struct fwx_rl_keeper {
    const uint8_t *root_public_key; /* 32 bytes */
    fwx_rl_store store;
    int has;                        /* a list is kept */
    fwx_revocations_t list;         /* located in file[] through mem */
    uint64_t offered_serial;        /* of the last list offered that verified */
    fwx_pkg_memory_t mem;
    uint8_t file[FWX_RL_KEEP_MAX];
    /* Lent by the caller (fwx_rl_keeper_open), used only while a list is
     * verified: memory idle then, such as the device's verification work
     * area (fwx_verify_work, fwx_device_verify.h). */
    uint8_t *work;
    uint32_t work_cap;
} fwx_rl_keeper;

/* Loads the kept list through the store. work: at least FWX_RL_WORK_BYTES
 * for every list up to FWX_RL_KEEP_MAX (fwx_verify_work holds that). FWX_RL_OK (with or without a list),
 * or FWX_RL_E_* when the kept bytes do not verify against the root (the
 * caller refuses to start: silently dropping them would un-revoke). */
int fwx_rl_keeper_open(fwx_rl_keeper *k, const uint8_t root_public_key[32], const fwx_rl_store *store,
                       uint8_t *work, uint32_t work_cap);

/* Offers a list (bytes are copied when kept); see fwx_rl_port.offer. */
int fwx_rl_keeper_offer(fwx_rl_keeper *k, const uint8_t *list, uint32_t len, int *replaced);

/* The kept list for fwx_pkg_device_t.revoked, NULL when none is kept. */
const fwx_revocations_t *fwx_rl_keeper_list(const fwx_rl_keeper *k);

/* The keeper as the port the OTA and the gate take. */
void fwx_rl_keeper_port(fwx_rl_keeper *k, fwx_rl_port *out);

#endif /* FWX_REVOCATIONS_KEEP_H */
