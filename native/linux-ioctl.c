/* fwx's only native piece: the ioctl(2) calls Node cannot make, for the
   Linux GPIO (character device uAPI v2), i2c-dev and spidev backends.
   The request buffers are encoded and decoded in TypeScript
   (src/linux/uapi.ts); this file only makes the call and, for I2C and SPI,
   puts the addresses of the caller's data buffers into the pointer fields.
   Every function returns the ioctl's result, or -errno when it failed.
   Built with the Debian compiler against the installed Node headers by
   scripts/ensure-linux-ioctl.mjs; nothing is downloaded. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include <linux/spi/spidev.h>
#include <node_api.h>
#include "i2c-msgs.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "linux-ioctl: " #call " failed"); return NULL; } } while (0)

static napi_value int_result(napi_env env, int r) {
  napi_value out;
  if (napi_create_int32(env, r < 0 ? -errno : r, &out) != napi_ok) return NULL;
  return out;
}

static int bytes(napi_env env, napi_value v, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "linux-ioctl: expected a Uint8Array");
    return -1;
  }
  return 0;
}

/* ioctl(fd, request, buffer): the kernel reads and may write the buffer in place. */
static napi_value do_ioctl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  uint32_t request;
  void *data;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_uint32(env, argv[1], &request));
  if (bytes(env, argv[2], &data, &len) != 0) return NULL;
  if (len < _IOC_SIZE(request)) {
    napi_throw_range_error(env, NULL, "linux-ioctl: buffer shorter than the request's argument size");
    return NULL;
  }
  return int_result(env, ioctl(fd, (unsigned long)request, data));
}

/* i2cRdwr(fd, msgs, buffers): msgs is an array of struct i2c_msg as uapi.ts lays it out (i2c-msgs.h), buf unset; buffers[i] backs msgs[i]. */
static napi_value do_i2c_rdwr(napi_env env, napi_callback_info info) {
  size_t argc = 3, n, i;
  napi_value argv[3];
  int32_t fd;
  void *data;
  size_t len;
  uint32_t count;
  int r;
  struct i2c_msg msgs[I2C_RDWR_IOCTL_MAX_MSGS];
  struct i2c_rdwr_ioctl_data rdwr;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (bytes(env, argv[1], &data, &len) != 0) return NULL;
  CHECK(napi_get_array_length(env, argv[2], &count));
  r = fwx_i2c_msgs_from_wire((const uint8_t *)data, len, msgs, I2C_RDWR_IOCTL_MAX_MSGS);
  if (r < 0 || (size_t)r != count) {
    napi_throw_range_error(env, NULL, "linux-ioctl: msgs is not 1..42 struct i2c_msg matching the buffers");
    return NULL;
  }
  n = (size_t)r;
  for (i = 0; i < n; i++) {
    napi_value b;
    void *bd;
    size_t bl;
    CHECK(napi_get_element(env, argv[2], (uint32_t)i, &b));
    if (bytes(env, b, &bd, &bl) != 0) return NULL;
    if (bl != msgs[i].len) {
      napi_throw_range_error(env, NULL, "linux-ioctl: an i2c_msg len differs from its buffer");
      return NULL;
    }
    msgs[i].buf = (uint8_t *)bd;
  }
  rdwr.msgs = msgs;
  rdwr.nmsgs = (uint32_t)n;
  return int_result(env, ioctl(fd, I2C_RDWR, &rdwr));
}

/* spiTransfer(fd, xfer, tx, rx): one struct spi_ioc_transfer with its tx_buf/rx_buf pointed at tx and rx. */
static napi_value do_spi_transfer(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd;
  void *x, *tx, *rx;
  size_t xl, txl, rxl;
  struct spi_ioc_transfer t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (bytes(env, argv[1], &x, &xl) != 0 || bytes(env, argv[2], &tx, &txl) != 0 || bytes(env, argv[3], &rx, &rxl) != 0) return NULL;
  if (xl != sizeof t) {
    napi_throw_range_error(env, NULL, "linux-ioctl: xfer is not one struct spi_ioc_transfer");
    return NULL;
  }
  memcpy(&t, x, sizeof t);
  if (t.len != txl || t.len != rxl) {
    napi_throw_range_error(env, NULL, "linux-ioctl: spi_ioc_transfer len differs from tx/rx");
    return NULL;
  }
  t.tx_buf = (uint64_t)(uintptr_t)tx;
  t.rx_buf = (uint64_t)(uintptr_t)rx;
  return int_result(env, ioctl(fd, SPI_IOC_MESSAGE(1), &t));
}

/* setNonblocking(fd): O_NONBLOCK, so a GPIO line fd can be polled for edge events without a blocked thread. */
static napi_value do_set_nonblocking(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  int flags;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  flags = fcntl(fd, F_GETFL);
  if (flags < 0) return int_result(env, flags);
  return int_result(env, fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
    { "ioctl", NULL, do_ioctl, NULL, NULL, NULL, napi_enumerable, NULL },
    { "i2cRdwr", NULL, do_i2c_rdwr, NULL, NULL, NULL, napi_enumerable, NULL },
    { "spiTransfer", NULL, do_spi_transfer, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setNonblocking", NULL, do_set_nonblocking, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof p / sizeof p[0], p));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
