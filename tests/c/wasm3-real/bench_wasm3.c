/*
 * Opt-in measurements on the REAL wasm3 (never in npm test; figures for the
 * porting guide): fuel overhead of the mcu-metered bench kernels against the
 * unmetered ones, and the cost of a host call through the generated glue
 * (raw function, checks, the runtime's HAL with its crash-report ring)
 * against a bare raw function. Side by side, rounds alternated, medians of
 * thread CPU time (the machine may be shared; wall time would count others).
 *
 *   bench_wasm3 <dir with *.plain.wasm / *.metered.wasm from bench-modules.ts>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwx_abi_wasm3.h"
#include "fwx_rt_port.h"
#include "fwx_supervisor.h"

#define ROUNDS 11
#define TARGET_MS 60.0

uint64_t fwx_port_now_us(void) { return 12345u; }

bool fwx_hal_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle)
{
    (void)m; (void)kind; (void)handle;
    return true;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static m3ApiRawFunction(raw_abort) { m3ApiTrap("[trap] abort"); }
static m3ApiRawFunction(raw_fuel_out) { m3ApiTrap("[trap] fuel exhausted"); }
static m3ApiRawFunction(raw_nop)
{
    m3ApiReturnType(int64_t);
    m3ApiReturn(12345);
}

typedef struct variant {
    IM3Runtime rt;
    IM3Function run, fuel_set;
    uint8_t *bytes;
} variant_t;

static fwx_sup_t sup;

static int load(IM3Environment env, const char *path, variant_t *v, bool glue)
{
    FILE *f = fopen(path, "rb");
    long n;
    IM3Module mod;
    IM3Function fn;
    M3Result r;
    if (f == NULL) return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    v->bytes = malloc((size_t)n);
    if (fread(v->bytes, 1u, (size_t)n, f) != (size_t)n) return -1;
    fclose(f);
    v->rt = m3_NewRuntime(env, 64u * 1024u, NULL);
    r = m3_ParseModule(env, &mod, v->bytes, (uint32_t)n);
    if (r == NULL) r = m3_LoadModule(v->rt, mod);
    if (r != NULL) { fprintf(stderr, "%s: %s\n", path, r); return -1; }
    m3_LinkRawFunction(mod, "env", "abort", "v(iiii)", raw_abort);
    m3_LinkRawFunction(mod, "fwx:core@1", "fuel_exhausted", "v()", raw_fuel_out);
    m3_LinkRawFunction(mod, "bench", "nop", "I()", raw_nop);
    if (glue) {
        fwx_sup_module_t *m = &sup.modules[0];
        m->sup = &sup;
        fwx_link(mod, &m->ctx, NULL);
    }
    if (m3_FindFunction(&v->fuel_set, v->rt, "__fwx_fuel_set") != NULL) v->fuel_set = NULL;
    if (v->fuel_set != NULL) m3_CallV(v->fuel_set, (int64_t)INT64_MAX);
    if (m3_FindFunction(&fn, v->rt, "__fwx_start") == NULL) m3_CallV(fn);
    if (m3_FindFunction(&fn, v->rt, "init") == NULL && (r = m3_CallV(fn)) != NULL) { fprintf(stderr, "init: %s\n", r); return -1; }
    r = m3_FindFunction(&v->run, v->rt, "run");
    if (r != NULL) { fprintf(stderr, "%s: run: %s\n", path, r); return -1; }
    return 0;
}

/* Runs run(arg); returns ms and the result bits. */
static double time_run(variant_t *v, int32_t arg, uint64_t *bits)
{
    double t0, t1;
    M3Result r;
    if (v->fuel_set != NULL) m3_CallV(v->fuel_set, (int64_t)INT64_MAX);
    t0 = now_ms();
    r = m3_CallV(v->run, arg);
    t1 = now_ms();
    if (r != NULL) { fprintf(stderr, "run: %s\n", r); exit(1); }
    *bits = 0u;
    if (m3_GetRetType(v->run, 0) == c_m3Type_f64) { double d; m3_GetResultsV(v->run, &d); memcpy(bits, &d, sizeof d); }
    else { int32_t i; m3_GetResultsV(v->run, &i); *bits = (uint32_t)i; }
    return t1 - t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *xs, int n)
{
    qsort(xs, (size_t)n, sizeof *xs, cmp);
    return xs[n / 2];
}

/* Median ms of a and b at one argument scaled to TARGET_MS for a. */
static void side_by_side(variant_t *a, variant_t *b, int32_t probe, double *ma, double *mb, int32_t *arg_out)
{
    double ta[ROUNDS], tb[ROUNDS];
    uint64_t ra, rb;
    double p;
    int32_t arg;
    int i;
    (void)time_run(a, probe, &ra); /* wasm3 compiles on the first call */
    (void)time_run(b, probe, &rb);
    p = time_run(a, probe, &ra);
    arg = (int32_t)((double)probe * TARGET_MS / (p < 0.01 ? 0.01 : p));
    if (arg < 1) arg = 1;
    for (i = 0; i < ROUNDS; i++) {
        if (i % 2 == 0) { ta[i] = time_run(a, arg, &ra); tb[i] = time_run(b, arg, &rb); }
        else { tb[i] = time_run(b, arg, &rb); ta[i] = time_run(a, arg, &ra); }
        if (ra != rb) { fprintf(stderr, "the two variants returned different results\n"); exit(1); }
    }
    *ma = median(ta, ROUNDS);
    *mb = median(tb, ROUNDS);
    *arg_out = arg;
}

int main(int argc, char **argv)
{
    static const char *const kernels[] = { "crc32", "arith", "spectrum" };
    static const int32_t probes[] = { 2, 1000000, 20 };
    IM3Environment env = m3_NewEnvironment();
    char pa[512], pb[512];
    unsigned k;
    if (argc < 2) return 2;
    /* "metered": fuel alone; "bounded": fuel and the inline RAM bounds of a sub-page budget (the device form). */
    static const char *const forms[] = { "metered", "bounded" };
    static const char *const labels[] = { "fuel", "fuel+ram" };
    unsigned f;
    for (f = 0u; f < 2u; f++) {
        for (k = 0u; k < 3u; k++) {
            variant_t plain, metered;
            double mp, mm;
            int32_t arg;
            snprintf(pa, sizeof pa, "%s/%s.plain.wasm", argv[1], kernels[k]);
            snprintf(pb, sizeof pb, "%s/%s.%s.wasm", argv[1], kernels[k], forms[f]);
            if (load(env, pa, &plain, false) != 0 || load(env, pb, &metered, false) != 0) return 1;
            side_by_side(&plain, &metered, probes[k], &mp, &mm, &arg);
            printf("%s %-8s run(%d): unmetered %.2f ms, metered %.2f ms, ratio %.3fx\n", labels[f], kernels[k], arg, mp, mm, mm / mp);
        }
    }
    {
        variant_t bare, glue;
        double mb, mg;
        int32_t arg;
        snprintf(pa, sizeof pa, "%s/hostcall-bare.plain.wasm", argv[1]);
        snprintf(pb, sizeof pb, "%s/hostcall-glue.plain.wasm", argv[1]);
        if (load(env, pa, &bare, false) != 0 || load(env, pb, &glue, true) != 0) return 1;
        side_by_side(&bare, &glue, 100000, &mb, &mg, &arg);
        printf("host call x%d: bare raw %.2f ns/call, through the glue (now_us + ring) %.2f ns/call, +%.2f ns\n", arg,
               mb * 1e6 / arg, mg * 1e6 / arg, (mg - mb) * 1e6 / arg);
    }
    return 0;
}
