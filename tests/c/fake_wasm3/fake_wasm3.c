/*
 * Fake wasm3 runtime: linear memories the test can resize or move, modules
 * whose import lists the test declares, raw functions linked against them,
 * and exports backed by C callbacks. Runtime 0 is the glue tests' (fake_reset);
 * m3_NewRuntime hands out the others to scripted guests (fake_guest.c).
 */
#include "fake_wasm3.h"
#include "fake_wasm3_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const M3Result m3Err_none = NULL;
const M3Result m3Err_functionLookupFailed = "function lookup failed";
const char fake_err_signature_mismatch[] = "function signature mismatch";
const char fake_err_function_not_called[] = "function not called";
const char fake_trap_unreachable[] = "[trap] unreachable executed";
const char fake_trap_out_of_bounds[] = "[trap] out of bounds memory access";
const char fake_trap_stack_overflow[] = "[trap] stack overflow";
const char fake_trap_divide_by_zero[] = "[trap] integer divide by zero";

struct M3Environment {
    int unused;
};

static struct M3Environment the_environment;
static struct M3Runtime runtimes[FAKE_MAX_RUNTIMES];
static struct M3Module modules[FAKE_MAX_RUNTIMES];
static bool fail_next_runtime;

IM3Runtime fake_runtime(void) { return &runtimes[0]; }
IM3Module fake_module(void) { return &modules[0]; }

static void clear_runtime(struct M3Runtime *rt)
{
    free(rt->memory);
    memset(rt, 0, sizeof *rt);
}

void fake_reset(uint32_t memory_size)
{
    struct M3Runtime *rt = &runtimes[0];
    clear_runtime(rt);
    memset(&modules[0], 0, sizeof modules[0]);
    rt->in_use = true;
    modules[0].in_use = true;
    modules[0].runtime = rt;
    rt->module = &modules[0];
    if (memory_size > 0u) {
        rt->memory = calloc(memory_size, 1u);
        if (rt->memory == NULL) abort();
    }
    rt->size = memory_size;
}

void fake_resize_memory(IM3Runtime rt, uint32_t new_size)
{
    uint8_t *moved = calloc(new_size == 0u ? 1u : new_size, 1u);
    if (moved == NULL) abort();
    if (rt->memory != NULL) memcpy(moved, rt->memory, rt->size < new_size ? rt->size : new_size);
    /* Freeing the old block makes ASan report any pointer kept across the move. */
    free(rt->memory);
    rt->memory = moved;
    rt->size = new_size;
}

void fake_move_memory(uint32_t new_size) { fake_resize_memory(&runtimes[0], new_size); }

void fake_module_declare_import(IM3Module module, const char *name_module, const char *name, const char *signature)
{
    fake_import_t *imp;
    if (module->nimports >= FAKE_MAX_IMPORTS) abort();
    imp = &module->imports[module->nimports++];
    memset(imp, 0, sizeof *imp);
    imp->module = name_module;
    imp->name = name;
    imp->signature = signature;
}

void fake_declare_import(const char *module, const char *name, const char *signature)
{
    fake_module_declare_import(&modules[0], module, name, signature);
}

fake_import_t *fake_find_import(IM3Module module, const char *name_module, const char *name)
{
    unsigned i;
    for (i = 0u; i < module->nimports; i++) {
        fake_import_t *imp = &module->imports[i];
        if (strcmp(imp->module, name_module) == 0 && strcmp(imp->name, name) == 0) return imp;
    }
    return NULL;
}

unsigned fake_link_count(const char *module, const char *name)
{
    const fake_import_t *imp = fake_find_import(&modules[0], module, name);
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

const void *fake_runtime_invoke(IM3Runtime rt, const char *module, const char *name, uint64_t *sp)
{
    fake_import_t *imp = rt->module == NULL ? NULL : fake_find_import(rt->module, module, name);
    M3ImportContext ctx;
    if (imp == NULL || imp->fn == NULL) return "fake: import not linked";
    ctx.userdata = (void *)(uintptr_t)imp->userdata;
    ctx.function = NULL;
    return imp->fn(rt, &ctx, sp, rt->memory);
}

const void *fake_invoke(const char *module, const char *name, uint64_t *sp)
{
    return fake_runtime_invoke(&runtimes[0], module, name, sp);
}

void fake_runtime_add_export(IM3Runtime rt, const fake_export_t *e)
{
    if (rt->nexports >= FAKE_MAX_EXPORTS) abort();
    rt->exports[rt->nexports++] = *e;
}

void fake_add_export(const fake_export_t *e) { fake_runtime_add_export(&runtimes[0], e); }

IM3Environment m3_NewEnvironment(void) { return &the_environment; }
void m3_FreeEnvironment(IM3Environment environment) { (void)environment; }

IM3Runtime m3_NewRuntime(IM3Environment environment, uint32_t stackSizeInBytes, void *userdata)
{
    unsigned i;
    (void)environment;
    if (fail_next_runtime) {
        fail_next_runtime = false;
        return NULL;
    }
    for (i = 1u; i < FAKE_MAX_RUNTIMES; i++) {
        if (runtimes[i].in_use) continue;
        clear_runtime(&runtimes[i]);
        runtimes[i].in_use = true;
        runtimes[i].stack_bytes = stackSizeInBytes;
        runtimes[i].userdata = userdata;
        return &runtimes[i];
    }
    return NULL;
}

void m3_FreeRuntime(IM3Runtime runtime)
{
    if (runtime == NULL) return;
    if (runtime->module != NULL) memset(runtime->module, 0, sizeof *runtime->module);
    clear_runtime(runtime);
}

unsigned fake_live_runtimes(void)
{
    unsigned i, n = 0u;
    for (i = 1u; i < FAKE_MAX_RUNTIMES; i++) n += runtimes[i].in_use ? 1u : 0u;
    return n;
}

void fake_fail_next_runtime(void) { fail_next_runtime = true; }

M3Result m3_ParseModule(IM3Environment environment, IM3Module *module, const uint8_t *const wasmBytes, uint32_t numWasmBytes)
{
    const fake_guest_t *g = fake_guest_for_bytes(wasmBytes, numWasmBytes);
    unsigned i;
    (void)environment;
    *module = NULL;
    if (g == NULL) return "fake: no guest registered for these bytes";
    for (i = 1u; i < FAKE_MAX_RUNTIMES; i++) {
        if (modules[i].in_use) continue;
        memset(&modules[i], 0, sizeof modules[i]);
        modules[i].in_use = true;
        modules[i].guest = g;
        *module = &modules[i];
        return m3Err_none;
    }
    return "fake: out of modules";
}

void m3_FreeModule(IM3Module module)
{
    if (module != NULL) memset(module, 0, sizeof *module);
}

M3Result m3_LoadModule(IM3Runtime runtime, IM3Module module)
{
    if (runtime->module != NULL) return "fake: runtime has a module already";
    runtime->module = module;
    module->runtime = runtime;
    fake_guest_load(runtime, module->guest);
    return m3Err_none;
}

M3Result m3_CompileModule(IM3Module module)
{
    unsigned i;
    /* wasm3 v0.5.0 resolves imports while compiling: linking must come first. */
    for (i = 0u; i < module->nimports; i++) {
        if (module->imports[i].fn == NULL) return "missing imported function";
    }
    return module->guest != NULL ? module->guest->compile_error : m3Err_none;
}

void m3_GetErrorInfo(IM3Runtime runtime, M3ErrorInfo *info)
{
    memset(info, 0, sizeof *info);
    info->runtime = runtime;
    info->function = runtime->trapped;
    runtime->trapped = NULL;
}

const char *m3_GetFunctionName(IM3Function function) { return function->export_->name; }

IM3BacktraceInfo m3_GetBacktrace(IM3Runtime runtime) { return &runtime->backtrace; }

M3Result m3_FindFunction(IM3Function *function, IM3Runtime runtime, const char *functionName)
{
    unsigned i;
    for (i = 0u; i < runtime->nexports; i++) {
        if (strcmp(runtime->exports[i].name, functionName) == 0) {
            runtime->functions[i].export_ = &runtime->exports[i];
            runtime->functions[i].runtime = runtime;
            *function = &runtime->functions[i];
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
    IM3Runtime rt = function->runtime;
    M3Result r;
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
    /* Like wasm3, results are kept only for the function called last. */
    if (rt != NULL) {
        rt->last_called = function;
        rt->backtrace.frames = rt->backtrace.lastFrame = NULL; /* wasm3 clears the backtrace at each call */
    }
    r = function->export_->call(function->export_->state, args, function->results);
    if (rt != NULL && r != NULL) {
        uint32_t at = rt->module != NULL && rt->module->guest != NULL ? fake_guest_code_offset(rt->module->guest, function->export_->name) : 0u;
        rt->last_called = NULL;
        rt->trapped = function;
        if (at != 0u) {
            rt->trap_frame.moduleOffset = at;
            rt->trap_frame.function = function;
            rt->trap_frame.next = NULL;
            rt->backtrace.frames = rt->backtrace.lastFrame = &rt->trap_frame;
        }
    }
    return r;
}

M3Result m3_GetResultsV(IM3Function function, ...)
{
    const char *p;
    unsigned n = 0u;
    va_list ap;
    if (function->runtime != NULL && function->runtime->last_called != function) return fake_err_function_not_called;
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
