/* fwx_posix_identity.c: see fwx_posix_identity.h. */
#include "fwx_posix_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_posix_pem.h"
#include "fwx_statement.h"

int fwx_posix_identity_load(fwx_posix_identity *id, const char *key_file, const char *cert_file, char *err, size_t cap) {
  char pem[4096];
  uint8_t der[128];
  size_t n;
  long d;
  FILE *f = fopen(key_file, "rb");
  memset(id, 0, sizeof *id);
  if (!f) {
    snprintf(err, cap, "--device-key %s cannot be read", key_file);
    return -1;
  }
  n = fread(pem, 1, sizeof pem - 1, f);
  fclose(f);
  pem[n] = '\0';
  d = fwx_posix_pem_decode(pem, "PRIVATE KEY", der, sizeof der);
  if (d < 0) {
    snprintf(err, cap, "--device-key %s is not a PEM private key (fwx keys gen)", key_file);
    return -1;
  }
  if (fwx_posix_ed25519_seed_from_pkcs8(der, (size_t)d, id->seed) != 0) {
    snprintf(err, cap, "--device-key %s is not an Ed25519 private key", key_file);
    return -1;
  }
  f = fopen(cert_file, "rb");
  if (!f) {
    snprintf(err, cap, "--device-cert %s cannot be read", cert_file);
    return -1;
  }
  id->cert_len = fread(id->cert, 1, sizeof id->cert, f);
  n = fread(der, 1, 1, f);
  fclose(f);
  if (id->cert_len == 0 || n != 0) {
    snprintf(err, cap, "--device-cert %s is empty or larger than %u bytes", cert_file, FWX_POSIX_CERT_MAX);
    return -1;
  }
  if (fwx_base64_encode(id->cert, id->cert_len, id->cert_b64, sizeof id->cert_b64) < 0) {
    snprintf(err, cap, "--device-cert %s does not fit", cert_file);
    return -1;
  }
  return 0;
}

static int save_counter(void *ctx, uint64_t counter) {
  fwx_posix_identity *id = ctx;
  char text[64];
  int n = snprintf(text, sizeof text, "{\"counter\":%llu}\n", (unsigned long long)counter);
  return fwx_posix_files_save(id->files, "operations.json", (const uint8_t *)text, (size_t)n);
}

int fwx_posix_counter_open(fwx_posix_identity *id, const fwx_posix_files *files, uint64_t *counter, fwx_cmd_counter_port *port) {
  char text[256];
  long n;
  const char *at;
  *counter = 0;
  id->files = files;
  port->ctx = id;
  port->save = save_counter;
  n = fwx_posix_files_load(files, "operations.json", (uint8_t *)text, sizeof text - 1);
  if (n < 0) return 0; /* never commanded: commands start from 1 */
  text[n] = '\0';
  at = strstr(text, "\"counter\"");
  if (!at || !(at = strchr(at, ':'))) return -1;
  at++;
  while (*at == ' ') at++;
  if (*at < '0' || *at > '9') return -1;
  *counter = strtoull(at, NULL, 10);
  return 0;
}
