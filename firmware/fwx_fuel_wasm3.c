/* Fuel protocol helpers for wasm3 (see fwx_fuel_wasm3.h). */
#include "fwx_fuel_wasm3.h"

#include <stddef.h>

const char fwx_fuel_error_not_instrumented[] =
    "fwx: module is not fuel-instrumented (no " FWX_FUEL_SET_EXPORT " / " FWX_FUEL_GET_EXPORT " export)";
const char fwx_fuel_error_signature[] =
    "fwx: fuel exports must be " FWX_FUEL_SET_EXPORT "(i64) -> () and " FWX_FUEL_GET_EXPORT "() -> i64";

static M3Result find_fuel_exports(IM3Runtime runtime, IM3Function *set, IM3Function *get)
{
    M3Result r = m3_FindFunction(set, runtime, FWX_FUEL_SET_EXPORT);
    if (r == NULL) r = m3_FindFunction(get, runtime, FWX_FUEL_GET_EXPORT);
    if (r == m3Err_functionLookupFailed) return fwx_fuel_error_not_instrumented;
    if (r != NULL) return r;
    if (m3_GetArgCount(*set) != 1u || m3_GetArgType(*set, 0u) != c_m3Type_i64 || m3_GetRetCount(*set) != 0u ||
        m3_GetArgCount(*get) != 0u || m3_GetRetCount(*get) != 1u || m3_GetRetType(*get, 0u) != c_m3Type_i64)
        return fwx_fuel_error_signature;
    return NULL;
}

M3Result fwx_fuel_bind(IM3Runtime runtime, fwx_fuel_t *fuel)
{
    IM3Function set = NULL, get = NULL;
    M3Result r = find_fuel_exports(runtime, &set, &get);
    /* All or nothing: a half-bound fuel_t must not let a callback run unmetered. */
    fuel->set = r == NULL ? set : NULL;
    fuel->get = r == NULL ? get : NULL;
    return r;
}

M3Result fwx_fuel_set(const fwx_fuel_t *fuel, int64_t budget)
{
    if (fuel->set == NULL) return fwx_fuel_error_not_instrumented;
    return m3_CallV(fuel->set, budget);
}

M3Result fwx_fuel_remaining(const fwx_fuel_t *fuel, int64_t *remaining)
{
    M3Result r;
    if (fuel->get == NULL) return fwx_fuel_error_not_instrumented;
    r = m3_CallV(fuel->get);
    if (r != NULL) return r;
    return m3_GetResultsV(fuel->get, remaining);
}
