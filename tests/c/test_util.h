/*
 * Minimal test harness: a test case is a named block of CHECKs; it passes
 * when none of its CHECKs failed. Failures print the case name, the source
 * line and the condition.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdbool.h>
#include <stdio.h>

extern unsigned tests_passed;
extern unsigned tests_failed;
extern bool case_failed;
extern char case_name[192];

void case_begin(const char *fmt, ...);
void case_end(void);
void check_failed(const char *file, int line, const char *what);

#define CHECK(cond) \
    do { \
        if (!(cond)) check_failed(__FILE__, __LINE__, #cond); \
    } while (0)

#define CHECK_EQ_U64(actual, expected) \
    do { \
        unsigned long long a_ = (unsigned long long)(actual), e_ = (unsigned long long)(expected); \
        if (a_ != e_) { \
            char msg_[256]; \
            snprintf(msg_, sizeof msg_, "%s == %s (got 0x%llx, expected 0x%llx)", #actual, #expected, a_, e_); \
            check_failed(__FILE__, __LINE__, msg_); \
        } \
    } while (0)

/* Suites. */
void test_glue(void);
void test_link(void);
void test_support(void);
void test_abi_section(void);
void test_fuel(void);
void test_check_files(int argc, char **argv);

#endif /* TEST_UTIL_H */
