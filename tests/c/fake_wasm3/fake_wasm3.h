/* Test controls of the fake wasm3 runtime (see fake_wasm3.c). */
#ifndef FAKE_WASM3_CONTROL_H
#define FAKE_WASM3_CONTROL_H

#include <stdbool.h>

#include "wasm3.h"

#define FAKE_MAX_IMPORTS 64u
#define FAKE_MAX_EXPORTS 16u
#define FAKE_MAX_RUNTIMES 6u

extern const char fake_err_signature_mismatch[];
extern const char fake_err_function_not_called[];
/* wasm3's own trap texts, as v0.5.0 and 0.9.0 spell them. */
extern const char fake_trap_unreachable[];
extern const char fake_trap_out_of_bounds[];
extern const char fake_trap_stack_overflow[];
extern const char fake_trap_divide_by_zero[];

/* An export backed by C: params/results in fwx_abi_tables spelling ("I", ""). */
typedef struct fake_export {
    const char *name;
    const char *params;
    const char *results;
    M3Result (*call)(void *state, const uint64_t *args, uint64_t *results);
    void *state;
} fake_export_t;

/* Fresh runtime and module with a zeroed memory of memory_size bytes (0: none). */
void fake_reset(uint32_t memory_size);
IM3Runtime fake_runtime(void);
IM3Module fake_module(void);
/* Reallocates memory elsewhere (as memory.grow may) and frees the old block. */
void fake_move_memory(uint32_t new_size);
/* Declares an import of the module, as its import section would. */
void fake_declare_import(const char *module, const char *name, const char *signature);
/* How many times that import was linked. */
unsigned fake_link_count(const char *module, const char *name);
/* Calls the raw function linked to module.name with slots sp, as wasm3 would. */
const void *fake_invoke(const char *module, const char *name, uint64_t *sp);
void fake_add_export(const fake_export_t *e);

/*
 * Scripted guests: a module whose lifecycle exports are C functions. The
 * fake exports __fwx_fuel_set/get, __fwx_mem_limit_set and (with `start`)
 * __fwx_start like an mcu-instrumented module. Guest code runs inside
 * m3_CallV and uses the fake_guest_* helpers on the runtime that called it:
 * host calls go through the real generated raw functions against a real
 * linear memory; fuel burns like instrumented code (a cached local written
 * back around host calls, lost on a trap); grow follows the checked grow.
 */
typedef struct fake_call {
    const uint32_t *args;     /* i32 arguments of the export */
    int32_t result;           /* i32 result, for fwx_init / fwx_health */
    void *state;              /* fake_guest_t.state */
} fake_call_t;

typedef M3Result (*fake_guest_fn)(fake_call_t *call);

typedef struct fake_guest {
    const char *name;
    const unsigned *imports;  /* FWX_IMPORT_* indices the module imports */
    unsigned nimports;
    fake_guest_fn init;       /* required by the module check: always exported */
    fake_guest_fn on_timer, on_event, health, deinit, start;
    uint32_t initial_pages;
    bool no_fuel_exports;     /* not instrumented */
    bool no_limit_export;     /* instrumented by the old tool (no checked grow) */
    const char *compile_error;/* m3_CompileModule's answer */
    void *state;
} fake_guest_t;

/* Guests loaded from now on export __fwx_grow_refused, the instrumenter's
 * refused-grow flag (default), or not (modules instrumented before it). */
void fake_guest_grow_flag(bool exported);

/* Writes a wasm module with the guest's imports and exports (valid for
 * fwx_check_module) into buf and registers it: m3_ParseModule of exactly
 * these bytes runs `g`. Returns the length (0: buf too small). */
uint32_t fake_guest_module(const fake_guest_t *g, uint8_t *buf, uint32_t cap);

/* Inside guest code: */
M3Result fake_guest_burn(uint64_t fuel);          /* spend fuel; the trap when it runs out */
M3Result fake_guest_loop_forever(void);           /* a call-free loop: ends only when fuel does */
M3Result fake_guest_host(unsigned import_index, uint64_t *sp); /* call an import through its raw function */
int32_t fake_guest_grow(uint32_t delta_pages);    /* memory.grow as instrumented: -1 past the limit */
/* A load or store of `len` bytes at `addr` as instrumented (ram-bound.ts):
 * NULL when it is inside the RAM budget, else the fault is recorded for
 * __fwx_ram_fault and the unreachable trap returned. */
M3Result fake_guest_access(uint32_t addr, uint32_t len);
uint8_t *fake_guest_memory(uint32_t *size);
void *fake_guest_context(void);                   /* the userdata fwx_link gave (the fwx_module_t) */

/* Runtimes currently allocated by m3_NewRuntime and not freed. */
unsigned fake_live_runtimes(void);
/* The next m3_NewRuntime fails (returns NULL). */
void fake_fail_next_runtime(void);

#endif /* FAKE_WASM3_CONTROL_H */
