/*
 * check_tool FILE...: runs the firmware's install-time module check on each
 * file and prints one JSON object per line, for tests/c/run.mjs to compare
 * with what each hand-assembled module should produce. For an accepted
 * module it also prints where fwx_wasm_function_at puts each function's code
 * ("functions": [index, from, to] by offset), which run.mjs compares with
 * the TypeScript reader's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_module_check.h"
#include "fwx_wasm_read.h"

#define MAX_ITEMS 64u

static void json_string(const uint8_t *s, uint32_t n)
{
    uint32_t i;
    putchar('"');
    for (i = 0u; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20u) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static const char *error_name(fwx_check_error_t e)
{
    static const char *names[] = { "ok", "not-wasm", "truncated", "leb-overflow", "malformed", "too-many-imports", "bad-abi-section", "unsupported", "limit", "over-budget", "no-memory", "no-timer-callback", "invalid" };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

static const char *import_name(unsigned v)
{
    static const char *names[] = { "ok", "not-fwx", "unknown-interface", "major-mismatch", "unknown-function", "signature-mismatch", "not-a-function" };
    return v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static const char *requirement_name(unsigned v)
{
    static const char *names[] = { "ok", "unknown-interface", "major-mismatch", "newer-minor" };
    return v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static const char *export_name(unsigned v)
{
    static const char *names[] = { "absent", "ok", "missing", "signature-mismatch", "not-a-function" };
    return v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static int check_file(const char *path)
{
    static fwx_import_check_t imports[MAX_ITEMS];
    static fwx_requirement_check_t reqs[MAX_ITEMS];
    static fwx_check_work_t work;
    FILE *f = fopen(path, "rb");
    uint8_t *bytes;
    long len;
    fwx_module_check_t check;
    bool accepted;
    uint32_t i;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "check_tool: cannot read %s\n", path);
        if (f != NULL) fclose(f);
        return 2;
    }
    bytes = malloc((size_t)len + 1u);
    if (bytes == NULL || fread(bytes, 1u, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "check_tool: cannot read %s\n", path);
        fclose(f);
        free(bytes);
        return 2;
    }
    fclose(f);
    memset(&check, 0, sizeof check);
    check.work = &work;
    check.imports = imports;
    check.imports_cap = MAX_ITEMS;
    check.requirements = reqs;
    check.requirements_cap = MAX_ITEMS;
    accepted = fwx_check_module(bytes, (uint32_t)len, &check);
    printf("{\"file\":");
    json_string((const uint8_t *)path, (uint32_t)strlen(path));
    printf(",\"accepted\":%s,\"error\":\"%s\",\"errorOffset\":%u,\"abiError\":\"%s\",\"hasAbiSection\":%s,\"imports\":[",
           accepted ? "true" : "false", error_name(check.error), check.error_offset,
           fwx_abi_section_error_text(check.abi_error), check.has_abi_section ? "true" : "false");
    for (i = 0u; i < check.import_count && i < MAX_ITEMS; i++) {
        const fwx_import_check_t *ic = &imports[i];
        printf("%s{\"module\":", i ? "," : "");
        json_string(ic->module, ic->module_len);
        printf(",\"name\":");
        json_string(ic->name, ic->name_len);
        printf(",\"kind\":%u,\"verdict\":\"%s\",\"offset\":%u", ic->kind, import_name(ic->verdict), ic->offset);
        if (ic->iface >= 0) printf(",\"offered\":\"%u.%u\"", fwx_interfaces[ic->iface].major, fwx_interfaces[ic->iface].minor);
        printf("}");
    }
    printf("],\"requirements\":[");
    for (i = 0u; i < check.requirement_count && i < MAX_ITEMS; i++) {
        const fwx_requirement_check_t *rc = &reqs[i];
        printf("%s{\"name\":", i ? "," : "");
        json_string(rc->entry.name, rc->entry.name_len);
        printf(",\"major\":%u,\"minor\":%u,\"verdict\":\"%s\"", rc->entry.major, rc->entry.minor, requirement_name(rc->verdict));
        if (rc->iface >= 0) printf(",\"offered\":\"%u.%u\"", fwx_interfaces[rc->iface].major, fwx_interfaces[rc->iface].minor);
        printf("}");
    }
    printf("],\"exports\":{");
    for (i = 0u; i < FWX_EXPORT_COUNT; i++)
        printf("%s\"%s\":\"%s\"", i ? "," : "", fwx_exports[i].name, export_name(check.exports[i]));
    printf("}");
    if (accepted) {
        /* Every offset asked, so a function the locator misses or puts wrong shows. */
        uint32_t off = 0u, n = 0u;
        printf(",\"functions\":[");
        while (off < (uint32_t)len) {
            fwx_wasm_function_at_t at;
            if (!fwx_wasm_function_at(bytes, (uint32_t)len, off, &at)) {
                off++;
                continue;
            }
            printf("%s[%u,%u,%u]", n++ ? "," : "", at.index, at.code_from, at.code_to);
            for (; off < at.code_to; off++) {
                fwx_wasm_function_at_t again;
                if (!fwx_wasm_function_at(bytes, (uint32_t)len, off, &again) || again.index != at.index) {
                    printf(",\"mismatch at %u\"", off);
                    break;
                }
            }
            off = at.code_to;
        }
        printf("]");
    }
    printf("}\n");
    free(bytes);
    return 0;
}

int main(int argc, char **argv)
{
    int i, rc = 0;
    for (i = 1; i < argc; i++)
        if (check_file(argv[i]) != 0) rc = 2;
    return rc;
}
