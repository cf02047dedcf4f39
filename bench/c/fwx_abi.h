/* The fwx host ABI as the C ports of the examples call it: plain wasm imports
 * declared by hand. Temporary: once the generated guest header (fwx_guest.h,
 * from host-abi/) lands, the ports include that instead of this file. Only the
 * calls the two ports make are declared. */
#ifndef FWX_BENCH_ABI_H
#define FWX_BENCH_ABI_H

#include <stdint.h>

#define FWX_IMPORT(iface, fn) __attribute__((import_module(iface), import_name(fn)))
#define FWX_EXPORT(name) __attribute__((export_name(name)))

enum { FWX_OK = 0, FWX_NOT_FOUND = 5 };
enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };
enum { PIN_INPUT = 0, PIN_INPUT_PULL_UP = 1, PIN_OUTPUT = 3 };
enum { EDGE_RISING = 1, EDGE_FALLING = 2 };
enum { EVENT_GPIO_EDGE = 1 };

FWX_IMPORT("fwx:core@1", "log") int32_t core_log(uint32_t level, const void *msg, uint32_t len);
FWX_IMPORT("fwx:core@1", "now_ms") uint64_t core_now_ms(void);
FWX_IMPORT("fwx:core@1", "config_get") int32_t core_config_get(const void *key, uint32_t key_len, void *value, uint32_t cap, uint32_t *len_out);
FWX_IMPORT("fwx:gpio@1", "claim") int32_t gpio_claim(uint32_t pin, uint32_t mode, uint32_t *handle_out);
FWX_IMPORT("fwx:gpio@1", "read") int32_t gpio_read(uint32_t handle, uint32_t *level_out);
FWX_IMPORT("fwx:gpio@1", "write") int32_t gpio_write(uint32_t handle, uint32_t level);
FWX_IMPORT("fwx:gpio@1", "watch") int32_t gpio_watch(uint32_t handle, uint32_t edges);
FWX_IMPORT("fwx:timer@1", "start") int32_t timer_start(uint32_t id, uint32_t period_ms, uint32_t periodic);
FWX_IMPORT("fwx:timer@1", "cancel") int32_t timer_cancel(uint32_t id);
FWX_IMPORT("fwx:kv@1", "get") int32_t kv_get(const void *key, uint32_t key_len, void *value, uint32_t cap, uint32_t *len_out);
FWX_IMPORT("fwx:kv@1", "set") int32_t kv_set(const void *key, uint32_t key_len, const void *value, uint32_t len);
FWX_IMPORT("fwx:telemetry@1", "publish") int32_t telemetry_publish(const void *topic, uint32_t topic_len, const void *payload, uint32_t len);
FWX_IMPORT("fwx:sensor@1", "find") int32_t sensor_find(const void *name, uint32_t name_len, uint32_t *handle_out);
FWX_IMPORT("fwx:sensor@1", "read") int32_t sensor_read(uint32_t handle, double *value_out, uint64_t *timestamp_us_out);
FWX_IMPORT("fwx:i2c@1", "write") int32_t i2c_write(uint32_t bus, uint32_t address, const void *data, uint32_t len);
FWX_IMPORT("fwx:i2c@1", "write_read") int32_t i2c_write_read(uint32_t bus, uint32_t address, const void *tx, uint32_t tx_len, void *rx, uint32_t rx_len);

/* The callbacks a module exports (fwx_on_event only where the port watches pins). */
int32_t fwx_init(void);
void fwx_on_timer(uint32_t id);
void fwx_on_event(uint32_t kind, uint32_t handle, uint32_t arg);
int32_t fwx_health(void);
void fwx_deinit(void);

#endif
