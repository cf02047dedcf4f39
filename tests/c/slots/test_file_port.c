/* The file flash port: NOR rules enforced, and a whole process killed by a
 * power cut at operation N (FWX_FLASH_CUT_AT) leaves a file the store
 * reopens to a consistent state. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fwx_flash_file.h"
#include "slots_test.h"

#define F_SECTOR 512u
#define F_BYTES (2u * FWX_SLOTS_BANK_BYTES + F_SECTOR + FWX_SLOTS_STAGING_BYTES + 2u * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES)

static fwx_slots_t fstore;

static int copy_file(const char *from, const char *to) {
  static unsigned char buf[F_BYTES];
  FILE *in = fopen(from, "rb"), *out;
  size_t n;
  if (!in) return -1;
  n = fread(buf, 1, sizeof buf, in);
  fclose(in);
  out = fopen(to, "wb");
  if (!out) return -1;
  if (fwrite(buf, 1, n, out) != n) n = 0;
  if (fclose(out) != 0 || n == 0) return -1;
  return 0;
}

/* Installs pkgs[1] into mod-a and confirms it; 0 when every call succeeded. */
static int32_t scenario(fwx_slots_t *s) {
  const pkg_t *p = &pkgs[1];
  fwx_slots_package_t ref = pkg_ref(p);
  uint32_t at = 0;
  int32_t rc = fwx_slots_transfer_begin(s, "mod-a", p->size, p->sha, NULL, 0);
  while (rc == 0 && at < p->size) {
    uint32_t k = p->size - at < 300 ? p->size - at : 300;
    rc = fwx_slots_transfer_write(s, at, p->bytes + at, k);
    at += k;
    if (rc == 0) rc = fwx_slots_transfer_ack(s, NULL, 0);
  }
  if (rc == 0) rc = fwx_slots_install_trial(s, "mod-a", &ref, 0, 0);
  if (rc == 0) rc = fwx_slots_confirm(s, "mod-a", NULL);
  return rc;
}

static int32_t prepare(const char *path) {
  fwx_flash_file_t f;
  const pkg_t *p = &pkgs[0];
  fwx_slots_package_t ref = pkg_ref(p);
  int32_t rc;
  unlink(path);
  if (fwx_flash_file_open(&f, path, F_BYTES, F_SECTOR, 8) != 0) return -1000;
  rc = fwx_slots_format(&fstore, &f.port);
  if (rc == 0) rc = fwx_slots_transfer_begin(&fstore, "mod-a", p->size, p->sha, NULL, 0);
  if (rc == 0) rc = fwx_slots_transfer_write(&fstore, 0, p->bytes, p->size);
  if (rc == 0) rc = fwx_slots_transfer_ack(&fstore, NULL, 0);
  if (rc == 0) rc = fwx_slots_install_trial(&fstore, "mod-a", &ref, 0, 0);
  if (rc == 0) rc = fwx_slots_confirm(&fstore, "mod-a", NULL);
  fwx_flash_file_close(&f);
  return rc;
}

void test_file_port(const char *dir) {
  char path[512], base[512];
  fwx_flash_file_t f;
  uint64_t ops, n;
  uint8_t word[8];
  snprintf(path, sizeof path, "%s/flash.bin", dir);
  snprintf(base, sizeof base, "%s/flash-base.bin", dir);

  t_begin("file port: NOR rules (no reprogramming, alignment) and a clean run");
  EXPECT_RC(prepare(base), 0);
  EXPECT(copy_file(base, path) == 0);
  EXPECT(fwx_flash_file_open(&f, path, F_BYTES, F_SECTOR, 8) == 0);
  memset(word, 0, sizeof word);
  EXPECT_RC(f.port.program(f.port.ctx, 3, word, 8), FWX_FLASH_E_ALIGN);
  EXPECT_RC(f.port.program(f.port.ctx, 0, word, 8), FWX_FLASH_E_NOT_ERASED); /* the journal's first entry is there */
  EXPECT_RC(f.port.read(f.port.ctx, F_BYTES - 4u, word, 8), FWX_FLASH_E_BOUNDS);
  EXPECT_RC(fwx_slots_open(&fstore, &f.port), FWX_SLOTS_OK);
  fwx_flash_file_cut_after(&f, 2, 5, FWX_FLASH_CUT_FAIL);
  EXPECT_RC(scenario(&fstore), FWX_SLOTS_E_FLASH); /* in-process cut: the second operation fails, then everything */
  EXPECT(fstore.flash_error == FWX_FLASH_E_POWER);
  EXPECT_RC(f.port.read(f.port.ctx, 0, word, 8), FWX_FLASH_E_POWER);
  fwx_flash_file_cut_after(&f, 0, 0, FWX_FLASH_CUT_NONE);
  EXPECT_RC(fwx_slots_open(&fstore, &f.port), FWX_SLOTS_OK);
  EXPECT(check_contents(&fstore, "file port after an in-process cut") == 0);
  fwx_flash_file_close(&f);
  EXPECT(copy_file(base, path) == 0);
  EXPECT(fwx_flash_file_open(&f, path, F_BYTES, F_SECTOR, 8) == 0);
  EXPECT_RC(fwx_slots_open(&fstore, &f.port), FWX_SLOTS_OK);
  EXPECT_RC(scenario(&fstore), 0);
  ops = f.ops;
  EXPECT(check_contents(&fstore, "file port") == 0);
  fwx_flash_file_close(&f);
  t_end();

  t_begin("file port: map shows the partition as written through the fd (program, erase), bounds-checked, NULL after a cut");
  {
    const uint8_t *m, *slot;
    uint8_t back[8];
    const pkg_t *p = &pkgs[0];
    uint32_t off = F_BYTES - F_SECTOR; /* the last sector: the last module's slot B, unused by prepare */
    EXPECT(copy_file(base, path) == 0);
    EXPECT(fwx_flash_file_open(&f, path, F_BYTES, F_SECTOR, 8) == 0);
    m = f.port.map ? f.port.map(f.port.ctx, 0, F_BYTES) : NULL;
    EXPECT(m != NULL);
    EXPECT(f.port.map(f.port.ctx, 8, F_BYTES) == NULL);
    EXPECT(f.port.map(f.port.ctx, F_BYTES + 1u, 0) == NULL);
    if (m) {
      EXPECT_RC(f.port.read(f.port.ctx, 0, back, 8), FWX_FLASH_OK);
      EXPECT(memcmp(m, back, 8) == 0);
      EXPECT_RC(f.port.erase(f.port.ctx, off), FWX_FLASH_OK);
      EXPECT(m[off] == 0xFF && m[off + F_SECTOR - 1u] == 0xFF);
      memcpy(word, "mapped!!", 8);
      EXPECT_RC(f.port.program(f.port.ctx, off + 8u, word, 8), FWX_FLASH_OK);
      EXPECT(memcmp(m + off + 8u, "mapped!!", 8) == 0); /* a pointer taken before the program shows it */
      EXPECT_RC(f.port.erase(f.port.ctx, off), FWX_FLASH_OK);
      EXPECT(m[off + 8u] == 0xFF);
    }
    /* Through the store: the confirmed slot's package where it lies. */
    EXPECT_RC(fwx_slots_open(&fstore, &f.port), FWX_SLOTS_OK);
    slot = fwx_slots_map(&fstore, 0, fwx_slots_module(&fstore, 0) ? fwx_slots_module(&fstore, 0)->confirmed : 0u, 0, p->size);
    EXPECT(slot != NULL && memcmp(slot, p->bytes, p->size) == 0);
    EXPECT(fwx_slots_map(&fstore, 0, 0, FWX_SLOTS_SLOT_BYTES, 1) == NULL);
    fwx_flash_file_cut_after(&f, 1, 3, FWX_FLASH_CUT_FAIL);
    (void)f.port.erase(f.port.ctx, off);
    EXPECT(f.port.map(f.port.ctx, 0, 8) == NULL);
    fwx_flash_file_close(&f);
  }
  t_end();

  t_begin("file port: a malformed FWX_FLASH_CUT_AT is refused, not ignored");
  setenv("FWX_FLASH_CUT_AT", "12x", 1);
  EXPECT(fwx_flash_file_open(&f, base, F_BYTES, F_SECTOR, 8) != 0);
  unsetenv("FWX_FLASH_CUT_AT");
  t_end();

  t_begin("file port: a process killed by FWX_FLASH_CUT_AT=N at each of %llu operations reopens consistent", (unsigned long long)ops);
  for (n = 1; n <= ops && !t_case_failed; n++) {
    pid_t pid;
    int status = 0;
    if (copy_file(base, path) != 0) {
      t_fail(__FILE__, __LINE__, "cannot copy the flash image");
      break;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
      char spec[40];
      fwx_flash_file_t cf;
      snprintf(spec, sizeof spec, "%llu:%llu", (unsigned long long)n, (unsigned long long)n * 7u);
      setenv("FWX_FLASH_CUT_AT", spec, 1);
      if (fwx_flash_file_open(&cf, path, F_BYTES, F_SECTOR, 8) != 0) _exit(2);
      if (fwx_slots_open(&fstore, &cf.port) != 0) _exit(3);
      _exit(scenario(&fstore) == 0 ? 0 : 4);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
      t_fail(__FILE__, __LINE__, "fork/wait failed");
      break;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != FWX_FLASH_CUT_EXIT_STATUS) {
      t_fail(__FILE__, __LINE__, "cut at op %llu: the child ended with status %d, expected exit %d", (unsigned long long)n, status,
             FWX_FLASH_CUT_EXIT_STATUS);
      break;
    }
    if (fwx_flash_file_open(&f, path, F_BYTES, F_SECTOR, 8) != 0) {
      t_fail(__FILE__, __LINE__, "reopening the file failed");
      break;
    }
    if (fwx_slots_open(&fstore, &f.port) != FWX_SLOTS_OK) t_fail(__FILE__, __LINE__, "cut at op %llu: the store does not reopen", (unsigned long long)n);
    else {
      char where[64];
      snprintf(where, sizeof where, "file cut at op %llu", (unsigned long long)n);
      check_contents(&fstore, where);
      if (fwx_slots_floor(&fstore, "mod-a") < 1) t_fail(__FILE__, __LINE__, "%s: the floor went down", where);
    }
    fwx_flash_file_close(&f);
  }
  t_end();
  unlink(path);
  unlink(base);
}
