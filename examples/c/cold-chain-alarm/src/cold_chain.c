/*
 * Cold-chain alarm in C: the port of examples/cold-chain-alarm (AssemblyScript)
 * to the generated guest header. Same host calls in the same order, same
 * telemetry bytes: tests/guest replays the AssemblyScript example's recording
 * against it and expects no divergence.
 *
 * Temperature alarm: the room must stay above threshold_c for alarm_delay_s,
 * counted only while the door is closed. It clears below threshold_c -
 * hysteresis_c. Door alarm: the buzzer sounds when the door stays open past
 * door_grace_s. Three failed sensor reads in a row raise a sensor fault,
 * which also drives the alarm relay.
 *
 * No libc: the module is built with -nostdlib, so the few helpers it needs
 * (decimal parse and format, a JSON writer) are below.
 */
#include "fwx_guest.h"
#include "text.h"

#define DOOR_PIN 2u
#define RELAY_PIN 5u
#define BUZZER_PIN 6u
#define SAMPLE_TIMER 1u
#define DOOR_TIMER 2u
#define MAX_FAILED_READS 3u

/* Why fwx_init failed; the host reports the number. */
enum init_error { INIT_OK = 0, INIT_SENSOR_MISSING = 1, INIT_PIN_UNAVAILABLE = 2, INIT_TIMER_UNAVAILABLE = 3 };
enum temp_state { TEMP_NORMAL = 0, TEMP_PENDING = 1, TEMP_ALARM = 2 };

struct settings {
    double threshold_c;
    double hysteresis_c;
    uint64_t alarm_delay_ms;
    uint32_t door_grace_ms;
    uint32_t sample_period_ms;
    uint32_t report_every;
};

static struct monitor {
    bool running;
    struct settings s;
    fwx_sensor_sensor_t sensor;
    fwx_gpio_pin_t door, relay, buzzer;
    enum temp_state state;
    uint64_t warm_ms;
    uint64_t last_sample_ms;
    double last_temp_c;
    bool door_open, door_alarm, sensor_fault;
    uint32_t failed_reads, samples, alarm_count;
} m;

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static void load_settings(struct settings *s)
{
    double h;
    s->threshold_c = config_number("threshold_c", 8);
    h = config_number("hysteresis_c", 1);
    s->hysteresis_c = h > 0 ? h : 0;
    s->alarm_delay_ms = (uint64_t)config_u32("alarm_delay_s", 300) * 1000u;
    s->door_grace_ms = max_u32(1u, config_u32("door_grace_s", 120)) * 1000u;
    s->sample_period_ms = max_u32(1u, config_u32("sample_period_s", 10)) * 1000u;
    s->report_every = config_u32("report_every", 6);
}

static void publish_event(const char *topic, const char *what)
{
    json_begin();
    json_str("event", what);
    json_num("temp_c", m.last_temp_c);
    json_bool("door_open", m.door_open);
    json_publish(topic);
}

static void set_door(bool open)
{
    if (open == m.door_open) return;
    m.door_open = open;
    if (open) {
        fwx_timer_start(DOOR_TIMER, m.s.door_grace_ms, false);
        log_text(FWX_CORE_LOG_LEVEL_INFO, "door opened");
    } else {
        fwx_timer_cancel(DOOR_TIMER);
        if (m.door_alarm) {
            m.door_alarm = false;
            fwx_gpio_write(m.buzzer, false);
            publish_event("cold-chain/door", "closed");
        }
        log_text(FWX_CORE_LOG_LEVEL_INFO, "door closed");
    }
}

static void door_too_long(void)
{
    if (!m.door_open || m.door_alarm) return;
    m.door_alarm = true;
    fwx_gpio_write(m.buzzer, true);
    log_text(FWX_CORE_LOG_LEVEL_WARN, "door open too long");
    publish_event("cold-chain/door", "open_too_long");
}

static void raise_alarm(double t)
{
    uint32_t count;
    m.state = TEMP_ALARM;
    m.alarm_count++;
    count = m.alarm_count;
    fwx_kv_set("alarm_count", 11, &count, 4); /* 4 bytes little-endian, as Kv.setU32 */
    fwx_gpio_write(m.relay, true);
    log_text(FWX_CORE_LOG_LEVEL_WARN, "temperature alarm");
    json_begin();
    json_str("state", "alarm");
    json_num("temp_c", t);
    json_num("threshold_c", m.s.threshold_c);
    json_int("warm_s", (int64_t)(m.warm_ms / 1000u));
    json_int("count", m.alarm_count);
    json_publish("cold-chain/alarm");
}

static void clear_alarm(double t)
{
    m.state = TEMP_NORMAL;
    m.warm_ms = 0;
    if (!m.sensor_fault) fwx_gpio_write(m.relay, false);
    log_text(FWX_CORE_LOG_LEVEL_INFO, "temperature alarm cleared");
    json_begin();
    json_str("state", "clear");
    json_num("temp_c", t);
    json_int("count", m.alarm_count);
    json_publish("cold-chain/alarm");
}

static void evaluate(double t, uint64_t elapsed_ms)
{
    if (m.state == TEMP_ALARM) {
        if (t < m.s.threshold_c - m.s.hysteresis_c) clear_alarm(t);
        return;
    }
    if (t <= m.s.threshold_c) {
        m.state = TEMP_NORMAL;
        m.warm_ms = 0;
        return;
    }
    if (m.state == TEMP_NORMAL) {
        /* The excursion starts now; nothing accrues before the first warm sample. */
        m.state = TEMP_PENDING;
        m.warm_ms = 0;
    } else if (!m.door_open) {
        m.warm_ms += elapsed_ms;
    }
    if (m.warm_ms >= m.s.alarm_delay_ms && !m.door_open) raise_alarm(t);
}

static void sample(void)
{
    uint64_t now = fwx_core_now_ms();
    uint64_t elapsed = now - m.last_sample_ms;
    double t = 0;
    uint64_t timestamp_us = 0;
    m.last_sample_ms = now;
    if (fwx_sensor_read(m.sensor, &t, &timestamp_us) != FWX_OK) {
        m.failed_reads++;
        if (m.failed_reads >= MAX_FAILED_READS && !m.sensor_fault) {
            m.sensor_fault = true;
            fwx_gpio_write(m.relay, true);
            log_text(FWX_CORE_LOG_LEVEL_ERROR, "cold_room sensor failing");
            publish_event("cold-chain/fault", "sensor");
        }
        return;
    }
    m.failed_reads = 0;
    if (m.sensor_fault) {
        m.sensor_fault = false;
        if (m.state != TEMP_ALARM) fwx_gpio_write(m.relay, false);
        publish_event("cold-chain/fault", "cleared");
    }
    m.last_temp_c = t;
    m.samples++;
    evaluate(t, elapsed);
    if (m.s.report_every != 0 && m.samples % m.s.report_every == 0) {
        json_begin();
        json_num("temp_c", t);
        json_int("state", m.state);
        json_bool("door_open", m.door_open);
        json_int("alarms", m.alarm_count);
        json_publish("cold-chain/reading");
    }
}

int32_t fwx_init(void)
{
    fwx_sensor_sensor_t sensor = 0;
    fwx_gpio_pin_t door = 0, relay = 0, buzzer = 0;
    bool ok;
    uint32_t level = 0;
    uint8_t count[8];
    uint32_t count_len = 0;

    m.running = false;
    load_settings(&m.s);
    if (fwx_sensor_find("cold_room", 9, &sensor) != FWX_OK) {
        log_text(FWX_CORE_LOG_LEVEL_ERROR, "cold_room sensor unavailable");
        return INIT_SENSOR_MISSING;
    }
    ok = fwx_gpio_claim(DOOR_PIN, FWX_GPIO_PIN_MODE_INPUT_PULL_UP, &door) == FWX_OK;
    ok = (fwx_gpio_claim(RELAY_PIN, FWX_GPIO_PIN_MODE_OUTPUT, &relay) == FWX_OK) && ok;
    ok = (fwx_gpio_claim(BUZZER_PIN, FWX_GPIO_PIN_MODE_OUTPUT, &buzzer) == FWX_OK) && ok;
    if (!ok || fwx_gpio_watch(door, FWX_GPIO_EDGE_RISING | FWX_GPIO_EDGE_FALLING) != FWX_OK) {
        log_text(FWX_CORE_LOG_LEVEL_ERROR, "door, relay or buzzer pin unavailable");
        return INIT_PIN_UNAVAILABLE;
    }

    m.sensor = sensor;
    m.door = door;
    m.relay = relay;
    m.buzzer = buzzer;
    m.state = TEMP_NORMAL;
    m.warm_ms = 0;
    m.last_temp_c = __builtin_nan("");
    m.door_open = m.door_alarm = m.sensor_fault = false;
    m.failed_reads = m.samples = 0;
    m.alarm_count = fwx_kv_get("alarm_count", 11, count, sizeof count, &count_len) == FWX_OK && count_len == 4
        ? (uint32_t)count[0] | (uint32_t)count[1] << 8 | (uint32_t)count[2] << 16 | (uint32_t)count[3] << 24
        : 0u;
    m.last_sample_ms = fwx_core_now_ms();
    /* Door switch to ground with a pull-up: high means the door is open. */
    set_door(fwx_gpio_read(door, &level) == FWX_OK ? level != 0 : false);
    if (fwx_timer_start(SAMPLE_TIMER, m.s.sample_period_ms, true) != FWX_OK) {
        log_text(FWX_CORE_LOG_LEVEL_ERROR, "no timer for sampling");
        return INIT_TIMER_UNAVAILABLE;
    }
    m.running = true;
    return INIT_OK;
}

void fwx_on_timer(uint32_t id)
{
    if (!m.running) return;
    if (id == SAMPLE_TIMER) sample();
    else if (id == DOOR_TIMER) door_too_long();
}

void fwx_on_event(uint32_t kind, uint32_t handle, uint32_t arg)
{
    if (m.running && kind == FWX_EVENT_GPIO_EDGE && handle == m.door) set_door(arg != 0);
}

/* 1 during a sensor fault (an update trial then rolls back), else 0. */
int32_t fwx_health(void)
{
    return !m.running ? 1 : m.sensor_fault ? 1 : 0;
}

void fwx_deinit(void)
{
    if (!m.running) return;
    fwx_timer_cancel(SAMPLE_TIMER);
    fwx_timer_cancel(DOOR_TIMER);
    m.running = false;
}
