/*
 * Fake wasm3 runtime for the glue tests: one linear memory the test can
 * resize or move, a module whose import list the test declares, raw
 * functions linked against it, and exports backed by C callbacks.
 */
#include "fake_wasm3.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const M3Result m3Err_none = NULL;
const M3Result m3Err_functionLookupFailed = "function lookup failed";
const char fake_err_signature_mismatch[] = "function signature mismatch";

struct M3Runtime {
    uint8_t *memory;
    uint32_t size;
    fake_export_t exports[FAKE_MAX_EXPORTS];
    unsigned nexports;
};

typedef struct fake_import {
    const char *module;
    const char *name;
    const char *signature;
    M3RawCall fn;
    const void *userdata;
    unsigned links;
} fake_import_t;

struct M3Module {
    fake_import_t imports[FAKE_MAX_IMPORTS];
    unsigned nimports;
};

struct M3Function {
    const fake_export_t *export_;
    uint64_t results[2];
};

static struct M3Runtime the_runtime;
static struct M3Module the_module;
static struct M3Function functions[FAKE_MAX_EXPORTS];

IM3Runtime fake_runtime(void) { return &the_runtime; }
IM3Module fake_module(void) { return &the_module; }

void fake_reset(uint32_t memory_size)
{
    free(the_runtime.memory);
    memset(&the_runtime, 0, sizeof the_runtime);
    memset(&the_module, 0, sizeof the_module);
    memset(functions, 0, sizeof functions);
    if (memory_size > 0u) {
        the_runtime.memory = calloc(memory_size, 1u);
        if (the_runtime.memory == NULL) abort();
    }
    the_runtime.size = memory_size;
}

void fake_move_memory(uint32_t new_size)
{
    uint8_t *moved = calloc(new_size == 0u ? 1u : new_size, 1u);
    if (moved == NULL) abort();
    memcpy(moved, the_runtime.memory, the_runtime.size < new_size ? the_runtime.size : new_size);
    /* Freeing the old block makes ASan report any pointer kept across the move. */
    free(the_runtime.memory);
    the_runtime.memory = moved;
    the_runtime.size = new_size;
}

void fake_declare_import(const char *module, const char *name, const char *signature)
{
    fake_import_t *imp;
    if (the_module.nimports >= FAKE_MAX_IMPORTS) abort();
    imp = &the_module.imports[the_module.nimports++];
    memset(imp, 0, sizeof *imp);
    imp->module = module;
    imp->name = name;
    imp->signature = signature;
}

static fake_import_t *find_import(const char *module, const char *name)
{
    unsigned i;
    for (i = 0u; i < the_module.nimports; i++) {
        fake_import_t *imp = &the_module.imports[i];
        if (strcmp(imp->module, module) == 0 && strcmp(imp->name, name) == 0) return imp;
    }
    return NULL;
}

unsigned fake_link_count(const char *module, const char *name)
{
    const fake_import_t *imp = find_import(module, name);
    return imp == NULL ? 0u : imp->links;
}

M3Result m3_LinkRawFunctionEx(IM3Module module, const char *moduleName, const char *functionName,
                              const char *signature, M3RawCall function, const void *userdata)
{
    fake_import_t *imp;
    unsigned i, found = 0u;
    /* wasm3 links every import of that name; the fake does too. */
    for (i = 0u; i < module->nimports; i++) {
        imp = &module->imports[i];
        if (strcmp(imp->module, moduleName) != 0 || strcmp(imp->name, functionName) != 0) continue;
        if (strcmp(imp->signature, signature) != 0) return fake_err_signature_mismatch;
        imp->fn = function;
        imp->userdata = userdata;
        imp->links++;
        found++;
    }
    return found ? m3Err_none : m3Err_functionLookupFailed;
}

M3Result m3_LinkRawFunction(IM3Module module, const char *moduleName, const char *functionName,
                            const char *signature, M3RawCall function)
{
    return m3_LinkRawFunctionEx(module, moduleName, functionName, signature, function, NULL);
}

uint8_t *m3_GetMemory(IM3Runtime runtime, uint32_t *memorySizeInBytes, uint32_t memoryIndex)
{
    if (memoryIndex != 0u) return NULL;
    if (memorySizeInBytes != NULL) *memorySizeInBytes = runtime->size;
    return runtime->memory;
}

const void *fake_invoke(const char *module, const char *name, uint64_t *sp)
{
    fake_import_t *imp = find_import(module, name);
    M3ImportContext ctx;
    if (imp == NULL || imp->fn == NULL) return "fake: import not linked";
    ctx.userdata = (void *)(uintptr_t)imp->userdata;
    ctx.function = NULL;
    return imp->fn(&the_runtime, &ctx, sp, the_runtime.memory);
}

void fake_add_export(const fake_export_t *e)
{
    if (the_runtime.nexports >= FAKE_MAX_EXPORTS) abort();
    the_runtime.exports[the_runtime.nexports++] = *e;
}

M3Result m3_FindFunction(IM3Function *function, IM3Runtime runtime, const char *functionName)
{
    unsigned i;
    for (i = 0u; i < runtime->nexports; i++) {
        if (strcmp(runtime->exports[i].name, functionName) == 0) {
            functions[i].export_ = &runtime->exports[i];
            *function = &functions[i];
            return m3Err_none;
        }
    }
    *function = NULL;
    return m3Err_functionLookupFailed;
}

static M3ValueType type_of(char c)
{
    switch (c) {
    case 'i': return c_m3Type_i32;
    case 'I': return c_m3Type_i64;
    case 'f': return c_m3Type_f32;
    case 'F': return c_m3Type_f64;
    default: return c_m3Type_unknown;
    }
}

uint32_t m3_GetArgCount(IM3Function function) { return (uint32_t)strlen(function->export_->params); }
uint32_t m3_GetRetCount(IM3Function function) { return (uint32_t)strlen(function->export_->results); }

M3ValueType m3_GetArgType(IM3Function function, uint32_t index)
{
    return index < m3_GetArgCount(function) ? type_of(function->export_->params[index]) : c_m3Type_none;
}

M3ValueType m3_GetRetType(IM3Function function, uint32_t index)
{
    return index < m3_GetRetCount(function) ? type_of(function->export_->results[index]) : c_m3Type_none;
}

/* Arguments follow wasm3's m3_CallV: i32 as int32_t (promoted to int),
 * i64 as int64_t, f32 as float (promoted to double), f64 as double. */
M3Result m3_CallV(IM3Function function, ...)
{
    uint64_t args[4] = { 0u, 0u, 0u, 0u };
    const char *p;
    unsigned n = 0u;
    va_list ap;
    va_start(ap, function);
    for (p = function->export_->params; *p != '\0' && n < 4u; p++, n++) {
        if (*p == 'i') args[n] = (uint32_t)va_arg(ap, int32_t);
        else if (*p == 'I') args[n] = (uint64_t)va_arg(ap, int64_t);
        else {
            double d = va_arg(ap, double);
            memcpy(&args[n], &d, sizeof d);
        }
    }
    va_end(ap);
    return function->export_->call(function->export_->state, args, function->results);
}

M3Result m3_GetResultsV(IM3Function function, ...)
{
    const char *p;
    unsigned n = 0u;
    va_list ap;
    va_start(ap, function);
    for (p = function->export_->results; *p != '\0' && n < 2u; p++, n++) {
        if (*p == 'i') {
            int32_t *out = va_arg(ap, int32_t *);
            *out = (int32_t)(uint32_t)function->results[n];
        } else if (*p == 'I') {
            int64_t *out = va_arg(ap, int64_t *);
            memcpy(out, &function->results[n], sizeof *out);
        } else {
            double *out = va_arg(ap, double *);
            memcpy(out, &function->results[n], sizeof *out);
        }
    }
    va_end(ap);
    return m3Err_none;
}
