/* The smallest firmware that ships the whole C device runtime: what
 * bench/footprint.ts links for Cortex-M4 to measure the image an MCU engineer
 * flashes (after the linker's garbage collection, and with -flto).
 *
 * It calls every public entry point a device calls (fwx-device's
 * fwx_device_main.c in firmware/ports/posix/ does the same, with real ports):
 * the slot store's open and format, the device verifier, the signed-command
 * gate's own-certificate check, the revocation list, and the device core's
 * init, message, poll and shutdown, which reach the OTA state machine, the
 * verifier, the supervisor and the glue. The ports (flash, transport, kv,
 * clock, crypto, the peripheral HAL) and wasm3 are stubs that the bench
 * generates and leaves out of the count, as it leaves out this file: they are
 * the firmware's own code, not the runtime's. Never run; only linked. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fwx_device.h"
#include "fwx_device_verify.h"
#include "fwx_slots_partial.h"

/* The ports: defined in the generated stub object, outside the count. */
int32_t port_flash_read(void *ctx, uint32_t offset, void *dst, uint32_t len);
int32_t port_flash_program(void *ctx, uint32_t offset, const void *src, uint32_t len);
int32_t port_flash_erase(void *ctx, uint32_t offset);
const uint8_t *port_flash_map(void *ctx, uint32_t offset, uint32_t len);
int port_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int qos, int retain, int *mid);
int port_kv_save(void *ctx, const char *module, const uint8_t *bytes, uint32_t len);
long port_kv_load(void *ctx, const char *module, uint8_t *out, uint32_t cap);
int64_t port_wall_ms(void *ctx);
int port_counter_save(void *ctx, uint64_t counter);
int port_rl_save(void *ctx, const uint8_t *bytes, uint32_t len);
long port_rl_load(void *ctx, uint8_t *out, uint32_t cap);
volatile uint32_t port_input;
const uint8_t *volatile port_bytes;

int main(void);

static fwx_slots_t slots;
static fwx_device device;
static fwx_device_trust trust;
static fwx_cmd_gate gate;
static fwx_rl_keeper revocations;
static fwx_verify_work verify_work;
static fwx_rl_port revocations_port;
static uint8_t seed[32];

int main(void) {
  fwx_flash_port_t flash = {NULL, 1u << 20, 4096u, 4u, port_flash_read, port_flash_program, port_flash_erase, NULL, port_flash_map};
  fwx_ota_transport net = {NULL, port_publish};
  fwx_device_kv kv = {NULL, port_kv_save, port_kv_load};
  fwx_ota_storage staging = {&slots, fwx_slots_partial_open, fwx_slots_partial_write, fwx_slots_partial_read,
                             fwx_slots_partial_sync, fwx_slots_partial_save_meta, fwx_slots_partial_load_meta,
                             fwx_slots_partial_stored, fwx_slots_partial_discard};
  fwx_device_verifier verifier;
  fwx_device_config cfg;
  char error[160];
  fwx_rl_store rl_store = {NULL, port_rl_save, port_rl_load};

  trust.work = &verify_work;
  if (fwx_slots_open(&slots, &flash) != 0 && fwx_slots_format(&slots, &flash) != 0) return 1;
  if (fwx_rl_keeper_open(&revocations, trust.root_public_key, &rl_store, verify_work.revocations, (uint32_t)sizeof verify_work.revocations) != 0) return 4;
  fwx_rl_keeper_port(&revocations, &revocations_port);
  trust.revocations = &revocations;
  gate.revocations = &revocations_port;
  gate.counter_port.save = port_counter_save;
  if (fwx_cmd_check_device_cert(&gate, port_bytes, port_input, seed, 0, error, sizeof error) != 0) return 2;
  fwx_device_verifier_init(&verifier, &trust);
  memset(&cfg, 0, sizeof cfg);
  cfg.ota.device_id = "d";
  cfg.ota.gate = &gate;
  cfg.check_work = &verify_work.check;
  cfg.ota.device_seed = seed;
  if (fwx_device_init(&device, &cfg, &verifier, &slots, &kv, &net, &staging, NULL, port_wall_ms, NULL, 0) != 0) return 3;
  for (;;) {
    if (port_input) fwx_device_on_message(&device, "t", port_bytes, port_input, 0);
    if (fwx_device_poll(&device, port_input) == 0u) break;
  }
  fwx_device_shutdown(&device);
  return 0;
}
