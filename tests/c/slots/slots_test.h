/* Shared pieces of the slot store's tests: a tiny harness, the test
 * packages (with a stand-in 32-byte hash: the store only records it) and
 * the invariants checked after every power cut. */
#ifndef SLOTS_TEST_H
#define SLOTS_TEST_H

#include <stdint.h>
#include <stdio.h>

#include "fwx_slots.h"

extern unsigned t_passed, t_failed;
extern int t_case_failed;
extern char t_case[160];
void t_begin(const char *fmt, ...);
void t_end(void);
void t_fail(const char *file, int line, const char *fmt, ...);
#define EXPECT(cond) \
  do { \
    if (!(cond)) t_fail(__FILE__, __LINE__, "%s", #cond); \
  } while (0)
#define EXPECT_RC(call, want) \
  do { \
    int32_t rc_ = (call); \
    if (rc_ != (want)) t_fail(__FILE__, __LINE__, "%s returned %d, expected %d", #call, (int)rc_, (int)(want)); \
  } while (0)

typedef struct pkg {
  const char *module;
  uint32_t size;
  uint64_t sequence;
  char version[24];
  uint8_t sha[32];
  uint8_t bytes[FWX_SLOTS_SLOT_BYTES];
} pkg_t;

#define N_PKGS 5
extern pkg_t pkgs[N_PKGS]; /* mod-a seq 1, 2, 3 (a full slot); mod-b seq 5; mod-a seq 4 */
void pkgs_init(void);
const pkg_t *pkg_by_sha(const uint8_t sha[32]);
fwx_slots_package_t pkg_ref(const pkg_t *p);

/* Every recorded slot holds exactly the package whose hash it records, and
 * an active transfer's acknowledged prefix is the package's. Returns the
 * number of problems (each reported through t_fail with `where`). */
int check_contents(fwx_slots_t *s, const char *where);

void test_file_port(const char *dir);

#endif
