/* fwx_link against the fake runtime, and robustness of the module checker
 * on real modules given on the command line (truncations and corruptions
 * of every byte must be refused or accepted without reading out of bounds;
 * ASan turns any stray read into a failure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_wasm3.h"
#include "fwx_abi_wasm3.h"
#include "fwx_module_check.h"
#include "test_util.h"

void test_link(void)
{
    fwx_module_t ctx;
    fwx_link_report_t report;
    unsigned i, declared = 0u;
    memset(&ctx, 0, sizeof ctx);

    case_begin("link: only imported functions are linked; the rest is reported not imported");
    fake_reset(65536u);
    for (i = 0u; i < FWX_IMPORT_COUNT; i += 3u) {
        fake_declare_import(fwx_imports[i].module, fwx_imports[i].name, fwx_imports[i].wasm3_signature);
        declared++;
    }
    fake_declare_import("env", "abort", "v(iiii)");
    CHECK(fwx_link(fake_module(), &ctx, &report) == NULL);
    CHECK(report.linked == declared && report.failed == 0u);
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) {
        CHECK(report.state[i] == (i % 3u == 0u ? FWX_LINK_LINKED : FWX_LINK_NOT_IMPORTED));
        CHECK(report.error[i] == NULL);
        CHECK(fake_link_count(fwx_imports[i].module, fwx_imports[i].name) == (i % 3u == 0u ? 1u : 0u));
    }
    CHECK(fake_link_count("env", "abort") == 0u);
    case_end();

    case_begin("link: a signature wasm3 refuses is reported per import and returned");
    fake_reset(65536u);
    fake_declare_import(fwx_imports[FWX_IMPORT_GPIO_WRITE].module, fwx_imports[FWX_IMPORT_GPIO_WRITE].name, "i(iI)");
    fake_declare_import(fwx_imports[FWX_IMPORT_GPIO_READ].module, fwx_imports[FWX_IMPORT_GPIO_READ].name, fwx_imports[FWX_IMPORT_GPIO_READ].wasm3_signature);
    CHECK(fwx_link(fake_module(), &ctx, &report) == fake_err_signature_mismatch);
    CHECK(report.state[FWX_IMPORT_GPIO_WRITE] == FWX_LINK_FAILED);
    CHECK(report.error[FWX_IMPORT_GPIO_WRITE] == fake_err_signature_mismatch);
    CHECK(report.state[FWX_IMPORT_GPIO_READ] == FWX_LINK_LINKED);
    CHECK(report.linked == 1u && report.failed == 1u);
    case_end();

    case_begin("link: a NULL module context is refused before anything is linked");
    fake_reset(65536u);
    fake_declare_import(fwx_imports[0].module, fwx_imports[0].name, fwx_imports[0].wasm3_signature);
    CHECK(fwx_link(fake_module(), NULL, &report) == fwx_link_error_no_context);
    CHECK(fwx_link(fake_module(), NULL, NULL) == fwx_link_error_no_context);
    CHECK(fake_link_count(fwx_imports[0].module, fwx_imports[0].name) == 0u);
    case_end();

    case_begin("link: the raw-call signatures in the table agree with the value types");
    for (i = 0u; i < FWX_IMPORT_COUNT; i++) {
        const fwx_import_desc_t *d = &fwx_imports[i];
        char expect[40];
        size_t n = 0u, k;
        expect[n++] = d->results[0] == '\0' ? 'v' : d->results[0];
        expect[n++] = '(';
        for (k = 0u; d->params[k] != '\0'; k++) expect[n++] = d->params[k];
        expect[n++] = ')';
        expect[n] = '\0';
        /* '*' marks an i32 pointer; as a value type it is an i32. */
        for (k = 0u; d->wasm3_signature[k] != '\0' && k < n; k++)
            CHECK(d->wasm3_signature[k] == expect[k] || (d->wasm3_signature[k] == '*' && expect[k] == 'i'));
        CHECK(strlen(d->wasm3_signature) == n);
    }
    case_end();
}

static uint8_t *read_file(const char *path, uint32_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1u);
    if (buf != NULL && fread(buf, 1u, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (uint32_t)n;
    return buf;
}

/* The check's tables: caller storage, as on a device. */
static fwx_check_work_t check_work;

/* Checks a copy of exactly n bytes so ASan sees any read past them. */
static bool check_copy(const uint8_t *bytes, uint32_t n, fwx_module_check_t *out)
{
    uint8_t *copy = malloc(n == 0u ? 1u : n);
    bool ok;
    if (copy == NULL) abort();
    memcpy(copy, bytes, n);
    out->work = &check_work;
    ok = fwx_check_module(copy, n, out);
    free(copy);
    return ok;
}

/* Whether n is 8 (just the header) or the end of a section of the module. */
static bool is_section_boundary(const uint8_t *bytes, uint32_t len, uint32_t n)
{
    uint32_t pos = 8u;
    if (n == 8u) return true;
    while (pos < len) {
        uint32_t size = 0u, shift = 0u;
        pos++; /* id */
        while (pos < len) {
            uint8_t b = bytes[pos++];
            size |= (uint32_t)(b & 0x7fu) << shift;
            shift += 7u;
            if ((b & 0x80u) == 0u) break;
        }
        pos += size;
        if (pos == n) return true;
        if (pos > n) return false;
    }
    return false;
}

void test_check_files(int argc, char **argv)
{
    int a;
    for (a = 0; a < argc; a++) {
        uint32_t len = 0u, n;
        uint8_t *bytes = read_file(argv[a], &len);
        fwx_module_check_t check;
        unsigned refused_prefixes = 0u, flips = 0u;
        bool first_ok;
        memset(&check, 0, sizeof check);
        case_begin("check %s: a prefix is structurally sound exactly when it ends on a section boundary", argv[a]);
        CHECK(bytes != NULL);
        if (bytes == NULL) {
            case_end();
            continue;
        }
        first_ok = check_copy(bytes, len, &check);
        CHECK(check.error == FWX_CHECK_OK);
        for (n = 0u; n < len; n++) {
            fwx_module_check_t c;
            memset(&c, 0, sizeof c);
            (void)check_copy(bytes, n, &c);
            /* At a boundary, a prefix that declares functions but lost its
             * code section is refused at its end. */
            if (is_section_boundary(bytes, len, n)) CHECK(c.error == FWX_CHECK_OK || (c.error == FWX_CHECK_MALFORMED && c.error_offset == n));
            else {
                CHECK(c.error != FWX_CHECK_OK);
                CHECK(c.error_offset <= n);
                refused_prefixes++;
            }
        }
        CHECK(refused_prefixes > 0u);
        case_end();

        case_begin("check %s: the tables are the caller's: none is refused by name, another work area gives the same verdict", argv[a]);
        {
            static fwx_check_work_t other;
            fwx_module_check_t c;
            memset(&c, 0, sizeof c);
            CHECK(!fwx_check_module(bytes, len, &c));
            CHECK(c.error == FWX_CHECK_NO_WORK && c.error_offset == 0u);
            CHECK(strstr(fwx_check_error_text(c.error), "work") != NULL);
            memset(&c, 0, sizeof c);
            c.work = &other;
            memset(&other, 0xa5, sizeof other); /* contents need no initialisation */
            CHECK(fwx_check_module(bytes, len, &c) == first_ok);
            CHECK(c.error == check.error && c.error_offset == check.error_offset && c.import_count == check.import_count);
            /* The first refused import is reported without per-import storage. */
            CHECK((c.imports_rejected == 0u) == (c.first_import_verdict == FWX_IMPORT_OK));
        }
        case_end();

        case_begin("check %s: single-byte corruptions never crash the checker", argv[a]);
        {
            uint8_t *copy = malloc(len);
            uint32_t seed = 0x2545f491u;
            unsigned i;
            if (copy == NULL) abort();
            for (i = 0u; i < 2000u && len > 8u; i++) {
                fwx_module_check_t c;
                uint32_t at;
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                at = 8u + seed % (len - 8u);
                memcpy(copy, bytes, len);
                copy[at] = (uint8_t)(copy[at] ^ (uint8_t)(1u << (seed >> 29)));
                memset(&c, 0, sizeof c);
                c.work = &check_work;
                (void)fwx_check_module(copy, len, &c);
                CHECK(c.error_offset <= len);
                flips++;
            }
            free(copy);
        }
        CHECK(flips > 0u || len <= 8u);
        case_end();
        free(bytes);
    }
}
