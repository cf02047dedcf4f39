/* Strict bounded JSON: see fwx_json.h. */
#include "fwx_json.h"

#include <string.h>

#include "fwx_text.h"

/* ---- reader ------------------------------------------------------------ */

typedef struct cursor {
  const char *p;
  const char *end;
} cursor;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int scan_string(cursor *c) {
  if (c->p >= c->end || *c->p != '"') return 0;
  c->p++;
  while (c->p < c->end) {
    unsigned char ch = (unsigned char)*c->p++;
    if (ch == '"') return 1;
    if (ch < 0x20) return 0;
    if (ch == '\\') {
      if (c->p >= c->end) return 0;
      ch = (unsigned char)*c->p++;
      if (ch == 'u') {
        int k;
        if (c->end - c->p < 4) return 0;
        for (k = 0; k < 4; k++)
          if (hexval(c->p[k]) < 0) return 0;
        c->p += 4;
      } else if (!(ch == '"' || ch == '\\' || ch == '/' || ch == 'b' || ch == 'f' || ch == 'n' || ch == 'r' || ch == 't')) {
        return 0;
      }
    }
  }
  return 0;
}

static int scan_digits(cursor *c) {
  const char *s = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
  return c->p > s;
}

static int scan_number(cursor *c) {
  if (c->p < c->end && *c->p == '-') c->p++;
  if (c->p >= c->end) return 0;
  if (*c->p == '0') c->p++;
  else if (!scan_digits(c)) return 0;
  if (c->p < c->end && *c->p == '.') {
    c->p++;
    if (!scan_digits(c)) return 0;
  }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
    c->p++;
    if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
    if (!scan_digits(c)) return 0;
  }
  return 1;
}

static int scan_literal(cursor *c, const char *lit) {
  size_t n = fwx_strlen(lit);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0) return 0;
  c->p += n;
  return 1;
}

static int scan_value(cursor *c, int depth) {
  skip_ws(c);
  if (c->p >= c->end) return 0;
  switch (*c->p) {
    case '{':
    case '[': {
      char close = *c->p == '{' ? '}' : ']';
      int object = close == '}';
      if (depth >= FWX_JSON_MAX_DEPTH) return 0;
      c->p++;
      skip_ws(c);
      if (c->p < c->end && *c->p == close) {
        c->p++;
        return 1;
      }
      for (;;) {
        if (object) {
          skip_ws(c);
          if (!scan_string(c)) return 0;
          skip_ws(c);
          if (c->p >= c->end || *c->p != ':') return 0;
          c->p++;
        }
        if (!scan_value(c, depth + 1)) return 0;
        skip_ws(c);
        if (c->p >= c->end) return 0;
        if (*c->p == ',') {
          c->p++;
          continue;
        }
        if (*c->p != close) return 0;
        c->p++;
        return 1;
      }
    }
    case '"': return scan_string(c);
    case 't': return scan_literal(c, "true");
    case 'f': return scan_literal(c, "false");
    case 'n': return scan_literal(c, "null");
    default: return scan_number(c);
  }
}

int fwx_json_valid(const char *text, size_t len) {
  cursor c;
  if (!text) return 0;
  c.p = text;
  c.end = text + len;
  if (!scan_value(&c, 0)) return 0;
  skip_ws(&c);
  return c.p == c.end;
}

fwx_json_kind fwx_json_kind_of(fwx_json_span v) {
  if (!v.p || v.len == 0) return FWX_JSON_NONE;
  switch (v.p[0]) {
    case '{': return FWX_JSON_OBJECT;
    case '[': return FWX_JSON_ARRAY;
    case '"': return FWX_JSON_STRING;
    case 't': return FWX_JSON_TRUE;
    case 'f': return FWX_JSON_FALSE;
    case 'n': return FWX_JSON_NULL;
    default: return FWX_JSON_NUMBER;
  }
}

int fwx_json_next_member(fwx_json_span obj, size_t *pos, fwx_json_span *key, fwx_json_span *value) {
  cursor c;
  const char *start;
  if (fwx_json_kind_of(obj) != FWX_JSON_OBJECT) return 0;
  c.p = obj.p + (*pos == 0 ? 1 : *pos);
  c.end = obj.p + obj.len;
  skip_ws(&c);
  if (c.p < c.end && *c.p == ',') c.p++;
  skip_ws(&c);
  if (c.p >= c.end || *c.p == '}') return 0;
  start = c.p;
  if (!scan_string(&c)) return 0;
  key->p = start;
  key->len = (size_t)(c.p - start);
  skip_ws(&c);
  if (c.p >= c.end || *c.p != ':') return 0;
  c.p++;
  skip_ws(&c);
  start = c.p;
  if (!scan_value(&c, 0)) return 0;
  value->p = start;
  value->len = (size_t)(c.p - start);
  *pos = (size_t)(c.p - obj.p);
  return 1;
}

int fwx_json_next_element(fwx_json_span arr, size_t *pos, fwx_json_span *value) {
  cursor c;
  const char *start;
  if (fwx_json_kind_of(arr) != FWX_JSON_ARRAY) return 0;
  c.p = arr.p + (*pos == 0 ? 1 : *pos);
  c.end = arr.p + arr.len;
  skip_ws(&c);
  if (c.p < c.end && *c.p == ',') c.p++;
  skip_ws(&c);
  if (c.p >= c.end || *c.p == ']') return 0;
  start = c.p;
  if (!scan_value(&c, 0)) return 0;
  value->p = start;
  value->len = (size_t)(c.p - start);
  *pos = (size_t)(c.p - arr.p);
  return 1;
}

/* Whether the string span `k` (with quotes) equals `key` once unescaped. */
static int key_equals(fwx_json_span k, const char *key) {
  char buf[64];
  long n = fwx_json_string(k, buf, sizeof buf);
  return n >= 0 && fwx_streq(buf, key);
}

fwx_json_span fwx_json_get(fwx_json_span obj, const char *key) {
  fwx_json_span k, v, none = {NULL, 0};
  size_t pos = 0;
  while (fwx_json_next_member(obj, &pos, &k, &v))
    if (key_equals(k, key)) return v;
  return none;
}

static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static unsigned hex4(const char *p) {
  return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

long fwx_json_string(fwx_json_span v, char *out, size_t cap) {
  const char *p, *end;
  size_t n = 0;
  if (fwx_json_kind_of(v) != FWX_JSON_STRING || v.len < 2 || cap == 0) return -1;
  p = v.p + 1;
  end = v.p + v.len - 1;
  while (p < end) {
    char tmp[4];
    size_t k = 1;
    if (*p != '\\') {
      tmp[0] = *p++;
    } else {
      p++;
      if (p >= end) return -1;
      switch (*p++) {
        case 'b': tmp[0] = '\b'; break;
        case 'f': tmp[0] = '\f'; break;
        case 'n': tmp[0] = '\n'; break;
        case 'r': tmp[0] = '\r'; break;
        case 't': tmp[0] = '\t'; break;
        case 'u': {
          unsigned cp;
          if (end - p < 4) return -1;
          cp = hex4(p);
          p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
            unsigned lo = hex4(p + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              p += 6;
            }
          }
          if (cp == 0) return -1;
          k = put_utf8(tmp, cp);
          break;
        }
        default: tmp[0] = p[-1]; break; /* " \ / */
      }
    }
    if (n + k >= cap) return -1;
    memcpy(out + n, tmp, k);
    n += k;
  }
  out[n] = '\0';
  return (long)n;
}

int fwx_json_int(fwx_json_span v, int64_t min, int64_t max, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  uint64_t acc = 0;
  if (fwx_json_kind_of(v) != FWX_JSON_NUMBER) return -1;
  if (v.p[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (i >= v.len) return -1;
  for (; i < v.len; i++) {
    char ch = v.p[i];
    if (ch < '0' || ch > '9') return -1; /* fraction or exponent */
    if (acc > (UINT64_MAX - 9u) / 10u || acc > (uint64_t)INT64_MAX) return -1;
    acc = acc * 10u + (uint64_t)(ch - '0');
  }
  if (acc > (uint64_t)INT64_MAX) return -1;
  {
    int64_t val = neg ? -(int64_t)acc : (int64_t)acc;
    if (val < min || val > max) return -1;
    *out = val;
  }
  return 0;
}

/* ---- writer ------------------------------------------------------------ */

void fwx_jw_init(fwx_json_writer *w, char *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->failed = cap == 0;
  w->comma = 0;
}

static void put(fwx_json_writer *w, const char *s, size_t n) {
  if (w->failed) return;
  if (w->cap - w->len <= n) { /* keep one byte for the NUL */
    w->failed = 1;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

static void sep(fwx_json_writer *w) {
  if (w->comma) put(w, ",", 1);
  w->comma = 1;
}

void fwx_jw_begin_object(fwx_json_writer *w) {
  sep(w);
  put(w, "{", 1);
  w->comma = 0;
}

void fwx_jw_end_object(fwx_json_writer *w) {
  put(w, "}", 1);
  w->comma = 1;
}

void fwx_jw_begin_array(fwx_json_writer *w) {
  sep(w);
  put(w, "[", 1);
  w->comma = 0;
}

void fwx_jw_end_array(fwx_json_writer *w) {
  put(w, "]", 1);
  w->comma = 1;
}

static void quoted(fwx_json_writer *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  put(w, "\"", 1);
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') {
      char e[2];
      e[0] = '\\';
      e[1] = (char)ch;
      put(w, e, 2);
    } else if (ch < 0x20 || ch == 0x7f) {
      char e[6] = {'\\', 'u', '0', '0', 0, 0};
      e[4] = hex[ch >> 4];
      e[5] = hex[ch & 15];
      put(w, e, 6);
    } else {
      put(w, (const char *)&s[i], 1);
    }
  }
  put(w, "\"", 1);
}

void fwx_jw_key(fwx_json_writer *w, const char *key) {
  sep(w);
  quoted(w, key, fwx_strlen(key));
  put(w, ":", 1);
  w->comma = 0;
}

void fwx_jw_string_n(fwx_json_writer *w, const char *s, size_t n) {
  sep(w);
  quoted(w, s, n);
}

void fwx_jw_string(fwx_json_writer *w, const char *s) { fwx_jw_string_n(w, s, fwx_strlen(s)); }

void fwx_jw_int(fwx_json_writer *w, int64_t v) {
  char tmp[24];
  size_t n = 0, i;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  char out[24];
  sep(w);
  do {
    tmp[n++] = (char)('0' + (int)(u % 10u));
    u /= 10u;
  } while (u);
  i = 0;
  if (v < 0) out[i++] = '-';
  while (n) out[i++] = tmp[--n];
  put(w, out, i);
}

void fwx_jw_bool(fwx_json_writer *w, int v) {
  sep(w);
  if (v) put(w, "true", 4);
  else put(w, "false", 5);
}

void fwx_jw_null(fwx_json_writer *w) {
  sep(w);
  put(w, "null", 4);
}

void fwx_jw_raw(fwx_json_writer *w, const char *json, size_t n) {
  sep(w);
  put(w, json, n);
}

long fwx_jw_finish(fwx_json_writer *w) {
  if (w->failed) return -1;
  w->buf[w->len] = '\0';
  return (long)w->len;
}
