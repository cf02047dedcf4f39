// What docs/sdk.md promises: after start-up, the SDK's calls allocate
// nothing, because `fwx build` links the stub runtime, which never frees.
// Each test opens what it needs first (opening allocates one object), then
// counts the module's heap allocations around many calls.
import {
  Adc, Clock, Config, Gpio, I2c, Json, Kv, Log, LogLevel, PinMode, Pwm, Sensor, Spi, Status, Telemetry, Timer, Uart, errorDetail,
} from "fwx";
import { Mock } from "fwx/testing";

const ROUNDS = 50;

describe("allocations", () => {
  beforeEach(() => { Mock.reset(); });

  test("Mock.allocations sees an allocation: string concatenation", () => {
    const n: i32 = <i32>Mock.nowMs() + 5;
    const before = Mock.allocations();
    const text = "n=" + n.toString();
    const after = Mock.allocations();
    expect(text).toBe("n=5");
    expect(after - before).toBeGreaterThan(0);
  });

  test("log lines, JSON messages and telemetry allocate nothing", () => {
    const v: f64 = 229.456;
    // The line writer is one empty object, made by the first Log.line() of a module's life.
    Log.line(LogLevel.Debug).send();
    const before = Mock.allocations();
    for (let i: u32 = 0; i < <u32>ROUNDS; i++) {
      Log.line(LogLevel.Info).str("poll ").uint(i).str(": ").num(v, 1).str(" V, flags ").hex(i, 4).send();
      Log.info("door opened");
      Json.begin().num("v", v, 1).int("n", i).str("state", "ok").bool("alarm", false);
      Telemetry.publishJson("meter/reading");
      Telemetry.publishString("meter/note", "steady");
    }
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    expect(Mock.logCount()).toBe(1 + 2 * ROUNDS);
    expect(Mock.telemetryCount()).toBe(2 * ROUNDS);
  });

  test("sensors, pins, ADC, PWM, timers, the clock and errorDetail allocate nothing", () => {
    Mock.sensor("cold_room", 4.5);
    Mock.adcChannel(0, 1000);
    const sensor = Sensor.find("cold_room");
    const relay = Gpio.claim(5, PinMode.Output);
    const door = Gpio.claim(2, PinMode.InputPullUp);
    const adc = Adc.open(0);
    const fan = Pwm.open(1, 25_000);
    const detail = new Uint8Array(64);
    Mock.failNext("sensor.read", Status.Timeout);
    const before = Mock.allocations();
    let sum: f64 = 0;
    for (let i = 0; i < ROUNDS; i++) {
      sensor.read();
      sum += sensor.readOr(0);
      relay.write((i & 1) == 0);
      door.isHigh();
      adc.read();
      fan.setDuty(0.5);
      Timer.after(1, 100);
      Timer.cancel(1);
      sum += <f64>Clock.nowMs();
      errorDetail(detail);
    }
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    // The clock stands still at 0; readOr still reads after the forced timeout.
    expect(sum).toBe(4.5 * ROUNDS);
    expect(sensor.value).toBe(4.5);
  });

  test("KV and the typed configuration getters allocate nothing", () => {
    Mock.config("threshold_c", "8.5");
    Mock.config("period_s", "10");
    Mock.config("enabled", "yes");
    const buf = new Uint8Array(16);
    const before = Mock.allocations();
    let total: f64 = 0;
    for (let i: u32 = 0; i < <u32>ROUNDS; i++) {
      total += Config.getNumber("threshold_c", 0);
      total += <f64>Config.getU32("period_s", 0);
      if (Config.getBool("enabled", false)) total += 1;
      Config.get("threshold_c", buf);
      Kv.setU32("count", i);
      total += <f64>Kv.getU32("count", 0);
      Kv.setF64("last", 1.5);
      Kv.setString("name", "pump 1");
      Kv.get("name", buf);
    }
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    expect(total).toBe(<f64>ROUNDS * 19.5 + <f64>(ROUNDS * (ROUNDS - 1) / 2));
  });

  test("I2C, SPI and UART transfers with buffers made once allocate nothing", () => {
    Mock.i2cDevice(1, 0x48, new Uint8Array(4));
    Mock.spiDevice(0, 1, new Uint8Array(2));
    const port = Uart.open(1, 9600);
    const tx = new Uint8Array(2);
    const rx = new Uint8Array(2);
    const frame = new Uint8Array(32);
    const incoming = new Uint8Array(3);
    const before = Mock.allocations();
    for (let i = 0; i < ROUNDS; i++) {
      I2c.writeRead(1, 0x48, tx, rx);
      I2c.write(1, 0x48, tx);
      Spi.transfer(0, 1, tx, rx);
      port.write(tx);
      port.writeString("AT\r");
      Mock.uartReceive(1, incoming);
      port.read(frame);
      port.readAt(frame, 4);
      port.readInto(frame.dataStart, 8);
    }
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    expect(Mock.callCount("uart.read")).toBe(3 * ROUNDS);
  });

  test("a name too long for the static buffer is passed whole (one allocation), so the host can refuse it", () => {
    const topic = "t".repeat(200);
    const before = Mock.allocations();
    const s = Telemetry.publishString(topic, "x");
    const after = Mock.allocations();
    expect(s).toBe(Status.InvalidArg);
    expect(after - before).toBe(1);
    expect(Mock.telemetryCount()).toBe(0);
  });

  test("opening a sensor, a pin or a port allocates its object: do it once, at init", () => {
    Mock.sensor("cold_room", 4.5);
    const before = Mock.allocations();
    const sensor = Sensor.find("cold_room");
    const pin = Gpio.claim(5, PinMode.Output);
    const after = Mock.allocations();
    expect(sensor.ok && pin.ok).toBe(true);
    expect(after - before).toBe(2);
  });
});
