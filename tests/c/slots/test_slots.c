/* The slot store under power cuts, as MCUboot tests its swap: every scenario
 * runs once without a cut to record the state after each step, then again
 * with the power cut at every program/erase operation in turn (each with
 * several tear patterns), and after each cut the store is reopened and must
 * show the state before or after the interrupted step, slots holding
 * exactly the bytes they record, floors that never went down and no
 * acknowledged byte lost; then it must carry on to the end (with a second
 * cut somewhere in that recovery, too). Then hostile journals: bit flips,
 * forged entries with valid CRCs, garbage. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_crc32.h"
#include "fwx_slots_partial.h"
#include "sim_flash.h"
#include "slots_test.h"

/* ------------------------------------------------------------ harness */

unsigned t_passed, t_failed;
int t_case_failed;
char t_case[160];
static unsigned t_fail_prints;

void t_begin(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t_case, sizeof t_case, fmt, ap);
  va_end(ap);
  t_case_failed = 0;
}

void t_end(void) {
  if (t_case_failed) t_failed++;
  else t_passed++;
}

void t_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  if (!t_case_failed && t_fail_prints < 40) {
    char msg[400];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("FAIL slots: %s\n  %s:%d: %s\n", t_case, file, line, msg);
    t_fail_prints++;
  }
  t_case_failed = 1;
}

/* ------------------------------------------------------------ packages */

pkg_t pkgs[N_PKGS];

static void fake_hash(const uint8_t *b, uint32_t n, uint8_t out[32]) {
  uint32_t i;
  for (i = 0; i < 8; i++) {
    uint32_t c = fwx_crc32(i * 0x1234567u, b, n);
    c = fwx_crc32(c, (const uint8_t *)&n, sizeof n);
    out[4 * i] = (uint8_t)c;
    out[4 * i + 1] = (uint8_t)(c >> 8);
    out[4 * i + 2] = (uint8_t)(c >> 16);
    out[4 * i + 3] = (uint8_t)(c >> 24);
  }
}

void pkgs_init(void) {
  static const struct { const char *m; uint32_t size; uint64_t seq; } spec[N_PKGS] = {
      {"mod-a", 1500, 1}, {"mod-a", 1703, 2}, {"mod-a", FWX_SLOTS_SLOT_BYTES, 3}, {"mod-b", 901, 5}, {"mod-a", 1111, 4}};
  uint32_t i, j, r = 7;
  for (i = 0; i < N_PKGS; i++) {
    pkgs[i].module = spec[i].m;
    pkgs[i].size = spec[i].size;
    pkgs[i].sequence = spec[i].seq;
    snprintf(pkgs[i].version, sizeof pkgs[i].version, "1.%u.0-rc.%u", (unsigned)spec[i].seq, (unsigned)i);
    for (j = 0; j < spec[i].size; j++) pkgs[i].bytes[j] = (uint8_t)sim_random(&r);
    /* Some runs of 0xFF, as real packages have, so an erased byte is not told from data by luck. */
    memset(pkgs[i].bytes + 100, 0xFF, 40);
    fake_hash(pkgs[i].bytes, pkgs[i].size, pkgs[i].sha);
  }
}

const pkg_t *pkg_by_sha(const uint8_t sha[32]) {
  uint32_t i;
  for (i = 0; i < N_PKGS; i++)
    if (memcmp(pkgs[i].sha, sha, 32) == 0) return &pkgs[i];
  return NULL;
}

fwx_slots_package_t pkg_ref(const pkg_t *p) {
  fwx_slots_package_t r;
  memcpy(r.sha256, p->sha, 32);
  r.size = p->size;
  r.sequence = p->sequence;
  r.verified_at_ms = 1700000000000ull + p->sequence;
  r.version = p->version;
  return r;
}

static int same_bytes(fwx_slots_t *s, uint32_t module, uint32_t slot, uint32_t off, const uint8_t *want, uint32_t n) {
  uint8_t buf[256];
  while (n > 0) {
    uint32_t k = n < sizeof buf ? n : (uint32_t)sizeof buf;
    if (fwx_slots_read(s, module, slot, off, buf, k) != FWX_SLOTS_OK || memcmp(buf, want, k) != 0) return 0;
    off += k;
    want += k;
    n -= k;
  }
  return 1;
}

int check_contents(fwx_slots_t *s, const char *where) {
  int bad = 0;
  uint32_t i, j;
  const fwx_slots_transfer_t *t;
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    const fwx_slots_module_t *m = fwx_slots_module(s, i);
    if (!m) continue;
    for (j = 0; j < 2; j++) {
      const pkg_t *p;
      if (!m->slot[j].present) continue;
      p = pkg_by_sha(m->slot[j].sha256);
      if (!p || p->size != m->slot[j].size || p->sequence != m->slot[j].sequence || strcmp(p->module, m->name) != 0 ||
          strcmp(p->version, m->slot[j].version) != 0) {
        t_fail(__FILE__, __LINE__, "%s: %s slot %c records a package that was never installed there", where, m->name, 'A' + (int)j);
        bad++;
      } else if (!same_bytes(s, i, j, 0, p->bytes, p->size)) {
        t_fail(__FILE__, __LINE__, "%s: %s slot %c does not hold the bytes of its recorded package (seq %llu)%s%s", where, m->name,
               'A' + (int)j, (unsigned long long)p->sequence, m->confirmed == j ? ", confirmed" : "", m->trial == j ? ", on trial" : "");
        bad++;
      }
    }
    if (m->confirmed != FWX_SLOT_NONE && !m->slot[m->confirmed].present) {
      t_fail(__FILE__, __LINE__, "%s: %s confirmed slot is empty", where, m->name);
      bad++;
    }
  }
  t = fwx_slots_transfer(s);
  if (t) {
    const pkg_t *p = pkg_by_sha(t->sha256);
    uint32_t flushed = t->acked - t->tail_len;
    if (!p || p->size != t->size) {
      t_fail(__FILE__, __LINE__, "%s: the transfer records an unknown package", where);
      bad++;
    } else if (!same_bytes(s, t->module, t->slot, 0, p->bytes, flushed) || memcmp(t->tail, p->bytes + flushed, t->tail_len) != 0) {
      t_fail(__FILE__, __LINE__, "%s: the acknowledged %u bytes of the transfer are not the package's", where, t->acked);
      bad++;
    }
  }
  return bad;
}

/* ------------------------------------------------------------ geometry */

#define SECTOR 512u
#define FLASH_BYTES (2u * FWX_SLOTS_BANK_BYTES + SECTOR + FWX_SLOTS_STAGING_BYTES + 2u * FWX_SLOTS_MAX_MODULES * FWX_SLOTS_SLOT_BYTES)

static sim_flash_t flash;
static fwx_slots_t store;
static uint8_t base_image[SIM_MAX_BYTES];
static uint32_t granule = 8;

/* ------------------------------------------------------------ runner */

#define MAX_STEPS 200

typedef struct runner {
  int dry;
  unsigned done; /* steps that returned OK */
  unsigned steps;
  uint32_t digest[MAX_STEPS + 1];
  uint64_t floor_a[MAX_STEPS + 1], floor_b[MAX_STEPS + 1];
  int32_t err;
} runner_t;

static void record(runner_t *r) {
  if (r->done > MAX_STEPS) return;
  if (r->done > 0 && (fwx_slots_floor(&store, "mod-a") < r->floor_a[r->done - 1u] || fwx_slots_floor(&store, "mod-b") < r->floor_b[r->done - 1u]))
    t_fail(__FILE__, __LINE__, "step %u lowered an anti-rollback floor", r->done);
  r->digest[r->done] = fwx_slots_digest(&store);
  r->floor_a[r->done] = fwx_slots_floor(&store, "mod-a");
  r->floor_b[r->done] = fwx_slots_floor(&store, "mod-b");
}

static int step(runner_t *r, int32_t rc, const char *what) {
  if (rc != FWX_SLOTS_OK) {
    r->err = rc;
    if (r->dry) t_fail(__FILE__, __LINE__, "step %u (%s) failed without a cut: %d", r->done, what, (int)rc);
    return 0;
  }
  r->done++;
  if (r->dry) record(r);
  return 1;
}
#define S(call) \
  do { \
    if (!step(r, (call), #call)) return; \
  } while (0)

/* Sends p's bytes [from, to) in chunks of `chunk`, acknowledging every `every` chunks and at the end. */
static void send(runner_t *r, const pkg_t *p, uint32_t from, uint32_t to, uint32_t chunk, uint32_t every) {
  uint32_t n = 0;
  while (from < to) {
    uint32_t k = to - from < chunk ? to - from : chunk;
    S(fwx_slots_transfer_write(&store, from, p->bytes + from, k));
    from += k;
    if (++n % every == 0 || from == to) S(fwx_slots_transfer_ack(&store, NULL, 0));
  }
}

static fwx_slots_verdict_t verdict(const pkg_t *p, uint8_t phase, const char *text) {
  fwx_slots_verdict_t v;
  memset(&v, 0, sizeof v);
  v.phase = phase;
  v.has_session = 1;
  v.session = 77;
  v.sequence = p->sequence;
  memcpy(v.package, p->sha, 32);
  strcpy(v.module, p->module);
  strcpy(v.text, text);
  return v;
}

static void install(runner_t *r, const pkg_t *p, uint32_t chunk, uint32_t every) {
  fwx_slots_package_t ref = pkg_ref(p);
  S(fwx_slots_transfer_begin(&store, p->module, p->size, p->sha, (const uint8_t *)p->module, (uint32_t)strlen(p->module)));
  send(r, p, 0, p->size, chunk, every);
  if (r->err) return;
  S(fwx_slots_install_trial(&store, p->module, &ref, 1, 77));
}

static void sc_install_confirm(runner_t *r) {
  fwx_slots_verdict_t v = verdict(&pkgs[1], FWX_SLOTS_PHASE_CONFIRMED, "3 callbacks, no fault");
  install(r, &pkgs[1], 100, 3);
  if (r->err) return;
  S(fwx_slots_confirm(&store, "mod-a", &v));
  S(fwx_slots_rollback(&store, "mod-a"));
}

static void sc_install_revert(runner_t *r) {
  fwx_slots_verdict_t v = verdict(&pkgs[1], FWX_SLOTS_PHASE_REVERTED, "faulted during trial: trap");
  install(r, &pkgs[1], 256, 2);
  if (r->err) return;
  S(fwx_slots_revert(&store, "mod-a", &v));
}

static void sc_remove(runner_t *r) {
  S(fwx_slots_remove(&store, "mod-b"));
  S(fwx_slots_remove(&store, "mod-a"));
}

static void sc_config(runner_t *r) {
  static const uint8_t cfg[] = "threshold=8.5\0unit=celsius\0label=a label long enough to cross a word or two";
  /* mod-b's blob sits after mod-a's in the shared pool, so growing mod-a's moves it. */
  S(fwx_slots_set_config(&store, "mod-b", (const uint8_t *)"b=1", 4));
  S(fwx_slots_set_config(&store, "mod-a", cfg, (uint32_t)sizeof cfg < FWX_SLOTS_CONFIG_MAX ? (uint32_t)sizeof cfg : FWX_SLOTS_CONFIG_MAX));
  S(fwx_slots_set_config(&store, "mod-b", NULL, 0));
}

static void sc_resumed(runner_t *r) {
  const pkg_t *p = &pkgs[2];
  fwx_slots_package_t ref = pkg_ref(p);
  fwx_slots_verdict_t v = verdict(p, FWX_SLOTS_PHASE_CONFIRMED, "ok");
  S(fwx_slots_transfer_begin(&store, p->module, p->size, p->sha, (const uint8_t *)"m", 1));
  send(r, p, 0, 1003, 97, 4);
  if (r->err) return;
  /* Bytes past the ack that a cut would leave torn: written, never acknowledged. */
  S(fwx_slots_transfer_write(&store, 1003, p->bytes + 1003, 60));
  S(fwx_slots_open(&store, &flash.port)); /* a reboot */
  S(fwx_slots_boot(&store, FWX_SLOTS_DEFAULT_TRIAL_BOOTS, NULL));
  if (fwx_slots_transfer_written(&store) != 1003) {
    t_fail(__FILE__, __LINE__, "resumed at %u, not at the acknowledged 1003", fwx_slots_transfer_written(&store));
    r->err = -100;
    return;
  }
  send(r, p, 1003, p->size, 97, 4);
  if (r->err) return;
  S(fwx_slots_install_trial(&store, p->module, &ref, 0, 0));
  S(fwx_slots_confirm(&store, p->module, &v));
}

static void sc_delta(runner_t *r) {
  const pkg_t *p = &pkgs[4], *d = &pkgs[3]; /* the "delta" bytes are stand-ins: any package-sized payload */
  fwx_slots_package_t ref = pkg_ref(p);
  fwx_slots_verdict_t v = verdict(p, FWX_SLOTS_PHASE_CONFIRMED, "ok");
  uint32_t off;
  S(fwx_slots_transfer_begin(&store, NULL, d->size, d->sha, (const uint8_t *)"mod-a", 5));
  send(r, d, 0, d->size, 129, 2);
  if (r->err) return;
  S(fwx_slots_write_begin(&store, "mod-a", p->size));
  for (off = 0; off < p->size; off += 301) S(fwx_slots_write(&store, p->bytes + off, p->size - off < 301 ? p->size - off : 301));
  S(fwx_slots_install_trial(&store, "mod-a", &ref, 1, 5));
  S(fwx_slots_confirm(&store, "mod-a", &v));
}

static void sc_boot_abandon(runner_t *r) {
  install(r, &pkgs[1], 300, 1);
  if (r->err) return;
  S(fwx_slots_boot(&store, FWX_SLOTS_DEFAULT_TRIAL_BOOTS, NULL)); /* boots 2: retried */
  S(fwx_slots_boot(&store, FWX_SLOTS_DEFAULT_TRIAL_BOOTS, NULL)); /* boots 3: abandoned */
}

static void sc_two_installs(runner_t *r) {
  /* The second install goes into the slot holding the rollback target: it must be recorded empty before it is erased. */
  install(r, &pkgs[1], 128, 2);
  if (r->err) return;
  S(fwx_slots_confirm(&store, "mod-a", NULL));
  install(r, &pkgs[2], 512, 1);
  if (r->err) return;
  S(fwx_slots_confirm(&store, "mod-a", NULL));
}

static void sc_first_install_abandon(runner_t *r) {
  /* A module installed for the first time whose trial never passes: it goes, its floor (0) with it. */
  S(fwx_slots_remove(&store, "mod-b"));
  install(r, &pkgs[3], 200, 2);
  if (r->err) return;
  S(fwx_slots_boot(&store, 1, NULL));
}

typedef struct scenario {
  const char *name;
  void (*run)(runner_t *r);
} scenario_t;

static const scenario_t scenarios[] = {
    {"install+confirm+rollback", sc_install_confirm},
    {"install+revert", sc_install_revert},
    {"remove", sc_remove},
    {"config set", sc_config},
    {"resumed transfer", sc_resumed},
    {"delta via staging", sc_delta},
    {"trial abandoned at boot", sc_boot_abandon},
    {"first install abandoned", sc_first_install_abandon},
    {"two installs, the second over the rollback target", sc_two_installs},
};

/* The device's state before each scenario: mod-a seq 1 confirmed with config, mod-b seq 5 confirmed. */
static int make_base(void) {
  runner_t r0;
  runner_t *r = &r0;
  static const uint8_t cfg[] = "threshold=4";
  fwx_slots_verdict_t v;
  memset(r, 0, sizeof *r);
  r->dry = 1;
  sim_init(&flash, FLASH_BYTES, SECTOR, granule);
  if (fwx_slots_format(&store, &flash.port) != FWX_SLOTS_OK) return 0;
  install(r, &pkgs[0], 200, 2);
  v = verdict(&pkgs[0], FWX_SLOTS_PHASE_CONFIRMED, "ok");
  if (r->err || fwx_slots_confirm(&store, "mod-a", &v) != FWX_SLOTS_OK) return 0;
  if (fwx_slots_set_config(&store, "mod-a", cfg, sizeof cfg) != FWX_SLOTS_OK) return 0;
  install(r, &pkgs[3], 450, 1);
  v = verdict(&pkgs[3], FWX_SLOTS_PHASE_CONFIRMED, "ok");
  if (r->err || fwx_slots_confirm(&store, "mod-b", &v) != FWX_SLOTS_OK) return 0;
  memcpy(base_image, flash.mem, sizeof base_image);
  return 1;
}

static void restore(void) {
  sim_init(&flash, FLASH_BYTES, SECTOR, granule);
  memcpy(flash.mem, base_image, sizeof base_image);
}

/* Drives a recovered store to the end: boot, finish a transfer, confirm a trial. */
static int32_t finish(void) {
  const fwx_slots_transfer_t *t;
  int32_t rc = fwx_slots_boot(&store, FWX_SLOTS_DEFAULT_TRIAL_BOOTS, NULL);
  uint32_t i;
  if (rc) return rc;
  t = fwx_slots_transfer(&store);
  if (t) {
    const pkg_t *p = pkg_by_sha(t->sha256);
    uint32_t at = fwx_slots_transfer_written(&store);
    uint8_t module = t->module;
    if (!p || at != t->acked) return -1000;
    while (at < p->size) {
      uint32_t k = p->size - at < 100 ? p->size - at : 100;
      if ((rc = fwx_slots_transfer_write(&store, at, p->bytes + at, k)) != 0) return rc;
      at += k;
      if ((rc = fwx_slots_transfer_ack(&store, NULL, 0)) != 0) return rc;
    }
    if (module == FWX_SLOTS_STAGING) {
      const pkg_t *q = &pkgs[4];
      fwx_slots_package_t ref = pkg_ref(q);
      if ((rc = fwx_slots_write_begin(&store, "mod-a", q->size)) != 0) return rc;
      if ((rc = fwx_slots_write(&store, q->bytes, q->size)) != 0) return rc;
      if ((rc = fwx_slots_install_trial(&store, "mod-a", &ref, 0, 0)) != 0) return rc;
    } else {
      fwx_slots_package_t ref = pkg_ref(p);
      if ((rc = fwx_slots_install_trial(&store, p->module, &ref, 0, 0)) != 0) return rc;
    }
  }
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    const fwx_slots_module_t *m = fwx_slots_module(&store, i);
    if (m && m->trial != FWX_SLOT_NONE && (rc = fwx_slots_confirm(&store, m->name, NULL)) != 0) return rc;
  }
  return FWX_SLOTS_OK;
}

static unsigned total_cuts;

static void cut_sweep(const scenario_t *sc, unsigned seeds) {
  static runner_t dry, cut;
  uint64_t ops, n;
  unsigned seed;
  char where[200];
  t_begin("%s (write size %u): runs to the end without a cut", sc->name, granule);
  memset(&dry, 0, sizeof dry);
  dry.dry = 1;
  restore();
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  record(&dry);
  sc->run(&dry);
  EXPECT(dry.err == 0 && dry.done <= MAX_STEPS);
  EXPECT(flash.violations == 0);
  if (flash.violations) printf("  flash violation: %s\n", flash.violation);
  EXPECT(check_contents(&store, "after the scenario") == 0);
  ops = flash.ops;
  t_end();
  if (dry.err) return;

  t_begin("%s (write size %u): power cut at each of its %llu flash operations x %u tears", sc->name, granule, (unsigned long long)ops, seeds);
  for (n = 1; n <= ops && !t_case_failed; n++) {
    for (seed = 1; seed <= seeds && !t_case_failed; seed++) {
      int32_t rc;
      uint32_t d;
      snprintf(where, sizeof where, "cut at op %llu seed %u", (unsigned long long)n, seed);
      restore();
      EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
      memset(&cut, 0, sizeof cut);
      sim_cut_after(&flash, n, seed);
      sc->run(&cut);
      total_cuts++;
      if (!flash.cut) {
        t_fail(__FILE__, __LINE__, "%s: the scenario finished without reaching the cut", where);
        break;
      }
      sim_power_on(&flash);
      rc = fwx_slots_open(&store, &flash.port);
      if (rc != FWX_SLOTS_OK) {
        t_fail(__FILE__, __LINE__, "%s: reopening failed with %d (flash error %d)", where, (int)rc, (int)store.flash_error);
        break;
      }
      d = fwx_slots_digest(&store);
      if (d != dry.digest[cut.done] && d != dry.digest[cut.done + 1u])
        t_fail(__FILE__, __LINE__, "%s: after %u completed steps the state is neither the one before step %u nor the one after it", where,
               cut.done, cut.done + 1u);
      if (fwx_slots_floor(&store, "mod-a") < dry.floor_a[cut.done] || fwx_slots_floor(&store, "mod-b") < dry.floor_b[cut.done])
        t_fail(__FILE__, __LINE__, "%s: an anti-rollback floor went down", where);
      check_contents(&store, where);
      /* A second cut somewhere in the recovery, then a clean recovery. */
      sim_cut_after(&flash, 1u + sim_random(&flash.rng) % 60u, seed + 1000u);
      (void)finish();
      sim_power_on(&flash);
      rc = fwx_slots_open(&store, &flash.port);
      if (rc != FWX_SLOTS_OK) {
        t_fail(__FILE__, __LINE__, "%s: reopening after a second cut failed with %d", where, (int)rc);
        break;
      }
      check_contents(&store, where);
      if (fwx_slots_floor(&store, "mod-a") < dry.floor_a[cut.done] || fwx_slots_floor(&store, "mod-b") < dry.floor_b[cut.done])
        t_fail(__FILE__, __LINE__, "%s: a floor went down after a second cut", where);
      rc = finish();
      if (rc != FWX_SLOTS_OK) t_fail(__FILE__, __LINE__, "%s: recovery did not run to the end: %d", where, (int)rc);
      check_contents(&store, where);
      if (flash.violations) t_fail(__FILE__, __LINE__, "%s: %s", where, flash.violation);
    }
  }
  t_end();
}

/* ------------------------------------------------------------ hostile journals */

#define HDR 16u

/* The offset of the newest entry of a type (1 snapshot, 2 ack) in bank b (chain walk by the header's length), or -1. */
static long newest_entry(uint32_t bank, uint8_t type, uint32_t *len) {
  uint32_t off = 0;
  long last = -1;
  const uint8_t *base = flash.mem + bank * FWX_SLOTS_BANK_BYTES;
  while (off + HDR + 4u <= FWX_SLOTS_BANK_BYTES) {
    uint32_t magic = (uint32_t)base[off] | ((uint32_t)base[off + 1] << 8) | ((uint32_t)base[off + 2] << 16) | ((uint32_t)base[off + 3] << 24);
    uint32_t l = (uint32_t)base[off + 8] | ((uint32_t)base[off + 9] << 8) | ((uint32_t)base[off + 10] << 16) | ((uint32_t)base[off + 11] << 24);
    if (magic != 0x4A585746u || l > FWX_SLOTS_BANK_BYTES) break;
    if (base[off + 4] == type) {
      last = (long)off;
      *len = l;
    }
    off += (HDR + l + 4u + granule - 1u) / granule * granule;
  }
  return last;
}

static void reseal(uint8_t *entry, uint32_t len) {
  uint32_t c = fwx_crc32(0, entry, HDR + len);
  entry[HDR + len] = (uint8_t)c;
  entry[HDR + len + 1] = (uint8_t)(c >> 8);
  entry[HDR + len + 2] = (uint8_t)(c >> 16);
  entry[HDR + len + 3] = (uint8_t)(c >> 24);
}

/* What a state that opened must satisfy whatever the journal said. */
static void sane(const char *where) {
  uint32_t i;
  const fwx_slots_transfer_t *t = fwx_slots_transfer(&store);
  uint8_t buf[16];
  for (i = 0; i < FWX_SLOTS_MAX_MODULES; i++) {
    const fwx_slots_module_t *m = fwx_slots_module(&store, i);
    if (!m) continue;
    if (strlen(m->name) == 0 || strlen(m->name) > FWX_SLOTS_NAME_MAX || m->config_len > FWX_SLOTS_CONFIG_MAX || m->confirmed > 2 || m->trial > 2 ||
        (m->confirmed < 2 && !m->slot[m->confirmed].present) || (m->trial < 2 && !m->slot[m->trial].present) ||
        m->slot[0].size > FWX_SLOTS_SLOT_BYTES || m->slot[1].size > FWX_SLOTS_SLOT_BYTES)
      t_fail(__FILE__, __LINE__, "%s: an insane module record was accepted", where);
    if (m->confirmed < 2 && fwx_slots_read(&store, i, m->confirmed, m->slot[m->confirmed].size - 1u, buf, 1) != 0)
      t_fail(__FILE__, __LINE__, "%s: the confirmed slot cannot be read to its recorded end", where);
  }
  if (t && (t->acked > t->size || t->meta_len > FWX_SLOTS_META_MAX || t->tail_len >= granule))
    t_fail(__FILE__, __LINE__, "%s: an insane transfer record was accepted", where);
}

static void hostile(void) {
  static runner_t dry;
  uint32_t len = 0, i, b, seed = 99;
  long off;
  unsigned k;
  static uint8_t image[SIM_MAX_BYTES];

  /* A journal with history: the install+confirm scenario's states. */
  memset(&dry, 0, sizeof dry);
  dry.dry = 1;
  restore();
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  record(&dry);
  sc_install_confirm(&dry);
  memcpy(image, flash.mem, sizeof image);

  t_begin("bit flips anywhere in the journal give a state that was committed, never an invented one");
  for (k = 0; k < 3000 && !t_case_failed; k++) {
    uint32_t at = sim_random(&seed) % (2u * FWX_SLOTS_BANK_BYTES), d, j;
    int known = 0;
    memcpy(flash.mem, image, sizeof image);
    flash.mem[at] ^= (uint8_t)(1u << (sim_random(&seed) % 8u));
    if (fwx_slots_open(&store, &flash.port) != FWX_SLOTS_OK) continue; /* a flip in the only copy: refused, fine */
    d = fwx_slots_digest(&store);
    for (j = 0; j <= dry.done; j++) known |= d == dry.digest[j];
    if (!known) t_fail(__FILE__, __LINE__, "flip at journal byte %u: the store opened to a state never committed", at);
    sane("bit flip");
  }
  t_end();

  t_begin("forged snapshot and ack fields with valid CRCs are rejected or sane (every byte, 3 values)");
  for (b = 0; b < 4 && !t_case_failed; b++) {
    memcpy(flash.mem, image, sizeof image);
    off = newest_entry(b % 2u, b < 2 ? 1 : 2, &len);
    if (off < 0) continue;
    for (i = 0; i < len && !t_case_failed; i++) {
      static const uint8_t vals[3] = {0xFF, 0x02, 0x41};
      for (k = 0; k < 3; k++) {
        uint8_t *e;
        int32_t rc;
        memcpy(flash.mem, image, sizeof image);
        e = flash.mem + (b % 2u) * FWX_SLOTS_BANK_BYTES + (uint32_t)off;
        if (e[HDR + i] == vals[k]) continue;
        e[HDR + i] = vals[k];
        reseal(e, len);
        rc = fwx_slots_open(&store, &flash.port);
        if (rc == FWX_SLOTS_OK) sane("forged field");
        else if (rc != FWX_SLOTS_E_CORRUPT) t_fail(__FILE__, __LINE__, "forged byte %u: open returned %d", i, (int)rc);
      }
    }
  }
  t_end();

  t_begin("garbage in both journal banks: open says corrupt, format starts afresh");
  {
    uint32_t j;
    memcpy(flash.mem, image, sizeof image);
    for (j = 0; j < 2u * FWX_SLOTS_BANK_BYTES; j++) flash.mem[j] = (uint8_t)sim_random(&seed);
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_E_CORRUPT);
    EXPECT_RC(fwx_slots_install_trial(&store, "mod-a", NULL, 0, 0), FWX_SLOTS_E_CLOSED);
    EXPECT_RC(fwx_slots_format(&store, &flash.port), FWX_SLOTS_OK);
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
    EXPECT(fwx_slots_module(&store, 0) == NULL && fwx_slots_transfer(&store) == NULL);
  }
  t_end();

  t_begin("a blank partition opens empty; a format cut at any step reopens empty or corrupt, and formats again");
  {
    uint64_t n;
    sim_init(&flash, FLASH_BYTES, SECTOR, granule);
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
    EXPECT(fwx_slots_module(&store, 0) == NULL);
    for (n = 1; n < 40 && !t_case_failed; n++) {
      int32_t rc;
      memcpy(flash.mem, image, sizeof image);
      flash.ops = 0;
      sim_cut_after(&flash, n, (uint32_t)n);
      rc = fwx_slots_format(&store, &flash.port);
      sim_power_on(&flash);
      if (rc == FWX_SLOTS_OK) break;
      rc = fwx_slots_open(&store, &flash.port);
      EXPECT(rc == FWX_SLOTS_OK || rc == FWX_SLOTS_E_CORRUPT);
      if (rc == FWX_SLOTS_OK) sane("torn format");
      EXPECT_RC(fwx_slots_format(&store, &flash.port), FWX_SLOTS_OK);
      EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
      EXPECT(fwx_slots_module(&store, 0) == NULL);
    }
  }
  t_end();
}

/* ------------------------------------------------------------ semantics */

static void semantics(void) {
  fwx_slots_package_t ref;
  fwx_slots_boot_report_t rep;
  const fwx_slots_verdict_t *v;
  const fwx_slots_module_t *m;
  runner_t r0;
  uint8_t buf[8];

  t_begin("geometry that does not fit the compile-time layout is refused");
  sim_init(&flash, FLASH_BYTES, SECTOR, 3);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_E_LAYOUT);
  sim_init(&flash, FLASH_BYTES - SECTOR, SECTOR, 8);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_E_LAYOUT);
  sim_init(&flash, 4u * FLASH_BYTES > SIM_MAX_BYTES ? SIM_MAX_BYTES : 4u * FLASH_BYTES, 3u * SECTOR, 8);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_E_LAYOUT);
  t_end();

  restore();
  t_begin("the floor survives remove and a first install that never confirmed");
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  EXPECT(fwx_slots_floor(&store, "mod-b") == 5);
  EXPECT_RC(fwx_slots_remove(&store, "mod-b"), FWX_SLOTS_OK);
  EXPECT(fwx_slots_find(&store, "mod-b") == FWX_SLOTS_E_NOT_FOUND);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  EXPECT(fwx_slots_floor(&store, "mod-b") == 5);
  memset(&r0, 0, sizeof r0);
  install(&r0, &pkgs[3], 300, 1);
  EXPECT(r0.err == 0);
  EXPECT_RC(fwx_slots_revert(&store, "mod-b", NULL), FWX_SLOTS_OK);
  EXPECT(fwx_slots_find(&store, "mod-b") == FWX_SLOTS_E_NOT_FOUND);
  EXPECT(fwx_slots_floor(&store, "mod-b") == 5);
  t_end();

  restore();
  t_begin("every module's config blob shares one pool: moved when another grows, refused past the pool, freed on remove");
  {
    uint8_t big[FWX_SLOTS_CONFIG_MAX];
    uint32_t n;
    const uint8_t *c;
    memset(big, 'x', sizeof big);
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
    EXPECT_RC(fwx_slots_set_config(&store, "mod-b", (const uint8_t *)"b=2", 4), FWX_SLOTS_OK);
    EXPECT_RC(fwx_slots_set_config(&store, "mod-a", big, 40), FWX_SLOTS_OK);
    c = fwx_slots_config(&store, (uint32_t)fwx_slots_find(&store, "mod-b"), &n);
    EXPECT(c && n == 4 && memcmp(c, "b=2", 4) == 0);
    /* 40 + 4 used: mod-b may not take the whole pool's rest plus one. */
    EXPECT_RC(fwx_slots_set_config(&store, "mod-b", big, FWX_SLOTS_CONFIG_POOL - 40u + 1u), FWX_SLOTS_E_TOO_LARGE);
    c = fwx_slots_config(&store, (uint32_t)fwx_slots_find(&store, "mod-b"), &n);
    EXPECT(c && n == 4 && memcmp(c, "b=2", 4) == 0);
    EXPECT_RC(fwx_slots_set_config(&store, "mod-b", big, FWX_SLOTS_CONFIG_POOL - 40u), FWX_SLOTS_OK);
    EXPECT_RC(fwx_slots_remove(&store, "mod-a"), FWX_SLOTS_OK);
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
    c = fwx_slots_config(&store, (uint32_t)fwx_slots_find(&store, "mod-b"), &n);
    EXPECT(c && n == FWX_SLOTS_CONFIG_POOL - 40u && c[0] == 'x' && c[n - 1u] == 'x');
    EXPECT(fwx_slots_config(&store, FWX_SLOTS_MAX_MODULES, &n) == NULL && n == 0);
  }
  t_end();

  restore();
  t_begin("refusals: busy, order, too large, no previous, unknown module, bad name");
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  ref = pkg_ref(&pkgs[1]);
  EXPECT_RC(fwx_slots_rollback(&store, "mod-b"), FWX_SLOTS_E_STATE);
  EXPECT_RC(fwx_slots_remove(&store, "nope"), FWX_SLOTS_E_NOT_FOUND);
  EXPECT_RC(fwx_slots_transfer_begin(&store, "Bad/Name", 10, pkgs[1].sha, NULL, 0), FWX_SLOTS_E_ARG);
  EXPECT_RC(fwx_slots_transfer_begin(&store, "mod-a", FWX_SLOTS_SLOT_BYTES + 1u, pkgs[1].sha, NULL, 0), FWX_SLOTS_E_TOO_LARGE);
  EXPECT_RC(fwx_slots_transfer_begin(&store, "mod-a", pkgs[1].size, pkgs[1].sha, NULL, 0), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_begin(&store, "mod-b", 10, pkgs[1].sha, NULL, 0), FWX_SLOTS_E_BUSY);
  EXPECT_RC(fwx_slots_transfer_write(&store, 5, pkgs[1].bytes, 10), FWX_SLOTS_E_ORDER);
  EXPECT_RC(fwx_slots_transfer_write(&store, 0, pkgs[1].bytes, 1000), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_write(&store, 1000, pkgs[1].bytes, pkgs[1].size), FWX_SLOTS_E_TOO_LARGE);
  EXPECT_RC(fwx_slots_install_trial(&store, "mod-a", &ref, 0, 0), FWX_SLOTS_E_ORDER);
  EXPECT_RC(fwx_slots_transfer_write(&store, 1000, pkgs[1].bytes + 1000, pkgs[1].size - 1000u), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_install_trial(&store, "mod-a", &ref, 0, 0), FWX_SLOTS_E_ORDER); /* not acknowledged yet */
  EXPECT_RC(fwx_slots_transfer_ack(&store, NULL, 0), FWX_SLOTS_OK);
  {
    static const char long_version[] = "1.0.0-a.very.long.prerelease.tag.that.goes.on.and.on.past.sixty-four.bytes";
    fwx_slots_package_t bad = ref;
    bad.version = long_version;
    EXPECT_RC(fwx_slots_install_trial(&store, "mod-a", &bad, 0, 0), FWX_SLOTS_E_ARG);
  }
  EXPECT_RC(fwx_slots_install_trial(&store, "mod-a", &ref, 0, 0), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_begin(&store, "mod-a", 10, pkgs[1].sha, NULL, 0), FWX_SLOTS_E_BUSY);
  EXPECT_RC(fwx_slots_remove(&store, "mod-a"), FWX_SLOTS_E_BUSY);
  EXPECT_RC(fwx_slots_rollback(&store, "mod-a"), FWX_SLOTS_E_BUSY);
  EXPECT_RC(fwx_slots_set_config(&store, "mod-a", buf, FWX_SLOTS_CONFIG_MAX + 1u), FWX_SLOTS_E_TOO_LARGE);
  EXPECT_RC(fwx_slots_confirm(&store, "mod-b", NULL), FWX_SLOTS_E_STATE);
  t_end();

  t_begin("a trial found at a third boot is abandoned like the Node agent does, naming its package");
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_boot(&store, 2, &rep), FWX_SLOTS_OK);
  EXPECT(rep.count == 1 && rep.items[0].action == FWX_SLOTS_BOOT_TRIAL_RETRY && rep.items[0].boots == 2 && strcmp(rep.items[0].name, "mod-a") == 0);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_boot(&store, 2, &rep), FWX_SLOTS_OK);
  EXPECT(rep.count == 1 && rep.items[0].action == FWX_SLOTS_BOOT_TRIAL_ABANDONED && rep.items[0].boots == 3 && !rep.items[0].module_gone);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  v = fwx_slots_verdict(&store);
  EXPECT(v && v->phase == FWX_SLOTS_PHASE_REVERTED && memcmp(v->package, pkgs[1].sha, 32) == 0 && strcmp(v->module, "mod-a") == 0);
  EXPECT(v && strcmp(v->version, pkgs[1].version) == 0);
  EXPECT(v && strcmp(v->text, "trial of slot B abandoned at boot: the device restarted 2 times during the trial") == 0);
  m = fwx_slots_module(&store, (uint32_t)fwx_slots_find(&store, "mod-a"));
  EXPECT(m && m->confirmed == FWX_SLOT_A && m->trial == FWX_SLOT_NONE && !m->slot[1].present);
  EXPECT(fwx_slots_floor(&store, "mod-a") == 1);
  t_end();

  restore();
  t_begin("an acknowledged offset and the transfer's meta survive a reopen; unacknowledged bytes do not count");
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_begin(&store, NULL, pkgs[2].size, pkgs[2].sha, (const uint8_t *)"one", 3), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_write(&store, 0, pkgs[2].bytes, 333), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_ack(&store, (const uint8_t *)"two!", 4), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_transfer_write(&store, 333, pkgs[2].bytes + 333, 444), FWX_SLOTS_OK);
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
  EXPECT(fwx_slots_transfer(&store) && fwx_slots_transfer(&store)->acked == 333 && fwx_slots_transfer_written(&store) == 333);
  EXPECT(fwx_slots_transfer(&store) && fwx_slots_transfer(&store)->meta_len == 4 && memcmp(fwx_slots_transfer(&store)->meta, "two!", 4) == 0);
  EXPECT(check_contents(&store, "reopened transfer") == 0);
  EXPECT_RC(fwx_slots_transfer_abort(&store), FWX_SLOTS_OK);
  EXPECT(fwx_slots_transfer(&store) == NULL);
  t_end();

  restore();
  t_begin("the OTA partial-download port on the staging area: reads see unacknowledged bytes, a reopen keeps the acked ones and the meta");
  {
    static const char meta1[] = "{\"session\":7,\"acked\":0}", meta2[] = "{\"session\":7,\"acked\":205}";
    char got[64];
    uint8_t back[300];
    const pkg_t *p = &pkgs[2];
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
    EXPECT(fwx_slots_partial_load_meta(&store, got, sizeof got) == -1);
    EXPECT(fwx_slots_partial_open(&store, p->size) == 0);
    EXPECT(fwx_slots_partial_save_meta(&store, meta1, sizeof meta1 - 1u) == 0);
    EXPECT(fwx_slots_partial_write(&store, 0, p->bytes, 205) == 0);
    EXPECT(fwx_slots_partial_write(&store, 300, p->bytes, 5) == -1); /* not where the bytes end */
    EXPECT(fwx_slots_partial_read(&store, 0, back, 205) == 0 && memcmp(back, p->bytes, 205) == 0); /* the last 5 bytes are in RAM */
    EXPECT(fwx_slots_partial_sync(&store) == 0);
    EXPECT(fwx_slots_partial_save_meta(&store, meta2, sizeof meta2 - 1u) == 0);
    EXPECT(fwx_slots_partial_write(&store, 205, p->bytes + 205, 90) == 0);
    EXPECT(fwx_slots_partial_stored(&store) == 295);
    EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK); /* a restart */
    EXPECT(fwx_slots_partial_stored(&store) == 205);
    EXPECT(fwx_slots_partial_load_meta(&store, got, sizeof got) == (long)(sizeof meta2 - 1u) && strcmp(got, meta2) == 0);
    EXPECT(fwx_slots_partial_load_meta(&store, got, 10) == -1);
    EXPECT(fwx_slots_partial_read(&store, 0, back, 205) == 0 && memcmp(back, p->bytes, 205) == 0);
    EXPECT(fwx_slots_partial_write(&store, 205, p->bytes + 205, p->size - 205u) == 0);
    EXPECT(fwx_slots_partial_save_meta(&store, meta2, sizeof meta2 - 1u) == 0);
    EXPECT(fwx_slots_partial_stored(&store) == p->size);
    {
      static uint8_t all[FWX_SLOTS_SLOT_BYTES];
      EXPECT(fwx_slots_partial_read(&store, 0, all, p->size) == 0 && memcmp(all, p->bytes, p->size) == 0);
    }
    EXPECT(fwx_slots_partial_open(&store, 100) == 0); /* a new transfer drops the old one */
    EXPECT(fwx_slots_partial_stored(&store) == 0);
    fwx_slots_partial_discard(&store);
    EXPECT(fwx_slots_transfer(&store) == NULL && fwx_slots_partial_stored(&store) == 0);
  }
  t_end();

  restore();
  t_begin("module and floor tables are bounded: a new module beyond them is refused, not squeezed in");
  EXPECT_RC(fwx_slots_open(&store, &flash.port), FWX_SLOTS_OK);
#if FWX_SLOTS_MAX_MODULES == 2
  EXPECT_RC(fwx_slots_transfer_begin(&store, "mod-c", 10, pkgs[1].sha, NULL, 0), FWX_SLOTS_E_FULL);
  EXPECT(fwx_slots_transfer(&store) == NULL);
#endif
  t_end();
  (void)buf;
}

int main(int argc, char **argv) {
  unsigned seeds = 5, i;
  static const uint32_t granules[] = {8, 1, 32};
  unsigned g;
  pkgs_init();
  for (g = 0; g < sizeof granules / sizeof granules[0]; g++) {
    granule = granules[g];
    t_begin("base state builds (write size %u)", granule);
    EXPECT(make_base());
    t_end();
    if (g == 0) semantics();
    if (!make_base()) continue;
    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) cut_sweep(&scenarios[i], g == 0 ? seeds : 2);
    if (g == 0) hostile();
  }
  if (argc > 1) test_file_port(argv[1]);
  printf("power cuts simulated: %u\n", total_cuts);
  printf("{\"suite\":\"c-slots\",\"passed\":%u,\"failed\":%u}\n", t_passed, t_failed);
  printf("%u passed, %u failed\n", t_passed, t_failed);
  return t_failed ? 1 : 0;
}
