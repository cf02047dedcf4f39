/* A strict, bounded JSON reader and writer for the OTA control messages.
 *
 * The reader never allocates: it validates a whole document once
 * (fwx_json_valid: RFC 8259 grammar, nesting depth bounded by
 * FWX_JSON_MAX_DEPTH), then looks values up by key as spans into the
 * caller's buffer. Strings are unescaped into caller buffers with a bound;
 * a value that does not fit is an error, never a truncation. Every input
 * is treated as hostile: lookups re-walk the validated text and cannot run
 * past its end.
 *
 * The writer appends to a caller buffer; on overflow it sets `failed` and
 * stops writing, so a caller checks once at the end. */
#ifndef FWX_JSON_H
#define FWX_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifndef FWX_JSON_MAX_DEPTH
#define FWX_JSON_MAX_DEPTH 8
#endif

typedef struct fwx_json_span {
  const char *p; /* first byte of the value (NULL: absent) */
  size_t len;
} fwx_json_span;

typedef enum fwx_json_kind {
  FWX_JSON_NONE = 0, FWX_JSON_OBJECT, FWX_JSON_ARRAY, FWX_JSON_STRING,
  FWX_JSON_NUMBER, FWX_JSON_TRUE, FWX_JSON_FALSE, FWX_JSON_NULL
} fwx_json_kind;

/* 1 when text[0..len) is exactly one JSON value (surrounding whitespace allowed). */
int fwx_json_valid(const char *text, size_t len);
/* The kind of a (validated) value span. */
fwx_json_kind fwx_json_kind_of(fwx_json_span v);
/* The value of `key` in the object `obj` (first match), or a span with p == NULL. */
fwx_json_span fwx_json_get(fwx_json_span obj, const char *key);
/* Walks an object: *pos starts at 0; returns 1 with key and value spans, 0 at the end. */
int fwx_json_next_member(fwx_json_span obj, size_t *pos, fwx_json_span *key, fwx_json_span *value);
/* Walks an array: *pos starts at 0; returns 1 with the next element, 0 at the end. */
int fwx_json_next_element(fwx_json_span arr, size_t *pos, fwx_json_span *value);
/* Unescapes a string value into out (NUL-terminated). Returns its byte length,
 * or -1 if not a string, longer than cap - 1, or holding a NUL (\u0000). */
long fwx_json_string(fwx_json_span v, char *out, size_t cap);
/* An integer value in [min, max] (no fraction, no exponent). Returns 0 on success. */
int fwx_json_int(fwx_json_span v, int64_t min, int64_t max, int64_t *out);

typedef struct fwx_json_writer {
  char *buf;
  size_t cap;
  size_t len;
  int failed;
  int comma; /* a value was written at the current level */
} fwx_json_writer;

void fwx_jw_init(fwx_json_writer *w, char *buf, size_t cap);
void fwx_jw_begin_object(fwx_json_writer *w);
void fwx_jw_end_object(fwx_json_writer *w);
void fwx_jw_begin_array(fwx_json_writer *w);
void fwx_jw_end_array(fwx_json_writer *w);
void fwx_jw_key(fwx_json_writer *w, const char *key);
void fwx_jw_string(fwx_json_writer *w, const char *s);
void fwx_jw_string_n(fwx_json_writer *w, const char *s, size_t n);
void fwx_jw_int(fwx_json_writer *w, int64_t v);
void fwx_jw_bool(fwx_json_writer *w, int v);
void fwx_jw_null(fwx_json_writer *w);
/* A value already in JSON (a validated span, or another writer's output). */
void fwx_jw_raw(fwx_json_writer *w, const char *json, size_t n);
/* NUL-terminates; returns the length, or -1 if anything did not fit. */
long fwx_jw_finish(fwx_json_writer *w);

#endif
