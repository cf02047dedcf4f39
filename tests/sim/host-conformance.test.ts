// Every status code the ABI documents for a peripheral function, provoked on
// the simulated board through the host implementations (called directly, as
// the generated glue would after its own checks).

import { describe, expect, it } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { lowerAbi } from "../../host-abi/gen/lower.js";
import { PinMode, Parity, Status, STATUS_NAMES } from "../../src/abi/host.generated.js";
import { createAdcHost } from "../../src/agent/host/adc.js";
import { createGpioHost } from "../../src/agent/host/gpio.js";
import { createI2cHost } from "../../src/agent/host/i2c.js";
import { createPwmHost } from "../../src/agent/host/pwm.js";
import { createSensorHost } from "../../src/agent/host/sensor.js";
import { createSpiHost } from "../../src/agent/host/spi.js";
import { createUartHost } from "../../src/agent/host/uart.js";
import type { Board } from "../../src/sim/board.js";
import { FakeContext } from "./fake-context.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { boardFrom, S } from "./helpers.js";

const FAULTS = (statuses: string[]) => statuses.map((status, i) => ({ from: 100 + i, to: 101 + i, status, detail: `injected ${status}` }));

export const CONFORMANCE_PROFILE = {
  sensors: [{ name: "t", unit: "°C", range: { min: -40, max: 60 }, source: { trace: "t", interpolation: "step" } }],
  gpio: [
    { pin: 2, name: "door", modes: ["input", "input-pull-up"], drive: { trace: "door" } },
    { pin: 5, name: "relay", modes: ["output"] },
  ],
  adc: [{ channel: 0, name: "a0", bits: 12, vrefMv: 3300, source: { trace: "v", interpolation: "step" } }],
  pwm: [{ channel: 0, name: "fan", minHz: 20, maxHz: 40000 }],
  i2c: [{ bus: 1, name: "i2c1", devices: [{ type: "tmp102", address: 0x48, name: "tmp", source: 20 }, { type: "24c02", address: 0x50, name: "ee" }],
    faults: FAULTS(["bus", "arbitration-loss", "overrun", "timeout", "other"]) }],
  spi: [{ bus: 0, name: "spi0", devices: [{ type: "mcp3008", cs: 0, name: "adc", vrefMv: 3300, channels: [] }],
    faults: FAULTS(["overrun", "mode-fault", "frame-format", "timeout", "other"]) }],
  uart: [{ port: 1, name: "rs232", bauds: [4800, 9600, 19200], parities: ["none", "even"], stopBits: [1], txBufferBytes: 16, rxBufferBytes: 8,
    device: { type: "line-stream", name: "scale", baud: 9600, parity: "none", stopBits: 1, periodMs: 100, prefix: "", suffix: "\r\n", decimals: 1, source: 12.5 } }],
  grantable: {
    sensors: ["t"], gpio: [{ pin: 2, modes: ["input", "input-pull-up"] }, { pin: 5, modes: ["output"] }], adc: [0], pwm: [0],
    i2c: [{ bus: 1, address: 0x48 }, { bus: 1, address: 0x50 }, { bus: 1, address: 0x49 }], spi: [{ bus: 0, cs: 0 }], uart: [1],
  },
};
const TRACE = "0,t,5\n10,t,timeout\n20,t,fault\n30,t,99\n0,door,0\n5,door,1\n0,v,1000\n10,v,timeout\n";

function hostsFor(board: Board, ctx: FakeContext) {
  return {
    sensor: createSensorHost(board.peripherals, ctx), gpio: createGpioHost(board.peripherals, ctx), adc: createAdcHost(board.peripherals, ctx), pwm: createPwmHost(board.peripherals, ctx),
    i2c: createI2cHost(board.peripherals, ctx), spi: createSpiHost(board.peripherals, ctx), uart: createUartHost(board.peripherals, ctx),
  };
}

function env(caps?: object) {
  const board = boardFrom(CONFORMANCE_PROFILE, TRACE);
  const claims = new DeviceClaimRegistry();
  const ctx = new FakeContext("mod-a", (caps ?? board.profile.grantable) as never, claims);
  const other = new FakeContext("mod-b", board.profile.grantable, claims);
  return { board, ctx, h: hostsFor(board, ctx), other: hostsFor(board, other) };
}
type Env = ReturnType<typeof env>;

const none = env; // readability: none({}) is a module with no grants, none({...}) one with just these
// (not-found needs a grant naming hardware the board lacks: a module is told
// not-permitted before it can learn what the board has outside its grants).
const handleOf = (f: (out: { handle: number }) => number): number => {
  const out = { handle: 0 };
  expect(f(out)).toBe(Status.ok);
  return out.handle;
};
const sensorAt = (e: Env, seconds: number) => {
  const h = handleOf((o) => e.h.sensor.find("t", o));
  e.ctx.now = S(seconds);
  return e.h.sensor.read(h, { value: 0, timestampUs: 0n });
};
const uartAt = (e: Env, baud: number, parity: number, seconds: number, status: number) => {
  const h = handleOf((o) => e.h.uart.open(1, baud, parity, 1, o));
  // Read until the status shows up or the time runs out (errors sit behind earlier good bytes).
  for (let t = 0.05; t <= seconds; t += 0.05) {
    e.ctx.now = S(t);
    const r = e.h.uart.read(h, new Uint8Array(64), { received: 0 });
    if (r === status) return r;
  }
  return -1;
};
const i2cAt = (e: Env, seconds: number) => {
  e.ctx.now = S(seconds);
  return e.h.i2c.writeRead(1, 0x48, Uint8Array.of(0), new Uint8Array(2));
};
const spiAt = (e: Env, seconds: number) => {
  e.ctx.now = S(seconds);
  return e.h.spi.transfer(0, 0, Uint8Array.of(1, 0x80, 0), new Uint8Array(3));
};

/** Per function, per documented status: how to make it happen. */
const TABLE: Record<string, Record<string, (() => number) | { unreachable: string }>> = {
  "sensor.find": {
    ok: () => env().h.sensor.find("t", { handle: 0 }),
    "invalid-arg": () => env().h.sensor.find("", { handle: 0 }),
    "not-permitted": () => none({}).h.sensor.find("t", { handle: 0 }),
    "not-found": () => none({ sensors: ["humidity"] }).h.sensor.find("humidity", { handle: 0 }),
  },
  "sensor.read": { ok: () => sensorAt(env(), 1), timeout: () => sensorAt(env(), 12), other: () => sensorAt(env(), 22) },
  "sensor.info": {
    ok: () => { const e = env(); return e.h.sensor.info(handleOf((o) => e.h.sensor.find("t", o)), new Uint8Array(8), { unitLen: 0, min: 0, max: 0 }); },
    "no-space": () => { const e = env(); return e.h.sensor.info(handleOf((o) => e.h.sensor.find("t", o)), new Uint8Array(2), { unitLen: 0, min: 0, max: 0 }); },
  },
  "gpio.claim": {
    ok: () => env().h.gpio.claim(2, PinMode.inputPullUp, { handle: 0 }),
    "invalid-arg": () => env().h.gpio.claim(2, 9, { handle: 0 }),
    "not-permitted": () => none({ gpio: [{ pin: 2, modes: ["input"] }] }).h.gpio.claim(2, PinMode.inputPullUp, { handle: 0 }),
    busy: () => { const e = env(); handleOf((o) => e.other.gpio.claim(5, PinMode.output, o)); return e.h.gpio.claim(5, PinMode.output, { handle: 0 }); },
    "not-found": () => none({ gpio: [{ pin: 17, modes: ["input"] }] }).h.gpio.claim(17, PinMode.input, { handle: 0 }),
    unsupported: () => none({ gpio: [{ pin: 5, modes: ["input"] }] }).h.gpio.claim(5, PinMode.input, { handle: 0 }),
  },
  "gpio.read": { ok: () => { const e = env(); return e.h.gpio.read(handleOf((o) => e.h.gpio.claim(2, PinMode.input, o)), { level: false }); } },
  "gpio.write": {
    ok: () => { const e = env(); return e.h.gpio.write(handleOf((o) => e.h.gpio.claim(5, PinMode.output, o)), true); },
    "invalid-arg": { unreachable: "level is a bool: the generated glue rejects values other than 0/1 before the host is called" },
    unsupported: () => { const e = env(); return e.h.gpio.write(handleOf((o) => e.h.gpio.claim(2, PinMode.input, o)), true); },
  },
  "gpio.watch": {
    ok: () => { const e = env(); return e.h.gpio.watch(handleOf((o) => e.h.gpio.claim(2, PinMode.input, o)), 3); },
    "invalid-arg": () => { const e = env(); return e.h.gpio.watch(handleOf((o) => e.h.gpio.claim(2, PinMode.input, o)), 4); },
    unsupported: () => { const e = env(); return e.h.gpio.watch(handleOf((o) => e.h.gpio.claim(5, PinMode.output, o)), 1); },
  },
  "gpio.release": { ok: () => { const e = env(); return e.h.gpio.release(handleOf((o) => e.h.gpio.claim(5, PinMode.output, o))); } },
  "adc.open": {
    ok: () => env().h.adc.open(0, { handle: 0 }),
    "not-permitted": () => none({}).h.adc.open(0, { handle: 0 }),
    "not-found": () => none({ adc: [3] }).h.adc.open(3, { handle: 0 }),
  },
  "adc.read": {
    ok: () => { const e = env(); return e.h.adc.read(handleOf((o) => e.h.adc.open(0, o)), { raw: 0, millivolts: 0 }); },
    timeout: () => { const e = env(); const h = handleOf((o) => e.h.adc.open(0, o)); e.ctx.now = S(11); return e.h.adc.read(h, { raw: 0, millivolts: 0 }); },
  },
  "adc.info": { ok: () => { const e = env(); return e.h.adc.info(handleOf((o) => e.h.adc.open(0, o)), { bits: 0, vrefMv: 0 }); } },
  "pwm.open": {
    ok: () => env().h.pwm.open(0, 25000, { handle: 0 }),
    "invalid-arg": () => env().h.pwm.open(0, 0, { handle: 0 }),
    "not-permitted": () => none({}).h.pwm.open(0, 25000, { handle: 0 }),
    busy: () => { const e = env(); handleOf((o) => e.other.pwm.open(0, 100, o)); return e.h.pwm.open(0, 100, { handle: 0 }); },
    "not-found": () => none({ pwm: [4] }).h.pwm.open(4, 100, { handle: 0 }),
    unsupported: () => env().h.pwm.open(0, 50000, { handle: 0 }),
  },
  "pwm.set_duty": {
    ok: () => { const e = env(); return e.h.pwm.setDuty(handleOf((o) => e.h.pwm.open(0, 100, o)), 0.5); },
    "invalid-arg": () => { const e = env(); return e.h.pwm.setDuty(handleOf((o) => e.h.pwm.open(0, 100, o)), Number.NaN); },
  },
  "pwm.close": { ok: () => { const e = env(); return e.h.pwm.close(handleOf((o) => e.h.pwm.open(0, 100, o))); } },
  "uart.open": {
    ok: () => env().h.uart.open(1, 9600, Parity.none, 1, { handle: 0 }),
    "invalid-arg": () => env().h.uart.open(1, 0, Parity.none, 1, { handle: 0 }),
    "not-permitted": () => none({}).h.uart.open(1, 9600, Parity.none, 1, { handle: 0 }),
    busy: () => { const e = env(); handleOf((o) => e.other.uart.open(1, 9600, Parity.none, 1, o)); return e.h.uart.open(1, 9600, Parity.none, 1, { handle: 0 }); },
    "not-found": () => none({ uart: [3] }).h.uart.open(3, 9600, Parity.none, 1, { handle: 0 }),
    unsupported: () => env().h.uart.open(1, 115200, Parity.none, 1, { handle: 0 }),
  },
  "uart.write": {
    ok: () => { const e = env(); return e.h.uart.write(handleOf((o) => e.h.uart.open(1, 9600, Parity.none, 1, o)), new Uint8Array(4), { written: 0 }); },
    busy: () => {
      const e = env();
      const h = handleOf((o) => e.h.uart.open(1, 9600, Parity.none, 1, o));
      const out = { written: 0 };
      expect(e.h.uart.write(h, new Uint8Array(20), out)).toBe(Status.ok);
      expect(out.written).toBe(16);
      return e.h.uart.write(h, new Uint8Array(1), out);
    },
  },
  "uart.read": {
    ok: () => uartAt(env(), 9600, Parity.none, 0.2, Status.ok),
    overrun: () => { const e = env(); const h = handleOf((o) => e.h.uart.open(1, 9600, Parity.none, 1, o)); e.ctx.now = S(0.35); return e.h.uart.read(h, new Uint8Array(64), { received: 0 }); },
    "frame-format": () => uartAt(env(), 19200, Parity.none, 1, Status.frameFormat),
    parity: () => uartAt(env(), 9600, Parity.even, 1, Status.parity),
    noise: () => uartAt(env(), 4800, Parity.none, 1, Status.noise),
  },
  "uart.close": { ok: () => { const e = env(); return e.h.uart.close(handleOf((o) => e.h.uart.open(1, 9600, Parity.none, 1, o))); } },
};

// I2C and SPI share their tables across functions.
const i2cTable = (call: (e: Env, bus: number, address: number) => number) => ({
  ok: () => call(env(), 1, 0x48),
  "invalid-arg": () => call(env(), 1, 0x80),
  "not-permitted": () => call(none({ i2c: [{ bus: 1, address: 0x50 }] }), 1, 0x48),
  "not-found": () => call(none({ i2c: [{ bus: 2, address: 0x48 }] }), 2, 0x48),
  bus: () => i2cAt(env(), 100.5),
  "arbitration-loss": () => i2cAt(env(), 101.5),
  "nack-address": () => call(env(), 1, 0x49),
  "nack-data": () => env().h.i2c.write(1, 0x48, Uint8Array.of(7)),
  overrun: () => i2cAt(env(), 102.5),
  timeout: () => i2cAt(env(), 103.5),
  other: () => i2cAt(env(), 104.5),
});
TABLE["i2c.write"] = i2cTable((e, b, a) => e.h.i2c.write(b, a, Uint8Array.of(0)));
TABLE["i2c.read"] = i2cTable((e, b, a) => e.h.i2c.read(b, a, new Uint8Array(2)));
TABLE["i2c.write_read"] = i2cTable((e, b, a) => e.h.i2c.writeRead(b, a, Uint8Array.of(0), new Uint8Array(2)));
TABLE["spi.transfer"] = {
  ok: () => spiAt(env(), 1),
  "invalid-arg": () => env().h.spi.transfer(0, 0, Uint8Array.of(1, 2), new Uint8Array(1)),
  "not-permitted": () => none({}).h.spi.transfer(0, 0, Uint8Array.of(1), new Uint8Array(0)),
  "not-found": () => none({ spi: [{ bus: 0, cs: 3 }] }).h.spi.transfer(0, 3, Uint8Array.of(1), new Uint8Array(0)),
  overrun: () => spiAt(env(), 100.5),
  "mode-fault": () => spiAt(env(), 101.5),
  "frame-format": () => spiAt(env(), 102.5),
  timeout: () => spiAt(env(), 103.5),
  other: () => spiAt(env(), 104.5),
};

const lowered = lowerAbi(abi);
const PERIPHERALS = ["sensor", "gpio", "adc", "pwm", "i2c", "spi", "uart"];
const STATUS_BY_NAME = Object.fromEntries(Object.entries(STATUS_NAMES).map(([v, n]) => [n, Number(v)]));

describe("host implementations: every documented status is reachable", () => {
  for (const iface of lowered.interfaces.filter((i) => PERIPHERALS.includes(i.name))) {
    for (const fn of iface.functions) {
      const key = `${iface.name}.${fn.name}`;
      it(`${key} has an entry for exactly its documented statuses`, () => {
        expect(Object.keys(TABLE[key] ?? {}).sort()).toEqual([...fn.statuses].sort());
      });
      for (const status of fn.statuses) {
        const entry = TABLE[key]?.[status];
        if (entry && typeof entry !== "function") {
          it(`${key} → ${status}: only the generated glue produces it (${entry.unreachable})`, () => {
            expect(entry.unreachable.length).toBeGreaterThan(20);
          });
          continue;
        }
        it(`${key} → ${status}`, () => {
          expect(STATUS_NAMES[entry!()]).toBe(status);
          expect(STATUS_BY_NAME[status]).toBeDefined();
        });
      }
    }
  }
});
