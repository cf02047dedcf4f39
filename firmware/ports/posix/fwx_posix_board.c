#define _POSIX_C_SOURCE 200809L
#include "fwx_posix_board.h"

#include <stdio.h>
#include <string.h>

#include "fwx_abi.h"
#include "fwx_cbor.h"
#include "fwx_json.h"

typedef struct cbor_out {
  uint8_t *p;
  uint32_t len, cap;
  int failed;
} cbor_out;

static void head(cbor_out *o, unsigned major, uint64_t v) {
  uint8_t b[9];
  unsigned n;
  if (v < 24u) {
    b[0] = (uint8_t)(major << 5 | (unsigned)v);
    n = 1;
  } else if (v <= 0xffu) {
    b[0] = (uint8_t)(major << 5 | 24u);
    b[1] = (uint8_t)v;
    n = 2;
  } else if (v <= 0xffffu) {
    b[0] = (uint8_t)(major << 5 | 25u);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
    n = 3;
  } else {
    b[0] = (uint8_t)(major << 5 | 26u);
    b[1] = (uint8_t)(v >> 24);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 8);
    b[4] = (uint8_t)v;
    n = 5;
  }
  if (o->len + n > o->cap) {
    o->failed = 1;
    return;
  }
  memcpy(o->p + o->len, b, n);
  o->len += n;
}

static void text(cbor_out *o, const char *s, size_t n) {
  head(o, 3u, n);
  if (o->failed || o->len + n > o->cap) {
    o->failed = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += (uint32_t)n;
}

static int uint_of(fwx_json_span v, uint64_t *out) {
  int64_t x;
  if (fwx_json_int(v, 0, 0xffffffffLL, &x) != 0) return -1;
  *out = (uint64_t)x;
  return 0;
}

static int count_elements(fwx_json_span arr) {
  size_t pos = 0;
  fwx_json_span v;
  int n = 0;
  while (fwx_json_next_element(arr, &pos, &v)) n++;
  return n;
}

static const char *const PIN_MODES[] = {"input", "input-pull-up", "input-pull-down", "output", "output-open-drain"};

/* The capability map in the order and encoding of src/pkg/caps-codec.ts. */
static int encode_caps(fwx_json_span g, cbor_out *o, const char **bad) {
  static const char *const keys[] = {"timers", "sensors", "gpio", "adc", "pwm", "i2c", "spi", "uart", "telemetry", "kv"};
  unsigned k, present = 0;
  for (k = 0; k < 10; k++)
    if (fwx_json_get(g, keys[k]).p) present++;
  head(o, 5u, present);
  for (k = 0; k < 10; k++) {
    fwx_json_span v = fwx_json_get(g, keys[k]), e;
    size_t pos = 0;
    uint64_t x, y;
    if (!v.p) continue;
    *bad = keys[k];
    head(o, 0u, k + 1u);
    if (k == 0 || k == 9) {
      if (uint_of(v, &x) != 0) return -1;
      head(o, 0u, x);
      continue;
    }
    if (fwx_json_kind_of(v) != FWX_JSON_ARRAY) return -1;
    head(o, 4u, (uint64_t)count_elements(v));
    while (fwx_json_next_element(v, &pos, &e)) {
      char s[65];
      long n;
      switch (k) {
        case 1:
        case 8:
          n = fwx_json_string(e, s, sizeof s);
          if (n <= 0) return -1;
          text(o, s, (size_t)n);
          break;
        case 2: {
          fwx_json_span modes = fwx_json_get(e, "modes"), m;
          size_t mp = 0;
          unsigned mask = 0, b;
          if (uint_of(fwx_json_get(e, "pin"), &x) != 0) return -1;
          while (fwx_json_next_element(modes, &mp, &m)) {
            if (fwx_json_string(m, s, sizeof s) < 0) return -1;
            for (b = 0; b < 5; b++)
              if (strcmp(s, PIN_MODES[b]) == 0) mask |= 1u << b;
          }
          if (!mask) return -1;
          head(o, 4u, 2u);
          head(o, 0u, x);
          head(o, 0u, mask);
          break;
        }
        case 5:
        case 6:
          if (uint_of(fwx_json_get(e, "bus"), &x) != 0 || uint_of(fwx_json_get(e, k == 5 ? "address" : "cs"), &y) != 0) return -1;
          head(o, 4u, 2u);
          head(o, 0u, x);
          head(o, 0u, y);
          break;
        default:
          if (uint_of(e, &x) != 0) return -1;
          head(o, 0u, x);
          break;
      }
    }
  }
  return o->failed ? -1 : 0;
}

int fwx_posix_board_load(fwx_posix_board *b, const char *path, char *error, size_t cap) {
  static char buf[262144];
  FILE *f = fopen(path, "rb");
  size_t n;
  fwx_json_span root, name, grantable;
  cbor_out o;
  const char *bad = "grantable";
  memset(b, 0, sizeof *b);
  if (!f) {
    snprintf(error, cap, "board profile %s cannot be read", path);
    return -1;
  }
  n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n == sizeof buf || !fwx_json_valid(buf, n)) {
    snprintf(error, cap, "board profile %s is not JSON (or larger than %zu bytes)", path, sizeof buf - 1);
    return -1;
  }
  root.p = buf;
  root.len = n;
  while (root.len && root.p[0] != '{') {
    root.p++;
    root.len--;
  }
  name = fwx_json_get(root, "name");
  if (fwx_json_string(name, b->name, sizeof b->name) <= 0) strcpy(b->name, "board");
  grantable = fwx_json_get(root, "grantable");
  o.p = b->caps;
  o.len = 0;
  o.cap = sizeof b->caps;
  o.failed = 0;
  if (fwx_json_kind_of(grantable) != FWX_JSON_OBJECT) {
    head(&o, 5u, 0u);
  } else if (encode_caps(grantable, &o, &bad) != 0) {
    snprintf(error, cap, "board profile %s: grantable.%s is not a capability list this device understands", path, bad);
    return -1;
  }
  b->caps_len = o.len;
  return 0;
}

/* ---- a granted capability map (CBOR) as the JSON the HAL bridge's attach takes ---- */

static int json_uint_list(fwx_cbor_t *c, uint64_t n, fwx_json_writer *w) {
  uint64_t k;
  fwx_cbor_item_t it;
  fwx_jw_begin_array(w);
  for (k = 0; k < n; k++) {
    if (!fwx_cbor_next(c, &it) || it.major != FWX_CBOR_UINT) return -1;
    fwx_jw_int(w, (int64_t)it.arg);
  }
  fwx_jw_end_array(w);
  return 0;
}

int fwx_posix_caps_json(const uint8_t *caps, uint32_t len, char *out, size_t cap) {
  static const char *const names[] = {"timers", "sensors", "gpio", "adc", "pwm", "i2c", "spi", "uart", "telemetry", "kv"};
  fwx_cbor_t c;
  fwx_cbor_item_t map, key, v, x, y;
  fwx_json_writer w;
  uint64_t e, k;
  fwx_cbor_init(&c, caps, 0, len);
  fwx_jw_init(&w, out, cap);
  if (!fwx_cbor_next(&c, &map) || map.major != FWX_CBOR_MAP) return -1;
  fwx_jw_begin_object(&w);
  for (e = 0; e < map.arg; e++) {
    if (!fwx_cbor_next(&c, &key) || key.major != FWX_CBOR_UINT || key.arg < 1 || key.arg > 10) return -1;
    fwx_jw_key(&w, names[key.arg - 1]);
    if (key.arg == 1 || key.arg == 10) {
      if (!fwx_cbor_next(&c, &v) || v.major != FWX_CBOR_UINT) return -1;
      fwx_jw_int(&w, (int64_t)v.arg);
      continue;
    }
    if (!fwx_cbor_next(&c, &v) || v.major != FWX_CBOR_ARRAY) return -1;
    if (key.arg == 4 || key.arg == 5 || key.arg == 8) {
      if (json_uint_list(&c, v.arg, &w) != 0) return -1;
      continue;
    }
    fwx_jw_begin_array(&w);
    for (k = 0; k < v.arg; k++) {
      if (key.arg == 2 || key.arg == 9) {
        if (!fwx_cbor_next(&c, &x) || x.major != FWX_CBOR_TEXT) return -1;
        fwx_jw_string_n(&w, (const char *)caps + x.data, (size_t)x.arg);
        continue;
      }
      /* pairs: gpio [pin, mode mask], i2c [bus, address], spi [bus, cs] */
      if (!fwx_cbor_next(&c, &x) || x.major != FWX_CBOR_ARRAY || x.arg != 2) return -1;
      if (!fwx_cbor_next(&c, &x) || x.major != FWX_CBOR_UINT || !fwx_cbor_next(&c, &y) || y.major != FWX_CBOR_UINT) return -1;
      fwx_jw_begin_object(&w);
      if (key.arg == 3) {
        unsigned b;
        fwx_jw_key(&w, "pin");
        fwx_jw_int(&w, (int64_t)x.arg);
        fwx_jw_key(&w, "modes");
        fwx_jw_begin_array(&w);
        for (b = 0; b < 5; b++)
          if (y.arg & (1u << b)) fwx_jw_string(&w, PIN_MODES[b]);
        fwx_jw_end_array(&w);
      } else {
        fwx_jw_key(&w, "bus");
        fwx_jw_int(&w, (int64_t)x.arg);
        fwx_jw_key(&w, key.arg == 6 ? "address" : "cs");
        fwx_jw_int(&w, (int64_t)y.arg);
      }
      fwx_jw_end_object(&w);
    }
    fwx_jw_end_array(&w);
  }
  fwx_jw_end_object(&w);
  return fwx_jw_finish(&w) < 0 ? -1 : 0;
}

const char *fwx_posix_caps_peripheral(const uint8_t *caps, uint32_t len) {
  static const char *const names[] = {"timers", "sensors", "gpio", "adc", "pwm", "i2c", "spi", "uart", "telemetry", "kv"};
  fwx_cbor_t c;
  fwx_cbor_item_t map, key, v;
  uint64_t e;
  fwx_cbor_init(&c, caps, 0, len);
  if (!fwx_cbor_next(&c, &map) || map.major != FWX_CBOR_MAP) return "an unreadable capability map";
  for (e = 0; e < map.arg; e++) {
    if (!fwx_cbor_next(&c, &key) || key.major != FWX_CBOR_UINT || key.arg < 1 || key.arg > 10) return "an unreadable capability map";
    if (key.arg >= 2 && key.arg <= 8) {
      if (!fwx_cbor_next(&c, &v) || v.major != FWX_CBOR_ARRAY) return "an unreadable capability map";
      if (v.arg > 0) return names[key.arg - 1];
      continue;
    }
    if (!fwx_cbor_skip(&c)) return "an unreadable capability map";
  }
  return NULL;
}
