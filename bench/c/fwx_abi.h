/* The host ABI for the C ports: the generated guest header (guest/c/fwx_guest.h,
 * from host-abi/) under the short names the ports use. Only names: every
 * declaration, constant and export prototype comes from the generated header. */
#ifndef FWX_BENCH_ABI_H
#define FWX_BENCH_ABI_H

#include "fwx_guest.h"

#define LOG_DEBUG FWX_CORE_LOG_LEVEL_DEBUG
#define LOG_INFO FWX_CORE_LOG_LEVEL_INFO
#define LOG_WARN FWX_CORE_LOG_LEVEL_WARN
#define LOG_ERROR FWX_CORE_LOG_LEVEL_ERROR
#define PIN_INPUT FWX_GPIO_PIN_MODE_INPUT
#define PIN_INPUT_PULL_UP FWX_GPIO_PIN_MODE_INPUT_PULL_UP
#define PIN_OUTPUT FWX_GPIO_PIN_MODE_OUTPUT
#define EDGE_RISING FWX_GPIO_EDGE_RISING
#define EDGE_FALLING FWX_GPIO_EDGE_FALLING
#define EVENT_GPIO_EDGE FWX_EVENT_GPIO_EDGE

#define core_log fwx_core_log
#define core_now_ms fwx_core_now_ms
#define core_config_get fwx_core_config_get
#define gpio_claim fwx_gpio_claim
#define gpio_read fwx_gpio_read
#define gpio_write fwx_gpio_write
#define gpio_watch fwx_gpio_watch
#define timer_start fwx_timer_start
#define timer_cancel fwx_timer_cancel
#define kv_get fwx_kv_get
#define kv_set fwx_kv_set
#define telemetry_publish fwx_telemetry_publish
#define sensor_find fwx_sensor_find
#define sensor_read fwx_sensor_read
#define i2c_write fwx_i2c_write
#define i2c_write_read fwx_i2c_write_read

#endif
