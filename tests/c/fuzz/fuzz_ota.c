/*
 * fuzz_ota.c: the OTA state machine (fwx_ota.c) on a hostile broker: a
 * sequence of commands, chunks, deliveries, polls and reconnections, after
 * a boot that may find a partial download's record (hostile flash).
 * Built with -DFWX_OTA_TEST_UNSIGNED on tests/c/ota/ota_fakes.c, and with
 * fuzz_crypto_stub.c so that with the gate on, signed commands verify.
 * Input: byte 0 = flags (bit 0: the signed-command gate is on; bit 1: a
 * partial download's record follows as u16 length + JSON), then records
 * [type][u16 big-endian length][bytes]:
 *   0 cmd: the bytes as a command (JSON, or a signed CBOR command)
 *   1 chunk: bytes = session(2) offset(4) data; the harness adds the CRC
 *   2 raw chunk: the bytes as they are
 *   3 poll: bytes[0] * 50 ms later
 *   4 delivered: the mid of the newest qos>0 publication
 *   5 disconnect, then connect
 *   6 transfer read: read back what fwx_ota_read_transfer offers
 * Checks: the store is written only inside the opened transfer; the hold
 * stays in bounds; every publication but an ack is valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_crc32.h"
#include "fwx_json.h"
#include "fwx_ota.h"
#include "ota_fakes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fake_env env;
static fwx_ota ota;
static fwx_cmd_gate gate;
static fwx_ota_storage inner;
static const uint8_t root_key[32] = { 1 };
static const uint8_t seed[32] = { 2 };

static int checked_open(void *ctx, uint32_t n)
{
    return inner.open(ctx, n);
}

static int checked_write(void *ctx, uint32_t off, const uint8_t *d, size_t n)
{
    fake_env *e = ctx;
    if (!e->has_data || (uint64_t)off + n > e->open_size) abort(); /* outside the transfer that was opened */
    return inner.write(ctx, off, d, n);
}

static int checked_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int qos, int retain, int *mid)
{
    size_t tl = strlen(topic);
    if (tl >= FWX_OTA_TOPIC_MAX) abort();
    if (!(tl >= 4 && strcmp(topic + tl - 4, "/ack") == 0) && !fwx_json_valid((const char *)payload, len)) abort();
    {
        fwx_ota_transport t;
        fwx_ota_storage s;
        fwx_ota_host h;
        fake_env_wire(&env, &t, &s, &h);
        return t.publish(ctx, topic, payload, len, qos, retain, mid);
    }
}

static int save_counter(void *ctx, uint64_t counter)
{
    (void)ctx;
    (void)counter;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[FWX_OTA_MAX_CHUNK + 16];
    static uint8_t readback[1024];
    fwx_ota_transport net;
    fwx_ota_storage store;
    fwx_ota_host host;
    fwx_ota_config cfg = { "dev-1", "demo", "acme-foods", "cold-store-3", "fwx-c", NULL, NULL, NULL };
    size_t p = 1;
    uint64_t now = 1000;
    if (size < 1) return 0;
    fake_env_reset(&env);
    env.wall = 1780000000000LL; /* inside the seed commands' operator certificates */
    env.has_confirmed = 1;      /* the delta seed's base */
    memset(env.confirmed, 0xbb, sizeof env.confirmed);
    if ((data[0] & 2u) && size >= 3) {
        size_t n = (size_t)data[1] << 8 | data[2];
        if (n > size - 3) n = size - 3;
        if (n < sizeof env.meta) {
            memcpy(env.meta, data + 3, n);
            env.meta_len = (long)n;
            /* As if the transfer's bytes were there too. */
            env.has_data = 1;
            env.data_len = (uint32_t)(n * 7u);
            env.open_size = FAKE_STORE_BYTES;
        }
        p = 3 + n;
    }
    fake_env_wire(&env, &net, &store, &host);
    inner = store;
    store.open = checked_open;
    store.write = checked_write;
    net.publish = checked_publish;
    if (data[0] & 1u) {
        memset(&gate, 0, sizeof gate);
        gate.root_public_key = root_key;
        gate.device_id = "dev-1";
        gate.customer = "acme-foods";
        gate.group = "cold-store-3";
        gate.counter_port.save = save_counter;
        cfg.gate = &gate;
        cfg.device_seed = seed;
        cfg.device_cert_b64 = "AAAA";
    }
    if (fwx_ota_init(&ota, &cfg, &net, &store, &host) != 0) abort();
    env.ota = &ota;
    fwx_ota_on_connected(&ota, now);
    while (p + 3 <= size) {
        uint8_t type = data[p];
        size_t n = (size_t)data[p + 1] << 8 | data[p + 2];
        const uint8_t *b = data + p + 3;
        p += 3;
        if (n > size - p) n = size - p;
        p += n;
        switch (type % 7u) {
        case 0:
            fwx_ota_on_message(&ota, "fwx/v2/dev-1/cmd", b, n, now);
            break;
        case 1:
            if (n >= 6 && n - 6 <= FWX_OTA_MAX_CHUNK) {
                uint32_t crc = fwx_crc32(0, b + 6, n - 6);
                memcpy(frame, b, 6);
                frame[6] = (uint8_t)(crc >> 24);
                frame[7] = (uint8_t)(crc >> 16);
                frame[8] = (uint8_t)(crc >> 8);
                frame[9] = (uint8_t)crc;
                memcpy(frame + 10, b + 6, n - 6);
                fwx_ota_on_message(&ota, "fwx/v2/dev-1/chunk", frame, n + 4, now);
            }
            break;
        case 2:
            fwx_ota_on_message(&ota, "fwx/v2/dev-1/chunk", b, n, now);
            break;
        case 3:
            now += (uint64_t)(n ? b[0] : 1u) * 50u;
            fwx_ota_poll(&ota, now);
            break;
        case 4:
            if (env.npubs > 0) fwx_ota_on_delivered(&ota, env.pubs[env.npubs - 1].mid, now);
            break;
        case 5:
            fwx_ota_on_disconnected(&ota);
            fwx_ota_on_connected(&ota, now);
            break;
        default: {
            uint32_t off = 0;
            while (fwx_ota_read_transfer(&ota, off, readback, sizeof readback) == 0 && off < 64u * 1024u) off += (uint32_t)sizeof readback;
            break;
        }
        }
        if (ota.hold_used > FWX_OTA_HOLD_BYTES || ota.hold_count > FWX_OTA_HOLD_ENTRIES) abort();
        if (ota.active && ota.contiguous > ota.t.size) abort();
    }
    fwx_ota_poll(&ota, now + 100000u);
    if (getenv("FUZZ_VERBOSE")) {
        int i;
        for (i = 0; i < env.npubs; i++) fprintf(stderr, "%s %.*s\n", env.pubs[i].topic, (int)(env.pubs[i].len < 160 ? env.pubs[i].len : 160), (const char *)env.pubs[i].payload);
        fprintf(stderr, "completes %d\n", env.completes);
    }
    return 0;
}
