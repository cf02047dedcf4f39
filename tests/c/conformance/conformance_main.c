/*
 * The C side of the conformance table (tests/conformance/): the generated
 * wasm3 glue on the fake wasm3, with the peripheral HAL of the POSIX device
 * (the HAL bridge) talking to `fwx board serve`'s server. Reads a script on
 * stdin, one command a line, and prints one result line per call or read:
 *
 *   connect <socket path>                 -> "ok" | "error <text>"
 *   reset <memory bytes>                   fresh linear memory, all imports declared
 *   attach <slot> <granted mask> <module id> <capabilities JSON>   -> "ok" | "error <text>"
 *   mem <offset> <hex bytes>               writes guest memory
 *   call <slot> <import index> <n> <v0> .. <vn-1>   slots as wasm3 passes them (decimal u64)
 *                                         -> "status <n>" | "trap <kind>" | "error <text>"
 *   read <offset> <len>                    -> "bytes <hex>"
 *   now <us>                               sets the device clock the next calls carry
 *   events <timeout ms>                    -> "event <slot> <kind> <handle> <arg>" per board event, then "end"
 *                                             ("end lost" when the link failed)
 *
 * Only peripheral calls reach a HAL (over the bridge); the other HAL
 * functions exist to link and report a call as an error.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_wasm3.h"
#include "fwx_abi.h"
#include "fwx_abi_tables.h"
#include "fwx_abi_wasm3.h"
#include "fwx_bridge.h"
#include "fwx_support.h"

#define MODULES 4u
#define LINE_MAX 16384

static fwx_module_t modules[MODULES];
static unsigned unexpected_hal_calls;
static char lost_reason[256];

static uint64_t now_us;
static uint64_t device_now(void) { return now_us; }

static void on_lost(const char *why)
{
    snprintf(lost_reason, sizeof lost_reason, "%s", why);
}

/* The non-peripheral HAL: never reached by a peripheral row. */
#define UNEXPECTED() (unexpected_hal_calls++, FWX_OTHER)
void fwx_hal_core_abort(fwx_module_t *m, const char *message, uint32_t message_len, const char *file, uint32_t file_len, uint32_t line, uint32_t column)
{ (void)m; (void)message; (void)message_len; (void)file; (void)file_len; (void)line; (void)column; unexpected_hal_calls++; }
fwx_status_t fwx_hal_core_log(fwx_module_t *m, fwx_core_log_level_t level, const char *message, uint32_t message_len)
{ (void)m; (void)level; (void)message; (void)message_len; return UNEXPECTED(); }
uint64_t fwx_hal_core_now_ms(fwx_module_t *m) { (void)m; unexpected_hal_calls++; return 0u; }
uint64_t fwx_hal_core_now_us(fwx_module_t *m) { (void)m; unexpected_hal_calls++; return 0u; }
fwx_status_t fwx_hal_core_config_get(fwx_module_t *m, const char *key, uint32_t key_len, uint8_t *value, uint32_t value_cap, uint32_t *value_len)
{ (void)m; (void)key; (void)key_len; (void)value; (void)value_cap; (void)value_len; return UNEXPECTED(); }
fwx_status_t fwx_hal_core_error_detail(fwx_module_t *m, uint8_t *text, uint32_t text_cap, uint32_t *text_len)
{ (void)m; (void)text; (void)text_cap; (void)text_len; return UNEXPECTED(); }
void fwx_hal_core_fuel_exhausted(fwx_module_t *m) { (void)m; unexpected_hal_calls++; }
fwx_status_t fwx_hal_timer_start(fwx_module_t *m, uint32_t id, uint32_t period_ms, bool periodic)
{ (void)m; (void)id; (void)period_ms; (void)periodic; return UNEXPECTED(); }
fwx_status_t fwx_hal_timer_cancel(fwx_module_t *m, uint32_t id) { (void)m; (void)id; return UNEXPECTED(); }
fwx_status_t fwx_hal_kv_get(fwx_module_t *m, const char *key, uint32_t key_len, uint8_t *value, uint32_t value_cap, uint32_t *value_len)
{ (void)m; (void)key; (void)key_len; (void)value; (void)value_cap; (void)value_len; return UNEXPECTED(); }
fwx_status_t fwx_hal_kv_set(fwx_module_t *m, const char *key, uint32_t key_len, const uint8_t *value, uint32_t value_len)
{ (void)m; (void)key; (void)key_len; (void)value; (void)value_len; return UNEXPECTED(); }
fwx_status_t fwx_hal_kv_delete(fwx_module_t *m, const char *key, uint32_t key_len) { (void)m; (void)key; (void)key_len; return UNEXPECTED(); }
fwx_status_t fwx_hal_telemetry_publish(fwx_module_t *m, const char *topic, uint32_t topic_len, const uint8_t *payload, uint32_t payload_len)
{ (void)m; (void)topic; (void)topic_len; (void)payload; (void)payload_len; return UNEXPECTED(); }

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static const char *trap_kind(const void *r)
{
    if (r == fwx_trap_out_of_bounds) return "out-of-bounds";
    if (r == fwx_trap_handle_not_owned) return "foreign-handle";
    return (const char *)r;
}

static void reset(uint32_t size)
{
    unsigned i;
    fake_reset(size);
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) fake_declare_import(fwx_imports[i].module, fwx_imports[i].name, fwx_imports[i].wasm3_signature);
}

static void call(char *args)
{
    uint64_t sp[24];
    unsigned slot, fn, n, i;
    int used = 0;
    const void *r;
    memset(sp, 0, sizeof sp);
    if (sscanf(args, "%u %u %u%n", &slot, &fn, &n, &used) != 3 || slot >= MODULES || fn >= FWX_IMPORT_COUNT || n > 24u) {
        printf("error bad call line\n");
        return;
    }
    args += used;
    for (i = 0u; i < n; i++) {
        char *end;
        sp[i] = strtoull(args, &end, 10);
        if (end == args) { printf("error bad slot value\n"); return; }
        args = end;
    }
    if (fwx_link(fake_module(), &modules[slot], NULL) != NULL) { printf("error fwx_link failed\n"); return; }
    lost_reason[0] = '\0';
    unexpected_hal_calls = 0u;
    r = fake_invoke(fwx_imports[fn].module, fwx_imports[fn].name, sp);
    if (lost_reason[0] != '\0') printf("error bridge lost: %s\n", lost_reason);
    else if (unexpected_hal_calls) printf("error a non-peripheral HAL function was called\n");
    else if (r != NULL) printf("trap %s\n", trap_kind(r));
    else printf("status %u\n", (unsigned)(uint32_t)sp[0]);
}

int main(void)
{
    static char line[LINE_MAX];
    char err[256];
    fwx_bridge_set_lost_handler(on_lost);
    reset(65536u);
    while (fgets(line, sizeof line, stdin) != NULL) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) *nl = '\0';
        if (strncmp(line, "connect ", 8) == 0) {
            if (fwx_bridge_connect(line + 8, device_now, err, sizeof err) != 0) printf("error connect: %s\n", err);
            else printf("ok\n");
        } else if (strncmp(line, "reset ", 6) == 0) {
            reset((uint32_t)strtoul(line + 6, NULL, 10));
        } else if (strncmp(line, "attach ", 7) == 0) {
            unsigned slot;
            unsigned long mask;
            char id[80];
            int used = 0;
            if (sscanf(line + 7, "%u %lu %79s %n", &slot, &mask, id, &used) != 3 || slot >= MODULES) { printf("error bad attach line\n"); continue; }
            fwx_bridge_detach(&modules[slot]);
            memset(&modules[slot], 0, sizeof modules[slot]);
            modules[slot].granted = (uint32_t)mask;
            if (fwx_bridge_attach(&modules[slot], id, line + 7 + used, err, sizeof err) != 0) printf("error attach: %s\n", err);
            else printf("ok\n");
        } else if (strncmp(line, "detach ", 7) == 0) {
            unsigned slot = (unsigned)strtoul(line + 7, NULL, 10);
            if (slot < MODULES) fwx_bridge_detach(&modules[slot]);
        } else if (strncmp(line, "mem ", 4) == 0) {
            uint32_t size = 0u;
            uint8_t *mem = m3_GetMemory(fake_runtime(), &size, 0u);
            char *p;
            unsigned long off = strtoul(line + 4, &p, 10);
            while (*p == ' ') p++;
            for (; p[0] != '\0' && p[1] != '\0' && off < size; p += 2, off++) {
                int hi = hex_nibble(p[0]), lo = hex_nibble(p[1]);
                if (hi < 0 || lo < 0) break;
                mem[off] = (uint8_t)(hi * 16 + lo);
            }
        } else if (strncmp(line, "call ", 5) == 0) {
            call(line + 5);
        } else if (strncmp(line, "read ", 5) == 0) {
            uint32_t size = 0u;
            const uint8_t *mem = m3_GetMemory(fake_runtime(), &size, 0u);
            unsigned long off = 0u, len = 0u, i;
            if (sscanf(line + 5, "%lu %lu", &off, &len) != 2 || off > size || len > size - off) { printf("error bad read\n"); continue; }
            printf("bytes ");
            for (i = 0u; i < len; i++) printf("%02x", mem[off + i]);
            printf("\n");
        } else if (strncmp(line, "now ", 4) == 0) {
            now_us = strtoull(line + 4, NULL, 10);
        } else if (strncmp(line, "events ", 7) == 0) {
            int timeout = (int)strtol(line + 7, NULL, 10);
            fwx_bridge_event_t ev;
            int got;
            while ((got = fwx_bridge_next_event(&ev, timeout)) == 1) {
                unsigned slot;
                for (slot = 0u; slot < MODULES && &modules[slot] != ev.m; slot++) {}
                printf("event %u %u %u %u\n", slot, (unsigned)ev.kind, (unsigned)ev.handle, (unsigned)ev.arg);
                timeout = 0;
            }
            printf(got < 0 ? "end lost\n" : "end\n");
        } else if (line[0] != '\0') {
            printf("error unknown command\n");
        }
        fflush(stdout);
    }
    fwx_bridge_close();
    return 0;
}
