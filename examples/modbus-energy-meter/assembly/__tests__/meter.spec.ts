import { EventKind, LogLevel, Parity, Status, StopBits } from "fwx";
import { Mock } from "fwx/testing";
import { fwx_deinit, fwx_health, fwx_init, fwx_on_event, fwx_on_timer } from "../index";
import { InitError, Meter, POLL_TIMER, REPLY_TIMER, UART_PORT } from "../meter";
import { crc16Of } from "../crc16";
import { Verdict } from "../frame";
import { TOPIC_ALARM, TOPIC_INFO, TOPIC_READING } from "../publisher";

// Frames as the demo board's meter sends them (cross-checked in frame.spec.ts).
const IDENTIFY_OK: u8[] = [0x01, 0x03, 0x06, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x01, 0xe5, 0x74];
const EXCEPTION_02: u8[] = [0x01, 0x84, 0x02, 0xc2, 0xc1];
const EXCEPTION_04: u8[] = [0x01, 0x84, 0x04, 0x42, 0xc3];

function frame(values: u8[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

function pushF32(out: u8[], v: f32): void {
  const bits = reinterpret<u32>(v);
  out.push(<u8>(bits >> 24));
  out.push(<u8>(bits >> 16));
  out.push(<u8>(bits >> 8));
  out.push(<u8>bits);
}

/** A measurement response from unit 1, CRC appended. */
function measurement(voltage: f32, current: f32, power: f32, energy: f32, hz: f32): Uint8Array {
  const b: u8[] = [0x01, 0x04, 20];
  pushF32(b, voltage);
  pushF32(b, current);
  pushF32(b, power);
  pushF32(b, energy);
  pushF32(b, hz);
  const out = frame(b.concat([0, 0]));
  const crc = crc16Of(out, b.length);
  out[b.length] = <u8>crc;
  out[b.length + 1] = <u8>(crc >> 8);
  return out;
}

/** The meter's bytes arrive; the host raises the rx event for the module's port. */
function receive(bytes: Uint8Array): void {
  const waiting = Mock.uartReceive(UART_PORT, bytes);
  fwx_on_event(EventKind.UartRx, Mock.uartHandle(UART_PORT), <u32>waiting);
}

/** Bytes the module has sent so far. */
function sentLength(): i32 {
  const s = Mock.uartSent(UART_PORT);
  return s === null ? 0 : s.length;
}

/** Byte `i` of the last 8-byte request. */
function lastRequest(i: i32): u8 {
  const s = Mock.uartSent(UART_PORT)!;
  return s[s.length - 8 + i];
}

function count(topic: string): i32 {
  let n = 0;
  for (let i = 0; i < Mock.telemetryCount(); i++) if (Mock.telemetryTopic(i) == topic) n++;
  return n;
}

/** Started and identified: the next request on the line is a measurement. */
function online(): void {
  Mock.reset();
  expect(fwx_init()).toBe(0);
  receive(frame(IDENTIFY_OK));
}

describe("start-up", () => {
  test("opens the RS-485 port, identifies the meter with FC03 and polls every 10 s", () => {
    Mock.reset();
    expect(fwx_init()).toBe(0);
    expect(Mock.callCount("uart.open")).toBe(1);
    // fwx.json's defaults: 9600 baud, 8E1 (the Modbus RTU default framing).
    expect(Mock.uartBaud(UART_PORT)).toBe(9600);
    expect(Mock.uartParity(UART_PORT)).toBe(Parity.Even);
    expect(Mock.uartStopBits(UART_PORT)).toBe(StopBits.One);
    expect(sentLength()).toBe(8);
    const expected = frame([0x01, 0x03, 0x00, 0x00, 0x00, 0x03, 0x05, 0xcb]);
    for (let i = 0; i < 8; i++) expect(lastRequest(i)).toBe(expected[i]);
    expect(Mock.timerPeriodMs(POLL_TIMER)).toBe(10_000);
    expect(Mock.timerPeriodic(POLL_TIMER)).toBe(true);
    expect(Mock.timerRunning(REPLY_TIMER)).toBe(true);
    expect(Mock.timerPeriodMs(REPLY_TIMER)).toBe(200);
  });

  test("fails to start when the port is taken", () => {
    Mock.reset();
    Mock.failNext("uart.open", Status.Busy);
    expect(fwx_init()).toBe(InitError.PortUnavailable);
    expect(Mock.logCount(LogLevel.Error)).toBe(1);
  });

  test("fails to start without a poll timer, and sends nothing", () => {
    Mock.reset();
    Mock.timerLimit(0);
    expect(fwx_init()).toBe(InitError.TimerUnavailable);
    expect(sentLength()).toBe(0);
    expect(fwx_health()).toBe(1);
  });

  test("opens the port with the configured line settings", () => {
    Mock.reset();
    Mock.config("baud", "19200");
    Mock.config("parity", "none");
    Mock.config("stop_bits", "2");
    expect(fwx_init()).toBe(0);
    expect(Mock.uartBaud(UART_PORT)).toBe(19200);
    expect(Mock.uartParity(UART_PORT)).toBe(Parity.None);
    expect(Mock.uartStopBits(UART_PORT)).toBe(StopBits.Two);
    expect(Mock.logMessage(0)).toBe("meter unit 1 on UART 1 at 19200 8N2, polling every 10 s");
  });

  test("an unknown parity falls back to even, with a warning", () => {
    Mock.reset();
    Mock.config("parity", "mark");
    expect(fwx_init()).toBe(0);
    expect(Mock.uartParity(UART_PORT)).toBe(Parity.Even);
    expect(Mock.logCount(LogLevel.Warn)).toBe(1);
  });

  test("takes the poll period and timeout from the configuration", () => {
    Mock.reset();
    Mock.config("poll_period_s", "30");
    Mock.config("response_timeout_ms", "500");
    expect(fwx_init()).toBe(0);
    expect(Mock.timerPeriodMs(POLL_TIMER)).toBe(30_000);
    expect(Mock.timerPeriodMs(REPLY_TIMER)).toBe(500);
  });

  test("the identification publishes the meter's settings and is followed by an FC04 read", () => {
    online();
    expect(count(TOPIC_INFO)).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"unit_id":1,"demand_period_min":15,"ct_ratio":1}');
    expect(sentLength()).toBe(16);
    const expected = frame([0x01, 0x04, 0x00, 0x00, 0x00, 0x0a, 0x70, 0x0d]);
    for (let i = 0; i < 8; i++) expect(lastRequest(i)).toBe(expected[i]);
  });
});

describe("readings", () => {
  test("a valid response is published with its values", () => {
    online();
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    expect(count(TOPIC_READING)).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"voltage_v":229.5,"current_a":12.25,"power_w":2810,"energy_kwh":18342.500,"frequency_hz":50.01}');
    expect(Mock.timerRunning(REPLY_TIMER)).toBe(false);
    expect(fwx_health()).toBe(0);
  });

  test("a response split over two rx events is assembled", () => {
    online();
    const whole = measurement(230.1, 5.5, 1200, 10.0, 50.0);
    const first = new Uint8Array(9);
    const rest = new Uint8Array(whole.length - 9);
    for (let i = 0; i < 9; i++) first[i] = whole[i];
    for (let i = 9; i < whole.length; i++) rest[i - 9] = whole[i];
    receive(first);
    expect(count(TOPIC_READING)).toBe(0);
    receive(rest);
    expect(count(TOPIC_READING)).toBe(1);
  });

  test("the next poll sends the next request", () => {
    online();
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    Mock.advance(10_000, fwx_on_timer);
    expect(sentLength()).toBe(24);
    expect(lastRequest(1)).toBe(0x04);
  });

  test("a response arriving byte by byte is assembled in place", () => {
    online();
    const whole = measurement(229.5, 12.25, 2810, 18342.5, 50.01);
    const one = new Uint8Array(1);
    for (let i = 0; i < whole.length; i++) {
      one[0] = whole[i];
      receive(one);
    }
    expect(count(TOPIC_READING)).toBe(1);
    expect(Meter.current!.frameLength).toBe(whole.length);
  });

  test("more bytes than any response can have fail the attempt as a bad length", () => {
    online();
    receive(new Uint8Array(80));
    expect(count(TOPIC_READING)).toBe(0);
    expect(Meter.current!.lastFailure).toBe(Verdict.BadLength);
    expect(Mock.timerRunning(REPLY_TIMER)).toBe(true);
    expect(Mock.timerPeriodMs(REPLY_TIMER)).toBe(5);
  });

  test("polling, answering and publishing allocate nothing (the stub runtime never frees)", () => {
    online();
    const reply = measurement(229.5, 12.25, 2810, 18342.5, 50.01);
    const half = new Uint8Array(10);
    const rest = new Uint8Array(reply.length - 10);
    for (let i = 0; i < reply.length; i++) {
      if (i < 10) half[i] = reply[i];
      else rest[i - 10] = reply[i];
    }
    receive(reply);
    const before = Mock.allocations();
    for (let i = 0; i < 50; i++) {
      Mock.advance(10_000, fwx_on_timer);
      receive(half);
      receive(rest);
    }
    // A timed-out poll with its retries and warning lines, too.
    Mock.advance(10_000, fwx_on_timer);
    Mock.advance(1_000, fwx_on_timer);
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    expect(count(TOPIC_READING)).toBe(51);
    expect(Mock.logCount(LogLevel.Warn)).toBeGreaterThanOrEqual(3);
  });

  test("bytes arriving while no request is out are discarded", () => {
    online();
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    receive(measurement(100, 99, 1, 1, 50));
    expect(count(TOPIC_READING)).toBe(1);
    expect(Meter.current!.strayBytes).toBe(25);
  });
});

describe("errors and retries", () => {
  test("a bad CRC is retried after the line has been silent, and nothing is published", () => {
    online();
    const bad = measurement(229.5, 12.25, 2810, 18342.5, 50.01);
    bad[7] ^= 0x01;
    receive(bad);
    expect(count(TOPIC_READING)).toBe(0);
    expect(sentLength()).toBe(16);
    // 3.5 characters of 11 bits at 9600 baud: 4.01 ms, so the retry goes out at 5 ms.
    Mock.advance(5, fwx_on_timer);
    expect(sentLength()).toBe(24);
    expect(lastRequest(1)).toBe(0x04);
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    expect(count(TOPIC_READING)).toBe(1);
    expect(count(TOPIC_ALARM)).toBe(0);
  });

  test("a timeout is retried, and after the last retry the meter_comm alarm is raised once", () => {
    online();
    Mock.advance(1_000, fwx_on_timer);
    // First attempt + 2 retries, each 200 ms, 5 ms of silence between.
    expect(sentLength()).toBe(16 + 16);
    expect(count(TOPIC_ALARM)).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"alarm":"meter_comm","active":true,"reason":"no response","failed_polls":1}');
    expect(fwx_health()).toBe(1);
    Mock.advance(20_000, fwx_on_timer);
    expect(count(TOPIC_ALARM)).toBe(1);
    expect(Meter.current!.failedPolls).toBe(3);
  });

  test("the alarm clears at the first good response", () => {
    online();
    Mock.advance(10_000, fwx_on_timer);
    expect(count(TOPIC_ALARM)).toBe(1);
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    expect(count(TOPIC_ALARM)).toBe(2);
    expect(Mock.lastTelemetry()).toBe('{"voltage_v":229.5,"current_a":12.25,"power_w":2810,"energy_kwh":18342.500,"frequency_hz":50.01}');
    expect(Mock.telemetry(-2)).toBe('{"alarm":"meter_comm","active":false}');
    expect(fwx_health()).toBe(0);
  });

  test("exception 02 (illegal data address) is logged and not retried", () => {
    online();
    const errors = Mock.logCount(LogLevel.Error);
    receive(frame(EXCEPTION_02));
    expect(Mock.logCount(LogLevel.Error)).toBeGreaterThan(errors);
    let logged = false;
    for (let i = 0; i < Mock.logCount(); i++) if (Mock.logMessage(i).includes("exception 02 (illegal data address)")) logged = true;
    expect(logged).toBe(true);
    Mock.advance(1_000, fwx_on_timer);
    expect(sentLength()).toBe(16);
    expect(count(TOPIC_READING)).toBe(0);
  });

  test("exception 04 (slave device failure) is retried", () => {
    online();
    receive(frame(EXCEPTION_04));
    Mock.advance(5, fwx_on_timer);
    expect(sentLength()).toBe(24);
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    expect(count(TOPIC_READING)).toBe(1);
  });

  test("a meter without identification registers is still read", () => {
    Mock.reset();
    expect(fwx_init()).toBe(0);
    receive(frame([0x01, 0x83, 0x02, 0xc0, 0xf1]));
    expect(sentLength()).toBe(16);
    expect(lastRequest(1)).toBe(0x04);
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    expect(count(TOPIC_READING)).toBe(1);
  });

  test("an answer from another unit is not trusted", () => {
    online();
    const other = measurement(229.5, 12.25, 2810, 18342.5, 50.01);
    other[0] = 2;
    const crc = crc16Of(other, other.length - 2);
    other[other.length - 2] = <u8>crc;
    other[other.length - 1] = <u8>(crc >> 8);
    receive(other);
    expect(count(TOPIC_READING)).toBe(0);
    Mock.advance(5, fwx_on_timer);
    expect(sentLength()).toBe(24);
  });

  test("a line error on read fails the attempt", () => {
    online();
    Mock.failNext("uart.read", Status.Parity);
    receive(measurement(229.5, 12.25, 2810, 18342.5, 50.01));
    expect(count(TOPIC_READING)).toBe(0);
    Mock.advance(5, fwx_on_timer);
    expect(sentLength()).toBe(24);
  });
});

describe("limit alarms", () => {
  test("over-current is raised once and clears only below the hysteresis band", () => {
    online();
    receive(measurement(230, 17.0, 3900, 1, 50));
    expect(count(TOPIC_ALARM)).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"alarm":"over_current","active":true,"current_a":17.00,"limit_a":16.00}');
    for (let i = 0; i < 3; i++) {
      Mock.advance(10_000, fwx_on_timer);
      // 15.8 A is under the limit but inside the 2 % band (15.68 A): still on.
      receive(measurement(230, i == 0 ? 18.0 : 15.8, 3600, 1, 50));
    }
    expect(count(TOPIC_ALARM)).toBe(1);
    Mock.advance(10_000, fwx_on_timer);
    receive(measurement(230, 15.0, 3400, 1, 50));
    expect(count(TOPIC_ALARM)).toBe(2);
    expect(Mock.lastTelemetry()).toBe('{"alarm":"over_current","active":false,"current_a":15.00,"limit_a":16.00}');
  });

  test("under-voltage uses the configured limit", () => {
    Mock.reset();
    Mock.config("min_voltage_v", "220");
    expect(fwx_init()).toBe(0);
    receive(frame(IDENTIFY_OK));
    receive(measurement(218.5, 5, 1000, 1, 50));
    expect(count(TOPIC_ALARM)).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"alarm":"under_voltage","active":true,"voltage_v":218.50,"limit_v":220.00}');
    Mock.advance(10_000, fwx_on_timer);
    receive(measurement(226, 5, 1000, 1, 50));
    expect(count(TOPIC_ALARM)).toBe(2);
  });
});

describe("shutdown", () => {
  test("deinit stops the timers and closes the port", () => {
    online();
    fwx_deinit();
    expect(Mock.timerRunning(POLL_TIMER)).toBe(false);
    expect(Mock.timerRunning(REPLY_TIMER)).toBe(false);
    expect(Mock.callCount("uart.close")).toBe(1);
  });
});
