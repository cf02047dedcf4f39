import { describe, expect, it } from "vitest";
import { EventKind, Parity, PinMode, Status } from "../../src/abi/host.generated.js";
import { createGpioHost } from "../../src/agent/host/gpio.js";
import { createI2cHost } from "../../src/agent/host/i2c.js";
import { createPwmHost } from "../../src/agent/host/pwm.js";
import { createSensorHost } from "../../src/agent/host/sensor.js";
import { createSpiHost } from "../../src/agent/host/spi.js";
import { createUartHost } from "../../src/agent/host/uart.js";
import { withCrc } from "../../src/sim/modbus.js";
import { FakeContext } from "./fake-context.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { demoBoard, S } from "./helpers.js";

function demo() {
  const board = demoBoard();
  const ctx = new FakeContext("cold-chain", board.profile.grantable);
  return { board, ctx };
}

describe("host implementations on the demo board", () => {
  it("gpio: door edges from the trace become edge events at the exact times", () => {
    const { board, ctx } = demo();
    const gpio = createGpioHost(board.peripherals, ctx);
    const out = { handle: 0 };
    expect(gpio.claim(2, PinMode.inputPullUp, out)).toBe(Status.ok);
    expect(gpio.watch(out.handle, 3)).toBe(Status.ok);
    const times: bigint[] = [];
    for (let next = board.nextEventAt(); next !== null && next <= S(15 * 3600); next = board.nextEventAt()) {
      board.advanceTo(next);
      times.push(next);
    }
    // Door opened 08:15 for 70 s, 11:30 for 45 s, left open 14:05..14:52.
    expect(times).toEqual([S(29700), S(29770), S(41400), S(41445), S(50700), S(53520)]);
    expect(ctx.posted).toEqual([1, 0, 1, 0, 1, 0].map((arg) => ({ kind: EventKind.gpioEdge, handle: out.handle, arg })));
    expect(ctx.events.filter((e) => e.edge)[0]).toEqual({ kind: "gpio", pin: 2, name: "door_switch", edge: "rising", level: 1 });
    ctx.now = S(51000);
    const level = { level: false };
    gpio.read(out.handle, level);
    expect(level.level).toBe(true);
  });

  it("gpio: output writes are logged with the output's name; claims are released on stop", () => {
    const { board, ctx } = demo();
    const gpio = createGpioHost(board.peripherals, ctx);
    const out = { handle: 0 };
    gpio.claim(6, PinMode.output, out);
    gpio.write(out.handle, true);
    gpio.write(out.handle, true); // no change, no log line
    expect(ctx.events).toEqual([
      { kind: "gpio", pin: 6, name: "buzzer", mode: "output", level: 0 },
      { kind: "gpio", pin: 6, name: "buzzer", level: 1 },
    ]);
    expect(ctx.claims.owner("gpio:6")).toBe("cold-chain");
    ctx.stop();
    expect(ctx.claims.owner("gpio:6")).toBeUndefined();
    expect(board.pin(6)!.mode).toBeNull();
  });

  it("pwm: duty changes are logged; stop releases the channel", () => {
    const { board, ctx } = demo();
    const pwm = createPwmHost(board.peripherals, ctx);
    const out = { handle: 0 };
    pwm.open(0, 25000, out);
    pwm.setDuty(out.handle, 0.75);
    expect(ctx.events.at(-1)).toEqual({ kind: "pwm", channel: 0, name: "evaporator_fan", duty: 0.75 });
    ctx.stop();
    expect(ctx.claims.owner("pwm:0")).toBeUndefined();
    expect(board.pwm(0)!.duty).toBe(0);
  });

  it("sensor: find twice gives one handle; reads carry the module's time", () => {
    const { board, ctx } = demo();
    const sensor = createSensorHost(board.peripherals, ctx);
    const a = { handle: 0 };
    const b = { handle: 0 };
    sensor.find("cold_room", a);
    sensor.find("cold_room", b);
    expect(a.handle).toBe(b.handle);
    ctx.now = S(53000);
    const r = { value: 0, timestampUs: 0n };
    expect(sensor.read(a.handle, r)).toBe(Status.ok);
    expect(r.timestampUs).toBe(S(53000));
    expect(r.value).toBeGreaterThan(10); // door left open
  });

  it("i2c and spi traffic is summarised in the event log", () => {
    const { board, ctx } = demo();
    ctx.now = S(53000);
    const rx = new Uint8Array(2);
    expect(createI2cHost(board.peripherals, ctx).writeRead(1, 0x48, Uint8Array.of(0), rx)).toBe(Status.ok);
    expect(ctx.events[0]).toMatchObject({ kind: "i2c", bus: 1, address: "0x48", device: "cold_room_tmp102", op: "write_read", tx: "00", status: "ok" });
    expect(((rx[0]! << 8) | rx[1]!) >> 4).toBeGreaterThan(160); // > 10 °C
    createSpiHost(board.peripherals, ctx).transfer(0, 0, Uint8Array.of(1, 0x80, 0), new Uint8Array(3));
    expect(ctx.events[1]).toMatchObject({ kind: "spi", bus: 0, cs: 0, device: "pump_adc", tx: "01 80 00", status: "ok" });
  });

  it("uart: a Modbus request and its answer, as log entries and an rx event", () => {
    const { board, ctx } = demo();
    const uart = createUartHost(board.peripherals, ctx);
    const out = { handle: 0 };
    ctx.now = S(3600);
    board.advanceTo(ctx.now);
    expect(uart.open(1, 9600, Parity.even, 1, out)).toBe(Status.ok);
    const written = { written: 0 };
    expect(uart.write(out.handle, withCrc([1, 4, 0, 0, 0, 10]), written)).toBe(Status.ok);
    expect(ctx.events.at(-1)).toEqual({ kind: "uart", port: 1, dir: "tx", bytes: 8, hex: "01 04 00 00 00 0a 70 0d" });
    const next = board.nextEventAt()!;
    board.advanceTo(S(3601));
    expect(ctx.posted).toEqual([{ kind: EventKind.uartRx, handle: out.handle, arg: 25 }]);
    expect(ctx.events.at(-1)).toMatchObject({ kind: "uart", port: 1, dir: "rx", bytes: 25 });
    expect(next > S(3600)).toBe(true);
    ctx.now = S(3601);
    const rx = new Uint8Array(64);
    const got = { received: 0 };
    expect(uart.read(out.handle, rx, got)).toBe(Status.ok);
    expect(got.received).toBe(25);
    expect([...rx.subarray(0, 3)]).toEqual([1, 4, 20]);
  });

  it("claims are exclusive across modules and come back after close", () => {
    const board = demoBoard();
    const claims = new DeviceClaimRegistry();
    const a = new FakeContext("a", board.profile.grantable, claims);
    const b = new FakeContext("b", board.profile.grantable, claims);
    const ua = createUartHost(board.peripherals, a);
    const ub = createUartHost(board.peripherals, b);
    const out = { handle: 0 };
    expect(ua.open(2, 9600, Parity.none, 1, out)).toBe(Status.ok);
    expect(ub.open(2, 9600, Parity.none, 1, { handle: 0 })).toBe(Status.busy);
    expect(b.lastDetail).toBe("uart.open: port 2 (rs232) is open by module a");
    ua.close(out.handle);
    expect(ub.open(2, 9600, Parity.none, 1, { handle: 0 })).toBe(Status.ok);
  });
});

describe("determinism", () => {
  function run(seed?: number): string {
    const board = demoBoard(seed);
    const ctx = new FakeContext("m", board.profile.grantable);
    const sensor = createSensorHost(board.peripherals, ctx);
    const i2c = createI2cHost(board.peripherals, ctx);
    const uart = createUartHost(board.peripherals, ctx);
    const s = { handle: 0 };
    sensor.find("cold_room", s);
    const u = { handle: 0 };
    uart.open(2, 9600, Parity.none, 1, u);
    const log: unknown[] = [];
    for (let i = 1; i <= 200; i++) {
      ctx.now = S(i * 7.5);
      board.advanceTo(ctx.now);
      const r = { value: 0, timestampUs: 0n };
      sensor.read(s.handle, r);
      const rx = new Uint8Array(6);
      i2c.writeRead(1, 0x53, Uint8Array.of(0x32), rx);
      const line = new Uint8Array(32);
      const got = { received: 0 };
      uart.read(u.handle, line, got);
      log.push(r.value, [...rx], got.received);
    }
    return JSON.stringify(log);
  }

  it("the same profile, trace, seed and calls give identical results", () => {
    expect(run()).toBe(run());
    expect(run(7)).toBe(run(7));
  });

  it("a different seed gives different noise", () => {
    expect(run(7)).not.toBe(run(8));
  });
});
