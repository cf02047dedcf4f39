import { Gpio, LogLevel, PinMode, Status } from "fwx";
import { Mock } from "fwx/testing";
import { fwx_deinit, fwx_health, fwx_init, fwx_on_timer } from "../index";
import { ALERT_COUNT_KEY, DRAIN_TIMER, InitError, LED_PIN, Monitor, PERIOD_TIMER, RUNNING_PIN, TOPIC_ALERT, TOPIC_FAULT, TOPIC_READING } from "../monitor";
import { ACCEL_ADDRESS, I2C_BUS } from "../adxl345";

// The mock's I2C target is a register file: the module's register writes land
// in it. DATAX0..DATAZ1 (0x32..0x37) is scripted as the FIFO: every 6-byte
// burst read takes the next queued sample. FIFO_STATUS says 16 samples wait,
// which is what 400 Hz fills in the 40 ms between drains, so a block of 256
// samples takes 16 drains.
const DRAINS_PER_BLOCK = 16;
/** A sine that makes 4.9 mm/s at the shaft frequency: over the 4.5 mm/s alert limit. */
const ALERT_G: f64 = 0.11;
const DRAIN_MS: u64 = 40;
const SAMPLE_RATE_HZ: f64 = 400;
const REG_INT_SOURCE: u32 = 0x30;
const REG_DATAX0: u32 = 0x32;
/** The pump's shaft frequency on the demo board (1485 rpm). */
const SHAFT_HZ: f64 = 24.75;
/** Static tilt of the sensor on the bearing housing: the analysis must remove it. */
const TILT_G: f64 = 0.1;

/** An ADXL345 at 1/0x53: the device id, 16 samples waiting, no overrun. */
function accelerometer(): void {
  const regs = new Uint8Array(64);
  regs[0x00] = 0xe5;
  regs[0x39] = 16;
  Mock.i2cDevice(I2C_BUS, ACCEL_ADDRESS, regs);
}

let phase: i32 = 0;

/**
 * Queues `count` FIFO samples of x = TILT_G + amplitude·sin(2π·hz·t) at
 * 400 Hz as the ADXL345 encodes them (FULL_RES: 256 LSB/g, little-endian),
 * continuing the phase of the previous call; y and z read 0.
 */
function feedSine(amplitudeG: f64, hz: f64 = SHAFT_HZ, count: i32 = 256): void {
  const fifo = new Uint8Array(count * 6);
  for (let i = 0; i < count; i++) {
    const t = <f64>phase / SAMPLE_RATE_HZ;
    phase++;
    const raw = <i16>Math.round((TILT_G + amplitudeG * Math.sin(2 * Math.PI * hz * t)) * 256);
    fifo[i * 6] = <u8>raw;
    fifo[i * 6 + 1] = <u8>(raw >> 8);
  }
  Mock.i2cQueue(I2C_BUS, ACCEL_ADDRESS, REG_DATAX0, fifo, 6);
}

/** Velocity RMS (mm/s) of a sine of `amplitudeG` peak at `hz`. */
function velocityOf(amplitudeG: f64, hz: f64 = SHAFT_HZ): f64 {
  return (amplitudeG / Math.SQRT2) * 9806.65 / (2 * Math.PI * hz);
}

function boot(reportEvery: string = "1"): void {
  Mock.reset();
  phase = 0;
  accelerometer();
  Mock.drivePin(RUNNING_PIN, true);
  Mock.config("start_delay_s", "0");
  Mock.config("report_every", reportEvery);
  expect(fwx_init()).toBe(0);
}

/** Feeds the running block 256 samples of a sine of ±amplitude at the shaft frequency and drains them. */
function block(amplitudeG: f64): void {
  feedSine(amplitudeG);
  for (let i = 0; i < DRAINS_PER_BLOCK; i++) Mock.advance(DRAIN_MS, fwx_on_timer);
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
    expect(fwx_init()).toBe(InitError.AccelerometerMissing);
    expect(Mock.logCount(LogLevel.Error)).toBe(1);
  });

  test("fails to start, saying why, when the LED pin is taken", () => {
    Mock.reset();
    accelerometer();
    expect(Gpio.claim(LED_PIN, PinMode.Output).ok).toBe(true);
    expect(fwx_init()).toBe(InitError.PinUnavailable);
    expect(Mock.logCount(LogLevel.Error)).toBe(1);
  });

  test("fails to start when the device at 0x53 is not an ADXL345", () => {
    Mock.reset();
    const regs = new Uint8Array(64);
    regs[0] = 0x1e;
    Mock.i2cDevice(I2C_BUS, ACCEL_ADDRESS, regs);
    expect(fwx_init()).toBe(InitError.AccelerometerMissing);
  });

  test("does not sample while the pump is stopped, and puts the sensor in standby after a block", () => {
    Mock.reset();
    accelerometer();
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
    accelerometer();
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
  test("one block publishes a reading: the shaft frequency as the peak, velocity as the sine's", () => {
    boot();
    block(0.05);
    expect(Mock.i2cQueued(I2C_BUS, ACCEL_ADDRESS, REG_DATAX0)).toBe(0);
    expect(count(TOPIC_READING)).toBe(1);
    const m = Monitor.current!;
    expect(m.blocks).toBe(1);
    // 24.75 Hz lies between bins (1.5625 Hz apart): the interpolation finds it.
    expect(Math.abs(m.result.peakHz - SHAFT_HZ)).toBeLessThan(0.3);
    expect(m.result.meanG).toBeCloseTo(TILT_G, 2);
    expect(m.result.accelRmsG).toBeCloseTo(0.05 / Math.SQRT2, 2);
    // 0.05 g peak at 24.75 Hz: 2.23 mm/s RMS, zone B (1.4 .. 2.8).
    const expected = velocityOf(0.05);
    expect(Math.abs(m.result.velocityRmsMmS - expected) / expected).toBeLessThan(0.03);
    expect(Mock.lastTelemetry().startsWith('{"v_rms_mm_s":2.2')).toBe(true);
    expect(Mock.lastTelemetry().includes('"zone":"B"')).toBe(true);
    // The tone sits in the lowest of the four bands (0 .. 50 Hz).
    expect(m.result.bandG[0]).toBeGreaterThan(10 * m.result.bandG[1]);
  });

  test("a faster tone is found at its own frequency, with 1/f less velocity", () => {
    boot();
    feedSine(0.05, 80);
    for (let i = 0; i < DRAINS_PER_BLOCK; i++) Mock.advance(DRAIN_MS, fwx_on_timer);
    const r = Monitor.current!.result;
    expect(Math.abs(r.peakHz - 80)).toBeLessThan(0.3);
    const expected = velocityOf(0.05, 80);
    expect(Math.abs(r.velocityRmsMmS - expected) / expected).toBeLessThan(0.03);
    expect(r.bandG[1]).toBeGreaterThan(10 * r.bandG[0]);
  });

  test("a block, its analysis and its report allocate nothing (the stub runtime never frees)", () => {
    boot();
    block(0.05);
    nextPeriod();
    feedSine(0.05);
    const before = Mock.allocations();
    for (let i = 0; i < DRAINS_PER_BLOCK; i++) Mock.advance(DRAIN_MS, fwx_on_timer);
    const after = Mock.allocations();
    expect(after - before).toBe(0);
    expect(Monitor.current!.blocks).toBe(2);
    expect(count(TOPIC_READING)).toBe(2);
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
    feedSine(0.02);
    for (let i = 0; i < 4; i++) Mock.advance(DRAIN_MS, fwx_on_timer);
    expect(Monitor.current!.collected).toBe(64);
    Mock.i2cSetRegister(I2C_BUS, ACCEL_ADDRESS, REG_INT_SOURCE, 0x81);
    Mock.advance(DRAIN_MS, fwx_on_timer);
    expect(Monitor.current!.collected).toBe(0);
    expect(Monitor.current!.restarts).toBe(1);
  });
});

describe("maintenance alert", () => {
  test("is raised once after two high blocks: LED on, one alert message, count persisted", () => {
    boot("0");
    block(ALERT_G);
    expect(count(TOPIC_ALERT)).toBe(0);
    nextPeriod();
    block(ALERT_G);
    expect(count(TOPIC_ALERT)).toBe(1);
    expect(Mock.pinLevel(LED_PIN)).toBe(true);
    expect(Mock.kvU32(ALERT_COUNT_KEY, 0)).toBe(1);
    expect(Mock.lastTelemetry().startsWith('{"alert":"vibration","active":true,"v_rms_mm_s":4.9')).toBe(true);
    nextPeriod();
    block(ALERT_G);
    expect(count(TOPIC_ALERT)).toBe(1);
    expect(Mock.logCount(LogLevel.Warn)).toBe(1);
  });

  test("clears (LED off) only below the hysteresis band", () => {
    boot("0");
    block(ALERT_G);
    nextPeriod();
    block(ALERT_G);
    expect(Mock.pinLevel(LED_PIN)).toBe(true);
    // 4.2 mm/s: under 4.5 but above 4.0: stays on.
    nextPeriod();
    block(0.095);
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
    accelerometer();
    Mock.drivePin(RUNNING_PIN, true);
    Mock.config("start_delay_s", "0");
    Mock.config("confirm_blocks", "1");
    expect(fwx_init()).toBe(0);
    block(ALERT_G);
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
