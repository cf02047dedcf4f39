/*
 * fwx_module.h: the per-module context the generated wasm3 glue hands to
 * every fwx_hal_* call. One per loaded module; the firmware owns the storage
 * (static or in its own module slot) and links it with fwx_link().
 */
#ifndef FWX_MODULE_H
#define FWX_MODULE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bit of capability id `id` (FWX_CAP_*) in fwx_module_t.granted. */
#define FWX_CAP_BIT(id) ((uint32_t)1u << (uint32_t)(id))

/* Room for "[trap] fwx: abort: <message> at <file>:<line>:<column>". Longer
 * texts are cut at a UTF-8 character boundary. */
#ifndef FWX_TRAP_TEXT_MAX
#define FWX_TRAP_TEXT_MAX 160u
#endif

struct fwx_module {
    /* The firmware's own per-module state (handle tables, grant scopes,
     * rate limits). The glue never reads or writes it. */
    void *board;
    /* FWX_CAP_BIT(id) for every capability kind the verified package was
     * granted. The glue answers FWX_NOT_PERMITTED for a call whose kind is
     * not set here without calling the HAL; the HAL checks the scope (which
     * pin, bus + address, topic) because only it knows the board. */
    uint32_t granted;
    /* Text of the last abort trap of this module. The abort raw function
     * returns a pointer into it, so it must outlive the call: it does, being
     * part of the module context. */
    char trap_text[FWX_TRAP_TEXT_MAX];
};

#ifndef FWX_MODULE_T_DEFINED
#define FWX_MODULE_T_DEFINED
typedef struct fwx_module fwx_module_t;
#endif

#ifdef __cplusplus
}
#endif

#endif /* FWX_MODULE_H */
