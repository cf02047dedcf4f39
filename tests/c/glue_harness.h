/* Shared harness of the glue tests (test_glue.c, test_glue_hostile.c). */
#ifndef GLUE_HARNESS_H
#define GLUE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_hal.h"
#include "fwx_abi_tables.h"
#include "fwx_module.h"
#include "test_desc.h"

#define MEM 4096u                      /* linear memory of every test module */
#define OWNED 0x00c0ffeeu              /* the one handle value the fake HAL owns */
#define OUT_BASE 3072u                 /* out-slot k lives at OUT_BASE + 16 * k */
#define GARBAGE 0xa5a5a5a5a5a5a5a5ull  /* fills unused slot halves: the glue must ignore them */
#define PRESET 0xeeu                   /* fills out-slots before a call */
#define SLOT_COUNT 24u

extern fwx_module_t ctx;
extern uint64_t slots[SLOT_COUNT];
extern uint32_t param_off[FAKE_MAX_PARAMS];   /* guest offset of each pointer param in setup_valid */
extern uint32_t param_len[FAKE_MAX_PARAMS];

const fwx_import_desc_t *imp(const test_fn_desc_t *d);
uint8_t *memory(void);
/* A fresh runtime with every ABI function imported and linked to ctx. */
void fresh(uint32_t mem_size);
void set_slot32(unsigned slot, uint32_t v);
/* Slots and memory for a valid call; expect[k] = bits the HAL must record for param k. */
void setup_valid(const test_fn_desc_t *d, uint64_t *expect);
/* Bits the fake HAL writes to an output in the tests (round-trip exact). */
uint64_t out_value(const test_output_desc_t *o);
const void *invoke(const test_fn_desc_t *d);
bool preset_untouched(uint32_t off, unsigned n);
/* Checks the trap a never-returning function raises. */
void check_never_trap(const test_fn_desc_t *d, const void *r);
/* Checks a call refused before the HAL: by `trap`, or else with `status`. */
void expect_refused(const test_fn_desc_t *d, const void *r, const void *trap, fwx_status_t status);

void test_glue_hostile(const test_fn_desc_t *d);

#endif /* GLUE_HARNESS_H */
