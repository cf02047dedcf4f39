// The agent's real GPIO and sensor hosts (src/agent/host/gpio.ts, sensor.ts)
// with grants narrower than the board: the agent's other tests use a stand-in
// GPIO host, so grant and claim bugs would show only in simulator runs. Order
// of verdicts (sensor.ts, host-abi/gen/check-plan.ts): not-permitted (the
// grant) first, so a module learns nothing about hardware outside its grants;
// then not-found and unsupported for a grant naming what the board lacks;
// then busy (another module's claim).

import { describe, expect, it } from "vitest";
import { PinMode, Status } from "../../src/abi/host.generated.js";
import { DeviceClaimRegistry } from "../../src/agent/handles.js";
import { createGpioHost } from "../../src/agent/host/gpio.js";
import { createSensorHost } from "../../src/agent/host/sensor.js";
import type { Capabilities } from "../../src/caps/capabilities.js";
import { FakeContext } from "../sim/fake-context.js";
import { demoBoard } from "../sim/helpers.js";

// Demo board: pin 2 door_switch (input, input-pull-up), pin 6 buzzer (output),
// pin 7 led_alarm (output, output-open-drain); sensors cold_room, ambient.
const GRANT: Capabilities = { sensors: ["cold_room"], gpio: [{ pin: 6, modes: ["output"] }, { pin: 2, modes: ["input"] }] };

function setup(caps: Capabilities = GRANT) {
  const board = demoBoard();
  const claims = new DeviceClaimRegistry();
  const a = new FakeContext("a", caps, claims);
  const b = new FakeContext("b", caps, claims);
  return { board, claims, a, b, gpioA: createGpioHost(board.peripherals, a), gpioB: createGpioHost(board.peripherals, b) };
}

describe("gpio host: grants", () => {
  it("a granted pin in a granted mode is claimed; the same pin in another mode is not-permitted", () => {
    const { gpioA, a } = setup();
    const out = { handle: 0 };
    expect(gpioA.claim(2, PinMode.inputPullUp, out)).toBe(Status.notPermitted);
    expect(a.lastDetail).toMatch(/not granted pin 2 as input-pull-up/);
    expect(gpioA.claim(2, PinMode.input, out)).toBe(Status.ok);
    expect(out.handle).not.toBe(0);
  });

  it("a pin the board has but the module was not granted is not-permitted, and nothing is claimed", () => {
    const { gpioA, a, claims } = setup();
    expect(gpioA.claim(7, PinMode.output, { handle: 0 })).toBe(Status.notPermitted);
    expect(a.lastDetail).toMatch(/module a was not granted pin 7/);
    expect(claims.owner("gpio:7")).toBeUndefined();
  });

  it("a granted pin the board lacks is not-found and a granted mode the pin lacks is unsupported; ungranted pins are not-permitted, existing or not", () => {
    const { gpioA, a } = setup({ gpio: [{ pin: 99, modes: ["output"] }, { pin: 6, modes: ["input"] }] });
    expect(gpioA.claim(99, PinMode.output, { handle: 0 })).toBe(Status.notFound);
    expect(a.lastDetail).toMatch(/no pin 99/);
    expect(gpioA.claim(6, PinMode.input, { handle: 0 })).toBe(Status.unsupported);
    expect(gpioA.claim(42, PinMode.output, { handle: 0 })).toBe(Status.notPermitted);
    expect(gpioA.claim(7, PinMode.output, { handle: 0 })).toBe(Status.notPermitted);
  });

  it("no gpio grant at all refuses every pin", () => {
    const { gpioA } = setup({});
    expect(gpioA.claim(6, PinMode.output, { handle: 0 })).toBe(Status.notPermitted);
    expect(gpioA.claim(2, PinMode.input, { handle: 0 })).toBe(Status.notPermitted);
  });
});

describe("gpio host: exclusive claims", () => {
  it("a pin claimed by one module is busy for another, and for the same module a second time", () => {
    const { gpioA, gpioB, b, claims } = setup();
    const out = { handle: 0 };
    expect(gpioA.claim(6, PinMode.output, out)).toBe(Status.ok);
    expect(claims.owner("gpio:6")).toBe("a");
    expect(gpioB.claim(6, PinMode.output, { handle: 0 })).toBe(Status.busy);
    expect(b.lastDetail).toMatch(/pin 6 \(buzzer\) is claimed by .*\ba\b/);
    expect(gpioA.claim(6, PinMode.output, { handle: 0 })).toBe(Status.busy);
  });

  it("release frees the pin for the other module; the released handle is gone", () => {
    const { gpioA, gpioB, a, claims } = setup();
    const out = { handle: 0 };
    gpioA.claim(6, PinMode.output, out);
    expect(gpioA.release(out.handle)).toBe(Status.ok);
    expect(claims.owner("gpio:6")).toBeUndefined();
    expect(a.handles.get("gpio.pin", out.handle)).toBeUndefined();
    const outB = { handle: 0 };
    expect(gpioB.claim(6, PinMode.output, outB)).toBe(Status.ok);
    expect(claims.owner("gpio:6")).toBe("b");
  });

  it("stopping a module releases every pin it holds, and the pin returns to no mode", () => {
    const { board, gpioA, gpioB, a, claims } = setup();
    gpioA.claim(6, PinMode.output, { handle: 0 });
    gpioA.claim(2, PinMode.input, { handle: 0 });
    expect(board.pin(6)!.mode).toBe("output");
    a.stop();
    expect(claims.owner("gpio:6")).toBeUndefined();
    expect(claims.owner("gpio:2")).toBeUndefined();
    expect(board.pin(6)!.mode).toBeNull();
    expect(gpioB.claim(6, PinMode.output, { handle: 0 })).toBe(Status.ok);
  });

  it("a refused claim leaves another module's claim alone", () => {
    const { gpioA, gpioB, claims } = setup({ gpio: [{ pin: 6, modes: ["output"] }] });
    gpioA.claim(6, PinMode.output, { handle: 0 });
    expect(gpioB.claim(6, PinMode.output, { handle: 0 })).toBe(Status.busy);
    expect(claims.owner("gpio:6")).toBe("a");
  });
});

describe("sensor host: grants", () => {
  it("a granted sensor is found; one not granted is not-permitted, whether the board has it or not", () => {
    const board = demoBoard();
    const ctx = new FakeContext("a", GRANT);
    const sensor = createSensorHost(board.peripherals, ctx);
    const out = { handle: 0 };
    expect(sensor.find("cold_room", out)).toBe(Status.ok);
    expect(out.handle).not.toBe(0);
    expect(sensor.find("ambient", { handle: 0 })).toBe(Status.notPermitted);
    expect(ctx.lastDetail).toMatch(/not granted sensor ambient/);
    expect(sensor.find("no_such_sensor", { handle: 0 })).toBe(Status.notPermitted);
    expect(sensor.find("", { handle: 0 })).toBe(Status.invalidArg);
  });

  it("no sensor grant refuses every sensor; a grant naming a sensor the board lacks is still not-found", () => {
    const board = demoBoard();
    const none = createSensorHost(board.peripherals, new FakeContext("a", {}));
    expect(none.find("cold_room", { handle: 0 })).toBe(Status.notPermitted);
    const ghost = createSensorHost(board.peripherals, new FakeContext("b", { sensors: ["ghost"] }));
    expect(ghost.find("ghost", { handle: 0 })).toBe(Status.notFound);
  });

  it("sensors are shared, not claimed: two modules find and read the same sensor", () => {
    const board = demoBoard();
    const claims = new DeviceClaimRegistry();
    const a = new FakeContext("a", GRANT, claims);
    const b = new FakeContext("b", GRANT, claims);
    const ha = { handle: 0 }, hb = { handle: 0 };
    expect(createSensorHost(board.peripherals, a).find("cold_room", ha)).toBe(Status.ok);
    expect(createSensorHost(board.peripherals, b).find("cold_room", hb)).toBe(Status.ok);
    const value = { value: 0, timestampUs: 0n };
    expect(createSensorHost(board.peripherals, b).read(hb.handle, value)).toBe(Status.ok);
    expect(Number.isFinite(value.value)).toBe(true);
  });
});
