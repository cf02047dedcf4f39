/* Runs every C suite; wasm files on argv feed the checker robustness sweep.
 * Ends with a JSON line and the closing "N passed, N failed" line. */
#include <sanitizer/common_interface_defs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

unsigned tests_passed;
unsigned tests_failed;
bool case_failed;
char case_name[192];

void case_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(case_name, sizeof case_name, fmt, ap);
    va_end(ap);
    case_failed = false;
}

void case_end(void)
{
    if (case_failed) tests_failed++;
    else tests_passed++;
}

void check_failed(const char *file, int line, const char *what)
{
    if (!case_failed) printf("FAIL %s\n", case_name);
    printf("  %s:%d: %s\n", file, line, what);
    case_failed = true;
}

/* ASan/UBSan end the process on the first error: name the case it hit. */
static void on_sanitizer_death(void)
{
    printf("FAIL %s (the sanitizer report on stderr says why)\n", case_name);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    __sanitizer_set_death_callback(on_sanitizer_death);
    test_support();
    test_abi_section();
    test_glue();
    test_link();
    test_fuel();
    test_check_files(argc - 1, argv + 1);
    printf("{\"suite\":\"c-unit\",\"passed\":%u,\"failed\":%u}\n", tests_passed, tests_failed);
    printf("%u passed, %u failed\n", tests_passed, tests_failed);
    return tests_failed == 0u ? 0 : 1;
}
