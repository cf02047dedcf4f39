import { LogLevel, PinMode, Status } from "fwx";
import { Mock } from "fwx/testing";
import { fwx_deinit, fwx_health, fwx_init, fwx_on_timer } from "../index";
import { ALERT_COUNT_KEY, DRAIN_TIMER, LED_PIN, Monitor, PERIOD_TIMER, RUNNING_PIN, TOPIC_ALERT, TOPIC_FAULT, TOPIC_READING } from "../monitor";
import { ACCEL_ADDRESS, I2C_BUS } from "../adxl345";

// The mock's I2C target is a plain register file: the module's register
// writes land in it, and reads of DATAX0.. return whatever the spec put
// there. FIFO_STATUS always says 16 samples wait, so each drain (every 40 ms
// at 400 Hz) takes 16 samples and a block of 256 takes 16 drains.
const DRAINS_PER_BLOCK = 16;
const DRAIN_MS: u64 = 40;

/** An accelerometer whose X axis reads `g` (FULL_RES: 256 LSB/g), keeping the module's settings. */
function accel(g: f64, intSource: u8 = 0x80): void {
  const regs = new Uint8Array(64);
  for (let r = 0; r < 64; r++) {
    const kept = Mock.i2cRegister(I2C_BUS, ACCEL_ADDRESS, r);
    if (kept >= 0) regs[r] = <u8>kept;
  }
  regs[0x00] = 0xe5;
  const raw = <i16>Math.round(g * 256);
  regs[0x32] = <u8>raw;
  regs[0x33] = <u8>(raw >> 8);
  regs[0x30] = intSource;
  regs[0x39] = 16;
  Mock.i2cDevice(I2C_BUS, ACCEL_ADDRESS, regs);
}

function boot(reportEvery: string = "1"): void {
  Mock.reset();
  accel(0);
  Mock.drivePin(RUNNING_PIN, true);
  Mock.config("start_delay_s", "0");
  Mock.config("report_every", reportEvery);
  expect(fwx_init()).toBe(0);
}

/** Feeds the running block a square wave of ±amplitude (period 32 samples: 12.5 Hz at 400 Hz). */
function block(amplitudeG: f64): void {
  for (let i = 0; i < DRAINS_PER_BLOCK; i++) {
    accel(i % 2 == 0 ? amplitudeG : -amplitudeG);
    Mock.advance(DRAIN_MS, fwx_on_timer);
  }
}

/** Runs to the next period tick (the next block starts there). */
function nextPeriod(): void {
  Mock.advance(10_000 - (Mock.nowMs() % 10_000), fwx_on_timer);
}

function count(topic: string): i32 {
  let n = 0;
  for (let i = 0; i < Mock.telemetryCount(); i++) if (Mock.telemetryTopic(i) == topic) n++;
  return n;
}

describe("start-up", () => {
  test("checks the device id and sets FULL_RES ±4 g, 400 Hz and FIFO stream mode", () => {
    boot();
    expect(Mock.i2cRegister(I2C_BUS, ACCEL_ADDRESS, 0x31)).toBe(0x09);
    expect(Mock.i2cRegister(I2C_BUS, ACCEL_ADDRESS, 0x2c)).toBe(0x0c);
    expect(Mock.i2cRegister(I2C_BUS, ACCEL_ADDRESS, 0x38)).toBe(0x80);
    // Measuring: the first block starts at once.
    expect(Mock.i2cRegister(I2C_BUS, ACCEL_ADDRESS, 0x2d)).toBe(0x08);
    expect(Mock.pinMode(RUNNING_PIN)).toBe(PinMode.Input);
    expect(Mock.pinMode(LED_PIN)).toBe(PinMode.Output);
    expect(Mock.pinLevel(LED_PIN)).toBe(false);
    expect(Mock.timerPeriodMs(PERIOD_TIMER)).toBe(10_000);
    expect(Mock.timerPeriodMs(DRAIN_TIMER)).toBe(40);
  });

  test("fails to start without the accelerometer", () => {
    Mock.reset();
    expect(fwx_init()).toBe(1);
    expect(Mock.logCount(LogLevel.Error)).toBe(1);
  });

  test("fails to start when the device at 0x53 is not an ADXL345", () => {
    Mock.reset();
    const regs = new Uint8Array(64);
    regs[0] = 0x1e;
    Mock.i2cDevice(I2C_BUS, ACCEL_ADDRESS, regs);
    expect(fwx_init()).toBe(1);
  });

  test("does not sample while the pump is stopped, and puts the sensor in standby after a block", () => {
    Mock.reset();
    accel(0);
    Mock.drivePin(RUNNING_PIN, false);
    Mock.config("start_delay_s", "0");
    expect(fwx_init()).toBe(0);
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(false);
    Mock.drivePin(RUNNING_PIN, true);
    nextPeriod();
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(true);
    block(0.01);
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(false);
    expect(Mock.i2cRegister(I2C_BUS, ACCEL_ADDRESS, 0x2d)).toBe(0);
  });

  test("waits out the run-up delay after the pump starts", () => {
    Mock.reset();
    accel(0);
    Mock.drivePin(RUNNING_PIN, true);
    Mock.config("start_delay_s", "15");
    expect(fwx_init()).toBe(0);
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(false);
    nextPeriod(); // 10 s: still running up
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(false);
    nextPeriod(); // 20 s
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(true);
  });
});

describe("measurement", () => {
  test("one block publishes a reading with the square wave's fundamental as the peak", () => {
    boot();
    block(0.02);
    expect(count(TOPIC_READING)).toBe(1);
    const m = Monitor.current!;
    expect(m.blocks).toBe(1);
    expect(m.result.peakHz).toBeCloseTo(12.5, 1);
    expect(m.result.accelRmsG).toBeCloseTo(0.02, 2);
    // Fundamental 4a/π = 0.0255 g peak at 12.5 Hz: 2.25 mm/s; harmonics add ~1 %.
    expect(m.result.velocityRmsMmS).toBeGreaterThan(2.2);
    expect(m.result.velocityRmsMmS).toBeLessThan(2.4);
    expect(Mock.lastTelemetry().startsWith('{"v_rms_mm_s":2.')).toBe(true);
    expect(Mock.lastTelemetry().includes('"zone":"B"')).toBe(true);
  });

  test("publishes only every report_every blocks", () => {
    boot("3");
    for (let i = 0; i < 6; i++) {
      block(0.01);
      nextPeriod();
    }
    expect(Monitor.current!.blocks).toBe(6);
    expect(count(TOPIC_READING)).toBe(2);
  });

  test("an overrun restarts the block", () => {
    boot();
    block(0.02);
    nextPeriod();
    for (let i = 0; i < 4; i++) {
      accel(0.02);
      Mock.advance(DRAIN_MS, fwx_on_timer);
    }
    expect(Monitor.current!.collected).toBe(64);
    accel(0.02, 0x81);
    Mock.advance(DRAIN_MS, fwx_on_timer);
    expect(Monitor.current!.collected).toBe(0);
    expect(Monitor.current!.restarts).toBe(1);
  });
});

describe("maintenance alert", () => {
  test("is raised once after two high blocks: LED on, one alert message, count persisted", () => {
    boot("0");
    block(0.05);
    expect(count(TOPIC_ALERT)).toBe(0);
    nextPeriod();
    block(0.05);
    expect(count(TOPIC_ALERT)).toBe(1);
    expect(Mock.pinLevel(LED_PIN)).toBe(true);
    expect(Mock.kvU32(ALERT_COUNT_KEY, 0)).toBe(1);
    expect(Mock.lastTelemetry().startsWith('{"alert":"vibration","active":true,"v_rms_mm_s":5.')).toBe(true);
    nextPeriod();
    block(0.05);
    expect(count(TOPIC_ALERT)).toBe(1);
    expect(Mock.logCount(LogLevel.Warn)).toBe(1);
  });

  test("clears (LED off) only below the hysteresis band", () => {
    boot("0");
    block(0.05);
    nextPeriod();
    block(0.05);
    expect(Mock.pinLevel(LED_PIN)).toBe(true);
    // 0.037 g: ~4.2 mm/s, under 4.5 but above 4.0: stays on.
    nextPeriod();
    block(0.037);
    expect(Monitor.current!.result.velocityRmsMmS).toBeGreaterThan(4.0);
    expect(Monitor.current!.result.velocityRmsMmS).toBeLessThan(4.5);
    expect(Mock.pinLevel(LED_PIN)).toBe(true);
    nextPeriod();
    block(0.01);
    expect(Mock.pinLevel(LED_PIN)).toBe(false);
    expect(count(TOPIC_ALERT)).toBe(2);
    expect(Mock.lastTelemetry().includes('"active":false')).toBe(true);
  });

  test("continues the persisted count across restarts", () => {
    Mock.reset();
    Mock.kvSetU32(ALERT_COUNT_KEY, 7);
    accel(0);
    Mock.drivePin(RUNNING_PIN, true);
    Mock.config("start_delay_s", "0");
    Mock.config("confirm_blocks", "1");
    expect(fwx_init()).toBe(0);
    block(0.05);
    expect(Mock.kvU32(ALERT_COUNT_KEY, 0)).toBe(8);
    expect(Mock.lastTelemetry().includes('"alerts_total":8')).toBe(true);
  });
});

describe("sensor faults", () => {
  test("three failed blocks in a row report the accelerometer faulty; a good block clears it", () => {
    boot("0");
    Mock.failAlways("i2c.write_read", Status.NackAddress);
    Mock.advance(30_000, fwx_on_timer);
    expect(count(TOPIC_FAULT)).toBe(1);
    expect(fwx_health()).toBe(1);
    Mock.failAlways("i2c.write_read", Status.Ok);
    nextPeriod();
    block(0.01);
    expect(count(TOPIC_FAULT)).toBe(2);
    expect(fwx_health()).toBe(0);
  });

  test("deinit stops both timers", () => {
    boot();
    fwx_deinit();
    expect(Mock.timerRunning(PERIOD_TIMER)).toBe(false);
    expect(Mock.timerRunning(DRAIN_TIMER)).toBe(false);
  });
});
