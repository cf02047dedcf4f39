/*
 * fuzz_slots.c: the slot store (fwx_slots*.c) opening hostile flash. The
 * harness builds a journal with history once (a confirmed module, a second
 * module on trial with config, a staging transfer with acks), then each
 * input XORs bytes into the two journal banks and the transfer's sectors;
 * every entry whose header still parses is resealed with a valid CRC, so
 * mutations reach the field checks behind the CRC.
 * Input: bytes 0-1 = XOR start in the banks (big-endian, modulo the banks'
 * size), byte 2 = write size (1, 8 or 32), then the XOR mask.
 * Checks: after open (and boot): every recorded slot reads to its recorded
 * size; the transfer is inside its region; operations on the opened store
 * (read, transfer write/ack, config, remove, install) keep it consistent,
 * and after each successful one a reopen gives the same state (digest);
 * the store never programs a word twice between erases (sim_flash).
 * Built with the small layout of tests/c/suites/slots.mjs (TEST_LAYOUT).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_crc32.h"
#include "fwx_slots.h"
#include "sim_flash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 16u
#define FLASH_BYTES (2u * FWX_SLOTS_BANK_BYTES + 512u + FWX_SLOTS_STAGING_BYTES + 2u * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES)

static sim_flash_t flash;
static fwx_slots_t store, again;
static uint8_t images[3][SIM_MAX_BYTES];
static int built;
static uint8_t pkg[FWX_SLOTS_SLOT_BYTES];

static void must(int ok)
{
    if (!ok) abort();
}

static void build(uint32_t g, uint8_t *image)
{
    fwx_slots_package_t p;
    fwx_slots_verdict_t v;
    uint8_t sha[32];
    uint32_t i;
    sim_init(&flash, FLASH_BYTES, 512, g);
    for (i = 0; i < sizeof pkg; i++) pkg[i] = (uint8_t)(i * 31u + 7u);
    memset(sha, 0x5a, sizeof sha);
    must(fwx_slots_format(&store, &flash.port) == FWX_SLOTS_OK);
    memset(&p, 0, sizeof p);
    memcpy(p.sha256, sha, 32);
    p.size = 1500;
    p.sequence = 3;
    p.version = "1.3.0";
    must(fwx_slots_transfer_begin(&store, "mod-a", 1500, sha, (const uint8_t *)"m", 1) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_write(&store, 0, pkg, 1500) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_ack(&store, NULL, 0) == FWX_SLOTS_OK);
    must(fwx_slots_install_trial(&store, "mod-a", &p, 1, 7) == FWX_SLOTS_OK);
    memset(&v, 0, sizeof v);
    v.present = 1;
    v.phase = FWX_SLOTS_PHASE_CONFIRMED;
    memcpy(v.module, "mod-a", 5);
    must(fwx_slots_confirm(&store, "mod-a", &v) == FWX_SLOTS_OK);
    must(fwx_slots_set_config(&store, "mod-a", (const uint8_t *)"k\0v\0", 4) == FWX_SLOTS_OK);
    must(fwx_slots_write_begin(&store, "mod-b", 900) == FWX_SLOTS_OK);
    must(fwx_slots_write(&store, pkg, 900) == FWX_SLOTS_OK);
    p.size = 900;
    p.sequence = 5;
    must(fwx_slots_install_trial(&store, "mod-b", &p, 0, 0) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_begin(&store, NULL, 2000, sha, (const uint8_t *)"meta", 4) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_write(&store, 0, pkg, 700) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_ack(&store, (const uint8_t *)"meta-2", 6) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_write(&store, 700, pkg, 333) == FWX_SLOTS_OK);
    must(fwx_slots_transfer_ack(&store, NULL, 0) == FWX_SLOTS_OK);
    memcpy(image, flash.mem, SIM_MAX_BYTES);
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* Recomputes the CRC of every entry whose header parses, bank by bank. */
static void reseal(uint32_t g)
{
    uint32_t b;
    for (b = 0; b < 2; b++) {
        uint8_t *base = flash.mem + b * FWX_SLOTS_BANK_BYTES;
        uint32_t off = 0;
        while (off + HDR + 4u <= FWX_SLOTS_BANK_BYTES) {
            uint32_t len = le32(base + off + 8), c;
            if (le32(base + off) != 0x4A585746u || len > FWX_SLOTS_BANK_BYTES - off - HDR - 4u) break;
            c = fwx_crc32(0, base + off, HDR + len);
            base[off + HDR + len] = (uint8_t)c;
            base[off + HDR + len + 1] = (uint8_t)(c >> 8);
            base[off + HDR + len + 2] = (uint8_t)(c >> 16);
            base[off + HDR + len + 3] = (uint8_t)(c >> 24);
            off += (HDR + len + 4u + g - 1u) / g * g;
        }
    }
}

/* What any opened store must satisfy. */
static void sane(void)
{
    static uint8_t buf[FWX_SLOTS_SLOT_BYTES];
    const fwx_slots_transfer_t *t = fwx_slots_transfer(&store);
    uint32_t i, j;
    for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
        const fwx_slots_module_t *m = fwx_slots_module(&store, i);
        uint32_t len;
        if (!m) continue;
        if (strlen(m->name) == 0 || strlen(m->name) > FWX_SLOTS_NAME_MAX || m->config_len > FWX_SLOTS_CONFIG_MAX) abort();
        if (m->confirmed < 2 && !m->slot[m->confirmed].present) abort();
        if (m->trial < 2 && !m->slot[m->trial].present) abort();
        for (j = 0; j < 2; j++) {
            if (!m->slot[j].present) continue;
            if (m->slot[j].size == 0 || m->slot[j].size > FWX_SLOTS_SLOT_BYTES) abort();
            if (fwx_slots_read(&store, i, j, 0, buf, m->slot[j].size) != FWX_SLOTS_OK) abort();
        }
        (void)fwx_slots_config(&store, i, &len);
        if (len != m->config_len) abort();
    }
    if (t) {
        uint32_t region = t->module == FWX_SLOTS_STAGING ? FWX_SLOTS_STAGING_BYTES : FWX_SLOTS_SLOT_BYTES;
        if (t->size == 0 || t->size > region || t->acked > t->size || t->meta_len > FWX_SLOTS_META_MAX) abort();
        if (t->acked > 0 && fwx_slots_read(&store, t->module, t->slot, 0, buf, t->acked) != FWX_SLOTS_OK) abort();
    }
}

/* After a successful change, the flash holds exactly that state. */
static void durable(int32_t rc)
{
    if (rc != FWX_SLOTS_OK) return;
    if (fwx_slots_open(&again, &flash.port) != FWX_SLOTS_OK) abort();
    if (fwx_slots_digest(&again) != fwx_slots_digest(&store)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t sizes[3] = { 1u, 8u, 32u };
    fwx_slots_boot_report_t report;
    uint32_t start, i, which, g;
    const fwx_slots_transfer_t *t;
    if (!built) {
        for (i = 0; i < 3; i++) build(sizes[i], images[i]);
        built = 1;
    }
    if (size < 3) return 0;
    which = data[2] % 3u;
    g = sizes[which];
    sim_init(&flash, FLASH_BYTES, 512, g);
    memcpy(flash.mem, images[which], SIM_MAX_BYTES);
    start = ((uint32_t)data[0] << 8 | data[1]) % (2u * FWX_SLOTS_BANK_BYTES);
    /* The mask covers the banks, then wraps into the spare sector and staging (torn transfer bytes). */
    for (i = 3; i < size && i - 3u < 2u * FWX_SLOTS_BANK_BYTES + 512u + 1024u; i++) flash.mem[(start + i - 3u) % (2u * FWX_SLOTS_BANK_BYTES + 512u + 1024u)] ^= data[i];
    reseal(g);
    if (fwx_slots_open(&store, &flash.port) != FWX_SLOTS_OK) return 0;
    sane();
    durable(fwx_slots_boot(&store, 3, &report));
    sane();
    t = fwx_slots_transfer(&store);
    if (t) {
        uint32_t at = fwx_slots_transfer_written(&store), n = t->size - at < 100u ? t->size - at : 100u;
        if (fwx_slots_transfer_write(&store, at, pkg, n) == FWX_SLOTS_OK) durable(fwx_slots_transfer_ack(&store, (const uint8_t *)"x", 1));
        sane();
    }
    durable(fwx_slots_set_config(&store, "mod-a", (const uint8_t *)"a\0b\0", 4));
    sane();
    durable(fwx_slots_remove(&store, "mod-b"));
    sane();
    durable(fwx_slots_transfer_begin(&store, "mod-c", 300, pkg, NULL, 0));
    sane();
    if (flash.violations != 0) abort(); /* a word programmed twice between erases, or outside the partition */
    return 0;
}
