/*
 * The recording fake HAL the glue tests drive (its fwx_hal_* bodies are
 * generated into tests/c/generated/fwx_test_abi.c from the lowered ABI).
 * Every call records what the HAL received; the test scripts what it returns.
 */
#ifndef FAKE_HAL_H
#define FAKE_HAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_abi.h"
#include "fwx_module.h"

#define FAKE_MAX_PARAMS 12

typedef struct fake_hal {
    /* Recorded. */
    unsigned calls;                  /* fwx_hal_* calls since fake_hal_reset */
    int fn;                          /* fwx_imports index of the last call, -1 for none */
    fwx_module_t *m;                 /* context of the last call */
    uint64_t value[FAKE_MAX_PARAMS]; /* by-value params: unsigned zero-extended, signed
                                        sign-extended, bool 0/1, floats as IEEE bits */
    const void *ptr[FAKE_MAX_PARAMS];/* string/buffer/mut-buffer params */
    uint32_t len[FAKE_MAX_PARAMS];
    unsigned owned_queries;          /* fwx_hal_handle_owned calls */
    fwx_handle_kind_t owned_kind_asked;
    /* Scripted. */
    fwx_status_t status;             /* returned by status functions */
    uint64_t result;                 /* returned by value functions (bits) */
    bool set_out[FAKE_MAX_PARAMS];   /* outputs the HAL writes ... */
    uint64_t out[FAKE_MAX_PARAMS];   /* ... with these bits */
    int fill;                        /* byte written over every mut-buffer, -1 for none */
    void (*during)(void);            /* runs inside every HAL call */
    uint32_t owned_handle;           /* the one handle value fwx_hal_handle_owned accepts ... */
    fwx_handle_kind_t owned_kind;    /* ... and only for this kind */
} fake_hal_t;

extern fake_hal_t fake_hal;

void fake_hal_reset(void);

#endif /* FAKE_HAL_H */
