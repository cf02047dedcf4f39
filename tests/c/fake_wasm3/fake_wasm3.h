/* Test controls of the fake wasm3 runtime (see fake_wasm3.c). */
#ifndef FAKE_WASM3_CONTROL_H
#define FAKE_WASM3_CONTROL_H

#include "wasm3.h"

#define FAKE_MAX_IMPORTS 64u
#define FAKE_MAX_EXPORTS 8u

extern const char fake_err_signature_mismatch[];

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

#endif /* FAKE_WASM3_CONTROL_H */
