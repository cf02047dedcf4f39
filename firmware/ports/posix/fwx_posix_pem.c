/* fwx_posix_pem.c: see fwx_posix_pem.h. */
#include "fwx_posix_pem.h"

#include <stdio.h>
#include <string.h>

static int b64_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

long fwx_posix_pem_decode(const char *text, const char *label, uint8_t *der, size_t cap) {
  char begin[64], end[64];
  const char *p, *stop;
  size_t d = 0;
  unsigned acc = 0;
  int bits = 0, padded = 0;
  if (snprintf(begin, sizeof begin, "-----BEGIN %s-----", label) >= (int)sizeof begin) return -1;
  if (snprintf(end, sizeof end, "-----END %s-----", label) >= (int)sizeof end) return -1;
  p = strstr(text, begin);
  stop = p ? strstr(p, end) : NULL;
  if (!p || !stop) return -1;
  for (p += strlen(begin); p < stop; p++) {
    int v;
    if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') continue;
    if (*p == '=') {
      padded = 1;
      continue;
    }
    v = b64_value((unsigned char)*p);
    if (v < 0 || padded) return -1; /* not base64, or data after the padding */
    acc = (acc << 6 | (unsigned)v) & 0xffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (d == cap) return -1;
      der[d++] = (uint8_t)(acc >> bits);
    }
  }
  return (long)d;
}

static const uint8_t spki_ed25519[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
static const uint8_t pkcs8_ed25519[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };

static int after_prefix(const uint8_t *der, size_t len, const uint8_t *prefix, size_t n, uint8_t out[32]) {
  if (len != n + 32u || memcmp(der, prefix, n) != 0) return -1;
  memcpy(out, der + n, 32);
  return 0;
}

int fwx_posix_ed25519_public_from_spki(const uint8_t *der, size_t len, uint8_t out[32]) {
  return after_prefix(der, len, spki_ed25519, sizeof spki_ed25519, out);
}

int fwx_posix_ed25519_seed_from_pkcs8(const uint8_t *der, size_t len, uint8_t out[32]) {
  return after_prefix(der, len, pkcs8_ed25519, sizeof pkcs8_ed25519, out);
}
