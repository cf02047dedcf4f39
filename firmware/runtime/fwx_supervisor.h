/*
 * fwx_supervisor.h: runs fwx modules on wasm3 and keeps them in check.
 *
 * Per module: install-time module check, load, compile, link, fuel bind,
 * RAM limit, the start function under its own fuel budget, fwx_init; then
 * timers and board events, each callback under a fresh fuel budget. A trap
 * becomes a fault record (the crash-report fields of the Node agent); a
 * faulted module is restarted with exponential backoff and quarantined when
 * it faults too often (same parameters as src/agent/supervisor.ts). A module
 * started on trial is confirmed after the health window (seconds AND
 * callbacks AND fwx_health() == 0) or reported for revert; the caller (the
 * device core) decides what happens to the slots.
 *
 * Embedded style: all state lives in the caller's fwx_sup_t, sized at
 * compile time; no allocation here (wasm3 allocates its runtime and module
 * memory itself, through its own allocator hooks). Calls into modules never
 * overlap: call every fwx_sup_* function from one task.
 */
#ifndef FWX_SUPERVISOR_H
#define FWX_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm3.h"
#include "fwx_abi_wasm3.h"
#include "fwx_fuel_wasm3.h"
#include "fwx_module.h"
#include "fwx_module_check.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FWX_SUP_MAX_MODULES
#define FWX_SUP_MAX_MODULES 4u
#endif
#ifndef FWX_SUP_MAX_TIMERS          /* timers per module */
#define FWX_SUP_MAX_TIMERS 8u
#endif
#ifndef FWX_SUP_FRAMES              /* innermost wasm frames a crash report keeps (wasm3 built with
                                       d_m3RecordBacktraces=1; without it a report has none) */
#define FWX_SUP_FRAMES 4u
#endif
#ifndef FWX_SUP_CALL_RING           /* last host calls kept per module for crash reports */
#define FWX_SUP_CALL_RING 8u
#endif
#ifndef FWX_SUP_EVENT_QUEUE         /* board events waiting for delivery, all modules */
#define FWX_SUP_EVENT_QUEUE 16u
#endif
#ifndef FWX_SUP_CALLBACKS_PER_POLL  /* bound on callbacks one fwx_sup_poll runs */
#define FWX_SUP_CALLBACKS_PER_POLL 32u
#endif
/* 1: compile every function at start, so code wasm3 cannot run is refused
 * before the module runs (costs the code of functions never called: 22-40
 * KiB more heap for the examples on wasm3). 0: wasm3's lazy compilation;
 * such code then traps when first reached. */
#ifndef FWX_SUP_COMPILE_EAGERLY
#define FWX_SUP_COMPILE_EAGERLY 1
#endif
#define FWX_SUP_ID_MAX 48u
#define FWX_SUP_TEXT_MAX 120u

/* Exports the mcu instrumentation adds (src/fuel/mcu.ts). */
#define FWX_START_EXPORT "__fwx_start"
#define FWX_MEM_LIMIT_EXPORT "__fwx_mem_limit_set"
/* () -> i32, optional: 1 when a memory.grow was refused since __fwx_fuel_set
 * (added by the fuel instrumenter on branch fuel-floods). */
#define FWX_GROW_REFUSED_EXPORT "__fwx_grow_refused"
/* The RAM budget to the byte (src/fuel/ram-bound.ts): every load and store is
 * checked against the limit set here; the refused access is read back for the
 * fault. Optional: modules instrumented before it only get the page cap. */
#define FWX_RAM_LIMIT_EXPORT "__fwx_ram_limit_set"
#define FWX_RAM_FAULT_EXPORT "__fwx_ram_fault"
#define FWX_WASM_PAGE 65536u

/* Restart policy: DEFAULT_RESTART_POLICY of src/agent/supervisor.ts. */
#define FWX_SUP_BACKOFF_BASE_MS 1000u
#define FWX_SUP_BACKOFF_FACTOR 2u
#define FWX_SUP_BACKOFF_MAX_MS 60000u
#define FWX_SUP_QUARANTINE_AFTER 5u
#define FWX_SUP_WINDOW_MS 600000u

/* Trial: DEFAULT_HEALTH of src/ota/install.ts. */
#ifndef FWX_SUP_HEALTH_CALLBACKS
#define FWX_SUP_HEALTH_CALLBACKS 3u
#endif
#ifndef FWX_SUP_HEALTH_SECONDS
#define FWX_SUP_HEALTH_SECONDS 10u
#endif
#ifndef FWX_SUP_HEALTH_TIMEOUT_SECONDS
#define FWX_SUP_HEALTH_TIMEOUT_SECONDS 60u
#endif

/* Why a callback ended badly; the names of src/agent/faults.ts FAULT_REASONS. */
typedef enum fwx_fault_reason {
    FWX_FAULT_FUEL_EXHAUSTED = 0,
    FWX_FAULT_STACK_OVERFLOW = 1,
    FWX_FAULT_MEMORY_LIMIT = 2,
    FWX_FAULT_UNREACHABLE = 3,
    FWX_FAULT_ABORT = 4,
    FWX_FAULT_OUT_OF_BOUNDS = 5,
    FWX_FAULT_FOREIGN_HANDLE = 6,
    FWX_FAULT_WATCHDOG = 7,
    FWX_FAULT_TRAP = 8,
    FWX_FAULT_INIT_FAILED = 9
} fwx_fault_reason_t;

/* "fuel-exhausted", ... as the agent spells them. */
const char *fwx_fault_reason_name(fwx_fault_reason_t reason);

typedef struct fwx_host_call {
    uint32_t t_ms;    /* device clock, milliseconds (wraps after 49 days: for ordering within a report) */
    int32_t result;   /* the status the call returned (low 32 bits of a value); 0 for notifications */
    uint8_t fn;       /* index into fwx_imports[], 0xff when unknown */
} fwx_host_call_t;

/* One wasm frame of a crash report, as the Node agent's fault line has it
 * (src/agent/faults.ts FrameRef): where wasm3 was in the module the device
 * runs, and which function that is, so a tool can name it through the
 * module's debug map. */
typedef struct fwx_fault_frame {
    uint32_t module_offset;             /* byte offset in the module's wasm */
    uint32_t func_index;                /* imports first; FWX_FRAME_NO_FUNCTION when no body holds the offset */
    uint32_t code_from, code_to;        /* that function's instructions, [from, to) */
} fwx_fault_frame_t;
#define FWX_FRAME_NO_FUNCTION 0xffffffffu

/* One crash report (CrashReport of src/agent/faults.ts). */
typedef struct fwx_fault {
    fwx_fault_reason_t reason;
    char detail[FWX_SUP_TEXT_MAX];      /* the trap text, the abort message, ... */
    char callback[24];                  /* "fwx_init", "fwx_on_timer(3)", "__fwx_start", ... */
    char function[32];                  /* wasm function wasm3 names for the trap, "" when unknown */
    uint64_t t_us;
    /* budget - left. Exact after a normal end and after a trap raised by a
     * host function (fuel exhaustion, abort, bounds, handle). After a trap
     * inside wasm3 (unreachable, division by zero, stack overflow, ...) it is
     * a lower bound (fuel_exact false): instrumented code keeps the counter
     * in a local and writes it back only around calls, and the trap skips
     * that write-back. */
    uint64_t fuel_used;
    uint64_t fuel_budget;
    bool fuel_exact;
    uint32_t memory_pages;              /* 64 KiB pages when the callback ended */
    uint32_t memory_high_water_pages;
    uint32_t memory_limit_pages;
    uint8_t ncalls;                     /* valid entries of last_calls, oldest first */
    fwx_host_call_t last_calls[FWX_SUP_CALL_RING];
    uint8_t nframes;                    /* valid entries of frames, innermost first */
    fwx_fault_frame_t frames[FWX_SUP_FRAMES];
} fwx_fault_t;

typedef enum fwx_sup_state {
    FWX_SUP_EMPTY = 0,       /* slot unused */
    FWX_SUP_RUNNING = 1,
    FWX_SUP_BACKOFF = 2,     /* faulted; restarts at restart_at_us */
    FWX_SUP_QUARANTINED = 3, /* faulted too often: no more restarts */
    FWX_SUP_FAILED = 4,      /* a trial module faulted, timed out or was vetoed: awaiting revert */
    FWX_SUP_STOPPED = 5
} fwx_sup_state_t;

/* How one module runs. Zero fields take the defaults in brackets. */
typedef struct fwx_sup_config {
    uint64_t fuel_per_callback;  /* [10,000,000, DEFAULT_FUEL of the agent] */
    uint64_t fuel_start;         /* __fwx_start and fwx_init each [fuel_per_callback] */
    uint32_t ram_limit_bytes;    /* linear memory cap: memory.grow to 64 KiB pages, loads and stores to the byte [65536] */
    uint32_t wasm_stack_bytes;   /* wasm3 value stack [8192] */
    uint32_t max_timers;         /* timers at once, the timer grant's scope [FWX_SUP_MAX_TIMERS] */
    uint32_t granted;            /* FWX_CAP_BIT per capability kind (fwx_module_t.granted) */
    void *board;                 /* fwx_module_t.board, the HAL's per-module state */
    bool trial;                  /* report confirm / revert instead of restarting on fault */
    /* The trial's health window (HealthPolicy of src/ota/install.ts), set per
     * device at run time (fwx-device --health-callbacks/--health-seconds). */
    uint32_t health_callbacks;   /* callbacks without a fault to confirm [FWX_SUP_HEALTH_CALLBACKS] */
    uint32_t health_seconds;     /* and at least this long on trial [FWX_SUP_HEALTH_SECONDS] */
    uint32_t health_timeout_seconds; /* revert when the window is not met by then [FWX_SUP_HEALTH_TIMEOUT_SECONDS,
                                        at least health_seconds] */
} fwx_sup_config_t;

typedef enum fwx_sup_event_kind {
    FWX_SUP_EV_STARTED = 0,      /* fwx_init returned 0 (also after a restart) */
    FWX_SUP_EV_FAULT = 1,        /* fault points at the record */
    FWX_SUP_EV_BACKOFF = 2,      /* restarts after after_us */
    FWX_SUP_EV_QUARANTINED = 3,
    FWX_SUP_EV_CONFIRMED = 4,    /* the trial passed: keep this slot */
    FWX_SUP_EV_REVERT = 5,       /* the trial failed (text says why): switch back */
    FWX_SUP_EV_STOPPED = 6
} fwx_sup_event_kind_t;

typedef struct fwx_sup_event {
    fwx_sup_event_kind_t kind;
    const char *module_id;
    const fwx_fault_t *fault;    /* FAULT; valid during the notify call only */
    uint64_t after_us;           /* BACKOFF */
    uint32_t faults_in_window;   /* BACKOFF, QUARANTINED */
    const char *text;            /* REVERT, CONFIRMED, STOPPED: why; valid during the notify call only */
} fwx_sup_event_t;

typedef void (*fwx_sup_notify_fn)(void *user, const fwx_sup_event_t *event);

typedef struct fwx_sup_timer {
    uint64_t due_us;
    uint32_t id;
    uint32_t period_ms;
    uint32_t seq;               /* start order, for ties */
    bool periodic;
    bool active;
} fwx_sup_timer_t;

typedef struct fwx_sup_module {
    fwx_module_t ctx;           /* first member: a HAL's fwx_module_t * is this module */
    /* 8-byte members first, bytes last: no padding between them (RAM per module). */
    fwx_sup_config_t cfg;
    fwx_sup_timer_t timers[FWX_SUP_MAX_TIMERS];
    /* restart policy */
    uint64_t fault_times[FWX_SUP_QUARANTINE_AFTER];
    uint64_t restart_at_us;
    /* trial */
    uint64_t trial_start_us;
    uint64_t last_fuel_used;    /* of the last call into the module */
    struct fwx_sup *sup;
    fwx_sup_state_t state;
    const uint8_t *wasm;        /* must stay valid while the module is installed (wasm3 compiles lazily) */
    uint32_t wasm_len;
    IM3Runtime runtime;
    fwx_fuel_t fuel;
    IM3Function on_timer, on_event, health, deinit;
    IM3Function grow_refused;   /* optional __fwx_grow_refused */
    IM3Function ram_fault;      /* optional __fwx_ram_fault */
    uint32_t generation;        /* bumped per instance: queued events of a dead instance are dropped */
    uint32_t limit_pages;
    uint32_t high_water_pages;
    uint32_t restarts;
    uint32_t callbacks;         /* completed callbacks of this instance, fwx_init included */
    uint32_t initial_pages;
    fwx_host_call_t ring[FWX_SUP_CALL_RING];
    char id[FWX_SUP_ID_MAX];
    uint8_t index;
    uint8_t ring_next, ring_count;
    uint8_t nfault_times;
    bool last_fuel_exact;
} fwx_sup_module_t;

typedef struct fwx_sup_queued_event {
    uint32_t generation;
    uint32_t kind, handle, arg;
    uint8_t module;
} fwx_sup_queued_event_t;

typedef struct fwx_sup {
    IM3Environment env;
    fwx_check_work_t *check_work; /* lent by the caller (fwx_sup_init) */
    fwx_sup_notify_fn notify;
    void *user;
    fwx_sup_module_t modules[FWX_SUP_MAX_MODULES];
    fwx_sup_queued_event_t events[FWX_SUP_EVENT_QUEUE];
    uint8_t event_head, event_count;
    uint32_t events_dropped;    /* posted while the queue was full */
    uint32_t timer_seq;
    /* One record and one text for all modules: events are delivered
     * synchronously, and what they point to is valid during notify only
     * (copy what you keep). Saves a crash report's RAM per module. */
    fwx_fault_t fault;
    char why[FWX_SUP_TEXT_MAX];
} fwx_sup_t;

/* Outcome of fwx_sup_start: why a module was refused before it ran. */
typedef enum fwx_sup_status {
    FWX_SUP_OK = 0,
    FWX_SUP_E_FULL = 1,         /* no free module slot (FWX_SUP_MAX_MODULES) */
    FWX_SUP_E_CHECK = 2,        /* fwx_check_module refused the bytes; error text says why */
    FWX_SUP_E_LOAD = 3,         /* wasm3 refused to parse, load or compile */
    FWX_SUP_E_LINK = 4,         /* fwx_link failed */
    FWX_SUP_E_FUEL = 5,         /* not fuel-instrumented: refused on wasm3 */
    FWX_SUP_E_MEMORY = 6,       /* initial memory above the RAM limit, or no limit export */
    FWX_SUP_E_DUPLICATE = 7,    /* a module of that id is installed */
    FWX_SUP_E_ARG = 8           /* NULL argument, or id empty or not shorter than FWX_SUP_ID_MAX */
} fwx_sup_status_t;

/* `env` from m3_NewEnvironment; notify may be NULL. `check_work` holds the
 * install check's tables while fwx_sup_start checks a module (about 10.5 KiB,
 * fwx_module_check.h): lend memory that is idle then, e.g. a verifier's work
 * area, rather than keeping it for the supervisor's lifetime. */
void fwx_sup_init(fwx_sup_t *s, IM3Environment env, fwx_check_work_t *check_work, fwx_sup_notify_fn notify, void *user);

/*
 * Checks, loads and starts a module (start function, fwx_init). A refusal
 * returns its status and leaves nothing behind (error text in *error when
 * error is not NULL). A start that traps or whose fwx_init fails is not a
 * refusal: it returns FWX_SUP_OK, reports the fault and goes to backoff (or,
 * on trial, FAILED with a REVERT event). *out (may be NULL) gets the module.
 */
fwx_sup_status_t fwx_sup_start(fwx_sup_t *s, const char *id, const uint8_t *wasm, uint32_t wasm_len,
                               const fwx_sup_config_t *cfg, fwx_sup_module_t **out, const char **error);

/* Calls fwx_deinit (under a fresh budget) if it runs, drops its timers and
 * events, frees its wasm3 runtime and the slot. */
void fwx_sup_stop(fwx_sup_t *s, fwx_sup_module_t *m, const char *why);

/* The installed module of that id, or NULL. */
fwx_sup_module_t *fwx_sup_find(fwx_sup_t *s, const char *id);

/*
 * Runs what is due at fwx_port_now_us(): expired timers, queued events,
 * restarts after backoff, trial verdicts, at most FWX_SUP_CALLBACKS_PER_POLL
 * callbacks. Returns when the next thing is due (UINT64_MAX: nothing
 * scheduled) so the caller can sleep until then or until an event arrives.
 */
uint64_t fwx_sup_poll(fwx_sup_t *s);

/* Queues fwx_on_event(kind, handle, arg) for the module of `m` (the board
 * calls it from its event source, e.g. after gpio.watch). false: queue full
 * or the module is not running. Not interrupt-safe: post from the module task. */
bool fwx_sup_post_event(fwx_module_t *m, uint32_t kind, uint32_t handle, uint32_t arg);

/* Records a host call in the module's crash-report ring. The runtime's own
 * HAL functions (core clock, abort, fuel, timer) record themselves; the
 * board's HAL calls this with its FWX_IMPORT_* index and the result. */
void fwx_sup_note_host_call(fwx_module_t *m, unsigned import_index, int64_t result);

/* The supervised module of a HAL context. */
fwx_sup_module_t *fwx_sup_module_of(fwx_module_t *m);

#ifdef __cplusplus
}
#endif

#endif /* FWX_SUPERVISOR_H */
