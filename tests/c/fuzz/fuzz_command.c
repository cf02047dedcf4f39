/*
 * fuzz_command.c: signed commands (fwx_cmd_open, fwx_cmd_admit,
 * fwx_cmd_to_json, fwx_cmd_allows, fwx_cmd_copy) and device certificates
 * (fwx_cmd_check_device_cert) on arbitrary bytes, behind
 * fuzz_crypto_stub.c (every signature verifies), so mutations reach the
 * body, operator-certificate and scope checks. Input: byte 0 = mode (bit 0:
 * the rest is a device certificate; bit 1: a revocation list is kept), then
 * the payload. Seeds are accepted commands and a device certificate of
 * tests/c/trust/corpus.ts.
 * Checks: every text the command names lies inside its body; JSON output
 * is NUL-terminated inside its buffer and valid JSON; a refusal names a
 * code and leaves the counter alone; an admitted command raises it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_command.h"
#include "fwx_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fwx_cmd_gate gate;
static const uint8_t root_key[32] = { 1 };
static const uint8_t seed[32] = { 2 };
static int saves;

static int save_counter(void *ctx, uint64_t counter)
{
    (void)ctx;
    (void)counter;
    saves++;
    return 0;
}

static uint64_t rl_serial_of(void *ctx)
{
    (void)ctx;
    return 9u;
}

static int rl_lists(void *ctx, const uint8_t digest[32], const uint8_t key[32])
{
    (void)ctx;
    (void)digest;
    return key[0] == 0xeeu ? 2 : 0;
}

static const fwx_rl_port rl_port = { NULL, NULL, rl_serial_of, rl_lists };

static void text_inside(const fwx_cmd *c, fwx_cmd_text t, int optional)
{
    if (t.len < 0) {
        if (!optional) abort();
        return;
    }
    if (t.at > c->body_len || (uint32_t)t.len > c->body_len - t.at || t.len > 64) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char json[2u * FWX_CMD_MAX], small[64], copy[65];
    char message[200];
    const char *code = NULL;
    fwx_cmd c;
    uint8_t *exact;
    uint32_t len;
    long n;
    if (size < 1 || size > FWX_CMD_MAX + 64u) return 0;
    len = (uint32_t)(size - 1);
    /* Exactly the payload's bytes on the heap: ASan sees any read past them. */
    exact = malloc(len ? len : 1u);
    if (!exact) return 0;
    memcpy(exact, data + 1, len);
    memset(&gate, 0, sizeof gate);
    gate.root_public_key = root_key;
    gate.device_id = "gw-17";
    gate.customer = "acme-foods";
    gate.group = "cold-store-3";
    gate.counter = 5u;
    gate.counter_port.save = save_counter;
    gate.revocations = (data[0] & 2u) ? &rl_port : NULL;
    if (data[0] & 1u) {
        message[0] = '\0';
        if (fwx_cmd_check_device_cert(&gate, exact, len, seed, 1780000000, message, sizeof message) != 0 && message[0] == '\0') abort();
        if (memchr(message, 0, sizeof message) == NULL) abort();
        free(exact);
        return 0;
    }
    if (fwx_cmd_open(exact, len, &c) == 0) {
        int before = saves;
        if (c.body < exact || c.body_len > len || (uint32_t)(c.body - exact) > len - c.body_len) abort();
        text_inside(&c, c.op, 0);
        text_inside(&c, c.device, 0);
        text_inside(&c, c.req, 0);
        text_inside(&c, c.from, 0);
        text_inside(&c, c.module, 1);
        text_inside(&c, c.version, 1);
        if (c.has_package && c.sha256_at + 32u > c.body_len) abort();
        if (c.has_delta && (c.base_at + 32u > c.body_len || c.delta_sha_at + 32u > c.body_len)) abort();
        if (c.revocations_at != FWX_CMD_ABSENT && (c.revocations_at > c.body_len || c.revocations_len > c.body_len - c.revocations_at)) abort();
        fwx_cmd_copy(&c, c.op, copy, sizeof copy);
        fwx_cmd_copy(&c, c.module, copy, 4u);
        fwx_cmd_copy(&c, c.version, copy, sizeof copy);
        (void)fwx_cmd_allows(&c, c.customers_at, "acme-foods");
        (void)fwx_cmd_allows(&c, c.groups_at, "cold-store-3");
        n = fwx_cmd_to_json(&c, json, sizeof json);
        if (n >= 0 && ((size_t)n >= sizeof json || json[n] != '\0' || !fwx_json_valid(json, (size_t)n))) abort();
        n = fwx_cmd_to_json(&c, small, sizeof small);
        if (n >= (long)sizeof small) abort();
        message[0] = '\0';
        if (fwx_cmd_admit(&gate, &c, 1780000000, &code, message, sizeof message) == 0) {
            if (saves != before + 1 || gate.counter != c.counter || c.counter <= 5u) abort();
        } else if (code == NULL || saves != before || gate.counter != 5u || memchr(message, 0, sizeof message) == NULL) {
            abort();
        }
    }
    free(exact);
    return 0;
}
