import { Json, Kv, Log, LogLevel, Sensor, Status, Telemetry, Timer, errorDetail, errorDetailLength, statusName } from "fwx";
import { Mock } from "fwx/testing";

function bytes(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

describe("Telemetry and Json", () => {
  beforeEach(() => { Mock.reset(); });

  test("publishes a JSON object built without allocation", () => {
    Json.begin().num("temp_c", 9.456, 2).int("n", -42).bool("open", true).bool("shut", false).str("note", "a \"q\"\n°");
    expect(Telemetry.publishJson("cold-chain/alarm")).toBe(Status.Ok);
    expect(Mock.telemetryTopic()).toBe("cold-chain/alarm");
    expect(Mock.lastTelemetry()).toBe('{"temp_c":9.46,"n":-42,"open":true,"shut":false,"note":"a \\"q\\"\\u000a°"}');
  });

  test("uint writes all 64 unsigned bits, beyond what int can", () => {
    Json.begin().uint("max", u64.MAX_VALUE).uint("zero", 0).uint("reg", <u64>0xdeadbeef);
    expect(Telemetry.publishJson("t")).toBe(Status.Ok);
    expect(Mock.lastTelemetry()).toBe('{"max":18446744073709551615,"zero":0,"reg":3735928559}');
  });

  test("strings are UTF-8 with every control character escaped; lone surrogates become U+FFFD", () => {
    Json.begin().str("s", "t\there\x1f ✓ 😀 " + String.fromCharCode(0xd800) + "\\").str("k\"ey", "");
    expect(Telemetry.publishJson("t")).toBe(Status.Ok);
    expect(Mock.lastTelemetry()).toBe('{"s":"t\\u0009here\\u001f ✓ 😀 \uFFFD\\\\","k\\"ey":""}');
  });

  test("an overflow inside a string is refused like any other", () => {
    const j = Json.begin();
    j.str("a", "é".repeat(500));
    expect(Json.overflow).toBe(false);
    j.str("b", "é".repeat(20));
    expect(Json.overflow).toBe(true);
    expect(Json.length).toBeLessThanOrEqual(<usize>1024);
    expect(Telemetry.publishJson("t")).toBe(Status.NoSpace);
  });

  test("a static text value (length byte, then UTF-8; what fwx build passes for a literal-valued function) reads as the string", () => {
    const text = memory.data<u8>([5, 0x44, 0x20, 0xe2, 0x9c, 0x93]);
    const key = memory.data<u8>([0x22, 0x7a, 0x22, 0x3a]); // "z":
    Json.begin().int("n", 1).strTextStatic(key, 4, text).bool("b", true);
    Telemetry.publishJson("t");
    const viaText = Mock.lastTelemetry();
    Json.begin().int("n", 1).str("z", "D ✓").bool("b", true);
    Telemetry.publishJson("t");
    expect(viaText).toBe(Mock.lastTelemetry());
    expect(viaText).toBe('{"n":1,"z":"D ✓","b":true}');
  });

  test("a static text value that does not fit is refused like any other overflow", () => {
    const text = memory.data<u8>([3, 0x61, 0x62, 0x63]);
    const key = memory.data<u8>([0x22, 0x7a, 0x22, 0x3a]);
    const j = Json.begin();
    j.str("a", "é".repeat(506)); // 1,019 of the 1,024 bytes: the comma and the 4-byte key fit, the quoted value does not
    j.strTextStatic(key, 4, text);
    expect(Json.overflow).toBe(true);
    expect(Telemetry.publishJson("t")).toBe(Status.NoSpace);
  });

  test("non-finite numbers become null; rounding carries into the integer part", () => {
    Json.begin().num("a", NaN).num("b", 1.999, 2).num("c", -0.004, 2);
    Telemetry.publishJson("t");
    expect(Mock.lastTelemetry()).toBe('{"a":null,"b":2.00,"c":0.00}');
  });

  test("an overflowing message is refused with NoSpace and not sent", () => {
    const j = Json.begin();
    for (let i = 0; i < 100; i++) j.str("key", "0123456789");
    expect(Telemetry.publishJson("t")).toBe(Status.NoSpace);
    expect(Mock.telemetryCount()).toBe(0);
  });

  test("a bad topic is invalid-arg; a forced Busy comes back as is", () => {
    expect(Telemetry.publishString("a+b", "x")).toBe(Status.InvalidArg);
    Mock.failNext("telemetry.publish", Status.Busy);
    expect(Telemetry.publish("t", bytes("x"))).toBe(Status.Busy);
    expect(Mock.lastStatus("telemetry.publish")).toBe(Status.Busy);
  });
});

describe("Kv", () => {
  beforeEach(() => { Mock.reset(); });

  test("u32 and f64 values round-trip; missing keys give the fallback", () => {
    expect(Kv.getU32("count", 7)).toBe(7);
    expect(Kv.setU32("count", 41)).toBe(Status.Ok);
    expect(Kv.getU32("count", 0)).toBe(41);
    expect(Mock.kvU32("count", 0)).toBe(41);
    Kv.setF64("t", -3.25);
    expect(Kv.getF64("t", 0)).toBe(-3.25);
  });

  test("bytes, strings, NoSpace with the size needed, delete", () => {
    Kv.setString("name", "cold room");
    const small = new Uint8Array(4);
    expect(Kv.get("name", small)).toBe(Status.NoSpace);
    expect(Kv.valueLength).toBe(9);
    expect(Kv.delete("name")).toBe(Status.Ok);
    expect(Kv.delete("name")).toBe(Status.NotFound);
  });

  test("a missing key reports length 0, not what an earlier call left in the out-pointer", () => {
    Mock.sensor("t", 0);
    expect(Sensor.find("t").handle).toBeGreaterThan(0);
    expect(Kv.get("missing", new Uint8Array(8))).toBe(Status.NotFound);
    expect(Kv.valueLength).toBe(0);
  });

  test("keys over 32 bytes are invalid; the quota is enforced", () => {
    expect(Kv.setU32("k".repeat(33), 1)).toBe(Status.InvalidArg);
    Mock.kvQuota(8);
    expect(Kv.set("key", new Uint8Array(10))).toBe(Status.NoSpace);
  });
});

describe("Timer, Log, errors", () => {
  beforeEach(() => { Mock.reset(); });

  test("periodic and one-shot timers; cancelling an unknown one is NotFound", () => {
    expect(Timer.every(1, 100)).toBe(Status.Ok);
    expect(Timer.after(2, 250)).toBe(Status.Ok);
    expect(Mock.timerPeriodic(1)).toBe(true);
    expect(Mock.advance(1_000)).toBe(11);
    expect(Mock.timerRunning(2)).toBe(false);
    expect(Timer.cancel(2)).toBe(Status.NotFound);
    expect(Timer.start(3, 0, false)).toBe(Status.InvalidArg);
    Mock.timerLimit(1);
    expect(Timer.after(4, 10)).toBe(Status.NoSpace);
  });

  test("log lines are recorded by level", () => {
    Log.info("hello");
    Log.warn("careful");
    expect(Mock.logCount()).toBe(2);
    expect(Mock.logCount(LogLevel.Warn)).toBe(1);
    expect(Mock.logMessage()).toBe("careful");
  });

  test("error detail explains the last failure", () => {
    Mock.failNext("kv.delete", Status.Other);
    expect(Kv.delete("x")).toBe(Status.Other);
    const buf = new Uint8Array(64);
    expect(errorDetail(buf)).toBe(Status.Ok);
    expect(String.UTF8.decodeUnsafe(buf.dataStart, errorDetailLength)).toBe("forced by the spec");
    expect(statusName(Status.NackAddress)).toBe("nack-address");
  });
});
