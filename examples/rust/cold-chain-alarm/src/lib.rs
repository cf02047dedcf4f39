//! Cold-chain alarm in Rust (`no_std`): the port of examples/cold-chain-alarm
//! (AssemblyScript) to the generated `fwx_guest` crate. Same host calls in the
//! same order, same telemetry bytes: tests/guest replays the AssemblyScript
//! example's recording against it and expects no divergence.
//!
//! Temperature alarm: the room must stay above threshold_c for alarm_delay_s,
//! counted only while the door is closed; it clears below threshold_c -
//! hysteresis_c. Door alarm: the buzzer sounds when the door stays open past
//! door_grace_s. Three failed sensor reads in a row raise a sensor fault,
//! which also drives the alarm relay.
#![no_std]

mod text;

use fwx_guest::{core as host, event, gpio, kv, sensor, status, timer};
use text::{config_number, config_u32, log, Json};

const DOOR_PIN: u32 = 2;
const RELAY_PIN: u32 = 5;
const BUZZER_PIN: u32 = 6;
const SAMPLE_TIMER: u32 = 1;
const DOOR_TIMER: u32 = 2;
const MAX_FAILED_READS: u32 = 3;
const ALARM_COUNT_KEY: &str = "alarm_count";

/// Why fwx_init failed; the host reports the number.
const INIT_SENSOR_MISSING: i32 = 1;
const INIT_PIN_UNAVAILABLE: i32 = 2;
const INIT_TIMER_UNAVAILABLE: i32 = 3;

#[derive(Clone, Copy, PartialEq)]
enum TempState {
    Normal = 0,
    /// Too warm, waiting out alarm_delay_s.
    Pending = 1,
    Alarm = 2,
}

struct Settings {
    threshold_c: f64,
    hysteresis_c: f64,
    alarm_delay_ms: u64,
    door_grace_ms: u32,
    sample_period_ms: u32,
    report_every: u32,
}

impl Settings {
    fn load() -> Settings {
        let threshold_c = config_number("threshold_c", 8.0);
        let h = config_number("hysteresis_c", 1.0);
        Settings {
            threshold_c,
            hysteresis_c: if h > 0.0 { h } else { 0.0 },
            alarm_delay_ms: config_u32("alarm_delay_s", 300) as u64 * 1000,
            door_grace_ms: config_u32("door_grace_s", 120).max(1).wrapping_mul(1000),
            sample_period_ms: config_u32("sample_period_s", 10).max(1).wrapping_mul(1000),
            report_every: config_u32("report_every", 6),
        }
    }
}

struct Monitor {
    s: Settings,
    sensor: sensor::Sensor,
    door: gpio::Pin,
    relay: gpio::Pin,
    buzzer: gpio::Pin,
    state: TempState,
    /// Time the room has spent too warm with the door closed, in this excursion.
    warm_ms: u64,
    last_sample_ms: u64,
    last_temp_c: f64,
    door_open: bool,
    door_alarm: bool,
    sensor_fault: bool,
    failed_reads: u32,
    samples: u32,
    alarm_count: u32,
}

/// The running monitor, set by fwx_init once everything is claimed. The host
/// calls a module from one thread, one callback at a time.
static mut CURRENT: Option<Monitor> = None;

fn current() -> Option<&'static mut Monitor> {
    unsafe { CURRENT.as_mut() }
}

fn write_pin(pin: gpio::Pin, level: bool) {
    unsafe { gpio::write(pin, level) };
}

impl Monitor {
    fn set_door(&mut self, open: bool) {
        if open == self.door_open {
            return;
        }
        self.door_open = open;
        if open {
            unsafe { timer::start(DOOR_TIMER, self.s.door_grace_ms, false) };
            log(host::log_level::INFO, "door opened");
        } else {
            unsafe { timer::cancel(DOOR_TIMER) };
            if self.door_alarm {
                self.door_alarm = false;
                write_pin(self.buzzer, false);
                self.publish_event("cold-chain/door", "closed");
            }
            log(host::log_level::INFO, "door closed");
        }
    }

    fn door_too_long(&mut self) {
        if !self.door_open || self.door_alarm {
            return;
        }
        self.door_alarm = true;
        write_pin(self.buzzer, true);
        log(host::log_level::WARN, "door open too long");
        self.publish_event("cold-chain/door", "open_too_long");
    }

    fn sample(&mut self) {
        let now = unsafe { host::now_ms() };
        let elapsed = now.wrapping_sub(self.last_sample_ms);
        self.last_sample_ms = now;
        let mut t = 0.0f64;
        let mut timestamp_us = 0u64;
        if unsafe { sensor::read(self.sensor, &mut t, &mut timestamp_us) } != status::OK {
            self.failed_reads += 1;
            if self.failed_reads >= MAX_FAILED_READS && !self.sensor_fault {
                self.sensor_fault = true;
                write_pin(self.relay, true);
                log(host::log_level::ERROR, "cold_room sensor failing");
                self.publish_event("cold-chain/fault", "sensor");
            }
            return;
        }
        self.failed_reads = 0;
        if self.sensor_fault {
            self.sensor_fault = false;
            if self.state != TempState::Alarm {
                write_pin(self.relay, false);
            }
            self.publish_event("cold-chain/fault", "cleared");
        }
        self.last_temp_c = t;
        self.samples += 1;
        self.evaluate(t, elapsed);
        let every = self.s.report_every;
        if every != 0 && self.samples % every == 0 {
            Json::begin()
                .num("temp_c", t)
                .int("state", self.state as i64)
                .bool("door_open", self.door_open)
                .int("alarms", self.alarm_count as i64)
                .publish("cold-chain/reading");
        }
    }

    fn evaluate(&mut self, t: f64, elapsed_ms: u64) {
        if self.state == TempState::Alarm {
            if t < self.s.threshold_c - self.s.hysteresis_c {
                self.clear_alarm(t);
            }
            return;
        }
        if t <= self.s.threshold_c {
            self.state = TempState::Normal;
            self.warm_ms = 0;
            return;
        }
        if self.state == TempState::Normal {
            // The excursion starts now; nothing accrues before the first warm sample.
            self.state = TempState::Pending;
            self.warm_ms = 0;
        } else if !self.door_open {
            self.warm_ms += elapsed_ms;
        }
        if self.warm_ms >= self.s.alarm_delay_ms && !self.door_open {
            self.raise_alarm(t);
        }
    }

    fn raise_alarm(&mut self, t: f64) {
        self.state = TempState::Alarm;
        self.alarm_count += 1;
        // 4 bytes little-endian, as the AssemblyScript SDK's Kv.setU32 stores it.
        let bytes = self.alarm_count.to_le_bytes();
        unsafe { kv::set(ALARM_COUNT_KEY.as_ptr(), ALARM_COUNT_KEY.len() as u32, bytes.as_ptr(), 4) };
        write_pin(self.relay, true);
        log(host::log_level::WARN, "temperature alarm");
        Json::begin()
            .str("state", "alarm")
            .num("temp_c", t)
            .num("threshold_c", self.s.threshold_c)
            .int("warm_s", (self.warm_ms / 1000) as i64)
            .int("count", self.alarm_count as i64)
            .publish("cold-chain/alarm");
    }

    fn clear_alarm(&mut self, t: f64) {
        self.state = TempState::Normal;
        self.warm_ms = 0;
        if !self.sensor_fault {
            write_pin(self.relay, false);
        }
        log(host::log_level::INFO, "temperature alarm cleared");
        Json::begin().str("state", "clear").num("temp_c", t).int("count", self.alarm_count as i64).publish("cold-chain/alarm");
    }

    fn publish_event(&self, topic: &str, what: &str) {
        Json::begin().str("event", what).num("temp_c", self.last_temp_c).bool("door_open", self.door_open).publish(topic);
    }
}

fn claim(pin: u32, mode: gpio::PinMode) -> Option<gpio::Pin> {
    let mut handle = 0;
    (unsafe { gpio::claim(pin, mode, &mut handle) } == status::OK).then(|| handle)
}

#[no_mangle]
pub extern "C" fn fwx_init() -> i32 {
    unsafe { CURRENT = None };
    let s = Settings::load();
    let name = "cold_room";
    let mut sensor = 0;
    if unsafe { sensor::find(name.as_ptr(), name.len() as u32, &mut sensor) } != status::OK {
        log(host::log_level::ERROR, "cold_room sensor unavailable");
        return INIT_SENSOR_MISSING;
    }
    let door = claim(DOOR_PIN, gpio::pin_mode::INPUT_PULL_UP);
    let relay = claim(RELAY_PIN, gpio::pin_mode::OUTPUT);
    let buzzer = claim(BUZZER_PIN, gpio::pin_mode::OUTPUT);
    let (door, relay, buzzer) = match (door, relay, buzzer) {
        (Some(d), Some(r), Some(b)) if unsafe { gpio::watch(d, gpio::edge::RISING | gpio::edge::FALLING) } == status::OK => (d, r, b),
        _ => {
            log(host::log_level::ERROR, "door, relay or buzzer pin unavailable");
            return INIT_PIN_UNAVAILABLE;
        }
    };
    let mut count = [0u8; 8];
    let mut count_len = 0u32;
    let got = unsafe { kv::get(ALARM_COUNT_KEY.as_ptr(), ALARM_COUNT_KEY.len() as u32, count.as_mut_ptr(), 8, &mut count_len) };
    let alarm_count = if got == status::OK && count_len == 4 { u32::from_le_bytes([count[0], count[1], count[2], count[3]]) } else { 0 };
    let last_sample_ms = unsafe { host::now_ms() };
    let mut m = Monitor {
        s, sensor, door, relay, buzzer, state: TempState::Normal, warm_ms: 0, last_sample_ms, last_temp_c: f64::NAN,
        door_open: false, door_alarm: false, sensor_fault: false, failed_reads: 0, samples: 0, alarm_count,
    };
    // Door switch to ground with a pull-up: high means the door is open.
    let mut level = 0u32;
    m.set_door(unsafe { gpio::read(door, &mut level) } == status::OK && level != 0);
    if unsafe { timer::start(SAMPLE_TIMER, m.s.sample_period_ms, true) } != status::OK {
        log(host::log_level::ERROR, "no timer for sampling");
        return INIT_TIMER_UNAVAILABLE;
    }
    unsafe { CURRENT = Some(m) };
    0
}

#[no_mangle]
pub extern "C" fn fwx_on_timer(id: u32) {
    if let Some(m) = current() {
        if id == SAMPLE_TIMER {
            m.sample();
        } else if id == DOOR_TIMER {
            m.door_too_long();
        }
    }
}

#[no_mangle]
pub extern "C" fn fwx_on_event(kind: u32, handle: u32, arg: u32) {
    if let Some(m) = current() {
        if kind == event::GPIO_EDGE && handle == m.door {
            m.set_door(arg != 0);
        }
    }
}

/// 1 during a sensor fault (an update trial then rolls back), else 0.
#[no_mangle]
pub extern "C" fn fwx_health() -> i32 {
    match current() {
        Some(m) if !m.sensor_fault => 0,
        _ => 1,
    }
}

#[no_mangle]
pub extern "C" fn fwx_deinit() {
    if current().is_some() {
        unsafe {
            timer::cancel(SAMPLE_TIMER);
            timer::cancel(DOOR_TIMER);
            CURRENT = None;
        }
    }
}

/// A panic is a bug in the module: trap, and let the host report it.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
