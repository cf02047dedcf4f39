/*
 * fuzz_module_check.c: the install-time wasm module check
 * (fwx_check_module: sections, imports, the fwx.abi section, exports and
 * every function body through fwx_code_check.c) and the crash-report
 * locator (fwx_wasm_function_at) on arbitrary bytes.
 * Checks: a refusal names a structural error or a refused item; the error
 * offset and every import's name lie inside the module;
 * the verdict does not depend on how many import records the caller keeps;
 * for an accepted module every function the locator finds lies inside the
 * code section and contains the offset asked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_module_check.h"
#include "fwx_wasm_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 64u

static fwx_import_check_t imports[MAX_ITEMS];
static fwx_requirement_check_t reqs[MAX_ITEMS];
static fwx_check_work_t work;

static int inside(const uint8_t *p, uint32_t n, const uint8_t *bytes, uint32_t len)
{
    return p >= bytes && (uint32_t)(p - bytes) <= len && n <= len - (uint32_t)(p - bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fwx_module_check_t check, small;
    uint8_t *bytes;
    uint32_t len, i;
    bool accepted;
    if (size > 256u * 1024u) return 0;
    len = (uint32_t)size;
    bytes = malloc(len ? len : 1u); /* exactly the module: ASan sees any read past it */
    if (!bytes) return 0;
    memcpy(bytes, data, len);
    memset(&check, 0, sizeof check);
    check.work = &work;
    check.imports = imports;
    check.imports_cap = MAX_ITEMS;
    check.requirements = reqs;
    check.requirements_cap = MAX_ITEMS;
    accepted = fwx_check_module(bytes, len, &check);
    /* Refused: a structural error, or per-item verdicts (imports, requirements, exports, needs). */
    if (accepted && check.error != FWX_CHECK_OK) abort();
    if (!accepted && check.error == FWX_CHECK_OK &&
        check.imports_rejected + check.requirements_rejected + check.exports_rejected == 0u && check.needs_error == FWX_CHECK_OK)
        abort();
    if (check.error != FWX_CHECK_OK && check.error_offset > len) abort();
    if (check.imports_rejected > check.import_count || check.requirements_rejected > check.requirement_count) abort();
    for (i = 0; i < check.import_count && i < MAX_ITEMS; i++) {
        if (!inside(imports[i].module, imports[i].module_len, bytes, len) || !inside(imports[i].name, imports[i].name_len, bytes, len)) abort();
        if (imports[i].offset > len) abort();
    }
    for (i = 0; i < check.requirement_count && i < MAX_ITEMS; i++)
        if (!inside(reqs[i].entry.name, reqs[i].entry.name_len, bytes, len)) abort();
    /* The same verdict with room for one import record only. */
    memset(&small, 0, sizeof small);
    small.work = &work;
    small.imports = imports;
    small.imports_cap = 1u;
    small.requirements = reqs;
    small.requirements_cap = 1u;
    if (fwx_check_module(bytes, len, &small) != accepted || small.error != check.error || small.error_offset != check.error_offset ||
        small.imports_rejected != check.imports_rejected || small.first_import_verdict != check.first_import_verdict ||
        small.requirements_rejected != check.requirements_rejected || small.exports_rejected != check.exports_rejected)
        abort();
    if (accepted) {
        uint32_t off;
        for (off = 0; off < len; off += 1u + off / 16u) {
            fwx_wasm_function_at_t at;
            if (!fwx_wasm_function_at(bytes, len, off, &at)) continue;
            if (at.code_from > at.code_to || at.code_to > len || off < at.code_from || off >= at.code_to) abort();
        }
    }
    free(bytes);
    return 0;
}
