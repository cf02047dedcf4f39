// The conformance table: one row per (call, arguments, grant, board state)
// and the one outcome every fwx host must give it: a status or a trap. The
// same rows run through the Node agent's real host (node-side.ts) and
// through the generated C glue with the POSIX device's bridged HAL
// (c-side.ts); conformance.test.ts holds both to this table.
//
// Precedence rows come in pairs: the same call with the grant and the board
// changed one at a time, so the order of the checks (docs/abi "Checks, in
// order") is pinned down, not only the set of statuses.

import type { Capabilities } from "../../src/caps/capabilities.js";

/** One flat-argument group of a call, laid out identically in both memories. */
export type Arg =
  | number                                   // an i32/f32 value (wasm3 slot); use { i64 } / { f32 } when it matters
  | { f32: number }
  | { str: string }                          // (ptr, len) of UTF-8 bytes
  | { bytes: number[] }                      // (ptr, len)
  | { cap: number }                          // (ptr, capacity) of a zeroed buffer the host fills
  | { out: true }                            // an out-pointer to an 8-byte slot
  | { outOfBounds: "range" | "out" }         // a (ptr, len) or out-pointer past the end of memory
  | { handleOf: number };                    // the handle setup call k wrote to its first out-pointer

export interface Call {
  fn: string; // "gpio.claim"
  args: Arg[];
}

export type Outcome = { status: string } | { trap: "out-of-bounds" | "foreign-handle" };

export interface Row {
  name: string;
  grants: Capabilities;
  /** Calls the module makes first; each must return ok. */
  setup?: Call[];
  /** Another module (with the board's full grant) that makes these calls first: who holds what. */
  other?: Call[];
  call: Call;
  expect: Outcome;
}

/** The board every row runs on (a fresh one per row). */
export const BOARD = {
  name: "conformance",
  seed: 7,
  sensors: [{ name: "t", unit: "°C", range: { min: -40, max: 60 }, source: { trace: "t", interpolation: "step" } }],
  gpio: [
    { pin: 2, name: "door", modes: ["input", "input-pull-up"], drive: { trace: "door" } },
    { pin: 5, name: "relay", modes: ["output"] },
  ],
  adc: [{ channel: 0, name: "a0", bits: 12, vrefMv: 3300, source: { trace: "v", interpolation: "step" } }],
  pwm: [{ channel: 0, name: "fan", minHz: 20, maxHz: 40000 }],
  i2c: [{ bus: 1, name: "i2c1", devices: [{ type: "tmp102", address: 0x48, name: "tmp", source: 20 }, { type: "24c02", address: 0x50, name: "ee" }] }],
  spi: [{ bus: 0, name: "spi0", devices: [{ type: "mcp3008", cs: 0, name: "adc", vrefMv: 3300, channels: [] }] }],
  uart: [{ port: 1, name: "rs232", bauds: [4800, 9600, 19200], parities: ["none", "even"], stopBits: [1], txBufferBytes: 16, rxBufferBytes: 8,
    device: { type: "line-stream", name: "scale", baud: 9600, parity: "none", stopBits: 1, periodMs: 100, prefix: "", suffix: "\r\n", decimals: 1, source: 12.5 } }],
  grantable: {
    sensors: ["t"], gpio: [{ pin: 2, modes: ["input", "input-pull-up"] }, { pin: 5, modes: ["output"] }], adc: [0], pwm: [0],
    i2c: [{ bus: 1, address: 0x48 }, { bus: 1, address: 0x50 }, { bus: 1, address: 0x49 }], spi: [{ bus: 0, cs: 0 }], uart: [1],
  },
};
export const TRACE = "time,sensor,value\n0,t,5\n0,door,1\n0,v,1000\n";

const INPUT = 0, PULL_UP = 1, OUTPUT = 3;
const st = (status: string): Outcome => ({ status });
const trap = (t: "out-of-bounds" | "foreign-handle"): Outcome => ({ trap: t });
const FULL = BOARD.grantable;
const claim = (pin: number, mode: number): Call => ({ fn: "gpio.claim", args: [pin, mode, { out: true }] });
const uartOpen = (port: number, baud: number, parity = 0, stop = 1): Call => ({ fn: "uart.open", args: [port, baud, parity, stop, { out: true }] });
const pwmOpen = (ch: number, hz: number): Call => ({ fn: "pwm.open", args: [ch, hz, { out: true }] });

export const ROWS: Row[] = [
  // gpio.claim: the case first: an ungranted pin the board lacks.
  { name: "gpio.claim of an ungranted pin the board lacks", grants: { gpio: [{ pin: 2, modes: ["input"] }] }, call: claim(17, INPUT), expect: st("not-permitted") },
  { name: "gpio.claim with no gpio grant at all", grants: {}, call: claim(17, INPUT), expect: st("not-permitted") },
  { name: "gpio.claim of a granted pin the board lacks", grants: { gpio: [{ pin: 17, modes: ["input"] }] }, call: claim(17, INPUT), expect: st("not-found") },
  { name: "gpio.claim of a granted pin in a mode it cannot do", grants: { gpio: [{ pin: 5, modes: ["input"] }] }, call: claim(5, INPUT), expect: st("unsupported") },
  { name: "gpio.claim in a mode the pin can do but was not granted", grants: { gpio: [{ pin: 2, modes: ["input"] }] }, call: claim(2, PULL_UP), expect: st("not-permitted") },
  { name: "gpio.claim with a bad mode and no grant: values before the gate", grants: {}, call: claim(2, 9), expect: st("invalid-arg") },
  { name: "gpio.claim with a bad mode and an out-pointer past memory: traps first", grants: {}, call: { fn: "gpio.claim", args: [2, 9, { outOfBounds: "out" }] }, expect: trap("out-of-bounds") },
  { name: "gpio.claim of a pin another module holds", grants: FULL, other: [claim(5, OUTPUT)], call: claim(5, OUTPUT), expect: st("busy") },
  { name: "gpio.claim of a held pin it was not granted: not-permitted before busy", grants: { gpio: [{ pin: 2, modes: ["input"] }] }, other: [claim(5, OUTPUT)], call: claim(5, OUTPUT), expect: st("not-permitted") },
  { name: "gpio.claim ok", grants: FULL, call: claim(2, PULL_UP), expect: st("ok") },
  // gpio with handles.
  { name: "gpio.read of a claimed input", grants: FULL, setup: [claim(2, INPUT)], call: { fn: "gpio.read", args: [{ handleOf: 0 }, { out: true }] }, expect: st("ok") },
  { name: "gpio.write of a handle never issued", grants: FULL, call: { fn: "gpio.write", args: [99, 1] }, expect: trap("foreign-handle") },
  { name: "gpio.write of another module's handle", grants: FULL, other: [claim(5, OUTPUT)], call: { fn: "gpio.write", args: [1, 1] }, expect: trap("foreign-handle") },
  { name: "gpio.write of a bool that is 2", grants: FULL, setup: [claim(5, OUTPUT)], call: { fn: "gpio.write", args: [{ handleOf: 0 }, 2] }, expect: st("invalid-arg") },
  { name: "gpio.write to an input", grants: FULL, setup: [claim(2, INPUT)], call: { fn: "gpio.write", args: [{ handleOf: 0 }, 1] }, expect: st("unsupported") },
  { name: "gpio.write ok", grants: FULL, setup: [claim(5, OUTPUT)], call: { fn: "gpio.write", args: [{ handleOf: 0 }, 1] }, expect: st("ok") },
  { name: "gpio.watch with edge bits outside the flags", grants: FULL, setup: [claim(2, INPUT)], call: { fn: "gpio.watch", args: [{ handleOf: 0 }, 4] }, expect: st("invalid-arg") },
  { name: "gpio.watch of an output", grants: FULL, setup: [claim(5, OUTPUT)], call: { fn: "gpio.watch", args: [{ handleOf: 0 }, 1] }, expect: st("unsupported") },
  { name: "gpio.release, then the handle is gone", grants: FULL, setup: [claim(5, OUTPUT), { fn: "gpio.release", args: [{ handleOf: 0 }] }], call: { fn: "gpio.write", args: [{ handleOf: 0 }, 1] }, expect: trap("foreign-handle") },
  // sensor.
  { name: "sensor.find of a sensor the board lacks, not granted", grants: { sensors: ["t"] }, call: { fn: "sensor.find", args: [{ str: "humidity" }, { out: true }] }, expect: st("not-permitted") },
  { name: "sensor.find of a granted sensor the board lacks", grants: { sensors: ["humidity"] }, call: { fn: "sensor.find", args: [{ str: "humidity" }, { out: true }] }, expect: st("not-found") },
  { name: "sensor.find with an empty name", grants: { sensors: ["t"] }, call: { fn: "sensor.find", args: [{ str: "" }, { out: true }] }, expect: st("invalid-arg") },
  { name: "sensor.find with a name that is not UTF-8 and no grant", grants: {}, call: { fn: "sensor.find", args: [{ bytes: [0xc3, 0x28] }, { out: true }] }, expect: st("invalid-arg") },
  { name: "sensor.find with a name past memory", grants: FULL, call: { fn: "sensor.find", args: [{ outOfBounds: "range" }, { out: true }] }, expect: trap("out-of-bounds") },
  { name: "sensor.find ok", grants: FULL, call: { fn: "sensor.find", args: [{ str: "t" }, { out: true }] }, expect: st("ok") },
  { name: "sensor.read ok", grants: FULL, setup: [{ fn: "sensor.find", args: [{ str: "t" }, { out: true }] }], call: { fn: "sensor.read", args: [{ handleOf: 0 }, { out: true }, { out: true }] }, expect: st("ok") },
  { name: "sensor.info into a buffer too small", grants: FULL, setup: [{ fn: "sensor.find", args: [{ str: "t" }, { out: true }] }], call: { fn: "sensor.info", args: [{ handleOf: 0 }, { cap: 1 }, { out: true }, { out: true }, { out: true }] }, expect: st("no-space") },
  { name: "sensor.info ok", grants: FULL, setup: [{ fn: "sensor.find", args: [{ str: "t" }, { out: true }] }], call: { fn: "sensor.info", args: [{ handleOf: 0 }, { cap: 8 }, { out: true }, { out: true }, { out: true }] }, expect: st("ok") },
  // adc.
  { name: "adc.open of an ungranted channel the board lacks", grants: { adc: [0] }, call: { fn: "adc.open", args: [3, { out: true }] }, expect: st("not-permitted") },
  { name: "adc.open of a granted channel the board lacks", grants: { adc: [3] }, call: { fn: "adc.open", args: [3, { out: true }] }, expect: st("not-found") },
  { name: "adc.read ok", grants: FULL, setup: [{ fn: "adc.open", args: [0, { out: true }] }], call: { fn: "adc.read", args: [{ handleOf: 0 }, { out: true }, { out: true }] }, expect: st("ok") },
  // pwm.
  { name: "pwm.open at 0 Hz without a grant: the gate first", grants: {}, call: pwmOpen(0, 0), expect: st("not-permitted") },
  { name: "pwm.open at 0 Hz of an ungranted channel: argument rules before the scope", grants: { pwm: [0] }, call: pwmOpen(4, 0), expect: st("invalid-arg") },
  { name: "pwm.open of an ungranted channel the board lacks", grants: { pwm: [0] }, call: pwmOpen(4, 100), expect: st("not-permitted") },
  { name: "pwm.open of a granted channel the board lacks", grants: { pwm: [4] }, call: pwmOpen(4, 100), expect: st("not-found") },
  { name: "pwm.open at a frequency the channel cannot make", grants: FULL, call: pwmOpen(0, 50000), expect: st("unsupported") },
  { name: "pwm.set_duty of NaN", grants: FULL, setup: [pwmOpen(0, 100)], call: { fn: "pwm.set_duty", args: [{ handleOf: 0 }, { f32: Number.NaN }] }, expect: st("invalid-arg") },
  { name: "pwm.set_duty ok", grants: FULL, setup: [pwmOpen(0, 100)], call: { fn: "pwm.set_duty", args: [{ handleOf: 0 }, { f32: 0.25 }] }, expect: st("ok") },
  // i2c.
  { name: "i2c.write to address 0x80 without a grant: the gate first", grants: {}, call: { fn: "i2c.write", args: [1, 0x80, { bytes: [0] }] }, expect: st("not-permitted") },
  { name: "i2c.write to address 0x80 with a grant: argument rules", grants: { i2c: [{ bus: 1, address: 0x48 }] }, call: { fn: "i2c.write", args: [1, 0x80, { bytes: [0] }] }, expect: st("invalid-arg") },
  { name: "i2c.write to address 256: the glue's u8 range", grants: {}, call: { fn: "i2c.write", args: [1, 256, { bytes: [0] }] }, expect: st("invalid-arg") },
  { name: "i2c.write on an ungranted bus the board lacks", grants: { i2c: [{ bus: 1, address: 0x48 }] }, call: { fn: "i2c.write", args: [2, 0x48, { bytes: [0] }] }, expect: st("not-permitted") },
  { name: "i2c.write on a granted bus the board lacks", grants: { i2c: [{ bus: 2, address: 0x48 }] }, call: { fn: "i2c.write", args: [2, 0x48, { bytes: [0] }] }, expect: st("not-found") },
  { name: "i2c.write to a granted address nobody answers", grants: FULL, call: { fn: "i2c.write", args: [1, 0x49, { bytes: [0] }] }, expect: st("nack-address") },
  { name: "i2c.write_read with rx past memory", grants: FULL, call: { fn: "i2c.write_read", args: [1, 0x48, { bytes: [0] }, { outOfBounds: "range" }] }, expect: trap("out-of-bounds") },
  { name: "i2c.write_read of the TMP102 temperature", grants: FULL, call: { fn: "i2c.write_read", args: [1, 0x48, { bytes: [0] }, { cap: 2 }] }, expect: st("ok") },
  // spi.
  { name: "spi.transfer of nothing without a grant: the gate first", grants: {}, call: { fn: "spi.transfer", args: [0, 0, { bytes: [] }, { cap: 0 }] }, expect: st("not-permitted") },
  { name: "spi.transfer of nothing with a grant", grants: FULL, call: { fn: "spi.transfer", args: [0, 0, { bytes: [] }, { cap: 0 }] }, expect: st("invalid-arg") },
  { name: "spi.transfer to an ungranted chip select the bus lacks", grants: FULL, call: { fn: "spi.transfer", args: [0, 3, { bytes: [1] }, { cap: 0 }] }, expect: st("not-permitted") },
  { name: "spi.transfer to a granted chip select the bus lacks", grants: { spi: [{ bus: 0, cs: 3 }] }, call: { fn: "spi.transfer", args: [0, 3, { bytes: [1] }, { cap: 0 }] }, expect: st("not-found") },
  { name: "spi.transfer to the MCP3008", grants: FULL, call: { fn: "spi.transfer", args: [0, 0, { bytes: [1, 0x80, 0] }, { cap: 3 }] }, expect: st("ok") },
  // uart.
  { name: "uart.open with parity 5: the glue's enum check", grants: {}, call: uartOpen(1, 9600, 5), expect: st("invalid-arg") },
  { name: "uart.open at 0 baud without a grant: the gate first", grants: {}, call: uartOpen(1, 0), expect: st("not-permitted") },
  { name: "uart.open at 0 baud of an ungranted port: argument rules before the scope", grants: { uart: [1] }, call: uartOpen(3, 0), expect: st("invalid-arg") },
  { name: "uart.open of an ungranted port the board lacks", grants: { uart: [1] }, call: uartOpen(3, 9600), expect: st("not-permitted") },
  { name: "uart.open of a granted port the board lacks", grants: { uart: [3] }, call: uartOpen(3, 9600), expect: st("not-found") },
  { name: "uart.open at a baud rate the port cannot make", grants: FULL, call: uartOpen(1, 115200), expect: st("unsupported") },
  { name: "uart.open of a port another module holds", grants: FULL, other: [uartOpen(1, 9600)], call: uartOpen(1, 9600), expect: st("busy") },
  { name: "uart.write ok", grants: FULL, setup: [uartOpen(1, 9600)], call: { fn: "uart.write", args: [{ handleOf: 0 }, { bytes: [0x41, 0x42] }, { out: true }] }, expect: st("ok") },
  { name: "uart.write with the out-pointer past memory and a foreign handle: memory first", grants: FULL, call: { fn: "uart.write", args: [42, { bytes: [1] }, { outOfBounds: "out" }] }, expect: trap("out-of-bounds") },
  { name: "uart.read with nothing waiting", grants: FULL, setup: [uartOpen(1, 9600)], call: { fn: "uart.read", args: [{ handleOf: 0 }, { cap: 16 }, { out: true }] }, expect: st("ok") },
  { name: "uart.close ok", grants: FULL, setup: [uartOpen(1, 9600)], call: { fn: "uart.close", args: [{ handleOf: 0 }] }, expect: st("ok") },
  // The other interfaces, where the glue decides: on a C device their HAL is
  // the device runtime's own, so these rows never reach a HAL on the C side.
  { name: "core.log at level 9", grants: {}, call: { fn: "core.log", args: [9, { str: "x" }] }, expect: st("invalid-arg") },
  { name: "core.log of text that is not UTF-8", grants: {}, call: { fn: "core.log", args: [1, { bytes: [0xff] }] }, expect: st("invalid-arg") },
  { name: "core.log at level 9 of text past memory: traps first", grants: {}, call: { fn: "core.log", args: [9, { outOfBounds: "range" }] }, expect: trap("out-of-bounds") },
  { name: "core.config_get with its out-pointer past memory", grants: {}, call: { fn: "core.config_get", args: [{ str: "k" }, { cap: 4 }, { outOfBounds: "out" }] }, expect: trap("out-of-bounds") },
  { name: "timer.start without a timer grant", grants: {}, call: { fn: "timer.start", args: [1, 100, 0] }, expect: st("not-permitted") },
  { name: "timer.start periodic = 2 without a grant: values before the gate", grants: {}, call: { fn: "timer.start", args: [1, 100, 2] }, expect: st("invalid-arg") },
  { name: "timer.cancel without a timer grant", grants: {}, call: { fn: "timer.cancel", args: [1] }, expect: st("not-permitted") },
  { name: "kv.get without a kv grant", grants: {}, call: { fn: "kv.get", args: [{ str: "k" }, { cap: 4 }, { out: true }] }, expect: st("not-permitted") },
  { name: "kv.get of a key that is not UTF-8, without a grant", grants: {}, call: { fn: "kv.get", args: [{ bytes: [0xc3] }, { cap: 4 }, { out: true }] }, expect: st("invalid-arg") },
  { name: "kv.set of a value past memory, without a grant", grants: {}, call: { fn: "kv.set", args: [{ str: "k" }, { outOfBounds: "range" }] }, expect: trap("out-of-bounds") },
  { name: "telemetry.publish without a telemetry grant", grants: {}, call: { fn: "telemetry.publish", args: [{ str: "alarms/high" }, { bytes: [] }] }, expect: st("not-permitted") },
];
