import { EventKind, Gpio, LogLevel, PinMode, Status } from "fwx";
import { Mock } from "fwx/testing";
import { fwx_deinit, fwx_health, fwx_init, fwx_on_event, fwx_on_timer } from "../index";
import { BUZZER_PIN, DOOR_PIN, DOOR_TIMER, InitError, RELAY_PIN, SAMPLE_TIMER } from "../monitor";

// Defaults as in fwx.json: 8 °C threshold, 1 °C hysteresis, 300 s delay,
// 120 s door grace, a sample every 10 s, a reading every 6th sample.
function boot(tempC: f64): void {
  Mock.reset();
  Mock.sensor("cold_room", tempC);
  Mock.config("threshold_c", "8");
  Mock.config("hysteresis_c", "1");
  Mock.config("alarm_delay_s", "300");
  Mock.config("door_grace_s", "120");
  Mock.config("sample_period_s", "10");
  Mock.config("report_every", "6");
  expect(fwx_init()).toBe(0);
}

function door(open: bool): void {
  Mock.drivePin(DOOR_PIN, open);
  fwx_on_event(EventKind.GpioEdge, Mock.pinHandle(DOOR_PIN), open ? 1 : 0);
}

function alarms(): i32 {
  let n = 0;
  for (let i = 0; i < Mock.telemetryCount(); i++) if (Mock.telemetryTopic(i) == "cold-chain/alarm") n++;
  return n;
}

describe("start-up", () => {
  test("claims the door as a watched pull-up input and both outputs low, and samples every 10 s", () => {
    boot(4.0);
    expect(Mock.pinMode(DOOR_PIN)).toBe(PinMode.InputPullUp);
    expect(Mock.pinEdges(DOOR_PIN)).toBe(3);
    expect(Mock.pinMode(RELAY_PIN)).toBe(PinMode.Output);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    expect(Mock.pinLevel(BUZZER_PIN)).toBe(false);
    expect(Mock.timerRunning(SAMPLE_TIMER)).toBe(true);
    expect(Mock.timerPeriodMs(SAMPLE_TIMER)).toBe(10_000);
    expect(fwx_health()).toBe(0);
  });

  test("fails to start without its sensor", () => {
    Mock.reset();
    expect(fwx_init()).toBe(InitError.SensorMissing);
    expect(Mock.logCount(LogLevel.Error)).toBe(1);
  });

  test("fails to start, saying why, when the relay pin is taken", () => {
    Mock.reset();
    Mock.sensor("cold_room", 4.0);
    expect(Gpio.claim(RELAY_PIN, PinMode.Output).ok).toBe(true);
    expect(fwx_init()).toBe(InitError.PinUnavailable);
    expect(Mock.logCount(LogLevel.Error)).toBe(1);
  });

  test("fails to start without a timer for sampling", () => {
    Mock.reset();
    Mock.sensor("cold_room", 4.0);
    Mock.timerLimit(0);
    expect(fwx_init()).toBe(InitError.TimerUnavailable);
    expect(fwx_health()).toBe(1);
  });

  test("uses the fwx.json defaults when the device has no configuration", () => {
    Mock.reset();
    Mock.sensor("cold_room", 4.0);
    expect(fwx_init()).toBe(0);
    expect(Mock.timerPeriodMs(SAMPLE_TIMER)).toBe(10_000);
  });

  test("takes a configured sample period", () => {
    Mock.reset();
    Mock.sensor("cold_room", 4.0);
    Mock.config("sample_period_s", "30");
    expect(fwx_init()).toBe(0);
    expect(Mock.timerPeriodMs(SAMPLE_TIMER)).toBe(30_000);
  });
});

describe("temperature alarm", () => {
  test("a warm room raises the alarm only after the delay, then relay on and one alarm message", () => {
    boot(9.5);
    Mock.advance(290_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    expect(alarms()).toBe(0);
    Mock.advance(20_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(true);
    expect(alarms()).toBe(1);
    expect(Mock.lastTelemetry()).toBe('{"state":"alarm","temp_c":9.50,"threshold_c":8.00,"warm_s":300,"count":1}');
    expect(Mock.kvU32("alarm_count", 0)).toBe(1);
  });

  test("a short excursion does not alarm", () => {
    boot(9.5);
    Mock.advance(120_000, fwx_on_timer);
    Mock.sensor("cold_room", 6.0);
    Mock.advance(600_000, fwx_on_timer);
    expect(alarms()).toBe(0);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
  });

  test("hysteresis: the alarm holds at the threshold and clears only below threshold - 1 °C", () => {
    boot(10.0);
    Mock.advance(320_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(true);
    Mock.sensor("cold_room", 7.5);
    Mock.advance(60_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(true);
    Mock.sensor("cold_room", 6.9);
    Mock.advance(10_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    expect(Mock.lastTelemetry()).toBe('{"state":"clear","temp_c":6.90,"count":1}');
  });

  test("the alarm count persists in KV across restarts", () => {
    boot(10.0);
    Mock.advance(320_000, fwx_on_timer);
    expect(Mock.kvU32("alarm_count", 0)).toBe(1);
    fwx_deinit();
    Mock.stopModule();
    expect(fwx_init()).toBe(0);
    Mock.advance(320_000, fwx_on_timer);
    expect(Mock.kvU32("alarm_count", 0)).toBe(2);
    expect(Mock.lastTelemetry()).toBe('{"state":"alarm","temp_c":10.00,"threshold_c":8.00,"warm_s":300,"count":2}');
  });

  test("periodic readings every 6th sample", () => {
    boot(4.25);
    Mock.advance(60_000, fwx_on_timer);
    expect(Mock.telemetryCount()).toBe(1);
    expect(Mock.telemetryTopic()).toBe("cold-chain/reading");
    expect(Mock.lastTelemetry()).toBe('{"temp_c":4.25,"state":0,"door_open":false,"alarms":0}');
  });

  test("one reading per minute, on the minute, also when a door edge lands on a sample instant", () => {
    boot(4.0);
    Mock.advance(890_000, fwx_on_timer);
    // The door opens and closes exactly at 900 s, the 90th sample.
    door(true);
    door(false);
    Mock.advance(910_000, fwx_on_timer);
    expect(Mock.telemetryCount()).toBe(30);
    for (let i = 0; i < 30; i++) expect(Mock.telemetryTopic(i)).toBe("cold-chain/reading");
  });

  test("a day of sampling, readings, door openings and an alarm allocates nothing (the stub runtime never frees)", () => {
    boot(4.0);
    Mock.advance(60_000, fwx_on_timer);
    const before = Mock.allocations();
    for (let hour = 0; hour < 24; hour++) {
      door(true);
      Mock.advance(150_000, fwx_on_timer);
      door(false);
      Mock.sensor("cold_room", hour == 12 ? 9.5 : 4.0);
      Mock.advance(3_450_000, fwx_on_timer);
    }
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    expect(alarms()).toBe(2);
    expect(Mock.logCount(LogLevel.Warn)).toBe(24 + 1);
  });
});

describe("door", () => {
  test("an open door within the grace period is quiet; past it the buzzer sounds", () => {
    boot(4.0);
    door(true);
    expect(Mock.timerRunning(DOOR_TIMER)).toBe(true);
    Mock.advance(119_000, fwx_on_timer);
    expect(Mock.pinLevel(BUZZER_PIN)).toBe(false);
    Mock.advance(1_000, fwx_on_timer);
    expect(Mock.pinLevel(BUZZER_PIN)).toBe(true);
    expect(Mock.telemetryTopic()).toBe("cold-chain/door");
  });

  test("closing the door silences the buzzer and cancels the grace timer", () => {
    boot(4.0);
    door(true);
    Mock.advance(130_000, fwx_on_timer);
    door(false);
    expect(Mock.pinLevel(BUZZER_PIN)).toBe(false);
    expect(Mock.timerRunning(DOOR_TIMER)).toBe(false);
  });

  test("warm air while the door is open does not count towards the temperature alarm", () => {
    boot(4.0);
    door(true);
    Mock.sensor("cold_room", 12.0);
    Mock.advance(600_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    door(false);
    Mock.advance(290_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    Mock.advance(20_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(true);
  });
});

describe("sensor faults", () => {
  test("three failed reads raise a fault with the relay on; a good read clears it", () => {
    boot(4.0);
    Mock.sensorFault("cold_room", Status.Timeout);
    Mock.advance(20_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    Mock.advance(10_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(true);
    expect(Mock.telemetryTopic()).toBe("cold-chain/fault");
    expect(fwx_health()).toBe(1);
    Mock.sensor("cold_room", 4.0);
    Mock.advance(10_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(false);
    expect(fwx_health()).toBe(0);
  });

  test("a refused telemetry message does not stop the alarm", () => {
    boot(10.0);
    Mock.failAlways("telemetry.publish", Status.Busy);
    Mock.advance(320_000, fwx_on_timer);
    expect(Mock.pinLevel(RELAY_PIN)).toBe(true);
    expect(Mock.lastStatus("telemetry.publish")).toBe(Status.Busy);
  });

  test("deinit stops sampling and the door timer", () => {
    boot(4.0);
    door(true);
    expect(Mock.timerRunning(DOOR_TIMER)).toBe(true);
    fwx_deinit();
    expect(Mock.timerRunning(SAMPLE_TIMER)).toBe(false);
    expect(Mock.timerRunning(DOOR_TIMER)).toBe(false);
    expect(Mock.advance(200_000, fwx_on_timer)).toBe(0);
  });
});
