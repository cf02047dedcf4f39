/* Human-readable texts of the module check results (fwx_module_check.h). */
#include "fwx_module_check.h"

const char *fwx_check_error_text(fwx_check_error_t e)
{
    switch (e) {
    case FWX_CHECK_OK: return "ok";
    case FWX_CHECK_NOT_WASM: return "not a wasm module (bad magic or version)";
    case FWX_CHECK_TRUNCATED: return "truncated: a section, vector, name or LEB128 runs past its end";
    case FWX_CHECK_LEB_OVERFLOW: return "LEB128 value longer than 5 bytes or above 32 bits";
    case FWX_CHECK_MALFORMED: return "malformed module";
    case FWX_CHECK_TOO_MANY_IMPORTS: return "more imports than FWX_CHECK_MAX_IMPORTS";
    case FWX_CHECK_BAD_ABI_SECTION: return "malformed fwx.abi section";
    case FWX_CHECK_UNSUPPORTED: return "uses a WebAssembly feature wasm3 cannot run";
    case FWX_CHECK_LIMIT: return "exceeds a resource limit of the mcu device class";
    case FWX_CHECK_OVER_BUDGET: return "needs more linear memory than the RAM budget";
    case FWX_CHECK_NO_MEMORY: return "passes pointers to the host but defines no memory";
    case FWX_CHECK_NO_TIMER_CALLBACK: return "starts timers but does not export fwx_on_timer";
    case FWX_CHECK_INVALID: return "fails WebAssembly validation (operand types)";
    case FWX_CHECK_NO_WORK: return "no work area given (fwx_module_check_t.work is NULL)";
    }
    return "unknown check error";
}

const char *fwx_import_verdict_text(fwx_import_verdict_t v)
{
    switch (v) {
    case FWX_IMPORT_OK: return "ok";
    case FWX_IMPORT_NOT_FWX: return "not an fwx interface (module must be fwx:<interface>@<major>)";
    case FWX_IMPORT_UNKNOWN_INTERFACE: return "interface not offered by this firmware";
    case FWX_IMPORT_MAJOR_MISMATCH: return "interface major version not offered by this firmware";
    case FWX_IMPORT_UNKNOWN_FUNCTION: return "function not in the offered interface version";
    case FWX_IMPORT_SIGNATURE_MISMATCH: return "wasm signature differs from the ABI";
    case FWX_IMPORT_NOT_A_FUNCTION: return "only function imports are allowed";
    }
    return "unknown import verdict";
}

const char *fwx_export_verdict_text(fwx_export_verdict_t v)
{
    switch (v) {
    case FWX_EXPORT_ABSENT: return "not exported";
    case FWX_EXPORT_OK: return "ok";
    case FWX_EXPORT_MISSING: return "required export missing";
    case FWX_EXPORT_SIGNATURE_MISMATCH: return "wasm signature differs from the ABI";
    case FWX_EXPORT_NOT_A_FUNCTION: return "exported, but not as a function";
    }
    return "unknown export verdict";
}

const char *fwx_requirement_verdict_text(fwx_requirement_verdict_t v)
{
    switch (v) {
    case FWX_REQUIREMENT_OK: return "ok";
    case FWX_REQUIREMENT_UNKNOWN_INTERFACE: return "interface not offered by this firmware";
    case FWX_REQUIREMENT_MAJOR_MISMATCH: return "interface major version not offered by this firmware";
    case FWX_REQUIREMENT_NEWER_MINOR: return "built against a newer minor version than offered";
    }
    return "unknown requirement verdict";
}
