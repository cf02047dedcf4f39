/* Unit tests of the hand-written support: UTF-8, abort text, trap kinds,
 * the fwx.abi reader and the fuel helpers. */
#include <stdint.h>
#include <string.h>

#include "fake_wasm3.h"
#include "fwx_abi_section.h"
#include "fwx_fuel_wasm3.h"
#include "fwx_support.h"
#include "test_util.h"

#define U8(s) ((const uint8_t *)(s))

static void test_utf8(void)
{
    static const char *valid[] = { "", "plain", "\xc2\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xef\xbf\xbf" };
    static const char *invalid[] = { "\x80", "\xc1\xbf", "\xc2", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xe2\x28\xa1" };
    unsigned i;
    case_begin("UTF-8: well-formed sequences of every length are accepted");
    for (i = 0u; i < sizeof valid / sizeof valid[0]; i++) CHECK(fwx_utf8_valid(U8(valid[i]), (uint32_t)strlen(valid[i])));
    CHECK(fwx_utf8_valid(NULL, 0u));
    case_end();
    case_begin("UTF-8: overlongs, surrogates, truncation and out-of-range are refused");
    for (i = 0u; i < sizeof invalid / sizeof invalid[0]; i++) CHECK(!fwx_utf8_valid(U8(invalid[i]), (uint32_t)strlen(invalid[i])));
    case_end();
    case_begin("UTF-8: a NUL byte is valid text (strings are length-delimited)");
    CHECK(fwx_utf8_valid(U8("a\0b"), 3u));
    case_end();
}

static void test_abort_text(void)
{
    fwx_module_t m;
    char long_msg[400];
    const char *r;
    memset(&m, 0, sizeof m);
    case_begin("abort text carries message, file, line and column");
    r = fwx_abort_trap(&m, U8("temp \xc2\xb0" "C out of range"), (uint32_t)strlen("temp \xc2\xb0" "C out of range"), U8("assembly/index.ts"), 17u, 42u, 7u);
    CHECK(r == m.trap_text);
    CHECK(strcmp(r, "[trap] fwx: abort: temp \xc2\xb0" "C out of range at assembly/index.ts:42:7") == 0);
    CHECK(fwx_trap_kind(&m, r) == FWX_TRAP_ABORT);
    case_end();
    case_begin("abort text replaces control characters and malformed UTF-8 with '?'");
    r = fwx_abort_trap(&m, U8("a\nb\xff" "c\xc2\x85"), 7u, U8(""), 0u, 0u, 4294967295u);
    CHECK(strcmp(r, "[trap] fwx: abort: a?b?c? at :0:4294967295") == 0);
    case_end();
    case_begin("an abort with no file and a line is a compiler-made abort's site id, named as the agent names it");
    r = fwx_abort_trap(&m, U8(""), 0u, U8(""), 0u, 4u, 0u);
    CHECK(strcmp(r, "[trap] fwx: abort: at abort site 4") == 0);
    r = fwx_abort_trap(&m, U8("why"), 3u, U8(""), 0u, 12u, 0u);
    CHECK(strcmp(r, "[trap] fwx: abort: why at abort site 12") == 0);
    case_end();
    case_begin("abort text longer than the buffer is cut at a character boundary and marked");
    memset(long_msg, 0, sizeof long_msg);
    {
        unsigned i;
        for (i = 0u; i + 2u <= 300u; i += 2u) memcpy(long_msg + i, "\xc3\xa9", 2u);
    }
    r = fwx_abort_trap(&m, U8(long_msg), 300u, U8("f.ts"), 4u, 1u, 1u);
    CHECK(strlen(r) < FWX_TRAP_TEXT_MAX);
    CHECK(strcmp(r + strlen(r) - 3u, "...") == 0);
    CHECK(fwx_utf8_valid(U8(r), (uint32_t)strlen(r)));
    case_end();
    case_begin("trap kinds are told apart by pointer identity");
    CHECK(fwx_trap_kind(&m, NULL) == FWX_TRAP_NONE);
    CHECK(fwx_trap_kind(&m, fwx_trap_out_of_bounds) == FWX_TRAP_OUT_OF_BOUNDS);
    CHECK(fwx_trap_kind(&m, fwx_trap_handle_not_owned) == FWX_TRAP_HANDLE);
    CHECK(fwx_trap_kind(&m, fwx_trap_fuel_exhausted) == FWX_TRAP_FUEL);
    CHECK(fwx_trap_kind(&m, "[trap] integer divide by zero") == FWX_TRAP_RUNTIME);
    CHECK(strcmp(fwx_trap_out_of_bounds, "[trap] fwx: out of bounds memory access") == 0);
    case_end();
}

void test_support(void)
{
    test_utf8();
    test_abort_text();
}

/* Reads a whole payload; returns the number of entries or -1 with *err. */
static int read_all(const uint8_t *p, uint32_t n, fwx_abi_entry_t *entries, unsigned cap, fwx_abi_section_error_t *err, uint32_t *at)
{
    fwx_abi_reader_t r;
    fwx_abi_entry_t e;
    int got, count = 0;
    if (!fwx_abi_section_open(&r, p, 0u, n)) {
        *err = r.error;
        *at = r.error_at;
        return -1;
    }
    while ((got = fwx_abi_section_next(&r, &e)) == 1) {
        if ((unsigned)count < cap) entries[count] = e;
        count++;
    }
    *err = r.error;
    *at = r.error_at;
    return got == 0 ? count : -1;
}

void test_abi_section(void)
{
    static const uint8_t good[] = { 1, 2, 4, 'c', 'o', 'r', 'e', 1, 0, 4, 'g', 'p', 'i', 'o', 1, 3 };
    static const uint8_t unsorted[] = { 1, 2, 4, 'g', 'p', 'i', 'o', 1, 0, 4, 'c', 'o', 'r', 'e', 1, 0 };
    static const uint8_t duplicate[] = { 1, 2, 4, 'c', 'o', 'r', 'e', 1, 0, 4, 'c', 'o', 'r', 'e', 1, 0 };
    static const uint8_t trailing[] = { 1, 0, 0 };
    static const uint8_t bad_format[] = { 2, 0 };
    static const uint8_t long_name[] = { 1, 1, 200, 'x' };
    static const uint8_t leb_overflow[] = { 1, 1, 1, 'x', 0xff, 0xff, 0xff, 0xff, 0x7f, 0 };
    static const uint8_t bad_utf8[] = { 1, 1, 1, 0xff, 1, 0 };
    fwx_abi_entry_t e[4];
    fwx_abi_section_error_t err;
    uint32_t at;
    case_begin("fwx.abi: a well-formed section yields its entries");
    CHECK(read_all(good, sizeof good, e, 4u, &err, &at) == 2);
    CHECK(e[0].name_len == 4u && memcmp(e[0].name, "core", 4u) == 0 && e[0].major == 1u && e[0].minor == 0u);
    CHECK(e[1].name_len == 4u && memcmp(e[1].name, "gpio", 4u) == 0 && e[1].major == 1u && e[1].minor == 3u);
    CHECK(e[1].offset == 9u);
    case_end();
    case_begin("fwx.abi: malformed sections are refused with the right error and offset");
    CHECK(read_all(unsorted, sizeof unsorted, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_UNSORTED && at == 9u);
    CHECK(read_all(duplicate, sizeof duplicate, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_UNSORTED);
    CHECK(read_all(trailing, sizeof trailing, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_TRAILING_BYTES && at == 2u);
    CHECK(read_all(bad_format, sizeof bad_format, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_BAD_FORMAT);
    CHECK(read_all(bad_format, 0u, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_BAD_FORMAT);
    CHECK(read_all(long_name, sizeof long_name, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_TRUNCATED);
    CHECK(read_all(leb_overflow, sizeof leb_overflow, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_LEB_OVERFLOW && at == 4u);
    CHECK(read_all(bad_utf8, sizeof bad_utf8, e, 4u, &err, &at) == -1 && err == FWX_ABI_SECTION_BAD_NAME);
    CHECK(strcmp(fwx_abi_section_error_text(FWX_ABI_SECTION_UNSORTED), "fwx.abi entries are not sorted and unique") == 0);
    case_end();
    case_begin("fwx.abi: a range that would wrap past 2^32 is refused before any read");
    {
        fwx_abi_reader_t r;
        CHECK(!fwx_abi_section_open(&r, good, UINT32_MAX - 1u, 4u));
        CHECK(r.error == FWX_ABI_SECTION_TRUNCATED && r.error_at == UINT32_MAX - 1u);
        CHECK(fwx_abi_section_next(&r, e) == -1);
    }
    case_end();
    case_begin("fwx.abi: every truncation of a good section is refused, none reads past it");
    {
        uint32_t n;
        for (n = 0u; n < sizeof good; n++) {
            uint8_t copy[sizeof good];
            memcpy(copy, good, n);
            CHECK(read_all(copy, n, e, 4u, &err, &at) == -1);
        }
    }
    case_end();
}

typedef struct fuel_state {
    int64_t fuel;
    unsigned sets;
} fuel_state_t;

static M3Result fuel_set(void *state, const uint64_t *args, uint64_t *results)
{
    fuel_state_t *s = state;
    (void)results;
    memcpy(&s->fuel, &args[0], sizeof s->fuel);
    s->sets++;
    return NULL;
}

static M3Result fuel_get(void *state, const uint64_t *args, uint64_t *results)
{
    fuel_state_t *s = state;
    (void)args;
    memcpy(&results[0], &s->fuel, sizeof s->fuel);
    return NULL;
}

void test_fuel(void)
{
    fuel_state_t state = { 0, 0u };
    fake_export_t set = { FWX_FUEL_SET_EXPORT, "I", "", fuel_set, NULL };
    fake_export_t get = { FWX_FUEL_GET_EXPORT, "", "I", fuel_get, NULL };
    fwx_fuel_t fuel;
    int64_t left = 0;
    set.state = &state;
    get.state = &state;

    case_begin("fuel: bind, set a budget, read what is left");
    fake_reset(0u);
    fake_add_export(&set);
    fake_add_export(&get);
    CHECK(fwx_fuel_bind(fake_runtime(), &fuel) == NULL);
    CHECK(fwx_fuel_set(&fuel, 100000) == NULL);
    CHECK(state.fuel == 100000 && state.sets == 1u);
    state.fuel -= 2345; /* what the instrumented code would spend */
    CHECK(fwx_fuel_remaining(&fuel, &left) == NULL);
    CHECK(left == 97655);
    state.fuel = -3;
    CHECK(fwx_fuel_remaining(&fuel, &left) == NULL && left == -3);
    case_end();

    case_begin("fuel: a module without the exports is not instrumented");
    fake_reset(0u);
    fake_add_export(&set);
    CHECK(fwx_fuel_bind(fake_runtime(), &fuel) == fwx_fuel_error_not_instrumented);
    CHECK(fwx_fuel_set(&fuel, 1) == fwx_fuel_error_not_instrumented);
    CHECK(fwx_fuel_remaining(&fuel, &left) == fwx_fuel_error_not_instrumented);
    case_end();

    case_begin("fuel: exports with the wrong signature are refused");
    fake_reset(0u);
    set.params = "i";
    fake_add_export(&set);
    fake_add_export(&get);
    CHECK(fwx_fuel_bind(fake_runtime(), &fuel) == fwx_fuel_error_signature);
    CHECK(fuel.set == NULL && fuel.get == NULL);
    case_end();
}
