import { Clock, Config, Sensor, Status } from "fwx";
import { Mock } from "fwx/testing";

describe("Sensor", () => {
  beforeEach(() => { Mock.reset(); });

  test("find and read a named sensor with its timestamp", () => {
    Mock.sensor("cold_room", 9.5);
    Mock.advance(2_000);
    const s = Sensor.find("cold_room");
    expect(s.ok).toBe(true);
    expect(s.read()).toBe(Status.Ok);
    expect(s.value).toBe(9.5);
    expect(s.timestampUs).toBe(2_000_000);
    expect(Clock.nowMs()).toBe(2_000);
  });

  test("an unknown sensor is not found and reads return that status", () => {
    const s = Sensor.find("nope");
    expect(s.status).toBe(Status.NotFound);
    expect(s.read()).toBe(Status.NotFound);
    expect(s.readOr(-1.0)).toBe(-1.0);
  });

  test("a faulty sensor reports its status and keeps the last good value", () => {
    Mock.sensor("t", 3.0);
    const s = Sensor.find("t");
    s.read();
    Mock.sensorFault("t", Status.Timeout);
    expect(s.read()).toBe(Status.Timeout);
    expect(s.value).toBe(3.0);
  });

  test("info gives unit and range; a short buffer gets NoSpace and the size needed", () => {
    Mock.sensor("t", 0);
    Mock.sensorInfo("t", "°C", -40, 85);
    const s = Sensor.find("t");
    const unit = new Uint8Array(8);
    expect(s.info(unit)).toBe(Status.Ok);
    expect(s.unitLength).toBe(3);
    expect(String.UTF8.decodeUnsafe(unit.dataStart, 3)).toBe("°C");
    expect(s.min).toBe(-40);
    expect(s.max).toBe(85);
    expect(s.info(new Uint8Array(1))).toBe(Status.NoSpace);
    expect(s.unitLength).toBe(3);
  });

  test("a failed info reports no unit length, not what an earlier call left in the out-pointer", () => {
    Mock.sensor("t", 0);
    const s = Sensor.find("t");
    expect(s.handle).toBeGreaterThan(0);
    Mock.failNext("sensor.info", Status.Other);
    expect(s.info(new Uint8Array(8))).toBe(Status.Other);
    expect(s.unitLength).toBe(0);
  });
});

describe("Config", () => {
  beforeEach(() => { Mock.reset(); });

  test("numbers parse in place; malformed or missing values fall back to the default", () => {
    Mock.config("a", "-2.5");
    Mock.config("b", " 1e3 ");
    Mock.config("c", "8 C");
    Mock.config("d", "0.1");
    expect(Config.getNumber("a", 0)).toBe(-2.5);
    expect(Config.getNumber("b", 0)).toBe(1000);
    expect(Config.getNumber("c", 7)).toBe(7);
    expect(Config.lastStatus).toBe(Status.InvalidArg);
    expect(Config.getNumber("d", 0)).toBe(0.1);
    expect(Config.getNumber("missing", 4)).toBe(4);
    expect(Config.lastStatus).toBe(Status.NotFound);
  });

  test("unsigned integers reject negatives and fractions", () => {
    Mock.config("n", "300");
    Mock.config("neg", "-1");
    Mock.config("frac", "2.5");
    expect(Config.getU32("n", 0)).toBe(300);
    expect(Config.getU32("neg", 9)).toBe(9);
    expect(Config.getU32("frac", 9)).toBe(9);
  });

  test("booleans accept the usual words, case-insensitively", () => {
    Mock.config("a", "TRUE");
    Mock.config("b", "off");
    Mock.config("c", "maybe");
    expect(Config.getBool("a", false)).toBe(true);
    expect(Config.getBool("b", true)).toBe(false);
    expect(Config.getBool("c", true)).toBe(true);
  });

  test("booleans fold only letters: control characters are not digits", () => {
    Mock.config("ctl1", "\x11");
    Mock.config("ctl0", "\x10");
    expect(Config.getBool("ctl1", false)).toBe(false);
    expect(Config.lastStatus).toBe(Status.InvalidArg);
    expect(Config.getBool("ctl0", true)).toBe(true);
    expect(Config.lastStatus).toBe(Status.InvalidArg);
  });

  test("strings, including ones longer than the scratch buffer", () => {
    Mock.config("site", "Kühlhaus 3");
    expect(Config.getString("site", "")).toBe("Kühlhaus 3");
    const long = "x".repeat(200);
    Mock.config("long", long);
    expect(Config.getString("long", "")).toBe(long);
    expect(Config.getString("missing", "dflt")).toBe("dflt");
  });

  test("get reports NoSpace with the length needed", () => {
    Mock.config("k", "123456");
    expect(Config.get("k", new Uint8Array(3))).toBe(Status.NoSpace);
    expect(Config.valueLength).toBe(6);
  });

  test("a missing key reports length 0, not what an earlier call left in the out-pointer", () => {
    Mock.sensor("t", 0);
    expect(Sensor.find("t").handle).toBeGreaterThan(0);
    expect(Config.get("missing", new Uint8Array(8))).toBe(Status.NotFound);
    expect(Config.valueLength).toBe(0);
  });
});
