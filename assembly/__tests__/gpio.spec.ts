import { Edge, EventKind, Gpio, PinMode, Status } from "fwx";
import { Mock } from "fwx/testing";

describe("Gpio", () => {
  beforeEach(() => { Mock.reset(); });

  test("claim then write drives the pin", () => {
    const relay = Gpio.claim(5, PinMode.Output);
    expect(relay.status).toBe(Status.Ok);
    expect(relay.write(true)).toBe(Status.Ok);
    expect(Mock.pinLevel(5)).toBe(true);
    expect(relay.low()).toBe(Status.Ok);
    expect(Mock.pinLevel(5)).toBe(false);
    expect(Mock.callCount("gpio.write")).toBe(2);
  });

  test("a failed claim is remembered and returned by every call, without reaching the host", () => {
    Mock.failNext("gpio.claim", Status.NotPermitted);
    const relay = Gpio.claim(5, PinMode.Output);
    expect(relay.ok).toBe(false);
    expect(relay.write(true)).toBe(Status.NotPermitted);
    expect(relay.read()).toBe(Status.NotPermitted);
    expect(Mock.callCount("gpio.write")).toBe(0);
  });

  test("a pin claimed twice is busy", () => {
    expect(Gpio.claim(5, PinMode.Output).status).toBe(Status.Ok);
    expect(Gpio.claim(5, PinMode.Input).status).toBe(Status.Busy);
  });

  test("a missing pin is not found", () => {
    Mock.removePin(7);
    expect(Gpio.claim(7, PinMode.Input).status).toBe(Status.NotFound);
  });

  test("reads what is driven on an input, and watches edges", () => {
    const door = Gpio.claim(4, PinMode.InputPullUp);
    Mock.drivePin(4, true);
    expect(door.read()).toBe(Status.Ok);
    expect(door.level).toBe(true);
    expect(door.watch(Edge.Rising | Edge.Falling)).toBe(Status.Ok);
    expect(Mock.pinEdges(4)).toBe(3);
    expect(Mock.pinHandle(4)).toBe(door.handle);
    expect(EventKind.GpioEdge).toBe(1);
  });

  test("writing an input and watching an output are unsupported", () => {
    expect(Gpio.claim(4, PinMode.Input).write(true)).toBe(Status.Unsupported);
    expect(Gpio.claim(5, PinMode.Output).watch(Edge.Rising)).toBe(Status.Unsupported);
  });

  test("a released pin can be claimed again; the old object refuses further calls", () => {
    const pin = Gpio.claim(5, PinMode.Output);
    expect(pin.release()).toBe(Status.Ok);
    expect(pin.write(true)).toBe(Status.InvalidArg);
    expect(Mock.callCount("gpio.write")).toBe(0);
    expect(Gpio.claim(5, PinMode.Output).status).toBe(Status.Ok);
  });
});
