#define _POSIX_C_SOURCE 200809L
#include "fwx_posix_board.h"

#include <stdio.h>
#include <string.h>

#include "fwx_abi.h"
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

/* ---- peripherals ------------------------------------------------------------------
 * The reference device has no real pins or buses: a peripheral the board
 * profile does not bridge is not found. (The glue answers not-permitted for a
 * kind the package was not granted before the HAL is called.) */

bool fwx_hal_handle_owned(fwx_module_t *m, fwx_handle_kind_t kind, uint32_t handle) {
  (void)m;
  (void)kind;
  (void)handle;
  return false;
}

fwx_status_t fwx_hal_sensor_find(fwx_module_t *m, const char *name, uint32_t name_len, fwx_sensor_sensor_t *handle) {
  (void)m; (void)name; (void)name_len; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_sensor_read(fwx_module_t *m, fwx_sensor_sensor_t handle, double *value, uint64_t *timestamp_us) {
  (void)m; (void)handle; (void)value; (void)timestamp_us;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_sensor_info(fwx_module_t *m, fwx_sensor_sensor_t handle, uint8_t *unit, uint32_t unit_cap, uint32_t *unit_len, double *min, double *max) {
  (void)m; (void)handle; (void)unit; (void)unit_cap; (void)unit_len; (void)min; (void)max;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_gpio_claim(fwx_module_t *m, uint32_t pin, fwx_gpio_pin_mode_t mode, fwx_gpio_pin_t *handle) {
  (void)m; (void)pin; (void)mode; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_gpio_read(fwx_module_t *m, fwx_gpio_pin_t handle, bool *level) {
  (void)m; (void)handle; (void)level;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_gpio_write(fwx_module_t *m, fwx_gpio_pin_t handle, bool level) {
  (void)m; (void)handle; (void)level;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_gpio_watch(fwx_module_t *m, fwx_gpio_pin_t handle, fwx_gpio_edge_t edges) {
  (void)m; (void)handle; (void)edges;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_gpio_release(fwx_module_t *m, fwx_gpio_pin_t handle) {
  (void)m; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_adc_open(fwx_module_t *m, uint32_t channel, fwx_adc_channel_t *handle) {
  (void)m; (void)channel; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_adc_read(fwx_module_t *m, fwx_adc_channel_t handle, uint32_t *raw, uint32_t *millivolts) {
  (void)m; (void)handle; (void)raw; (void)millivolts;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_adc_info(fwx_module_t *m, fwx_adc_channel_t handle, uint8_t *bits, uint32_t *vref_mv) {
  (void)m; (void)handle; (void)bits; (void)vref_mv;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_pwm_open(fwx_module_t *m, uint32_t channel, uint32_t frequency_hz, fwx_pwm_channel_t *handle) {
  (void)m; (void)channel; (void)frequency_hz; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_pwm_set_duty(fwx_module_t *m, fwx_pwm_channel_t handle, float duty) {
  (void)m; (void)handle; (void)duty;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_pwm_close(fwx_module_t *m, fwx_pwm_channel_t handle) {
  (void)m; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_i2c_write(fwx_module_t *m, uint32_t bus, uint8_t address, const uint8_t *data, uint32_t data_len) {
  (void)m; (void)bus; (void)address; (void)data; (void)data_len;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_i2c_read(fwx_module_t *m, uint32_t bus, uint8_t address, uint8_t *rx, uint32_t rx_cap) {
  (void)m; (void)bus; (void)address; (void)rx; (void)rx_cap;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_i2c_write_read(fwx_module_t *m, uint32_t bus, uint8_t address, const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap) {
  (void)m; (void)bus; (void)address; (void)tx; (void)tx_len; (void)rx; (void)rx_cap;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_spi_transfer(fwx_module_t *m, uint32_t bus, uint32_t cs, const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap) {
  (void)m; (void)bus; (void)cs; (void)tx; (void)tx_len; (void)rx; (void)rx_cap;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_uart_open(fwx_module_t *m, uint32_t port, uint32_t baud, fwx_uart_parity_t parity, fwx_uart_stop_bits_t stop_bits, fwx_uart_port_t *handle) {
  (void)m; (void)port; (void)baud; (void)parity; (void)stop_bits; (void)handle;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_uart_write(fwx_module_t *m, fwx_uart_port_t handle, const uint8_t *data, uint32_t data_len, uint32_t *written) {
  (void)m; (void)handle; (void)data; (void)data_len; (void)written;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_uart_read(fwx_module_t *m, fwx_uart_port_t handle, uint8_t *rx, uint32_t rx_cap, uint32_t *received) {
  (void)m; (void)handle; (void)rx; (void)rx_cap; (void)received;
  return FWX_NOT_FOUND;
}
fwx_status_t fwx_hal_uart_close(fwx_module_t *m, fwx_uart_port_t handle) {
  (void)m; (void)handle;
  return FWX_NOT_FOUND;
}
