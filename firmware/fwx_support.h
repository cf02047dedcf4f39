/*
 * fwx_support.h: trap texts, UTF-8 validation and the abort message builder
 * shared by the generated glue. No wasm3 dependency: the install-time import
 * checker and host tools can use it too.
 */
#ifndef FWX_SUPPORT_H
#define FWX_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_module.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Traps the glue raises. A raw function returns one of these pointers (or,
 * for abort, module->trap_text); wasm3 hands the same pointer back as the
 * M3Result of m3_Call*, so fwx_trap_kind() can tell them apart by identity. */
extern const char fwx_trap_out_of_bounds[];    /* "[trap] fwx: out of bounds memory access" */
extern const char fwx_trap_handle_not_owned[]; /* "[trap] fwx: handle not owned by module" */
extern const char fwx_trap_fuel_exhausted[];   /* "[trap] fwx: fuel exhausted" */

typedef enum fwx_trap_kind {
    FWX_TRAP_NONE = 0,          /* result was NULL: no trap */
    FWX_TRAP_OUT_OF_BOUNDS = 1, /* a pointer/length or out-pointer outside linear memory */
    FWX_TRAP_HANDLE = 2,        /* a handle the module does not own */
    FWX_TRAP_FUEL = 3,          /* the callback spent its fuel budget */
    FWX_TRAP_ABORT = 4,         /* the module called core.abort; text in m->trap_text */
    FWX_TRAP_RUNTIME = 5        /* anything else: a wasm3 trap or error (its own text) */
} fwx_trap_kind_t;

/* Classifies the M3Result of a call into module `m`. */
fwx_trap_kind_t fwx_trap_kind(const fwx_module_t *m, const char *result);

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 if the bytes
 * there are not one (overlong forms, surrogates, > U+10FFFF, truncation). */
unsigned fwx_utf8_sequence(const uint8_t *p, uint32_t n);

/* Whether the n bytes at p are well-formed UTF-8. n == 0 is valid; p may be
 * NULL only when n == 0. */
bool fwx_utf8_valid(const uint8_t *p, uint32_t n);

/* Formats "[trap] fwx: abort: <message> at <file>:<line>:<column>" into
 * m->trap_text and returns it. The texts come from the guest: malformed
 * UTF-8 and control characters become '?', and a text too long for the
 * buffer is cut at a character boundary and ends in "...". */
const char *fwx_abort_trap(fwx_module_t *m, const uint8_t *message, uint32_t message_len,
                           const uint8_t *file, uint32_t file_len, uint32_t line, uint32_t column);

#ifdef __cplusplus
}
#endif

#endif /* FWX_SUPPORT_H */
