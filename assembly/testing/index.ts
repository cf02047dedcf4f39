// `import { Mock } from "fwx/testing"`: drives the simulated device behind the
// as-pect host mock from a spec, and inspects what the module did with it.
//
//   Mock.reset();
//   Mock.sensor("cold_room", 9.5);
//   Mock.config("threshold_c", "8");
//   expect(fwx_init()).toBe(0);
//   Mock.advance(60_000, fwx_on_timer);
//   expect(Mock.pinLevel(5)).toBe(true);
//   expect(Mock.telemetryCount()).toBe(1);
//
// Only for specs: these imports (`fwx:mock`) do not exist on a device, and
// `fwx build` rejects a module that uses them.
import { Status } from "../raw/types";

// Strings cross as AssemblyScript UTF-16: pointer + length in code units.
// @ts-ignore: decorator
@external("fwx:mock", "reset") declare function mock_reset(): void;
// @ts-ignore: decorator
@external("fwx:mock", "stop_module") declare function mock_stop_module(): void;
// @ts-ignore: decorator
@external("fwx:mock", "sensor_set") declare function mock_sensor_set(p: usize, n: i32, value: f64): void;
// @ts-ignore: decorator
@external("fwx:mock", "sensor_fault") declare function mock_sensor_fault(p: usize, n: i32, status: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "sensor_describe") declare function mock_sensor_describe(p: usize, n: i32, up: usize, un: i32, min: f64, max: f64): void;
// @ts-ignore: decorator
@external("fwx:mock", "sensor_remove") declare function mock_sensor_remove(p: usize, n: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "config_set") declare function mock_config_set(kp: usize, kn: i32, vp: usize, vn: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "config_delete") declare function mock_config_delete(kp: usize, kn: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "now_us") declare function mock_now_us(): u64;
// @ts-ignore: decorator
@external("fwx:mock", "advance_step") declare function mock_advance_step(targetUs: u64): i32;
// @ts-ignore: decorator
@external("fwx:mock", "timer_running") declare function mock_timer_running(id: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "timer_period") declare function mock_timer_period(id: u32): u32;
// @ts-ignore: decorator
@external("fwx:mock", "timer_periodic") declare function mock_timer_periodic(id: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "timer_limit") declare function mock_timer_limit(n: u32): void;
// @ts-ignore: decorator
@external("fwx:mock", "pin_level") declare function mock_pin_level(pin: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "pin_mode") declare function mock_pin_mode(pin: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "pin_handle") declare function mock_pin_handle(pin: u32): u32;
// @ts-ignore: decorator
@external("fwx:mock", "pin_edges") declare function mock_pin_edges(pin: u32): u32;
// @ts-ignore: decorator
@external("fwx:mock", "pin_drive") declare function mock_pin_drive(pin: u32, level: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "pin_remove") declare function mock_pin_remove(pin: u32): void;
// @ts-ignore: decorator
@external("fwx:mock", "telemetry_count") declare function mock_telemetry_count(): i32;
// @ts-ignore: decorator
@external("fwx:mock", "telemetry_topic") declare function mock_telemetry_topic(index: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "telemetry_payload") declare function mock_telemetry_payload(index: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "log_count") declare function mock_log_count(level: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "log_level") declare function mock_log_level(index: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "log_message") declare function mock_log_message(index: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "abort_count") declare function mock_abort_count(): i32;
// @ts-ignore: decorator
@external("fwx:mock", "call_count") declare function mock_call_count(p: usize, n: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "last_status") declare function mock_last_status(p: usize, n: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "fail_next") declare function mock_fail_next(p: usize, n: i32, status: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "fail_always") declare function mock_fail_always(p: usize, n: i32, status: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "kv_put") declare function mock_kv_put(kp: usize, kn: i32, vp: usize, vn: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "kv_fetch") declare function mock_kv_fetch(kp: usize, kn: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "kv_quota") declare function mock_kv_quota(bytes: u32): void;
// @ts-ignore: decorator
@external("fwx:mock", "i2c_device") declare function mock_i2c_device(bus: u32, address: u32, rp: usize, rn: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "i2c_register") declare function mock_i2c_register(bus: u32, address: u32, reg: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "i2c_set_register") declare function mock_i2c_set_register(bus: u32, address: u32, reg: u32, value: u32): void;
// @ts-ignore: decorator
@external("fwx:mock", "i2c_queue") declare function mock_i2c_queue(bus: u32, address: u32, reg: u32, vp: usize, vn: i32, width: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "i2c_queued") declare function mock_i2c_queued(bus: u32, address: u32, reg: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "spi_device") declare function mock_spi_device(bus: u32, cs: u32, rp: usize, rn: i32): void;
// @ts-ignore: decorator
@external("fwx:mock", "spi_sent") declare function mock_spi_sent(bus: u32, cs: u32, index: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_receive") declare function mock_uart_receive(port: u32, ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_sent") declare function mock_uart_sent(port: u32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_handle") declare function mock_uart_handle(port: u32): u32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_waiting") declare function mock_uart_waiting(port: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_baud") declare function mock_uart_baud(port: u32): u32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_parity") declare function mock_uart_parity(port: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "uart_stop_bits") declare function mock_uart_stop_bits(port: u32): i32;
// @ts-ignore: decorator
@external("fwx:mock", "allocations") declare function mock_allocations(): i32;
// @ts-ignore: decorator
@external("fwx:mock", "adc_set") declare function mock_adc_set(channel: u32, raw: u32, bits: u32, vrefMv: u32): void;
// @ts-ignore: decorator
@external("fwx:mock", "pwm_duty") declare function mock_pwm_duty(channel: u32): f64;

// @ts-ignore: decorator
@inline function sp(s: string): usize { return changetype<usize>(s); }

/** Fetches bytes with the two-call pattern: ask for the length, then copy. */
function fetch(get: (ptr: usize, cap: i32) => i32): Uint8Array | null {
  const len = get(0, 0);
  if (len < 0) return null;
  const out = new Uint8Array(len);
  get(out.dataStart, len);
  return out;
}

function text(bytes: Uint8Array | null): string {
  if (bytes === null) return "";
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.byteLength);
}

// Closures cannot capture in AssemblyScript; the fetchers read their
// arguments from these module globals instead.
let argIndex: i32 = 0;
let argPort: u32 = 0;
let argBus: u32 = 0;
let argCs: u32 = 0;
let argKey: string = "";

/** Spec-side control of the simulated device; every method is a static. */
export class Mock {
  /** A fresh simulated board: no sensors, pins, timers, config, kv, records or forced statuses; clock at 0. */
  static reset(): void { mock_reset(); }
  /**
   * Stops the module as the host would (timers cancelled, handles and pins
   * released) while the board, configuration and KV store stay: call
   * fwx_init again to simulate a restart.
   */
  static stopModule(): void { mock_stop_module(); }

  // ---- sensors ----
  /** Creates (or updates) sensor `name` reading `value`; clears a fault. */
  static sensor(name: string, value: f64): void { mock_sensor_set(sp(name), name.length, value); }
  /** The next reads of `name` return `status` (Timeout, Other) until sensor() sets a value. */
  static sensorFault(name: string, status: Status): void { mock_sensor_fault(sp(name), name.length, status); }
  /** What `sensor.info` reports for `name`: unit text and measuring range. */
  static sensorInfo(name: string, unit: string, min: f64, max: f64): void {
    mock_sensor_describe(sp(name), name.length, sp(unit), unit.length, min, max);
  }
  /** The board no longer has sensor `name` (find returns NotFound). */
  static removeSensor(name: string): void { mock_sensor_remove(sp(name), name.length); }

  // ---- configuration ----
  /** Sets configuration `key` to `value`, as `fwx config` would; overrides the fwx.json default. */
  static config(key: string, value: string): void { mock_config_set(sp(key), key.length, sp(value), value.length); }
  /** The device has no value for `key`, not even the fwx.json default: the module sees NotFound. */
  static removeConfig(key: string): void { mock_config_delete(sp(key), key.length); }

  // ---- clock and timers ----
  /** The simulated clock in milliseconds (what Clock.nowMs returns). */
  static nowMs(): u64 { return mock_now_us() / 1000; }
  /** The simulated clock in microseconds. */
  static nowUs(): u64 { return mock_now_us(); }

  /**
   * Moves the clock forward `ms`, calling `onTimer(id)` (pass the module's
   * fwx_on_timer) for every expiry on the way, in time order, with the clock
   * at the expiry time. Returns the number of expiries delivered.
   */
  static advance(ms: u64, onTimer: ((id: u32) => void) | null = null): i32 {
    const target = mock_now_us() + ms * 1000;
    let delivered = 0;
    for (let id = mock_advance_step(target); id >= 0; id = mock_advance_step(target)) {
      delivered++;
      if (onTimer) onTimer(<u32>id);
    }
    return delivered;
  }

  /** Whether timer `id` is started and has not expired (one-shot) or been cancelled. */
  static timerRunning(id: u32): bool { return mock_timer_running(id) != 0; }
  /** Period (or delay) timer `id` was last started with; 0 when it is not running. */
  static timerPeriodMs(id: u32): u32 { return mock_timer_period(id); }
  /** Whether running timer `id` repeats. */
  static timerPeriodic(id: u32): bool { return mock_timer_periodic(id) != 0; }
  /** How many timers the module may run at once (default 8). */
  static timerLimit(n: u32): void { mock_timer_limit(n); }

  // ---- pins ----
  /** The level on `pin`: what the module drives, or what the spec drives on an input. */
  static pinLevel(pin: u32): bool { return mock_pin_level(pin) != 0; }
  /** PinMode the pin is claimed in, or -1 when unclaimed. */
  static pinMode(pin: u32): i32 { return mock_pin_mode(pin); }
  /** The handle the module got for `pin` (0 when unclaimed): pass it to fwx_on_event. */
  static pinHandle(pin: u32): u32 { return mock_pin_handle(pin); }
  /** Edge flags the module watches on `pin`. */
  static pinEdges(pin: u32): u32 { return mock_pin_edges(pin); }
  /** Drives an input from outside (a door switch); deliver the edge with fwx_on_event. */
  static drivePin(pin: u32, level: bool): void { mock_pin_drive(pin, level ? 1 : 0); }
  /** The board no longer has `pin` (claim returns NotFound). */
  static removePin(pin: u32): void { mock_pin_remove(pin); }

  // ---- telemetry ----
  /** Messages the module published since Mock.reset(). */
  static telemetryCount(): i32 { return mock_telemetry_count(); }
  /** Topic of message `index` (negative counts from the end); "" when there is none. */
  static telemetryTopic(index: i32 = -1): string {
    argIndex = index;
    return text(fetch((ptr: usize, cap: i32): i32 => mock_telemetry_topic(argIndex, ptr, cap)));
  }
  /** Payload of message `index` as UTF-8 text (negative counts from the end). */
  static telemetry(index: i32 = -1): string {
    argIndex = index;
    return text(fetch((ptr: usize, cap: i32): i32 => mock_telemetry_payload(argIndex, ptr, cap)));
  }
  /** Payload of the last message, as UTF-8 text; "" when there is none. */
  static lastTelemetry(): string { return Mock.telemetry(-1); }

  // ---- logs ----
  /** Log lines written, of one LogLevel or (-1) of all. */
  static logCount(level: i32 = -1): i32 { return mock_log_count(level); }
  /** LogLevel of line `index` (negative counts from the end), or -1 when there is none. */
  static logLevel(index: i32 = -1): i32 { return mock_log_level(index); }
  /** Text of line `index` (negative counts from the end); "" when there is none. */
  static logMessage(index: i32 = -1): string {
    argIndex = index;
    return text(fetch((ptr: usize, cap: i32): i32 => mock_log_message(argIndex, ptr, cap)));
  }

  /** Times the module called core.abort. */
  static abortCount(): i32 { return mock_abort_count(); }

  // ---- memory ----
  /**
   * Heap allocations (objects, arrays, strings built at run time) made since
   * the spec binary started. Compare two readings around the code under test
   * to prove a hot path allocates nothing, which matters because `fwx build`
   * links the stub runtime, where nothing is ever freed:
   *
   *   const before = Mock.allocations();
   *   Mock.advance(60_000, fwx_on_timer);
   *   expect(Mock.allocations() - before).toBe(0);
   *
   * Keep spec helpers that allocate (new Uint8Array, Mock.logMessage,
   * string concatenation) outside the two readings.
   */
  static allocations(): i32 { return mock_allocations(); }

  // ---- call records and forced statuses ----
  /** Calls of an ABI function, named "<interface>.<function>" ("gpio.write"). */
  static callCount(fn: string): i32 { return mock_call_count(sp(fn), fn.length); }
  /** Status the last call of `fn` returned, or -1 when it was never called. */
  static lastStatus(fn: string): i32 { return mock_last_status(sp(fn), fn.length); }
  /** The next call of `fn` returns `status` without reaching the device (contract traps still apply). */
  static failNext(fn: string, status: Status): void { mock_fail_next(sp(fn), fn.length, status); }
  /** Every call of `fn` returns `status` until failAlways(fn, Status.Ok). */
  static failAlways(fn: string, status: Status): void { mock_fail_always(sp(fn), fn.length, status); }

  // ---- kv ----
  /** Stores `value` under `key` in the module's KV store, bypassing the quota (state from an earlier run). */
  static kvSet(key: string, value: Uint8Array): void { mock_kv_put(sp(key), key.length, value.dataStart, value.byteLength); }
  /** Stores `value` as 4 bytes little-endian, as Kv.setU32 does. */
  static kvSetU32(key: string, value: u32): void {
    const b = new Uint8Array(4);
    store<u32>(b.dataStart, value);
    Mock.kvSet(key, b);
  }
  /** Stored bytes, or null when the key is absent. */
  static kv(key: string): Uint8Array | null {
    argKey = key;
    return fetch((ptr: usize, cap: i32): i32 => mock_kv_fetch(sp(argKey), argKey.length, ptr, cap));
  }
  /** A 4-byte little-endian value, or `fallback`. */
  static kvU32(key: string, fallback: u32): u32 {
    const v = Mock.kv(key);
    return v !== null && v.byteLength == 4 ? load<u32>(v.dataStart) : fallback;
  }
  /** The module's KV quota in bytes, key and value bytes counted (default 4096). */
  static kvQuota(bytes: u32): void { mock_kv_quota(bytes); }

  // ---- buses ----
  /** Puts a register-file target at bus/address with these initial registers. */
  static i2cDevice(bus: u32, address: u8, registers: Uint8Array): void {
    mock_i2c_device(bus, address, registers.dataStart, registers.byteLength);
  }
  /** A register of a simulated I2C target, or -1. */
  static i2cRegister(bus: u32, address: u8, reg: u32): i32 { return mock_i2c_register(bus, address, reg); }
  /** Sets one register of a simulated I2C target (a status flag, a device id); the others stay. */
  static i2cSetRegister(bus: u32, address: u8, reg: u32, value: u8): void { mock_i2c_set_register(bus, address, reg, value); }
  /**
   * Scripts what register `reg` reads next, for FIFO and data registers:
   * `values` holds entries of `width` bytes each, and every later read
   * transaction that covers `reg` first loads the next entry into
   * reg..reg+width-1 (so a 6-byte burst from an accelerometer's DATAX0 takes
   * one x/y/z sample). Calls append to the queue; when it runs dry the last
   * entry stays in the registers. Mock.i2cDevice clears the queues.
   */
  static i2cQueue(bus: u32, address: u8, reg: u32, values: Uint8Array, width: i32 = 1): void {
    mock_i2c_queue(bus, address, reg, values.dataStart, values.byteLength, width);
  }
  /** Entries still queued for `reg` (-1 when there is no device at bus/address). */
  static i2cQueued(bus: u32, address: u8, reg: u32): i32 { return mock_i2c_queued(bus, address, reg); }
  /** Puts an SPI device at bus/cs that answers with `response` (repeated). */
  static spiDevice(bus: u32, cs: u32, response: Uint8Array): void {
    mock_spi_device(bus, cs, response.dataStart, response.byteLength);
  }
  /** Frame `index` the module sent to bus/cs, or null. */
  static spiSent(bus: u32, cs: u32, index: i32 = -1): Uint8Array | null {
    argBus = bus;
    argCs = cs;
    argIndex = index;
    return fetch((ptr: usize, cap: i32): i32 => mock_spi_sent(argBus, argCs, argIndex, ptr, cap));
  }
  /** Queues bytes as received on `port`; returns the bytes now waiting. */
  static uartReceive(port: u32, bytes: Uint8Array): i32 { return mock_uart_receive(port, bytes.dataStart, bytes.byteLength); }
  /** The handle of the module's open `port` (0 when it is not open): pass it to fwx_on_event. */
  static uartHandle(port: u32): u32 { return mock_uart_handle(port); }
  /** Received bytes the module has not read yet. */
  static uartWaiting(port: u32): i32 { return mock_uart_waiting(port); }
  /** Baud rate of the last open of `port` (0 when never opened). */
  static uartBaud(port: u32): u32 { return mock_uart_baud(port); }
  /** Parity (a Parity value) of the last open of `port`, or -1. */
  static uartParity(port: u32): i32 { return mock_uart_parity(port); }
  /** Stop bits (a StopBits value) of the last open of `port`, or -1. */
  static uartStopBits(port: u32): i32 { return mock_uart_stop_bits(port); }
  /** Everything the module wrote to `port`, or null when it never opened it. */
  static uartSent(port: u32): Uint8Array | null {
    argPort = port;
    return fetch((ptr: usize, cap: i32): i32 => mock_uart_sent(argPort, ptr, cap));
  }
  /** Creates (or updates) ADC `channel` reading `raw` counts at `bits` resolution and `vrefMv` full scale. */
  static adcChannel(channel: u32, raw: u32, bits: u32 = 12, vrefMv: u32 = 3300): void { mock_adc_set(channel, raw, bits, vrefMv); }
  /** Duty of an open PWM channel, or -1 when it is not open. */
  static pwmDuty(channel: u32): f64 { return mock_pwm_duty(channel); }
}
