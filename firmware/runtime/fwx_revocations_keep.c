/*
 * fwx_revocations_keep.c: keeps the root-signed revocation list with the
 * highest serial (fwx_revocations_keep.h; op-guard.ts updateRevocations).
 */
#include "fwx_revocations_keep.h"

#include <string.h>

/* Verifies bytes in place (they must stay put while the result is used). */
static int verify_at(fwx_rl_keeper *k, fwx_pkg_memory_t *mem, const uint8_t *bytes, uint32_t len, fwx_revocations_t *out)
{
    fwx_pkg_source_t src;
    mem->bytes = bytes;
    mem->length = len;
    src.read = fwx_pkg_memory_read;
    src.ctx = mem;
    src.length = len;
    return fwx_revocations_verify(&src, k->root_public_key, k->work, k->work_cap, out);
}

int fwx_rl_keeper_open(fwx_rl_keeper *k, const uint8_t root_public_key[32], const fwx_rl_store *store,
                       uint8_t *work, uint32_t work_cap)
{
    long n;
    int rc;
    k->root_public_key = root_public_key;
    k->store = *store;
    k->has = 0;
    k->work = work;
    k->work_cap = work != NULL ? work_cap : 0u; /* lists whose body does not fit are refused FWX_RL_E_TOO_LARGE */
    n = k->store.load(k->store.ctx, k->file, (uint32_t)sizeof k->file);
    if (n < 0) return FWX_RL_OK;
    rc = verify_at(k, &k->mem, k->file, (uint32_t)n, &k->list);
    if (rc != FWX_RL_OK) return rc;
    k->has = 1;
    return FWX_RL_OK;
}

int fwx_rl_keeper_offer(fwx_rl_keeper *k, const uint8_t *list, uint32_t len, int *replaced)
{
    fwx_pkg_memory_t mem;
    fwx_revocations_t candidate;
    int rc;
    *replaced = 0;
    if (len > sizeof k->file) return FWX_RL_E_TOO_LARGE;
    rc = verify_at(k, &mem, list, len, &candidate);
    if (rc != FWX_RL_OK) return rc;
    k->offered_serial = candidate.serial;
    if (!fwx_revocations_newer(&candidate, k->has ? &k->list : NULL)) return FWX_RL_OK;
    /* Durable before it is used: a power cut leaves the old list or the new one, never none. */
    if (k->store.save(k->store.ctx, list, len) != 0) return FWX_RL_E_STORE;
    memcpy(k->file, list, len);
    k->mem.bytes = k->file;
    k->mem.length = len;
    candidate.source.ctx = &k->mem; /* same offsets, now in the kept copy */
    k->list = candidate;
    k->has = 1;
    *replaced = 1;
    return FWX_RL_OK;
}

const fwx_revocations_t *fwx_rl_keeper_list(const fwx_rl_keeper *k)
{
    return k->has ? &k->list : NULL;
}

static int has_entry(const fwx_rl_keeper *k, uint32_t at, uint32_t count, const uint8_t needle[32])
{
    uint32_t i;
    for (i = 0u; i < count; i++) {
        uint32_t o = at + i * FWX_REVOCATION_ENTRY_STRIDE;
        if (o > k->mem.length || k->mem.length - o < 32u) return 0; /* located by the verifier: cannot happen */
        if (memcmp(k->file + o, needle, 32u) == 0) return 1;
    }
    return 0;
}

static int port_offer(void *ctx, const uint8_t *list, uint32_t len, int *replaced)
{
    return fwx_rl_keeper_offer(ctx, list, len, replaced);
}

static uint64_t port_serial(void *ctx)
{
    const fwx_rl_keeper *k = ctx;
    return k->has ? k->list.serial : 0u;
}

static int port_lists(void *ctx, const uint8_t digest[32], const uint8_t key[32])
{
    const fwx_rl_keeper *k = ctx;
    if (!k->has) return 0;
    if (has_entry(k, k->list.certificates_at, k->list.certificate_count, digest)) return 1;
    if (has_entry(k, k->list.keys_at, k->list.key_count, key)) return 2;
    return 0;
}

void fwx_rl_keeper_port(fwx_rl_keeper *k, fwx_rl_port *out)
{
    out->ctx = k;
    out->offer = port_offer;
    out->serial = port_serial;
    out->lists = port_lists;
}
