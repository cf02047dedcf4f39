import { Status } from "fwx";
import { Mock } from "fwx/testing";
import { fwx_init, fwx_on_timer } from "../index";

const OUTPUT_PIN: u32 = 5;

describe("module", () => {
  beforeEach(() => {
    Mock.reset();
    Mock.sensor("ambient", 21.0);
    Mock.config("limit_c", "30");
  });

  test("starts and keeps the output off while below the limit", () => {
    expect(fwx_init()).toBe(0);
    Mock.advance(5_000, fwx_on_timer);
    expect(Mock.pinLevel(OUTPUT_PIN)).toBe(false);
    expect(Mock.telemetryCount()).toBe(0);
  });

  test("switches the output on above the limit and reports it once", () => {
    expect(fwx_init()).toBe(0);
    Mock.sensor("ambient", 31.5);
    Mock.advance(3_000, fwx_on_timer);
    expect(Mock.pinLevel(OUTPUT_PIN)).toBe(true);
    expect(Mock.telemetryCount()).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"temp_c":31.5,"on":true}');
  });

  test("refuses to start without its sensor", () => {
    Mock.removeSensor("ambient");
    expect(fwx_init()).toBe(1);
  });

  test("sampling allocates nothing (fwx build's stub runtime never frees)", () => {
    expect(fwx_init()).toBe(0);
    const before = Mock.allocations();
    for (let i = 0; i < 10; i++) {
      Mock.sensor("ambient", i % 2 == 0 ? 35.0 : 21.0);
      Mock.advance(1_000, fwx_on_timer);
    }
    expect(Mock.allocations() - before).toBe(0);
    expect(Mock.telemetryCount()).toBe(10);
  });

  test("keeps going when a read times out", () => {
    expect(fwx_init()).toBe(0);
    Mock.failNext("sensor.read", Status.Timeout);
    Mock.sensor("ambient", 35.0);
    Mock.advance(1_000, fwx_on_timer);
    expect(Mock.pinLevel(OUTPUT_PIN)).toBe(false);
    Mock.advance(1_000, fwx_on_timer);
    expect(Mock.pinLevel(OUTPUT_PIN)).toBe(true);
  });
});
