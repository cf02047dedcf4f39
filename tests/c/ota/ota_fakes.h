/* In-memory transport, partial-download store and host for the OTA state
 * machine's unit tests: they record what the device publishes. */
#ifndef OTA_FAKES_H
#define OTA_FAKES_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_ota.h"

#define FAKE_PUBS 256
#define FAKE_STORE_BYTES (256u * 1024u)

typedef struct fake_pub {
  char topic[FWX_OTA_TOPIC_MAX];
  uint8_t payload[FWX_OTA_OUT_MAX];
  size_t len;
  int qos, retain, mid;
} fake_pub;

typedef struct fake_env {
  fake_pub pubs[FAKE_PUBS];
  int npubs;
  int next_mid;
  int fail_publish;
  uint8_t data[FAKE_STORE_BYTES];
  uint32_t data_len;  /* bytes written (high-water mark) */
  uint32_t open_size;
  int has_data;
  char meta[2048];
  long meta_len;      /* -1: none */
  int syncs, meta_saves, fail_write;
  /* host */
  int64_t wall;
  char last_install[FWX_OTA_EVENT_MAX];
  int has_last;
  uint8_t confirmed[32];
  int has_confirmed;
  uint8_t trial[32];
  int has_trial;
  int completes;
  fwx_ota_transfer completed;
  int commands;
  fwx_ota *ota; /* commands publish their event (and the status with it) as the device does */
} fake_env;

void fake_env_reset(fake_env *e);
void fake_env_wire(fake_env *e, fwx_ota_transport *net, fwx_ota_storage *store, fwx_ota_host *host);
/* The n-th most recent publication on a topic leaf (0: newest), or NULL. */
const fake_pub *fake_last(const fake_env *e, const char *leaf);
int fake_count(const fake_env *e, const char *leaf);

#endif
