/* The struct i2c_msg array src/linux/uapi.ts encodes (I2C_LAYOUT.msg: 16
   bytes a message, little-endian addr u16 at 0, flags u16 at 2, len u16 at
   4, buf left 0) copied field by field into this machine's struct i2c_msg.
   The two are not the same bytes everywhere: i2c_msg holds a pointer, so it
   is 16 bytes on x86-64 and arm64 but 12 on 32-bit ARM gateways (Raspberry
   Pi OS 32-bit, armhf Debian), where a plain copy would misread every
   message. Returns the number of messages, or -1 unless `wire` holds 1..max
   whole messages. Included by linux-ioctl.c; tests/linux/i2c-msgs.test.ts
   builds it for a 32-bit target. */
#ifndef FWX_I2C_MSGS_H
#define FWX_I2C_MSGS_H
#include <stddef.h>
#include <stdint.h>
#include <linux/i2c.h>

#define FWX_I2C_WIRE_MSG_SIZE 16

static int fwx_i2c_msgs_from_wire(const uint8_t *wire, size_t len, struct i2c_msg *msgs, size_t max) {
  size_t n = len / FWX_I2C_WIRE_MSG_SIZE, i;
  if (len % FWX_I2C_WIRE_MSG_SIZE != 0 || n == 0 || n > max) return -1;
  for (i = 0; i < n; i++) {
    const uint8_t *p = wire + i * FWX_I2C_WIRE_MSG_SIZE;
    msgs[i].addr = (__u16)(p[0] | (p[1] << 8));
    msgs[i].flags = (__u16)(p[2] | (p[3] << 8));
    msgs[i].len = (__u16)(p[4] | (p[5] << 8));
    msgs[i].buf = NULL;
  }
  return (int)n;
}

#endif
