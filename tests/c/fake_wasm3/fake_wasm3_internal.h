/* Shared by fake_wasm3.c and fake_guest.c only. */
#ifndef FAKE_WASM3_INTERNAL_H
#define FAKE_WASM3_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_wasm3.h"

typedef struct fake_import {
    const char *module;
    const char *name;
    const char *signature;
    M3RawCall fn;
    const void *userdata;
    unsigned links;
} fake_import_t;

struct M3Function {
    const fake_export_t *export_;
    IM3Runtime runtime;
    uint64_t results[2];
};

struct M3Module {
    bool in_use;
    const fake_guest_t *guest;
    IM3Runtime runtime;
    fake_import_t imports[FAKE_MAX_IMPORTS];
    unsigned nimports;
};

struct M3Runtime {
    bool in_use;
    uint8_t *memory;
    uint32_t size;
    uint32_t stack_bytes;
    void *userdata;
    IM3Module module;
    fake_export_t exports[FAKE_MAX_EXPORTS];
    struct M3Function functions[FAKE_MAX_EXPORTS];
    unsigned nexports;
    IM3Function last_called;   /* whose results m3_GetResultsV may read */
    IM3Function trapped;       /* for m3_GetErrorInfo */
    M3BacktraceFrame trap_frame; /* m3_GetBacktrace: one frame, at the first instruction of the export that trapped */
    M3BacktraceInfo backtrace;
    /* Instrumented-guest state. */
    int64_t fuel;              /* the fuel global */
    int64_t spent;             /* burnt since the last write-back (the cached local) */
    uint32_t mem_limit_pages;
    bool grow_refused;         /* a grow returned -1 since the last fuel set */
    uint32_t ram_limit_bytes;  /* __fwx_ram_limit_set (src/fuel/ram-bound.ts) */
    int64_t ram_fault;         /* __fwx_ram_fault: -1, or address | length << 32 */
};

const fake_guest_t *fake_guest_for_bytes(const uint8_t *bytes, uint32_t len);
/* Module offset of the first instruction of the guest's export `name` in the bytes fake_guest_module wrote; 0: none. */
uint32_t fake_guest_code_offset(const fake_guest_t *g, const char *name);
void fake_guest_load(IM3Runtime rt, const fake_guest_t *g);
void fake_resize_memory(IM3Runtime rt, uint32_t new_size);
void fake_module_declare_import(IM3Module module, const char *name_module, const char *name, const char *signature);
fake_import_t *fake_find_import(IM3Module module, const char *name_module, const char *name);
const void *fake_runtime_invoke(IM3Runtime rt, const char *module, const char *name, uint64_t *sp);
void fake_runtime_add_export(IM3Runtime rt, const fake_export_t *e);

#endif /* FAKE_WASM3_INTERNAL_H */
