// The mock applies fwx.json's grants as a device does: a call outside them
// returns NotPermitted, with the device's detail, and changes nothing.
import { errorDetail, errorDetailLength, Gpio, I2c, Kv, PinMode, Sensor, Status, Telemetry, Timer } from "fwx";
import { Mock } from "fwx/testing";

function detail(): string {
  const out = new Uint8Array(128);
  errorDetail(out);
  return String.UTF8.decode(out.buffer.slice(0, <i32>errorDetailLength));
}

describe("calls outside the manifest's grants", () => {
  beforeEach(() => { Mock.reset(); });

  test("a publish outside the telemetry grant is not-permitted and sends nothing", () => {
    expect(Telemetry.publishString("thermo/relay", "on")).toBe(Status.NotPermitted);
    expect(detail()).toBe('telemetry.publish: "thermo/relay" is outside the grant other/#');
    expect(Mock.telemetryCount()).toBe(0);
    expect(Telemetry.publishString("other/relay", "on")).toBe(Status.Ok);
    expect(Mock.telemetryCount()).toBe(1);
  });

  test("a malformed topic is invalid-arg before the grant is looked at, as on a device", () => {
    expect(Telemetry.publishString("thermo/#", "on")).toBe(Status.InvalidArg);
  });

  test("a pin, or a mode, outside the gpio grant is not-permitted", () => {
    expect(Gpio.claim(6, PinMode.Output).status).toBe(Status.NotPermitted);
    expect(Gpio.claim(5, PinMode.Input).status).toBe(Status.NotPermitted);
    expect(detail()).toBe("gpio.claim: the module was not granted pin 5 as input");
    expect(Gpio.claim(5, PinMode.Output).status).toBe(Status.Ok);
  });

  test("a sensor outside the grant is not-permitted, even when the board has it", () => {
    Mock.sensor("ambient", 21.0);
    Mock.sensor("cold_room", 4.0);
    expect(Sensor.find("ambient").status).toBe(Status.NotPermitted);
    expect(Sensor.find("cold_room").status).toBe(Status.Ok);
  });

  test("a kind with no grant at all is not-permitted", () => {
    expect(I2c.read(1, 0x48, new Uint8Array(2))).toBe(Status.NotPermitted);
    expect(detail()).toBe("i2c.read: the module was not granted I2C bus 1 address 0x48");
  });

  test("timers and KV bytes are limited to what was granted", () => {
    expect(Timer.every(1, 1000)).toBe(Status.Ok);
    expect(Timer.every(2, 1000)).toBe(Status.NoSpace);
    expect(Kv.set("k", new Uint8Array(40))).toBe(Status.Ok);
    expect(Kv.set("j", new Uint8Array(40))).toBe(Status.NoSpace);
  });
});
