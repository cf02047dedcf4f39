#include "fwx_device_verify.h"

#include <string.h>

#include "fwx_abi_tables.h"
#include "fwx_cbor.h"
#include "fwx_device_internal.h"
#include "fwx_crypto_port.h"
#include "fwx_module.h"
#include "fwx_pkg_verify.h"
#include "fwx_text.h"

typedef struct mem_source {
  const uint8_t *p;
  uint32_t len;
} mem_source;

static int read_mem(void *ctx, uint32_t offset, uint8_t *buf, uint32_t len) {
  const mem_source *m = ctx;
  if ((uint64_t)offset + len > m->len) return -1;
  memcpy(buf, m->p + offset, len);
  return 0;
}

static void sha256(void *ctx, const uint8_t *data, size_t n, uint8_t out[32]) {
  fwx_sha256_t s;
  (void)ctx;
  fwx_sha256_init(&s);
  fwx_sha256_update(&s, data, (uint32_t)n);
  fwx_sha256_final(&s, out);
}

static int copy_text(const uint8_t *pkg, fwx_span_t s, char *out, size_t cap) {
  if (s.length >= cap) return -1;
  memcpy(out, pkg + s.offset, s.length);
  out[s.length] = '\0';
  return 0;
}

/* A float64 as text: integral values as integers, others with up to 9 decimals. |v| below 2^63
 * (a verified manifest's numbers are within ±2^53: integers past it and integral floats are refused). */
void fwx_dev_number_text(double v, char *out, size_t cap) {
  fwx_text t;
  double ip;
  int64_t whole;
  int k;
  fwx_text_init(&t, out, cap);
  if (v < 0) {
    fwx_text_str(&t, "-");
    v = -v;
  }
  whole = (int64_t)v;
  ip = (double)whole;
  fwx_text_i64(&t, whole);
  v -= ip;
  if (v <= 0.0) return;
  fwx_text_str(&t, ".");
  {
    char digits[10];
    int n = 0, last = 0;
    for (k = 0; k < 9; k++) {
      int dgt;
      v *= 10.0;
      dgt = (int)v;
      v -= dgt;
      digits[n++] = (char)('0' + dgt);
      if (dgt) last = n;
    }
    fwx_text_n(&t, digits, (size_t)(last ? last : 1));
  }
}

static double as_double(const fwx_cbor_item_t *it) {
  if (it->major == FWX_CBOR_UINT) return (double)it->arg;
  if (it->major == FWX_CBOR_NINT) return -1.0 - (double)it->arg;
  {
    double d;
    uint64_t bits = it->arg;
    memcpy(&d, &bits, sizeof d);
    return d;
  }
}

static int is_number(const fwx_cbor_item_t *it) {
  return it->major == FWX_CBOR_UINT || it->major == FWX_CBOR_NINT || (it->major == FWX_CBOR_SIMPLE && it->info == FWX_CBOR_FLOAT64);
}

/* The verified manifest's flat config array (docs/package-format.md): per setting name, shape
 * (n | code << 2), then n of default, min, max, an absent one before a present one null. Codes 4 and 5
 * carry numbers as integer tenths and hundredths. Walks the settings: setting `want` is read into *out
 * (want UINT32_MAX: none); returns how many there are, up to and including `want`. */
static uint32_t config_walk(const uint8_t *pkg, const fwx_pkg_info *info, uint32_t want, fwx_config_field *out) {
  fwx_cbor_t c;
  fwx_cbor_item_t it;
  uint32_t items, used = 0, named = 0;
  fwx_config_field field, *f = &field;
  if (info->config_len == 0) return 0;
  fwx_cbor_init(&c, pkg, info->config_offset, info->config_offset + info->config_len);
  if (!fwx_cbor_next(&c, &it) || it.major != FWX_CBOR_ARRAY) return 0;
  items = (uint32_t)it.arg;
  while (named < info->config_count && named < FWX_DEVICE_MAX_CONFIG && used + 2u <= items) {
    fwx_cbor_item_t name, shape, x;
    uint32_t k, n;
    double scale = 1.0;
    uint64_t code;
    if (!fwx_cbor_next(&c, &name) || name.major != FWX_CBOR_TEXT) return named;
    if (!fwx_cbor_next(&c, &shape) || shape.major != FWX_CBOR_UINT) return named;
    n = (uint32_t)(shape.arg & 3u);
    code = shape.arg >> 2;
    used += 2u + n;
    memset(f, 0, sizeof *f);
    if (name.arg <= FWX_DEVICE_CONFIG_KEY) {
      memcpy(f->name, pkg + name.data, (size_t)name.arg);
      f->name[name.arg] = '\0';
    }
    f->type = code == 0 ? FWX_CFG_INTEGER : code == 2 ? FWX_CFG_BOOLEAN : code == 3 ? FWX_CFG_STRING : FWX_CFG_NUMBER;
    if (code == 4) scale = 10.0;
    if (code == 5) scale = 100.0;
    for (k = 0; k < n; k++) {
      if (!fwx_cbor_next(&c, &x)) return named;
      if (x.major == FWX_CBOR_ARRAY || x.major == FWX_CBOR_MAP) return named; /* not in a verified manifest */
      if (x.major == FWX_CBOR_SIMPLE && x.info == FWX_CBOR_NULL) continue;
      if (k == 0) {
        f->has_default = 1;
        if (x.major == FWX_CBOR_TEXT && x.arg <= FWX_DEVICE_CONFIG_VALUE) {
          memcpy(f->def, pkg + x.data, (size_t)x.arg);
          f->def[x.arg] = '\0';
        } else if (x.major == FWX_CBOR_SIMPLE && (x.info == FWX_CBOR_TRUE || x.info == FWX_CBOR_FALSE)) {
          (void)fwx_strcpy_bounded(f->def, sizeof f->def, x.info == FWX_CBOR_TRUE ? "true" : "false");
        } else if (is_number(&x)) {
          fwx_dev_number_text(as_double(&x) / scale, f->def, sizeof f->def);
        } else {
          f->has_default = 0;
        }
      } else if (is_number(&x)) {
        /* IEEE division, correctly rounded: the same double JSON.parse gives for the decimal. */
        if (k == 1) {
          f->has_min = 1;
          f->min = as_double(&x) / scale;
        } else {
          f->has_max = 1;
          f->max = as_double(&x) / scale;
        }
      }
    }
    if (f->name[0]) {
      if (named == want && out) {
        *out = *f;
        return named + 1u;
      }
      named++;
    }
  }
  return named;
}

int fwx_pkg_config_field(const uint8_t *pkg, const fwx_pkg_info *info, uint32_t k, fwx_config_field *out) {
  if (pkg == NULL || k >= info->nconfig) return -1;
  return config_walk(pkg, info, k, out) == k + 1u ? 0 : -1;
}

/* The capability map's keys (docs/package-format.md, src/pkg/caps-codec.ts) and the ABI's capability
 * kinds (FWX_CAP_*, fwx_abi.h) number the same kinds alike except the last two: the map has telemetry
 * at 9 and kv at 10, the ABI kv at 9 and telemetry at 10. So every key goes through this table. */
enum { MAP_TIMERS = 1, MAP_TELEMETRY = 9, MAP_KV = 10 };
static const uint8_t cap_of_map_key[11] = {
    FWX_CAP_NONE, FWX_CAP_TIMER, FWX_CAP_SENSOR, FWX_CAP_GPIO, FWX_CAP_ADC, FWX_CAP_PWM,
    FWX_CAP_I2C, FWX_CAP_SPI, FWX_CAP_UART, FWX_CAP_TELEMETRY, FWX_CAP_KV,
};

/* The granted kinds and the two counted scopes. A count of 0 grants nothing, as the Node agent
 * refuses a module whose timer or kv scope is 0 (`not-permitted`). The map was validated whole. */
static void grants_of(const uint8_t *pkg, fwx_span_t span, fwx_pkg_info *info) {
  fwx_cbor_t c;
  fwx_cbor_item_t it, key, value;
  uint32_t k;
  info->granted = 0;
  fwx_cbor_init(&c, pkg, span.offset, span.offset + span.length);
  if (!fwx_cbor_next(&c, &it) || it.major != FWX_CBOR_MAP) return;
  for (k = 0; k < (uint32_t)it.arg; k++) {
    uint32_t kind;
    if (!fwx_cbor_next(&c, &key) || key.major != FWX_CBOR_UINT || key.arg < 1 || key.arg > 10) return;
    kind = cap_of_map_key[key.arg];
    if (key.arg == MAP_TIMERS || key.arg == MAP_KV) {
      uint32_t n;
      if (!fwx_cbor_next(&c, &value) || value.major != FWX_CBOR_UINT) return;
      n = value.arg > 0xffffffffu ? 0xffffffffu : (uint32_t)value.arg;
      if (key.arg == MAP_TIMERS) info->timers = n;
      else info->kv_quota = n;
      if (n > 0) info->granted |= FWX_CAP_BIT(kind);
      continue;
    }
    info->granted |= FWX_CAP_BIT(kind);
    if (!fwx_cbor_skip(&c)) return;
  }
}

int fwx_pkg_topic_granted(const uint8_t *pkg, const fwx_pkg_info *info, const char *topic, uint32_t topic_len) {
  fwx_cbor_t c;
  fwx_cbor_item_t it, key, t;
  uint32_t k, i;
  fwx_cbor_init(&c, pkg, info->caps_offset, info->caps_offset + info->caps_len);
  if (!fwx_cbor_next(&c, &it) || it.major != FWX_CBOR_MAP) return 0;
  for (k = 0; k < (uint32_t)it.arg; k++) {
    if (!fwx_cbor_next(&c, &key) || key.major != FWX_CBOR_UINT) return 0;
    if (key.arg != MAP_TELEMETRY) {
      if (!fwx_cbor_skip(&c)) return 0;
      continue;
    }
    if (!fwx_cbor_next(&c, &it) || it.major != FWX_CBOR_ARRAY) return 0;
    for (i = 0; i < (uint32_t)it.arg; i++) {
      const char *p;
      uint32_t n;
      if (!fwx_cbor_next(&c, &t) || t.major != FWX_CBOR_TEXT) return 0;
      p = (const char *)pkg + t.data;
      n = (uint32_t)t.arg;
      /* topicAllowed of src/caps/capabilities.ts: "#", the exact topic, or a prefix "a/b/#" (the topic starts with "a/b/"). */
      if (n == 1u && p[0] == '#') return 1;
      if (n == topic_len && memcmp(p, topic, n) == 0) return 1;
      if (n >= 2u && p[n - 2u] == '/' && p[n - 1u] == '#' && topic_len >= n - 1u && memcmp(p, topic, n - 1u) == 0) return 1;
    }
    return 0;
  }
  return 0;
}

/* What the verifier compared, in the Node agent's words (src/pkg/verify.ts), after its constant text:
 * the certificate's bound and the device clock, the two device classes, the two sequences. */
static void refusal_facts(fwx_text *t, const fwx_pkg_error_t *err, uint64_t now, uint32_t installed_seq) {
  switch (err->code) {
  case FWX_PKG_E_NOT_YET_VALID:
  case FWX_PKG_E_EXPIRED:
    fwx_text_str(t, err->code == FWX_PKG_E_EXPIRED ? ": expired at " : ": valid from ");
    fwx_text_iso_time(t, err->value);
    fwx_text_str(t, "; device clock is ");
    if (now == 0u) fwx_text_str(t, "not set");
    else fwx_text_iso_time(t, now);
    break;
  case FWX_PKG_E_DEVICE_CLASS:
    fwx_text_str(t, err->value == FWX_PKG_CLASS_GATEWAY ? ": the package targets \"gateway\" devices" : ": the package targets \"mcu\" devices");
    fwx_text_str(t, "; this device is \"mcu\" (fwx pack --target mcu)");
    break;
  case FWX_PKG_E_ROLLBACK:
    fwx_text_str(t, ": sequence ");
    fwx_text_u64(t, err->value);
    fwx_text_str(t, " is not above the installed sequence ");
    fwx_text_u64(t, installed_seq);
    break;
  default:
    break;
  }
}

static int verify(void *ctx, const uint8_t *pkg, uint32_t len, int64_t now_ms, uint32_t installed_seq,
                  fwx_pkg_info *info, const char **code, char *message, size_t message_cap) {
  fwx_device_trust *t = ctx;
  mem_source m;
  fwx_pkg_source_t src;
  fwx_pkg_device_t dev;
  fwx_pkg_verified_t out;
  fwx_pkg_error_t err;
  fwx_text txt;
  int rc;
  m.p = pkg;
  m.len = len;
  src.read = read_mem;
  src.ctx = &m;
  src.length = len;
  memset(&dev, 0, sizeof dev);
  dev.root_public_key = t->root_public_key;
  dev.now = now_ms > 0 ? (uint64_t)now_ms / 1000u : 0u;
  dev.customer = (const uint8_t *)t->customer;
  dev.customer_length = (uint32_t)fwx_strlen(t->customer);
  dev.group = (const uint8_t *)t->group;
  dev.group_length = (uint32_t)fwx_strlen(t->group);
  dev.device_class = FWX_PKG_CLASS_MCU;
  dev.board_capabilities = t->board_caps;
  dev.board_capabilities_length = t->board_caps_len;
  dev.offered = fwx_interfaces;
  dev.offered_count = FWX_INTERFACE_COUNT;
  dev.installed_sequence = installed_seq;
  dev.revoked = t->revocations ? fwx_rl_keeper_list(t->revocations) : NULL;
  memset(&err, 0, sizeof err);
  rc = fwx_pkg_verify(&src, &dev, t->work->package, (uint32_t)sizeof t->work->package, &out, &err);
  fwx_text_init(&txt, message, message_cap);
  if (rc != FWX_PKG_OK) {
    *code = fwx_pkg_error_name(rc);
    fwx_text_str(&txt, *code);
    fwx_text_str(&txt, ": ");
    fwx_text_str(&txt, err.what ? err.what : "refused");
    refusal_facts(&txt, &err, dev.now, installed_seq);
    if (err.offset != FWX_PKG_NO_OFFSET) {
      fwx_text_str(&txt, " (byte ");
      fwx_text_u64(&txt, err.offset);
      fwx_text_str(&txt, ")");
    }
    return -1;
  }
  memset(info, 0, sizeof *info);
  if (copy_text(pkg, out.module_id, info->module, sizeof info->module) != 0 || copy_text(pkg, out.version, info->version, sizeof info->version) != 0 ||
      out.sequence > 0xffffffffu) {
    *code = "FWX_PKG_E_MANIFEST";
    fwx_text_str(&txt, "manifest id, version or sequence does not fit this device");
    return -1;
  }
  if (out.config_count > FWX_DEVICE_MAX_CONFIG) {
    /* A device limit, not a fault of the package: named so the integrator can act on it. */
    *code = "FWX_DEVICE_E_LIMIT";
    fwx_text_str(&txt, "the manifest declares ");
    fwx_text_u64(&txt, out.config_count);
    fwx_text_str(&txt, " config fields; this device keeps at most ");
    fwx_text_u64(&txt, FWX_DEVICE_MAX_CONFIG);
    return -1;
  }
  info->sequence = (uint32_t)out.sequence;
  info->payload_offset = out.payload.offset;
  info->payload_len = out.payload.length;
  grants_of(pkg, out.capabilities, info);
  info->ram_bytes = out.ram_bytes;
  info->fuel_per_callback = out.fuel_per_callback;
  info->caps_offset = out.capabilities.offset;
  info->caps_len = out.capabilities.length;
  info->size = len;
  info->config_offset = out.config.offset;
  info->config_len = out.config.length;
  info->config_count = out.config_count;
  info->nconfig = config_walk(pkg, info, UINT32_MAX, NULL);
  return 0;
}

void fwx_device_verifier_init(fwx_device_verifier *v, fwx_device_trust *trust) {
  v->ctx = trust;
  v->verify = verify;
  v->sha256 = sha256;
}
