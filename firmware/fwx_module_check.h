/*
 * fwx_module_check.h: install-time check of a wasm module against the ABI
 * this firmware offers. wasm3 finds a missing or mismatched import only when
 * it compiles or first calls the function, i.e. in the field; this check
 * refuses the module before it is written to flash or started.
 *
 * It reads every section and every instruction of every function body, as
 * `fwx validate --device-class mcu` does (src/validate): wasm3 compiles a
 * function only when it is first called, so an instruction it cannot run in
 * a function reached only from a timer would otherwise trap in the field.
 * It refuses what wasm3 cannot run (fwx_code_check.h), what exceeds the mcu
 * resource limits (fwx_check_limits.h) or the RAM budget, and checks operand
 * types as a WebAssembly validator does. Bounds-checked reads, no allocation, no recursion, stack use
 * independent of the input; static tables (about 11 KiB: operand and block
 * stacks, the types of functions, globals and locals), so one check runs at
 * a time. Work is bounded by the limits: at most
 * (imports + exports + functions) x (types + functions) small reads.
 */
#ifndef FWX_MODULE_CHECK_H
#define FWX_MODULE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_abi_section.h"
#include "fwx_abi_tables.h"
#include "fwx_check_limits.h"
#include "fwx_code_check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The imports limit of fwx_check_limits.h under its older name: one limit,
 * so lowering FWX_LIMIT_IMPORTS lowers both. */
#define FWX_CHECK_MAX_IMPORTS FWX_LIMIT_IMPORTS

typedef enum fwx_check_error {
    FWX_CHECK_OK = 0,
    FWX_CHECK_NOT_WASM,          /* no "\0asm" magic or version other than 1 */
    FWX_CHECK_TRUNCATED,         /* a section, vector, name or LEB runs past its end */
    FWX_CHECK_LEB_OVERFLOW,      /* a LEB128 u32 longer than 5 bytes or above 32 bits */
    FWX_CHECK_MALFORMED,         /* unknown section id, sections out of order or repeated,
                                    size mismatch, bad type form, value type or import kind,
                                    type index out of range, name not UTF-8,
                                    a lifecycle export name exported twice */
    FWX_CHECK_TOO_MANY_IMPORTS,  /* more than FWX_CHECK_MAX_IMPORTS imports */
    FWX_CHECK_BAD_ABI_SECTION,   /* fwx.abi malformed or present twice; see abi_error */
    FWX_CHECK_UNSUPPORTED,       /* a type, instruction or section of a feature wasm3 cannot
                                    run: SIMD, threads (shared memory, atomics), reference
                                    types, passive segments, multiple memories or tables,
                                    exception handling, tail calls, GC, memory64, ... */
    FWX_CHECK_LIMIT,             /* past a resource limit of fwx_check_limits.h */
    FWX_CHECK_OVER_BUDGET,       /* initial memory or static RAM needs above ram_budget_bytes */
    FWX_CHECK_NO_MEMORY,         /* imports functions that take pointers, defines no memory */
    FWX_CHECK_NO_TIMER_CALLBACK, /* imports timer.start without exporting fwx_on_timer */
    FWX_CHECK_INVALID,           /* fails validation: operand types, values left at a block
                                    end, a constant of the wrong type, ... */
    FWX_CHECK_NO_WORK            /* the caller gave no work area (check->work is NULL) */
} fwx_check_error_t;

typedef enum fwx_import_verdict {
    FWX_IMPORT_OK = 0,
    FWX_IMPORT_NOT_FWX,            /* module name not "fwx:<interface>@<major>" (env.system) */
    FWX_IMPORT_UNKNOWN_INTERFACE,  /* fwx:foo@1: no such interface offered */
    FWX_IMPORT_MAJOR_MISMATCH,     /* fwx:gpio@2 while gpio 1.x is offered */
    FWX_IMPORT_UNKNOWN_FUNCTION,   /* interface offered, function not in it (maybe a newer minor) */
    FWX_IMPORT_SIGNATURE_MISMATCH, /* function known, wasm type differs */
    FWX_IMPORT_NOT_A_FUNCTION      /* a table, memory, global or tag import */
} fwx_import_verdict_t;

typedef enum fwx_requirement_verdict {
    FWX_REQUIREMENT_OK = 0,
    FWX_REQUIREMENT_UNKNOWN_INTERFACE,
    FWX_REQUIREMENT_MAJOR_MISMATCH,
    FWX_REQUIREMENT_NEWER_MINOR    /* built against a newer minor than offered */
} fwx_requirement_verdict_t;

/* What the module exports under each lifecycle name (fwx_exports[]). */
typedef enum fwx_export_verdict {
    FWX_EXPORT_ABSENT = 0,          /* not exported; fine for optional exports */
    FWX_EXPORT_OK,
    FWX_EXPORT_MISSING,             /* a required export (fwx_init) is absent */
    FWX_EXPORT_SIGNATURE_MISMATCH,
    FWX_EXPORT_NOT_A_FUNCTION
} fwx_export_verdict_t;

typedef struct fwx_import_check {
    uint32_t offset;          /* of the import entry in the module bytes */
    const uint8_t *module;    /* into the module bytes, not NUL-terminated */
    uint32_t module_len;
    const uint8_t *name;
    uint32_t name_len;
    uint8_t kind;             /* 0 function, 1 table, 2 memory, 3 global, 4 tag */
    uint8_t verdict;          /* fwx_import_verdict_t */
    int16_t known;            /* fwx_imports[] index, -1 if none */
    int16_t iface;            /* fwx_interfaces[] index of the named interface, -1 if none */
    uint32_t type_index;      /* functions: index into the type section */
} fwx_import_check_t;

typedef struct fwx_requirement_check {
    fwx_abi_entry_t entry;
    int16_t iface;            /* fwx_interfaces[] index, -1 if not offered */
    uint8_t verdict;          /* fwx_requirement_verdict_t */
} fwx_requirement_check_t;

/* The check's tables, sized by the mcu limits of fwx_check_limits.h and the
 * type check's bounds (about 10.5 KiB at the defaults): the types of the
 * module's index spaces and the operand and block stacks. Caller storage,
 * needed only while fwx_check_module() runs: the check keeps no static
 * state (two checks may run at once on two work areas), and an install can
 * lend memory that is idle while it checks a module. */
typedef struct fwx_check_work {
    uint32_t type_offsets[FWX_LIMIT_TYPES];                        /* per type: offset of its parameter vector */
    uint16_t func_types[FWX_LIMIT_IMPORTS + FWX_LIMIT_FUNCTIONS];   /* per function: its type index */
    uint8_t global_types[FWX_LIMIT_IMPORTS + FWX_LIMIT_GLOBALS];    /* per global: type byte | 0x80 when mutable */
    uint8_t local_types[FWX_LIMIT_LOCALS_PER_FUNCTION];             /* the body being checked */
    fwx_code_stack_t stack;
} fwx_check_work_t;

typedef struct fwx_module_check {
    /* In: the work area (required; its contents need no initialisation). */
    fwx_check_work_t *work;
    /* In: caller storage for per-item verdicts (may be NULL / 0: counts only).
     * Items beyond the capacity are still checked and counted. */
    fwx_import_check_t *imports;
    uint32_t imports_cap;
    fwx_requirement_check_t *requirements;
    uint32_t requirements_cap;
    /* Linear memory the module may use, in bytes; 0 means FWX_CHECK_DEFAULT_RAM_BUDGET. */
    uint32_t ram_budget_bytes;
    /* Out. */
    fwx_check_error_t error;
    uint32_t error_offset;
    fwx_abi_section_error_t abi_error;  /* with FWX_CHECK_BAD_ABI_SECTION */
    uint32_t import_count;
    uint32_t imports_rejected;
    uint8_t first_import_verdict;      /* fwx_import_verdict_t of the first refused import (FWX_IMPORT_OK: none),
                                          whatever imports_cap is */
    bool has_abi_section;
    uint32_t requirement_count;
    uint32_t requirements_rejected;
    uint8_t exports[FWX_EXPORT_COUNT]; /* fwx_export_verdict_t per fwx_exports[] entry */
    uint32_t exports_rejected;
    /* FWX_CHECK_NO_MEMORY or FWX_CHECK_NO_TIMER_CALLBACK when the accepted
     * imports need what the module lacks; `error` stays for structure. */
    fwx_check_error_t needs_error;
} fwx_module_check_t;

/* Checks `len` bytes of a module. Returns true when the module is structurally
 * sound, every import is an fwx function this firmware offers with the right
 * signature, every fwx.abi requirement is met, and the lifecycle exports
 * (fwx_init required, the others optional) have their ABI signatures. The verdict arrays point
 * into `bytes`, which must stay valid while they are used. */
bool fwx_check_module(const uint8_t *bytes, uint32_t len, fwx_module_check_t *check);

const char *fwx_check_error_text(fwx_check_error_t e);
const char *fwx_import_verdict_text(fwx_import_verdict_t v);
const char *fwx_requirement_verdict_text(fwx_requirement_verdict_t v);
const char *fwx_export_verdict_text(fwx_export_verdict_t v);

#ifdef __cplusplus
}
#endif

#endif /* FWX_MODULE_CHECK_H */
