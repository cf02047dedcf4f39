/*
 * Descriptors of every ABI function for the generic glue tests, generated
 * into tests/c/generated/fwx_test_abi.c from the lowered ABI: which slot
 * carries which parameter and what the glue must check about it.
 */
#ifndef TEST_DESC_H
#define TEST_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_abi_tables.h"

typedef enum test_param_kind {
    TP_INT = 1, TP_FLOAT, TP_BOOL, TP_ENUM, TP_FLAGS, TP_HANDLE, TP_STRING, TP_BUFFER, TP_MUT_BUFFER
} test_param_kind_t;

typedef struct test_param_desc {
    const char *name;
    uint8_t kind;          /* test_param_kind_t */
    uint8_t slot;          /* absolute slot index on sp (after the result slot) */
    uint8_t bits;          /* 8 16 32 64 for ints and floats */
    bool is_signed;
    bool checked;          /* the glue answers FWX_INVALID_ARG (or traps, for never functions) on bad values */
    int64_t min, max;      /* int range, when checked */
    uint32_t flags_mask;   /* TP_FLAGS */
    const uint32_t *enum_values; /* TP_ENUM */
    uint8_t enum_count;
    uint8_t handle_kind;   /* TP_HANDLE: fwx_handle_kind_t */
} test_param_desc_t;

typedef struct test_output_desc {
    const char *name;
    uint8_t slot;          /* slot of the out-pointer */
    uint8_t size;          /* 4 or 8 bytes in guest memory */
    char kind;             /* 'b' bool, 'u' unsigned, 's' signed, 'f' float */
    uint8_t bits;          /* natural width: 1 for bool, else 8 16 32 64 */
} test_output_desc_t;

typedef struct test_fn_desc {
    uint16_t import;       /* index into fwx_imports */
    char result;           /* 's' status, 'n' never returns, 'v' value */
    uint8_t result_bits;   /* 'v': 32 or 64 */
    uint8_t nslots;        /* result slots + argument slots */
    uint8_t nparams;
    const test_param_desc_t *params;
    uint8_t nouts;
    const test_output_desc_t *outs;
    bool gated;            /* the glue checks m->granted before the HAL */
    uint8_t capability;
} test_fn_desc_t;

extern const test_fn_desc_t fwx_test_functions[FWX_IMPORT_COUNT];

#endif /* TEST_DESC_H */
