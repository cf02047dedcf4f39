/* fwx_posix_identity.c: see fwx_posix_identity.h. */
#include "fwx_posix_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_statement.h"

static int b64(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* PKCS#8 of an Ed25519 key (RFC 8410): this fixed 16-byte prefix, then the 32-byte seed. */
static const uint8_t pkcs8_ed25519[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };

int fwx_posix_identity_load(fwx_posix_identity *id, const char *key_file, const char *cert_file, char *err, size_t cap) {
  char pem[4096];
  uint8_t der[128];
  size_t n, d = 0;
  unsigned acc = 0;
  int bits = 0;
  const char *p, *end;
  FILE *f = fopen(key_file, "rb");
  memset(id, 0, sizeof *id);
  if (!f) {
    snprintf(err, cap, "--device-key %s cannot be read", key_file);
    return -1;
  }
  n = fread(pem, 1, sizeof pem - 1, f);
  fclose(f);
  pem[n] = '\0';
  p = strstr(pem, "-----BEGIN PRIVATE KEY-----");
  end = p ? strstr(p, "-----END PRIVATE KEY-----") : NULL;
  if (!p || !end) {
    snprintf(err, cap, "--device-key %s is not a PEM private key (fwx keys gen)", key_file);
    return -1;
  }
  for (p += 27; p < end; p++) {
    int v = b64(*p);
    if (v < 0) continue;
    acc = acc << 6 | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (d < sizeof der) der[d++] = (uint8_t)(acc >> bits);
    }
  }
  if (d != 48 || memcmp(der, pkcs8_ed25519, sizeof pkcs8_ed25519) != 0) {
    snprintf(err, cap, "--device-key %s is not an Ed25519 private key", key_file);
    return -1;
  }
  memcpy(id->seed, der + 16, 32);
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
