/* A RAM-backed NOR flash for the slot store's tests: counts program and
 * erase operations and can cut the power at operation N, leaving that
 * operation torn (a program half done with one byte partly programmed, an
 * erase leaving random bytes). A program over a non-erased byte, or a
 * misaligned one, is recorded as a violation: the store must never do it. */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include <stdint.h>

#include "fwx_flash_port.h"

#define SIM_MAX_BYTES (64u * 1024u)

typedef struct sim_flash {
  uint8_t mem[SIM_MAX_BYTES];
  uint64_t ops;
  uint64_t cut_at; /* 0: never */
  int cut;         /* power is off: every call fails */
  uint32_t rng;
  unsigned violations;
  char violation[160];
  fwx_flash_port_t port;
} sim_flash_t;

void sim_init(sim_flash_t *f, uint32_t size, uint32_t sector, uint32_t write_size);
/* Cut at the n-th program/erase from now (0: never); seed picks the tear. */
void sim_cut_after(sim_flash_t *f, uint64_t n, uint32_t seed);
/* Power back on (the torn content stays). */
void sim_power_on(sim_flash_t *f);
uint32_t sim_random(uint32_t *state);

#endif
