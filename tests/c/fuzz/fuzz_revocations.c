/*
 * fuzz_revocations.c: revocation list files (fwx_revocations_verify, and the
 * keeper of fwx_revocations_keep.c that loads one from flash and is offered
 * others over the network), behind fuzz_crypto_stub.c so every signature
 * verifies. Input: bytes 0-1 = length of the stored list (big-endian;
 * 0xffff: none stored), the stored list, then the offered list.
 * Checks: reads stay inside the file; every located entry (bytes(32), 34
 * bytes apart) lies inside the file with its 58 20 head; the keeper's
 * lookups agree with a plain scan of the entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_revocations_keep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t root_key[32] = { 1 };
static const uint8_t *stored;
static uint32_t stored_len;
static int has_stored;
static uint8_t work[FWX_RL_WORK_BYTES];
static fwx_rl_keeper keeper;

static long load(void *ctx, uint8_t *out, uint32_t cap)
{
    (void)ctx;
    if (!has_stored) return -1;
    if (stored_len > cap) return -1;
    memcpy(out, stored, stored_len);
    return (long)stored_len;
}

static int save(void *ctx, const uint8_t *bytes, uint32_t len)
{
    (void)ctx;
    (void)bytes;
    (void)len;
    return 0;
}

static void entries_inside(const fwx_revocations_t *rl, const uint8_t *file, uint32_t len)
{
    uint32_t i;
    for (i = 0u; i < rl->certificate_count; i++) {
        uint64_t o = (uint64_t)rl->certificates_at + (uint64_t)i * FWX_REVOCATION_ENTRY_STRIDE;
        if (o < 2u || o + 32u > len || file[o - 2u] != 0x58u || file[o - 1u] != 0x20u) abort();
    }
    for (i = 0u; i < rl->key_count; i++) {
        uint64_t o = (uint64_t)rl->keys_at + (uint64_t)i * FWX_REVOCATION_ENTRY_STRIDE;
        if (o < 2u || o + 32u > len || file[o - 2u] != 0x58u || file[o - 1u] != 0x20u) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fwx_rl_store store = { NULL, save, load };
    fwx_rl_port port;
    fwx_revocations_t rl;
    fwx_pkg_memory_t mem;
    fwx_pkg_source_t src;
    const uint8_t *offered;
    uint32_t offered_len, n;
    int rc, replaced = 0;
    if (size < 2 || size > 3u * FWX_RL_KEEP_MAX) return 0;
    n = (uint32_t)data[0] << 8 | data[1];
    has_stored = n != 0xffffu;
    stored_len = has_stored ? (n < size - 2 ? n : (uint32_t)(size - 2)) : 0u;
    stored = data + 2;
    offered = data + 2 + stored_len;
    offered_len = (uint32_t)(size - 2 - stored_len);

    /* The verifier on its own, on both files. */
    mem.bytes = offered;
    mem.length = offered_len;
    src.read = fwx_pkg_memory_read;
    src.ctx = &mem;
    src.length = offered_len;
    if (fwx_revocations_verify(&src, root_key, work, sizeof work, &rl) == FWX_RL_OK) entries_inside(&rl, offered, offered_len);

    rc = fwx_rl_keeper_open(&keeper, root_key, &store, work, sizeof work);
    if (rc != FWX_RL_OK) return 0; /* the device refuses to start */
    if (fwx_rl_keeper_list(&keeper)) entries_inside(fwx_rl_keeper_list(&keeper), keeper.file, keeper.mem.length);
    rc = fwx_rl_keeper_offer(&keeper, offered, offered_len, &replaced);
    if (rc != FWX_RL_OK && replaced) abort();
    fwx_rl_keeper_port(&keeper, &port);
    if (fwx_rl_keeper_list(&keeper)) {
        const fwx_revocations_t *kept = fwx_rl_keeper_list(&keeper);
        uint32_t i;
        entries_inside(kept, keeper.file, keeper.mem.length);
        if (port.serial(port.ctx) != kept->serial) abort();
        for (i = 0u; i < kept->certificate_count && i < 4u; i++) {
            uint8_t digest[32], zero[32] = { 0 };
            memcpy(digest, keeper.file + kept->certificates_at + i * FWX_REVOCATION_ENTRY_STRIDE, 32u);
            if (port.lists(port.ctx, digest, zero) != 1) abort();
        }
        for (i = 0u; i < kept->key_count && i < 4u; i++) {
            uint8_t key[32], digest[32];
            memcpy(key, keeper.file + kept->keys_at + i * FWX_REVOCATION_ENTRY_STRIDE, 32u);
            memset(digest, 0xee, sizeof digest);
            if (port.lists(port.ctx, digest, key) == 0) abort();
        }
    }
    return 0;
}
