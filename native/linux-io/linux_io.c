/* The Linux user-space peripheral interfaces that need ioctl(2), which Node
 * cannot issue: GPIO line requests on the character device (uAPI v2), I2C
 * transactions through i2c-dev (I2C_RDWR) and SPI transfers through spidev
 * (SPI_IOC_MESSAGE). Every structure is the kernel header's own
 * (<linux/gpio.h>, <linux/i2c.h>, <linux/i2c-dev.h>, <linux/spi/spidev.h>),
 * so the encoding is the kernel's by construction. Files are opened and
 * closed by the caller (fs.openSync/closeSync). A failed call throws an Error
 * whose code is the errno name (ENOTTY, ENXIO, ...), for src/linux/ to map
 * onto the peripheral error kinds. node-api only: no V8 or libuv headers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_TRANSFER 4096u

static napi_value fail(napi_env env, const char *what, int err) {
  char msg[160];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name ? name : "EIO", msg);
  return NULL;
}

static napi_value bad_args(napi_env env, const char *what) {
  napi_throw_type_error(env, "EINVAL", what);
  return NULL;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1; }

static napi_value make_i32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* requestLine(chipFd, line, flags, consumer, outputValue) -> lineFd (non-blocking, for edge events).
 * flags: GPIO_V2_LINE_FLAG_* as the kernel defines them (see lineFlags()). */
static napi_value request_line(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t chip, line, value;
  int64_t flags;
  struct gpio_v2_line_request req;
  size_t n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || get_i32(env, argv[0], &chip) || get_i32(env, argv[1], &line) || napi_get_value_int64(env, argv[2], &flags) != napi_ok ||
      get_i32(env, argv[4], &value) || line < 0)
    return bad_args(env, "requestLine(chipFd, line, flags, consumer, outputValue)");
  memset(&req, 0, sizeof req);
  req.offsets[0] = (uint32_t)line;
  req.num_lines = 1;
  if (napi_get_value_string_utf8(env, argv[3], req.consumer, sizeof req.consumer, &n) != napi_ok) return bad_args(env, "consumer must be a string");
  req.config.flags = (uint64_t)flags;
  if (flags & GPIO_V2_LINE_FLAG_OUTPUT) {
    req.config.num_attrs = 1;
    req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
    req.config.attrs[0].attr.values = value ? 1u : 0u;
    req.config.attrs[0].mask = 1u;
  }
  if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) < 0) return fail(env, "GPIO_V2_GET_LINE_IOCTL", errno);
  if (fcntl(req.fd, F_SETFL, fcntl(req.fd, F_GETFL) | O_NONBLOCK) < 0) {
    int e = errno;
    close(req.fd);
    return fail(env, "fcntl(O_NONBLOCK)", e);
  }
  return make_i32(env, req.fd);
}

/* getValue(lineFd) -> 0 | 1 */
static napi_value get_value(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  struct gpio_v2_line_values v;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || get_i32(env, argv[0], &fd)) return bad_args(env, "getValue(lineFd)");
  memset(&v, 0, sizeof v);
  v.mask = 1u;
  if (ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0) return fail(env, "GPIO_V2_LINE_GET_VALUES_IOCTL", errno);
  return make_i32(env, (int32_t)(v.bits & 1u));
}

/* setValue(lineFd, 0 | 1) */
static napi_value set_value(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, value;
  struct gpio_v2_line_values v;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &value)) return bad_args(env, "setValue(lineFd, value)");
  memset(&v, 0, sizeof v);
  v.mask = 1u;
  v.bits = value ? 1u : 0u;
  if (ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0) return fail(env, "GPIO_V2_LINE_SET_VALUES_IOCTL", errno);
  return NULL;
}

/* readEdges(lineFd) -> [rising0, timestampNs0 (string), rising1, ...]: every event queued now (none: []). */
static napi_value read_edges(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  int32_t fd;
  uint32_t k = 0;
  struct gpio_v2_line_event ev[16];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || get_i32(env, argv[0], &fd)) return bad_args(env, "readEdges(lineFd)");
  napi_create_array(env, &out);
  for (;;) {
    ssize_t got = read(fd, ev, sizeof ev);
    size_t i;
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return fail(env, "read(line events)", errno);
    }
    if (got == 0 || (size_t)got % sizeof ev[0] != 0) break;
    for (i = 0; i < (size_t)got / sizeof ev[0]; i++) {
      napi_value rising, ts;
      char text[24];
      napi_get_boolean(env, ev[i].id == GPIO_V2_LINE_EVENT_RISING_EDGE, &rising);
      snprintf(text, sizeof text, "%llu", (unsigned long long)ev[i].timestamp_ns);
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &ts);
      napi_set_element(env, out, k++, rising);
      napi_set_element(env, out, k++, ts);
    }
    if ((size_t)got < sizeof ev) break;
  }
  return out;
}

/* i2cTransaction(fd, address, tx: Buffer | null, rxLength) -> Buffer: one transaction, START to STOP. */
static napi_value i2c_transaction(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  int32_t fd, address, rx_len;
  void *tx = NULL, *rx = NULL;
  size_t tx_len = 0;
  napi_valuetype t;
  struct i2c_msg msgs[2];
  struct i2c_rdwr_ioctl_data data;
  uint32_t n = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &address) || get_i32(env, argv[3], &rx_len) || address < 0 ||
      address > 0x7f || rx_len < 0 || (uint32_t)rx_len > MAX_TRANSFER)
    return bad_args(env, "i2cTransaction(fd, address 0-127, tx | null, rxLength 0-4096)");
  napi_typeof(env, argv[2], &t);
  if (t != napi_null && napi_get_buffer_info(env, argv[2], &tx, &tx_len) != napi_ok) return bad_args(env, "tx must be a Buffer or null");
  if (tx_len > MAX_TRANSFER) return bad_args(env, "tx is longer than 4096 bytes");
  napi_create_buffer(env, (size_t)rx_len, &rx, &result);
  memset(msgs, 0, sizeof msgs);
  if (tx) {
    msgs[n].addr = (uint16_t)address;
    msgs[n].flags = 0;
    msgs[n].len = (uint16_t)tx_len;
    msgs[n].buf = tx;
    n++;
  }
  if (rx_len > 0) {
    msgs[n].addr = (uint16_t)address;
    msgs[n].flags = I2C_M_RD;
    msgs[n].len = (uint16_t)rx_len;
    msgs[n].buf = rx;
    n++;
  }
  if (n == 0) return result;
  data.msgs = msgs;
  data.nmsgs = n;
  if (ioctl(fd, I2C_RDWR, &data) < 0) return fail(env, "I2C_RDWR", errno);
  return result;
}

/* spiTransfer(fd, tx: Buffer) -> Buffer: full duplex, chip select held for the whole transfer. */
static napi_value spi_transfer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t fd;
  void *tx, *rx;
  size_t len;
  struct spi_ioc_transfer tr;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || get_i32(env, argv[0], &fd) || napi_get_buffer_info(env, argv[1], &tx, &len) != napi_ok || len > MAX_TRANSFER)
    return bad_args(env, "spiTransfer(fd, tx: Buffer of at most 4096 bytes)");
  napi_create_buffer(env, len, &rx, &result);
  if (len == 0) return result;
  memset(&tr, 0, sizeof tr);
  tr.tx_buf = (uint64_t)(uintptr_t)tx;
  tr.rx_buf = (uint64_t)(uintptr_t)rx;
  tr.len = (uint32_t)len;
  if (ioctl(fd, SPI_IOC_MESSAGE(1), &tr) < 0) return fail(env, "SPI_IOC_MESSAGE", errno);
  return result;
}

/* chipInfo(chipFd) -> { name, label, lines }: proves the file is a GPIO chip and says how many lines it has. */
static napi_value chip_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  int32_t fd;
  struct gpiochip_info ci;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || get_i32(env, argv[0], &fd)) return bad_args(env, "chipInfo(chipFd)");
  memset(&ci, 0, sizeof ci);
  if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci) < 0) return fail(env, "GPIO_GET_CHIPINFO_IOCTL", errno);
  napi_create_object(env, &out);
  napi_create_string_utf8(env, ci.name, strnlen(ci.name, sizeof ci.name), &v);
  napi_set_named_property(env, out, "name", v);
  napi_create_string_utf8(env, ci.label, strnlen(ci.label, sizeof ci.label), &v);
  napi_set_named_property(env, out, "label", v);
  napi_create_uint32(env, ci.lines, &v);
  napi_set_named_property(env, out, "lines", v);
  return out;
}

/* i2cFuncs(fd) -> the adapter's I2C_FUNCS bits: proves the file is an I2C adapter (and says what it can do). */
static napi_value i2c_funcs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  unsigned long funcs = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || get_i32(env, argv[0], &fd)) return bad_args(env, "i2cFuncs(fd)");
  if (ioctl(fd, I2C_FUNCS, &funcs) < 0) return fail(env, "I2C_FUNCS", errno);
  return make_i32(env, (int32_t)(funcs & 0x7fffffffu));
}

/* spiMode(fd) -> the device's SPI mode bits (SPI_IOC_RD_MODE32): proves the file is a spidev device. */
static napi_value spi_mode(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  uint32_t mode = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || get_i32(env, argv[0], &fd)) return bad_args(env, "spiMode(fd)");
  if (ioctl(fd, SPI_IOC_RD_MODE32, &mode) < 0) return fail(env, "SPI_IOC_RD_MODE32", errno);
  return make_i32(env, (int32_t)(mode & 0x7fffffffu));
}

/* lineFlags() -> { input, output, activeLow, edgeRising, edgeFalling, openDrain, biasPullUp, biasPullDown, biasDisabled }:
 * the kernel header's GPIO_V2_LINE_FLAG_* values, so the TypeScript side never restates them. */
static napi_value line_flags(napi_env env, napi_callback_info info) {
  napi_value out;
  static const struct { const char *name; uint64_t v; } flags[] = {
    {"input", GPIO_V2_LINE_FLAG_INPUT}, {"output", GPIO_V2_LINE_FLAG_OUTPUT}, {"activeLow", GPIO_V2_LINE_FLAG_ACTIVE_LOW},
    {"edgeRising", GPIO_V2_LINE_FLAG_EDGE_RISING}, {"edgeFalling", GPIO_V2_LINE_FLAG_EDGE_FALLING}, {"openDrain", GPIO_V2_LINE_FLAG_OPEN_DRAIN},
    {"biasPullUp", GPIO_V2_LINE_FLAG_BIAS_PULL_UP}, {"biasPullDown", GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN}, {"biasDisabled", GPIO_V2_LINE_FLAG_BIAS_DISABLED},
  };
  size_t i;
  (void)info;
  napi_create_object(env, &out);
  for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    napi_value v;
    napi_create_int64(env, (int64_t)flags[i].v, &v);
    napi_set_named_property(env, out, flags[i].name, v);
  }
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
    {"requestLine", NULL, request_line, NULL, NULL, NULL, napi_default, NULL},
    {"getValue", NULL, get_value, NULL, NULL, NULL, napi_default, NULL},
    {"setValue", NULL, set_value, NULL, NULL, NULL, napi_default, NULL},
    {"readEdges", NULL, read_edges, NULL, NULL, NULL, napi_default, NULL},
    {"i2cTransaction", NULL, i2c_transaction, NULL, NULL, NULL, napi_default, NULL},
    {"spiTransfer", NULL, spi_transfer, NULL, NULL, NULL, napi_default, NULL},
    {"lineFlags", NULL, line_flags, NULL, NULL, NULL, napi_default, NULL},
    {"chipInfo", NULL, chip_info, NULL, NULL, NULL, napi_default, NULL},
    {"i2cFuncs", NULL, i2c_funcs, NULL, NULL, NULL, napi_default, NULL},
    {"spiMode", NULL, spi_mode, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
