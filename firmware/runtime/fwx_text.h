/* Bounded text building without libc's formatted output (the runtime uses
 * only memcpy/memset/memcmp from libc). A fwx_text never overflows its
 * buffer: what does not fit is cut off, and the result stays NUL-terminated. */
#ifndef FWX_TEXT_H
#define FWX_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fwx_text {
  char *buf;
  size_t cap;
  size_t len;
} fwx_text;

void fwx_text_init(fwx_text *t, char *buf, size_t cap);
void fwx_text_str(fwx_text *t, const char *s);
void fwx_text_n(fwx_text *t, const char *s, size_t n);
void fwx_text_u64(fwx_text *t, uint64_t v);
void fwx_text_i64(fwx_text *t, int64_t v);
/* Lower-case hex of bytes. */
void fwx_text_hex(fwx_text *t, const uint8_t *bytes, size_t n);
/* Unix seconds as ISO 8601 UTC, "2026-12-05T21:39:11Z" (a certificate's or the device clock's time). */
void fwx_text_iso_time(fwx_text *t, uint64_t unix_seconds);

size_t fwx_strlen(const char *s);
/* Like strlen, but stops at max. */
size_t fwx_strnlen(const char *s, size_t max);
int fwx_streq(const char *a, const char *b);
/* Copies a NUL-terminated string into out[cap]; returns -1 (and an empty out) if it does not fit. */
int fwx_strcpy_bounded(char *out, size_t cap, const char *s);
/* Parses exactly 64 hex digits into 32 bytes; 0 on success. */
int fwx_hex32(const char *hex, uint8_t out[32]);

#endif
