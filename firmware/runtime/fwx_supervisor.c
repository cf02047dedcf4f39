/*
 * The supervisor's module lifecycle: install-time check, load, metered calls,
 * faults, restart policy and trial verdicts. Scheduling (timers, events,
 * poll) is in fwx_sup_schedule.c.
 */
#include <stddef.h>
#include <string.h>

#include "fwx_module_check.h"
#include "fwx_rt_port.h"
#include "fwx_sup_internal.h"
#include "fwx_support.h"
#include "fwx_wasm_read.h"

#define DEFAULT_FUEL 10000000u
#define DEFAULT_STACK 8192u
#define US_PER_MS 1000u
#define US_PER_S 1000000u

static const char *const reason_names[] = {
    "fuel-exhausted", "stack-overflow", "memory-limit", "unreachable", "abort",
    "out-of-bounds", "foreign-handle", "watchdog", "trap", "init-failed",
};

const char *fwx_fault_reason_name(fwx_fault_reason_t reason)
{
    return (unsigned)reason < sizeof reason_names / sizeof reason_names[0] ? reason_names[reason] : "trap";
}

static const char err_bad_id[] = "fwx_sup: module id is empty or longer than FWX_SUP_ID_MAX - 1";
static const char err_full[] = "fwx_sup: no free module slot (FWX_SUP_MAX_MODULES)";
static const char err_duplicate[] = "fwx_sup: a module with this id is installed";
static const char err_no_runtime[] = "fwx_sup: m3_NewRuntime failed (out of memory)";
static const char err_no_limit[] = "fwx_sup: module has no " FWX_MEM_LIMIT_EXPORT "(i32) export: build it with `fwx pack --target mcu`";
static const char err_too_big[] = "fwx_sup: the module's initial memory is above its RAM limit";
static const char err_no_init[] = "fwx_sup: fwx_init is not exported as () -> i32";

void fwx_sup_copy_text(char *dst, uint32_t cap, const char *src)
{
    uint32_t n = 0u;
    if (cap == 0u) return;
    while (src != NULL && src[n] != '\0' && n + 1u < cap) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
}

/* Appends src at dst[*at], keeping room for the terminator. */
static void append(char *dst, uint32_t cap, uint32_t *at, const char *src)
{
    while (src != NULL && *src != '\0' && *at + 1u < cap) dst[(*at)++] = *src++;
    dst[*at < cap ? *at : cap - 1u] = '\0';
}

static void append_u64(char *dst, uint32_t cap, uint32_t *at, uint64_t v)
{
    char digits[21];
    unsigned n = sizeof digits - 1u;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + (char)(v % 10u));
        v /= 10u;
    } while (v != 0u && n > 0u);
    append(dst, cap, at, &digits[n]);
}

static void append_i64(char *dst, uint32_t cap, uint32_t *at, int64_t v)
{
    if (v < 0) {
        append(dst, cap, at, "-");
        append_u64(dst, cap, at, (uint64_t)0u - (uint64_t)v);
    } else append_u64(dst, cap, at, (uint64_t)v);
}

static bool starts_with(const char *text, const char *prefix)
{
    while (*prefix != '\0') {
        if (*text++ != *prefix++) return false;
    }
    return true;
}

static bool contains(const char *text, const char *needle)
{
    for (; *text != '\0'; text++) {
        if (starts_with(text, needle)) return true;
    }
    return false;
}

void fwx_sup_emit(fwx_sup_module_t *m, fwx_sup_event_kind_t kind, const char *text)
{
    fwx_sup_event_t e;
    if (m->sup->notify == NULL) return;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.module_id = m->id;
    e.text = text;
    if (kind == FWX_SUP_EV_FAULT) e.fault = &m->sup->fault;
    e.faults_in_window = m->nfault_times;
    if (kind == FWX_SUP_EV_BACKOFF) {
        uint64_t now = fwx_port_now_us();
        e.after_us = m->restart_at_us > now ? m->restart_at_us - now : 0u;
    }
    m->sup->notify(m->sup->user, &e);
}

fwx_sup_module_t *fwx_sup_module_of(fwx_module_t *ctx)
{
    /* ctx is the first member of fwx_sup_module_t (C99 6.7.2.1p13). */
    return (fwx_sup_module_t *)(void *)ctx;
}

void fwx_sup_note_host_call(fwx_module_t *ctx, unsigned import_index, int64_t result)
{
    fwx_sup_module_t *m = fwx_sup_module_of(ctx);
    fwx_host_call_t *c = &m->ring[m->ring_next];
    c->t_ms = (uint32_t)((fwx_port_now_us() / 1000u) & 0xffffffffu);
    c->result = (int32_t)(uint32_t)((uint64_t)result & 0xffffffffu);
    c->fn = (uint8_t)(import_index < FWX_IMPORT_COUNT ? import_index : 0xffu);
    m->ring_next = (uint8_t)((m->ring_next + 1u) % FWX_SUP_CALL_RING);
    if (m->ring_count < FWX_SUP_CALL_RING) m->ring_count++;
}

static uint32_t memory_pages(const fwx_sup_module_t *m)
{
    uint32_t size = 0u;
    if (m->runtime == NULL || m3_GetMemory(m->runtime, &size, 0u) == NULL) return 0u;
    return size / FWX_WASM_PAGE;
}

static fwx_fault_reason_t classify(const fwx_module_t *ctx, M3Result r)
{
    switch (fwx_trap_kind(ctx, r)) {
    case FWX_TRAP_FUEL: return FWX_FAULT_FUEL_EXHAUSTED;
    case FWX_TRAP_ABORT: return FWX_FAULT_ABORT;
    case FWX_TRAP_HANDLE: return FWX_FAULT_FOREIGN_HANDLE;
    case FWX_TRAP_OUT_OF_BOUNDS: return FWX_FAULT_OUT_OF_BOUNDS;
    case FWX_TRAP_NONE: return FWX_FAULT_TRAP;
    case FWX_TRAP_RUNTIME: break;
    }
    /* wasm3's own traps, by text (the same in v0.5.0 and 0.9.0). */
    if (starts_with(r, "[trap] unreachable")) return FWX_FAULT_UNREACHABLE;
    if (starts_with(r, "[trap] stack overflow")) return FWX_FAULT_STACK_OVERFLOW;
    if (contains(r, "out of bounds")) return FWX_FAULT_OUT_OF_BOUNDS;
    return FWX_FAULT_TRAP;
}

/* The callback label: "fwx_on_timer(3)" or just the export name. */
static void set_label(fwx_fault_t *f, const char *label, uint32_t arg, bool has_arg)
{
    uint32_t at = 0u;
    f->callback[0] = '\0';
    append(f->callback, sizeof f->callback, &at, label);
    if (!has_arg) return;
    append(f->callback, sizeof f->callback, &at, "(");
    append_u64(f->callback, sizeof f->callback, &at, arg);
    append(f->callback, sizeof f->callback, &at, ")");
}

/* Whether the callback that just ended had a memory.grow refused. */
static bool grow_was_refused(fwx_sup_module_t *m)
{
    int32_t refused = 0;
    if (m->grow_refused == NULL || m3_CallV(m->grow_refused) != NULL) return false;
    return m3_GetResultsV(m->grow_refused, &refused) == NULL && refused != 0;
}

/* The RAM budget in bytes (0 in the config: one page, as limit_pages says). */
static uint32_t ram_budget_bytes(const fwx_sup_module_t *m)
{
    return m->cfg.ram_limit_bytes == 0u ? FWX_WASM_PAGE : m->cfg.ram_limit_bytes;
}

/* A load or store the instrumentation refused for passing the RAM budget:
 * names its address and the budget in f. False when none was. */
static bool describe_ram_fault(fwx_sup_module_t *m, fwx_fault_t *f)
{
    int64_t packed = -1;
    uint32_t addr, len, at = 0u;
    bool outside;
    if (m->ram_fault == NULL || m3_CallV(m->ram_fault) != NULL || m3_GetResultsV(m->ram_fault, &packed) != NULL || packed < 0)
        return false;
    addr = (uint32_t)((uint64_t)packed & 0xffffffffu);
    len = (uint32_t)((uint64_t)packed >> 32);
    /* Past the memory too: wasm3 would have refused it anyway (out of bounds). */
    outside = (uint64_t)addr + len > (uint64_t)f->memory_pages * FWX_WASM_PAGE;
    f->reason = outside ? FWX_FAULT_OUT_OF_BOUNDS : FWX_FAULT_MEMORY_LIMIT;
    f->detail[0] = '\0';
    /* The last byte the access reached: the record is [p, p + n) with p the base pointer of a load or
     * store and n its static offset plus its size, so p alone would name "address 0" for a store the
     * compiler wrote as offset=120000 on a zero pointer. Past 2^32 when the offset wraps (outside). */
    append(f->detail, sizeof f->detail, &at, "a load or store ending at address ");
    append_u64(f->detail, sizeof f->detail, &at, (uint64_t)addr + len - (len > 0u ? 1u : 0u));
    append(f->detail, sizeof f->detail, &at, outside ? " reached outside the memory (RAM budget " : " reached past the RAM budget of ");
    append_u64(f->detail, sizeof f->detail, &at, ram_budget_bytes(m));
    append(f->detail, sizeof f->detail, &at, outside ? " bytes)" : " bytes");
    return true;
}

/* The frames wasm3 recorded for the trap of the call that just returned: read
 * before any other call into the module, which clears them. NULL from
 * m3_GetBacktrace: wasm3 was built without d_m3RecordBacktraces. */
static uint8_t take_frames(const fwx_sup_module_t *m, fwx_fault_frame_t *out)
{
    IM3BacktraceInfo bt = m->runtime != NULL ? m3_GetBacktrace(m->runtime) : NULL;
    IM3BacktraceFrame fr;
    uint8_t n = 0u;
    if (bt == NULL) return 0u;
    /* A frame wasm3 could not allocate ends the list (lastFrame is then M3_BACKTRACE_TRUNCATED; next stays NULL). */
    for (fr = bt->frames; fr != NULL && n < FWX_SUP_FRAMES; fr = fr->next) {
        fwx_wasm_function_at_t at;
        fwx_fault_frame_t *f = &out[n++];
        f->module_offset = fr->moduleOffset;
        if (fwx_wasm_function_at(m->wasm, m->wasm_len, fr->moduleOffset, &at)) {
            f->func_index = at.index;
            f->code_from = at.code_from;
            f->code_to = at.code_to;
        } else {
            f->func_index = FWX_FRAME_NO_FUNCTION;
            f->code_from = f->code_to = 0u;
        }
    }
    return n;
}

/* Fills m->sup->fault for a callback that ended with `reason`. */
static void record_fault(fwx_sup_module_t *m, fwx_fault_reason_t reason, const char *detail, const char *label,
                         uint32_t arg, bool has_arg, uint64_t budget, const fwx_fault_frame_t *frames, uint8_t nframes)
{
    fwx_fault_t *f = &m->sup->fault;
    unsigned i;
    memset(f, 0, sizeof *f);
    if (nframes > 0u) memcpy(f->frames, frames, nframes * sizeof *frames);
    f->nframes = nframes;
    f->reason = reason;
    fwx_sup_copy_text(f->detail, sizeof f->detail, detail);
    set_label(f, label, arg, has_arg);
    f->t_us = fwx_port_now_us();
    f->fuel_used = m->last_fuel_used;
    f->fuel_budget = budget;
    f->fuel_exact = m->last_fuel_exact;
    f->memory_pages = memory_pages(m);
    f->memory_high_water_pages = m->high_water_pages;
    f->memory_limit_pages = m->limit_pages;
    /* A module whose grow was refused and then failed almost always failed
     * because of it (AssemblyScript's allocator traps with unreachable on
     * -1; a naive bomb spins until its fuel runs out). Name the cause, keep
     * the symptom in the detail, as the Node agent does. The instrumenter's
     * flag says so exactly; without it, a memory at its cap is the sign. */
    if (reason == FWX_FAULT_UNREACHABLE && describe_ram_fault(m, f)) {
        /* named by describe_ram_fault */
    } else if ((reason == FWX_FAULT_UNREACHABLE || reason == FWX_FAULT_FUEL_EXHAUSTED || reason == FWX_FAULT_ABORT || reason == FWX_FAULT_TRAP) &&
        (grow_was_refused(m) || (m->limit_pages > m->initial_pages && f->memory_pages >= m->limit_pages))) {
        uint32_t at = 0u;
        f->reason = FWX_FAULT_MEMORY_LIMIT;
        f->detail[0] = '\0';
        append(f->detail, sizeof f->detail, &at, "memory reached its cap of ");
        append_u64(f->detail, sizeof f->detail, &at, m->limit_pages);
        append(f->detail, sizeof f->detail, &at, " pages; then ");
        append(f->detail, sizeof f->detail, &at, fwx_fault_reason_name(reason));
        append(f->detail, sizeof f->detail, &at, ": ");
        append(f->detail, sizeof f->detail, &at, detail);
    }
    if (m->runtime != NULL) {
        M3ErrorInfo info;
        memset(&info, 0, sizeof info);
        m3_GetErrorInfo(m->runtime, &info);
        if (info.function != NULL) fwx_sup_copy_text(f->function, sizeof f->function, m3_GetFunctionName(info.function));
    }
    /* Oldest first. */
    for (i = 0u; i < m->ring_count; i++) {
        unsigned k = (m->ring_next + FWX_SUP_CALL_RING - m->ring_count + i) % FWX_SUP_CALL_RING;
        f->last_calls[i] = m->ring[k];
    }
    f->ncalls = m->ring_count;
}

/* Frees the wasm3 instance and everything scheduled for it. */
static void teardown(fwx_sup_module_t *m)
{
    fwx_sup_clear_schedule(m);
    m->generation++;
    if (m->runtime != NULL) m3_FreeRuntime(m->runtime);
    m->runtime = NULL;
    m->on_timer = m->on_event = m->health = m->deinit = m->grow_refused = m->ram_fault = NULL;
    m->fuel.set = m->fuel.get = NULL;
}

/* Restart policy of src/agent/supervisor.ts FaultHistory.onFault. */
static void after_fault(fwx_sup_module_t *m)
{
    uint64_t now = fwx_port_now_us();
    const uint64_t window = (uint64_t)FWX_SUP_WINDOW_MS * US_PER_MS;
    uint64_t delay_ms = FWX_SUP_BACKOFF_BASE_MS;
    unsigned i, kept = 0u;
    uint32_t at = 0u;
    fwx_sup_emit(m, FWX_SUP_EV_FAULT, m->sup->fault.detail);
    teardown(m);
    if (m->state == FWX_SUP_STOPPED) return; /* fwx_deinit faulted: the module is going anyway */
    if (m->cfg.trial) {
        m->state = FWX_SUP_FAILED;
        m->sup->why[0] = '\0';
        append(m->sup->why, sizeof m->sup->why, &at, "faulted during trial: ");
        append(m->sup->why, sizeof m->sup->why, &at, fwx_fault_reason_name(m->sup->fault.reason));
        append(m->sup->why, sizeof m->sup->why, &at, " in ");
        append(m->sup->why, sizeof m->sup->why, &at, m->sup->fault.callback);
        append(m->sup->why, sizeof m->sup->why, &at, ": ");
        append(m->sup->why, sizeof m->sup->why, &at, m->sup->fault.detail);
        fwx_sup_emit(m, FWX_SUP_EV_REVERT, m->sup->why);
        return;
    }
    /* Keep the faults inside the window, then add this one (the oldest goes when full). */
    for (i = 0u; i < m->nfault_times; i++) {
        if (now < window || m->fault_times[i] > now - window) m->fault_times[kept++] = m->fault_times[i];
    }
    if (kept == FWX_SUP_QUARANTINE_AFTER) {
        for (i = 1u; i < kept; i++) m->fault_times[i - 1u] = m->fault_times[i];
        kept--;
    }
    m->fault_times[kept++] = now;
    m->nfault_times = (uint8_t)kept;
    if (kept >= FWX_SUP_QUARANTINE_AFTER) {
        m->state = FWX_SUP_QUARANTINED;
        fwx_sup_emit(m, FWX_SUP_EV_QUARANTINED, NULL);
        return;
    }
    for (i = 1u; i < kept && delay_ms < FWX_SUP_BACKOFF_MAX_MS; i++) delay_ms *= FWX_SUP_BACKOFF_FACTOR;
    if (delay_ms > FWX_SUP_BACKOFF_MAX_MS) delay_ms = FWX_SUP_BACKOFF_MAX_MS;
    m->state = FWX_SUP_BACKOFF;
    m->restart_at_us = now + delay_ms * US_PER_MS;
    fwx_sup_emit(m, FWX_SUP_EV_BACKOFF, NULL);
}

bool fwx_sup_call(fwx_sup_module_t *m, IM3Function fn, const char *label, uint32_t label_arg, bool has_label_arg,
                  uint64_t budget, unsigned nargs, const uint32_t *args, int32_t *value)
{
    int64_t left = 0;
    uint32_t pages;
    M3Result r;
    fwx_fault_frame_t frames[FWX_SUP_FRAMES];
    uint8_t nframes = 0u;
    if (budget > (uint64_t)INT64_MAX) budget = (uint64_t)INT64_MAX;
    r = fwx_fuel_set(&m->fuel, (int64_t)budget);
    if (r == NULL) {
        switch (nargs) {
        case 0: r = m3_CallV(fn); break;
        case 1: r = m3_CallV(fn, (int32_t)args[0]); break;
        case 2: r = m3_CallV(fn, (int32_t)args[0], (int32_t)args[1]); break;
        default: r = m3_CallV(fn, (int32_t)args[0], (int32_t)args[1], (int32_t)args[2]); break;
        }
        /* wasm3 keeps a call's results only until the next call, and reading
         * the fuel is a call: results first (defect 1 of issue 9). */
        if (r == NULL && value != NULL) r = m3_GetResultsV(fn, value);
        else if (r != NULL) nframes = take_frames(m, frames);
    }
    if (fwx_fuel_remaining(&m->fuel, &left) != NULL) left = (int64_t)budget;
    m->last_fuel_used = left <= 0 ? budget : budget - (uint64_t)left;
    /* Instrumented code writes its cached fuel back before every call, so a
     * trap raised by a host function (fuel, abort, bounds, handle) leaves
     * the counter exact; a trap inside wasm3 (unreachable, division, stack)
     * skips the write-back and leaves a lower bound (defect 6 of issue 9). */
    m->last_fuel_exact = fwx_trap_kind(&m->ctx, r) != FWX_TRAP_RUNTIME;
    pages = memory_pages(m);
    if (pages > m->high_water_pages) m->high_water_pages = pages;
    if (r == NULL) return true;
    record_fault(m, classify(&m->ctx, r), fwx_trap_kind(&m->ctx, r) == FWX_TRAP_ABORT ? m->ctx.trap_text : r,
                 label, label_arg, has_label_arg, budget, frames, nframes);
    after_fault(m);
    return false;
}

static uint64_t start_budget(const fwx_sup_module_t *m)
{
    return m->cfg.fuel_start != 0u ? m->cfg.fuel_start : m->cfg.fuel_per_callback;
}

/* Creates the wasm3 instance: load, compile, link, fuel, memory limit. */
static fwx_sup_status_t load_instance(fwx_sup_module_t *m, const char **error)
{
    IM3Module mod = NULL;
    IM3Function limit_set = NULL, ram_limit_set = NULL, init = NULL;
    M3Result r;
    m->runtime = m3_NewRuntime(m->sup->env, m->cfg.wasm_stack_bytes, m);
    if (m->runtime == NULL) {
        *error = err_no_runtime;
        return FWX_SUP_E_LOAD;
    }
    r = m3_ParseModule(m->sup->env, &mod, m->wasm, m->wasm_len);
    if (r == NULL) {
        r = m3_LoadModule(m->runtime, mod);
        if (r != NULL) m3_FreeModule(mod); /* still ours: loading failed */
    }
    if (r != NULL) {
        *error = r;
        return FWX_SUP_E_LOAD;
    }
    r = fwx_link(mod, &m->ctx, NULL);
    if (r != NULL) {
        *error = r;
        return FWX_SUP_E_LINK;
    }
#if FWX_SUP_COMPILE_EAGERLY
    /* wasm3 compiles lazily; compiling everything now turns an opcode it
     * cannot run into a refusal instead of a trap in the field. After
     * linking: v0.5.0 resolves imports while compiling. */
    r = m3_CompileModule(mod);
    if (r != NULL) {
        *error = r;
        return FWX_SUP_E_LOAD;
    }
#endif
    r = fwx_fuel_bind(m->runtime, &m->fuel);
    if (r != NULL) {
        *error = r;
        return FWX_SUP_E_FUEL;
    }
    if (m3_FindFunction(&limit_set, m->runtime, FWX_MEM_LIMIT_EXPORT) != NULL || m3_GetArgCount(limit_set) != 1u ||
        m3_GetRetCount(limit_set) != 0u) {
        *error = err_no_limit;
        return FWX_SUP_E_MEMORY;
    }
    m->initial_pages = memory_pages(m);
    m->high_water_pages = m->initial_pages;
    if (m->initial_pages > m->limit_pages) {
        *error = err_too_big;
        return FWX_SUP_E_MEMORY;
    }
    r = m3_CallV(limit_set, (int32_t)m->limit_pages);
    if (r != NULL) {
        *error = r;
        return FWX_SUP_E_MEMORY;
    }
    if (m3_FindFunction(&ram_limit_set, m->runtime, FWX_RAM_LIMIT_EXPORT) == NULL && m3_GetArgCount(ram_limit_set) == 1u &&
        m3_GetRetCount(ram_limit_set) == 0u) {
        r = m3_CallV(ram_limit_set, (int32_t)ram_budget_bytes(m));
        if (r != NULL) {
            *error = r;
            return FWX_SUP_E_MEMORY;
        }
    }
    if (m3_FindFunction(&m->ram_fault, m->runtime, FWX_RAM_FAULT_EXPORT) != NULL || m3_GetArgCount(m->ram_fault) != 0u ||
        m3_GetRetCount(m->ram_fault) != 1u || m3_GetRetType(m->ram_fault, 0u) != c_m3Type_i64)
        m->ram_fault = NULL;
    if (m3_FindFunction(&init, m->runtime, FWX_EXPORT_INIT) != NULL) {
        *error = err_no_init;
        return FWX_SUP_E_LOAD;
    }
    /* Optional exports; their signatures were checked by fwx_check_module. */
    if (m3_FindFunction(&m->on_timer, m->runtime, FWX_EXPORT_ON_TIMER) != NULL) m->on_timer = NULL;
    if (m3_FindFunction(&m->on_event, m->runtime, FWX_EXPORT_ON_EVENT) != NULL) m->on_event = NULL;
    if (m3_FindFunction(&m->health, m->runtime, FWX_EXPORT_HEALTH) != NULL) m->health = NULL;
    if (m3_FindFunction(&m->deinit, m->runtime, FWX_EXPORT_DEINIT) != NULL) m->deinit = NULL;
    if (m3_FindFunction(&m->grow_refused, m->runtime, FWX_GROW_REFUSED_EXPORT) != NULL || m3_GetArgCount(m->grow_refused) != 0u ||
        m3_GetRetCount(m->grow_refused) != 1u || m3_GetRetType(m->grow_refused, 0u) != c_m3Type_i32)
        m->grow_refused = NULL;
    return FWX_SUP_OK;
}

/* Start function under its own budget, then fwx_init. */
static void run_start(fwx_sup_module_t *m)
{
    IM3Function start = NULL, init = NULL;
    int32_t status = 0;
    m->state = FWX_SUP_RUNNING;
    m->callbacks = 0u;
    m->trial_start_us = fwx_port_now_us();
    /* The mcu instrumentation moved the start section to this export, so
     * wasm3 does not run it implicitly under the instrumenter's built-in
     * fuel (defect 2 of issue 9). */
    if (m3_FindFunction(&start, m->runtime, FWX_START_EXPORT) == NULL &&
        !fwx_sup_call(m, start, FWX_START_EXPORT, 0u, false, start_budget(m), 0u, NULL, NULL))
        return;
    if (m3_FindFunction(&init, m->runtime, FWX_EXPORT_INIT) != NULL) return; /* checked in load_instance */
    if (!fwx_sup_call(m, init, FWX_EXPORT_INIT, 0u, false, start_budget(m), 0u, NULL, &status)) return;
    if (status != 0) {
        char detail[40];
        uint32_t at = 0u;
        detail[0] = '\0';
        append(detail, sizeof detail, &at, "fwx_init returned ");
        append_i64(detail, sizeof detail, &at, status);
        record_fault(m, FWX_FAULT_INIT_FAILED, detail, FWX_EXPORT_INIT, 0u, false, start_budget(m), NULL, 0u);
        after_fault(m);
        return;
    }
    m->callbacks++;
    fwx_sup_emit(m, FWX_SUP_EV_STARTED, NULL);
    fwx_sup_check_trial(m, fwx_port_now_us());
}

void fwx_sup_restart(fwx_sup_module_t *m)
{
    const char *error = NULL;
    m->restarts++;
    memset(m->ring, 0, sizeof m->ring);
    m->ring_next = m->ring_count = 0u;
    if (load_instance(m, &error) != FWX_SUP_OK) {
        /* It loaded before, so this is the device (memory), not the module;
         * still a fault of this module's slot, counted like one. */
        m->last_fuel_used = 0u;
        m->last_fuel_exact = true;
        record_fault(m, FWX_FAULT_TRAP, error, "load", 0u, false, 0u, NULL, 0u);
        after_fault(m);
        return;
    }
    run_start(m);
}

void fwx_sup_check_trial(fwx_sup_module_t *m, uint64_t now_us)
{
    uint64_t elapsed;
    int32_t veto = 0;
    uint32_t at = 0u;
    if (m->state != FWX_SUP_RUNNING || !m->cfg.trial) return;
    elapsed = now_us - m->trial_start_us;
    m->sup->why[0] = '\0';
    if (m->callbacks >= m->cfg.health_callbacks && elapsed >= (uint64_t)m->cfg.health_seconds * US_PER_S) {
        if (m->health != NULL) {
            if (!fwx_sup_call(m, m->health, FWX_EXPORT_HEALTH, 0u, false, m->cfg.fuel_per_callback, 0u, NULL, &veto))
                return; /* the fault reverted it */
            if (veto != 0) {
                append(m->sup->why, sizeof m->sup->why, &at, "fwx_health returned ");
                append_i64(m->sup->why, sizeof m->sup->why, &at, veto);
                append(m->sup->why, sizeof m->sup->why, &at, " (non-zero vetoes confirmation)");
                teardown(m);
                m->state = FWX_SUP_FAILED;
                fwx_sup_emit(m, FWX_SUP_EV_REVERT, m->sup->why);
                return;
            }
        }
        m->cfg.trial = false; /* confirmed: from now on faults restart it */
        append_u64(m->sup->why, sizeof m->sup->why, &at, m->callbacks);
        append(m->sup->why, sizeof m->sup->why, &at, " callbacks, no fault");
        fwx_sup_emit(m, FWX_SUP_EV_CONFIRMED, m->sup->why);
        return;
    }
    if (elapsed >= (uint64_t)m->cfg.health_timeout_seconds * US_PER_S) {
        append(m->sup->why, sizeof m->sup->why, &at, "only ");
        append_u64(m->sup->why, sizeof m->sup->why, &at, m->callbacks);
        append(m->sup->why, sizeof m->sup->why, &at, " of ");
        append_u64(m->sup->why, sizeof m->sup->why, &at, m->cfg.health_callbacks);
        append(m->sup->why, sizeof m->sup->why, &at, " callbacks within ");
        append_u64(m->sup->why, sizeof m->sup->why, &at, m->cfg.health_timeout_seconds);
        append(m->sup->why, sizeof m->sup->why, &at, " s");
        teardown(m);
        m->state = FWX_SUP_FAILED;
        fwx_sup_emit(m, FWX_SUP_EV_REVERT, m->sup->why);
    }
}

void fwx_sup_init(fwx_sup_t *s, IM3Environment env, fwx_check_work_t *check_work, fwx_sup_notify_fn notify, void *user)
{
    unsigned i;
    memset(s, 0, sizeof *s);
    s->env = env;
    s->check_work = check_work;
    s->notify = notify;
    s->user = user;
    for (i = 0u; i < FWX_SUP_MAX_MODULES; i++) {
        s->modules[i].sup = s;
        s->modules[i].index = (uint8_t)i;
    }
}

/* Whether the stored id (NUL-terminated, < FWX_SUP_ID_MAX) equals id; reads id no further than that. */
static bool same_id(const char *stored, const char *id)
{
    uint32_t n = 0u;
    if (id == NULL) return false;
    for (; n < FWX_SUP_ID_MAX; n++) {
        if (stored[n] != id[n]) return false;
        if (stored[n] == '\0') return true;
    }
    return false;
}

fwx_sup_module_t *fwx_sup_find(fwx_sup_t *s, const char *id)
{
    unsigned i;
    for (i = 0u; i < FWX_SUP_MAX_MODULES; i++) {
        fwx_sup_module_t *m = &s->modules[i];
        if (m->state != FWX_SUP_EMPTY && same_id(m->id, id)) return m;
    }
    return NULL;
}

/* Whether id is a non-empty string shorter than FWX_SUP_ID_MAX (reads no further). */
static bool id_fits(const char *id)
{
    uint32_t n = 0u;
    if (id == NULL) return false;
    while (n < FWX_SUP_ID_MAX && id[n] != '\0') n++;
    return n > 0u && n < FWX_SUP_ID_MAX;
}

/* The structural error, the first import the check refused, a refused
 * lifecycle export, or what the imports need, as text. */
static const char *check_text(const fwx_module_check_t *c)
{
    uint32_t i;
    if (c->error != FWX_CHECK_OK) return fwx_check_error_text(c->error);
    if (c->first_import_verdict != FWX_IMPORT_OK) return fwx_import_verdict_text((fwx_import_verdict_t)c->first_import_verdict);
    for (i = 0u; i < FWX_EXPORT_COUNT; i++) {
        if (c->exports[i] != FWX_EXPORT_OK && c->exports[i] != FWX_EXPORT_ABSENT)
            return fwx_export_verdict_text((fwx_export_verdict_t)c->exports[i]);
    }
    if (c->needs_error != FWX_CHECK_OK) return fwx_check_error_text(c->needs_error);
    return "fwx.abi requirements not met";
}

fwx_sup_status_t fwx_sup_start(fwx_sup_t *s, const char *id, const uint8_t *wasm, uint32_t wasm_len,
                               const fwx_sup_config_t *cfg, fwx_sup_module_t **out, const char **error)
{
    fwx_module_check_t check;
    fwx_sup_module_t *m = NULL;
    const char *why = NULL;
    fwx_sup_status_t st;
    unsigned i;
    if (out != NULL) *out = NULL;
    if (error == NULL) error = &why;
    *error = NULL;
    if (s == NULL || wasm == NULL || cfg == NULL || !id_fits(id)) {
        *error = err_bad_id;
        return FWX_SUP_E_ARG;
    }
    if (fwx_sup_find(s, id) != NULL) {
        *error = err_duplicate;
        return FWX_SUP_E_DUPLICATE;
    }
    for (i = 0u; i < FWX_SUP_MAX_MODULES && m == NULL; i++) {
        if (s->modules[i].state == FWX_SUP_EMPTY) m = &s->modules[i];
    }
    if (m == NULL) {
        *error = err_full;
        return FWX_SUP_E_FULL;
    }
    memset(&check, 0, sizeof check);
    check.work = s->check_work;
    /* The install check judges initial memory and static RAM against the same
     * budget the supervisor enforces on memory.grow (0: the check's default). */
    check.ram_budget_bytes = cfg->ram_limit_bytes;
    if (!fwx_check_module(wasm, wasm_len, &check)) {
        *error = check_text(&check);
        return FWX_SUP_E_CHECK;
    }
    {
        fwx_sup_t *sup = m->sup;
        uint8_t index = m->index;
        uint32_t generation = m->generation;
        memset(m, 0, sizeof *m);
        m->sup = sup;
        m->index = index;
        m->generation = generation + 1u;
    }
    fwx_sup_copy_text(m->id, sizeof m->id, id);
    m->wasm = wasm;
    m->wasm_len = wasm_len;
    m->cfg = *cfg;
    if (m->cfg.fuel_per_callback == 0u) m->cfg.fuel_per_callback = DEFAULT_FUEL;
    if (m->cfg.wasm_stack_bytes == 0u) m->cfg.wasm_stack_bytes = DEFAULT_STACK;
    if (m->cfg.max_timers == 0u || m->cfg.max_timers > FWX_SUP_MAX_TIMERS) m->cfg.max_timers = FWX_SUP_MAX_TIMERS;
    if (m->cfg.health_callbacks == 0u) m->cfg.health_callbacks = FWX_SUP_HEALTH_CALLBACKS;
    if (m->cfg.health_seconds == 0u) m->cfg.health_seconds = FWX_SUP_HEALTH_SECONDS;
    if (m->cfg.health_timeout_seconds == 0u) m->cfg.health_timeout_seconds = FWX_SUP_HEALTH_TIMEOUT_SECONDS;
    /* A timeout inside the window would revert every trial before it could pass. */
    if (m->cfg.health_timeout_seconds < m->cfg.health_seconds) m->cfg.health_timeout_seconds = m->cfg.health_seconds;
    m->limit_pages = m->cfg.ram_limit_bytes == 0u ? 1u
                     : m->cfg.ram_limit_bytes / FWX_WASM_PAGE + (m->cfg.ram_limit_bytes % FWX_WASM_PAGE != 0u ? 1u : 0u);
    m->ctx.granted = cfg->granted;
    m->ctx.board = cfg->board;
    m->state = FWX_SUP_RUNNING;
    st = load_instance(m, error);
    if (st != FWX_SUP_OK) {
        teardown(m);
        m->state = FWX_SUP_EMPTY;
        return st;
    }
    if (out != NULL) *out = m;
    run_start(m);
    return FWX_SUP_OK;
}

void fwx_sup_stop(fwx_sup_t *s, fwx_sup_module_t *m, const char *why)
{
    (void)s;
    if (m == NULL || m->state == FWX_SUP_EMPTY) return;
    if (m->state == FWX_SUP_RUNNING && m->deinit != NULL) {
        /* A fault in fwx_deinit is reported (FAULT event), nothing else:
         * STOPPED tells after_fault not to restart or revert. */
        m->state = FWX_SUP_STOPPED;
        (void)fwx_sup_call(m, m->deinit, FWX_EXPORT_DEINIT, 0u, false, m->cfg.fuel_per_callback, 0u, NULL, NULL);
    }
    teardown(m);
    m->state = FWX_SUP_STOPPED;
    fwx_sup_copy_text(m->sup->why, sizeof m->sup->why, why);
    fwx_sup_emit(m, FWX_SUP_EV_STOPPED, m->sup->why);
    m->state = FWX_SUP_EMPTY;
}
