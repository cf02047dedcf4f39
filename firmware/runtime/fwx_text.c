#include "fwx_text.h"

#include <string.h>

void fwx_text_init(fwx_text *t, char *buf, size_t cap) {
  t->buf = buf;
  t->cap = cap;
  t->len = 0;
  if (cap) buf[0] = '\0';
}

void fwx_text_n(fwx_text *t, const char *s, size_t n) {
  if (t->cap == 0) return;
  if (n > t->cap - 1 - t->len) n = t->cap - 1 - t->len;
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

void fwx_text_str(fwx_text *t, const char *s) { fwx_text_n(t, s, fwx_strlen(s)); }

void fwx_text_u64(fwx_text *t, uint64_t v) {
  char tmp[21];
  size_t n = sizeof tmp;
  do {
    tmp[--n] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v);
  fwx_text_n(t, tmp + n, sizeof tmp - n);
}

void fwx_text_i64(fwx_text *t, int64_t v) {
  if (v < 0) {
    fwx_text_n(t, "-", 1);
    fwx_text_u64(t, (uint64_t)0 - (uint64_t)v);
  } else {
    fwx_text_u64(t, (uint64_t)v);
  }
}

void fwx_text_hex(fwx_text *t, const uint8_t *bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    char two[2];
    two[0] = digits[bytes[i] >> 4];
    two[1] = digits[bytes[i] & 15];
    fwx_text_n(t, two, 2);
  }
}

size_t fwx_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

size_t fwx_strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

int fwx_streq(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

int fwx_strcpy_bounded(char *out, size_t cap, const char *s) {
  size_t n = fwx_strnlen(s, cap);
  if (cap == 0) return -1;
  if (n >= cap) {
    out[0] = '\0';
    return -1;
  }
  memcpy(out, s, n + 1);
  return 0;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int fwx_hex32(const char *hex, uint8_t out[32]) {
  size_t i;
  for (i = 0; i < 32; i++) {
    int hi = nibble(hex[2 * i]), lo;
    if (hi < 0) return -1;
    lo = nibble(hex[2 * i + 1]);
    if (lo < 0) return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return hex[64] == '\0' ? 0 : -1;
}

/* Two digits (00-99) of a date or time. */
static void two_digits(fwx_text *t, uint64_t v) {
  char d[2];
  d[0] = (char)('0' + (char)(v / 10u % 10u));
  d[1] = (char)('0' + (char)(v % 10u));
  fwx_text_n(t, d, 2);
}

/* civil_from_days of H. Hinnant's date algorithms, on unsigned days since 1970. */
void fwx_text_iso_time(fwx_text *t, uint64_t secs) {
  uint64_t days = secs / 86400u, rem = secs % 86400u;
  uint64_t z = days + 719468u, era = z / 146097u, doe = z - era * 146097u;
  uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
  uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u), mp = (5u * doy + 2u) / 153u;
  uint64_t day = doy - (153u * mp + 2u) / 5u + 1u, month = mp < 10u ? mp + 3u : mp - 9u;
  uint64_t year = yoe + era * 400u + (month <= 2u ? 1u : 0u);
  fwx_text_u64(t, year);
  fwx_text_str(t, "-");
  two_digits(t, month);
  fwx_text_str(t, "-");
  two_digits(t, day);
  fwx_text_str(t, "T");
  two_digits(t, rem / 3600u);
  fwx_text_str(t, ":");
  two_digits(t, rem / 60u % 60u);
  fwx_text_str(t, ":");
  two_digits(t, rem % 60u);
  fwx_text_str(t, "Z");
}
