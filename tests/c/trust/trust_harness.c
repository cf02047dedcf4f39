/* The C command gate (fwx_command.c) and statement writer (fwx_statement.c)
 * against the corpus tests/c/trust/corpus.ts writes from the TypeScript
 * implementation: every command gets the Node agent's decision, every
 * statement the TS encoder's bytes and proof. Prints one line per mismatch
 * and "<n> entries, <m> mismatches" last. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwx_command.h"
#include "fwx_statement.h"

/* A validity refusal names the certificate's bound, as the Node agent does: every corpus case of
 * these codes sits just past it (expired: now is notAfter; not-yet-valid: now is notBefore - 1). */
static int names_bound(const char *code, const char *message, long long now) {
  char want[64];
  struct tm tm;
  time_t bound = (time_t)(strcmp(code, "expired") == 0 ? now : now + 1);
  if (strcmp(code, "expired") != 0 && strcmp(code, "not-yet-valid") != 0) return 1;
  gmtime_r(&bound, &tm);
  strftime(want, sizeof want, strcmp(code, "expired") == 0 ? " expired at %Y-%m-%dT%H:%M:%SZ" : " is not valid yet: valid from %Y-%m-%dT%H:%M:%SZ", &tm);
  return strstr(message, want) != NULL;
}

static char line[1u << 17];
static uint8_t payload[1u << 16];
static fwx_cmd_gate gate;
static uint8_t root_key[32];
static char device[80], customer[80], group[80];
static char json[2u * FWX_CMD_MAX];

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static long unhex(const char *h, uint8_t *out, size_t cap) {
  size_t n = strlen(h), i;
  if (n % 2u || n / 2u > cap) return -1;
  for (i = 0; i < n / 2u; i++) {
    int a = hexval(h[2u * i]), b = hexval(h[2u * i + 1u]);
    if (a < 0 || b < 0) return -1;
    out[i] = (uint8_t)(a << 4 | b);
  }
  return (long)(n / 2u);
}

static int saves;
static int save_counter(void *ctx, uint64_t counter) {
  (void)ctx;
  (void)counter;
  saves++;
  return 0;
}

/* The kept revocation list as the gate sees it through its port (fwx_rl_port): one certificate digest and one key. */
static uint64_t rl_serial;
static uint8_t rl_digest[32], rl_key[32];
static int rl_has_digest, rl_has_key;
static uint64_t rl_serial_of(void *ctx) {
  (void)ctx;
  return rl_serial;
}
static int rl_lists(void *ctx, const uint8_t digest[32], const uint8_t key[32]) {
  (void)ctx;
  if (rl_has_digest && memcmp(digest, rl_digest, 32) == 0) return 1;
  if (rl_has_key && memcmp(key, rl_key, 32) == 0) return 2;
  return 0;
}
static fwx_rl_port rl_port = { NULL, NULL, rl_serial_of, rl_lists };

int main(int argc, char **argv) {
  FILE *f;
  unsigned long entries = 0, mismatches = 0;
  if (argc != 2 || !(f = fopen(argv[1], "r"))) {
    fprintf(stderr, "usage: trust_harness <corpus>\n");
    return 2;
  }
  while (fgets(line, sizeof line, f)) {
    char *tok[12];
    int n = 0;
    char *p = strtok(line, " \n");
    while (p && n < 12) {
      tok[n++] = p;
      p = strtok(NULL, " \n");
    }
    if (n == 0) continue;
    if (strcmp(tok[0], "ctx") == 0 && n == 5) {
      if (unhex(tok[1], root_key, 32) != 32) return 2;
      snprintf(device, sizeof device, "%s", tok[2]);
      snprintf(customer, sizeof customer, "%s", tok[3]);
      snprintf(group, sizeof group, "%s", tok[4]);
      gate.root_public_key = root_key;
      gate.device_id = device;
      gate.customer = customer;
      gate.group = group;
      gate.counter_port.save = save_counter;
      continue;
    }
    entries++;
    if (strcmp(tok[0], "rl") == 0 && n == 4) {
      /* rl <serial, 0: no list> <revoked certificate digest hex | -> <revoked operator key hex | -> */
      rl_serial = strtoull(tok[1], NULL, 10);
      rl_has_digest = strcmp(tok[2], "-") != 0;
      rl_has_key = strcmp(tok[3], "-") != 0;
      if ((rl_has_digest && unhex(tok[2], rl_digest, 32) != 32) || (rl_has_key && unhex(tok[3], rl_key, 32) != 32)) return 2;
      gate.revocations = rl_serial > 0 ? &rl_port : NULL;
      continue;
    }
    if (strcmp(tok[0], "cmd") == 0 && n == 6) {
      fwx_cmd c;
      const char *code = "ok";
      char message[200];
      long len = strcmp(tok[4], "-") == 0 ? 0 : unhex(tok[4], payload, sizeof payload); /* "-": empty */
      const char *got;
      int before = saves;
      int ok;
      /* Exactly the bytes of the payload, from a heap block of that size: ASan sees any read past it. */
      uint8_t *exact = malloc(len > 0 ? (size_t)len : 1u);
      if (len < 0 || !exact) return 2;
      memcpy(exact, payload, (size_t)len);
      gate.counter = strtoull(tok[1], NULL, 10);
      if (fwx_cmd_open(exact, (uint32_t)len, &c) != 0) {
        got = "ignored";
      } else {
        ok = fwx_cmd_admit(&gate, &c, strtoll(tok[2], NULL, 10), &code, message, sizeof message) == 0;
        got = ok ? "ok" : code;
        if (ok && (saves != before + 1 || gate.counter != c.counter)) {
          printf("MISMATCH %s: accepted without recording its counter\n", tok[5]);
          mismatches++;
        }
        if (!ok && saves != before) {
          printf("MISMATCH %s: refused but recorded a counter\n", tok[5]);
          mismatches++;
        }
        if (ok && fwx_cmd_to_json(&c, json, sizeof json) < 0) {
          printf("MISMATCH %s: accepted command does not translate to JSON\n", tok[5]);
          mismatches++;
        }
      }
      if (strcmp(tok[3], "not-ok") == 0 ? strcmp(got, "ok") == 0 : strcmp(got, tok[3]) != 0) {
        printf("MISMATCH %s: expected %s, got %s\n", tok[5], tok[3], got);
        mismatches++;
      } else if (!names_bound(got, message, strtoll(tok[2], NULL, 10))) {
        printf("MISMATCH %s: the %s refusal does not name the certificate's bound: \"%s\"\n", tok[5], got, message);
        mismatches++;
      }
      free(exact);
      continue;
    }
    if (strcmp(tok[0], "st") == 0 && n == 10) {
      uint8_t request[32], pkg[32], seed[32], want[512], body[512];
      char proof[FWX_STATEMENT_PROOF_MAX];
      fwx_statement_t s;
      long want_len = unhex(tok[8], want, sizeof want), got_len;
      memset(&s, 0, sizeof s);
      s.device = tok[1];
      if (unhex(tok[2], request, 32) != 32 || unhex(tok[7], seed, 32) != 32 || want_len < 0) return 2;
      s.request = request;
      s.outcome = tok[3];
      if (strcmp(tok[4], "-") != 0) s.code = tok[4];
      if (strcmp(tok[5], "-") != 0) {
        if (unhex(tok[5], pkg, 32) != 32) return 2;
        s.package = pkg;
      }
      if (strcmp(tok[6], "-") != 0) s.module = tok[6];
      got_len = fwx_statement_encode(&s, body, sizeof body);
      if (got_len != want_len || memcmp(body, want, (size_t)want_len) != 0) {
        printf("MISMATCH statement %s/%s: body bytes differ from the TS encoder's\n", tok[1], tok[3]);
        mismatches++;
      }
      if (fwx_statement_prove(&s, seed, proof, sizeof proof) != 0 || strcmp(proof, tok[9]) != 0) {
        printf("MISMATCH statement %s/%s: proof differs from signStatement's\n", tok[1], tok[3]);
        mismatches++;
      }
      continue;
    }
    if (strcmp(tok[0], "dc") == 0 && n == 5) {
      uint8_t seed[32];
      char message[200];
      long len = unhex(tok[3], payload, sizeof payload);
      const char *got;
      if (unhex(tok[2], seed, 32) != 32 || len < 0) return 2;
      got = fwx_cmd_check_device_cert(&gate, payload, (uint32_t)len, seed, strtoll(tok[4], NULL, 10), message, sizeof message) == 0 ? "ok" : message;
      /* The message names the reason; the corpus names the code: compare by the code's meaning. */
      if (strcmp(tok[1], "ok") == 0 ? strcmp(got, "ok") != 0
          : (strcmp(got, "ok") == 0 ||
             (strcmp(tok[1], "expired") == 0 && !strstr(got, "expired")) ||
             (strcmp(tok[1], "not-yet-valid") == 0 && !strstr(got, "not valid yet")) ||
             (strcmp(tok[1], "out-of-scope") == 0 && !strstr(got, "another")) ||
             (strcmp(tok[1], "bad-signature") == 0 && !strstr(got, "signed by") && !strstr(got, "malformed") && !strstr(got, "not [body")))) {
        printf("MISMATCH device certificate: expected %s, got \"%s\"\n", tok[1], got);
        mismatches++;
      } else if (strcmp(got, "ok") != 0 && !names_bound(tok[1], got, strtoll(tok[4], NULL, 10))) {
        printf("MISMATCH device certificate: the %s refusal does not name the certificate's bound: \"%s\"\n", tok[1], got);
        mismatches++;
      }
      continue;
    }
    printf("MISMATCH: corpus line %lu not understood\n", entries);
    mismatches++;
  }
  fclose(f);
  printf("%lu entries, %lu mismatches\n", entries, mismatches);
  return mismatches ? 1 : 0;
}
