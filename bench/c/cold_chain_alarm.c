/* C port of examples/cold-chain-alarm (assembly/index.ts, monitor.ts,
 * settings.ts): the same host calls in the same order with the same
 * arguments, the same config keys and byte-identical telemetry, so it
 * replays the AssemblyScript module's recordings. Built by `npm run bench`
 * (bench/c-ports.ts) to measure the AssemblyScript/C size ratio. */
#include "fwx_text.h"

#define DOOR_PIN 2u
#define RELAY_PIN 5u
#define BUZZER_PIN 6u
#define SAMPLE_TIMER 1u
#define DOOR_TIMER 2u
#define MAX_FAILED_READS 3u
#define ALARM_COUNT_KEY LIT("alarm_count")

enum { STATE_NORMAL = 0, STATE_PENDING = 1, STATE_ALARM = 2 };

static struct {
  double threshold_c, hysteresis_c;
  uint64_t alarm_delay_ms;
  uint32_t door_grace_ms, sample_period_ms, report_every;
} settings;

static struct {
  int running;
  uint32_t sensor, door, relay, buzzer;
  int state;
  uint64_t warm_ms, last_sample_ms;
  double last_temp_c;
  int door_open, door_alarm, sensor_fault;
  uint32_t failed_reads, samples, alarm_count;
} m;

static void load_settings(void) {
  double hysteresis;
  uint32_t v;
  settings.threshold_c = config_number(LIT("threshold_c"), 8);
  hysteresis = config_number(LIT("hysteresis_c"), 1);
  settings.hysteresis_c = hysteresis > 0 ? hysteresis : 0;
  settings.alarm_delay_ms = (uint64_t)config_u32(LIT("alarm_delay_s"), 300) * 1000;
  v = config_u32(LIT("door_grace_s"), 120);
  settings.door_grace_ms = (v > 1 ? v : 1) * 1000;
  v = config_u32(LIT("sample_period_s"), 10);
  settings.sample_period_ms = (v > 1 ? v : 1) * 1000;
  settings.report_every = config_u32(LIT("report_every"), 6);
}

static void publish_event(const char *topic, uint32_t topic_len, const char *what, uint32_t what_len) {
  json_str(LIT("event"), what, what_len);
  json_num(LIT("temp_c"), m.last_temp_c, 2);
  json_bool(LIT("door_open"), m.door_open);
  json_publish(topic, topic_len);
}

static void set_door(int open) {
  if (open == m.door_open) return;
  m.door_open = open;
  if (open) {
    timer_start(DOOR_TIMER, settings.door_grace_ms, 0);
    core_log(LOG_INFO, LIT("door opened"));
  } else {
    timer_cancel(DOOR_TIMER);
    if (m.door_alarm) {
      m.door_alarm = 0;
      gpio_write(m.buzzer, 0);
      publish_event(LIT("cold-chain/door"), LIT("closed"));
    }
    core_log(LOG_INFO, LIT("door closed"));
  }
}

static void door_too_long(void) {
  if (!m.door_open || m.door_alarm) return;
  m.door_alarm = 1;
  gpio_write(m.buzzer, 1);
  core_log(LOG_WARN, LIT("door open too long"));
  publish_event(LIT("cold-chain/door"), LIT("open_too_long"));
}

static void raise_alarm(double t) {
  m.state = STATE_ALARM;
  m.alarm_count++;
  kv_set_u32(ALARM_COUNT_KEY, m.alarm_count);
  gpio_write(m.relay, 1);
  core_log(LOG_WARN, LIT("temperature alarm"));
  json_str(LIT("state"), LIT("alarm"));
  json_num(LIT("temp_c"), t, 2);
  json_num(LIT("threshold_c"), settings.threshold_c, 2);
  json_uint(LIT("warm_s"), m.warm_ms / 1000);
  json_uint(LIT("count"), m.alarm_count);
  json_publish(LIT("cold-chain/alarm"));
}

static void clear_alarm(double t) {
  m.state = STATE_NORMAL;
  m.warm_ms = 0;
  if (!m.sensor_fault) gpio_write(m.relay, 0);
  core_log(LOG_INFO, LIT("temperature alarm cleared"));
  json_str(LIT("state"), LIT("clear"));
  json_num(LIT("temp_c"), t, 2);
  json_uint(LIT("count"), m.alarm_count);
  json_publish(LIT("cold-chain/alarm"));
}

static void evaluate(double t, uint64_t elapsed_ms) {
  if (m.state == STATE_ALARM) {
    if (t < settings.threshold_c - settings.hysteresis_c) clear_alarm(t);
    return;
  }
  if (t <= settings.threshold_c) {
    m.state = STATE_NORMAL;
    m.warm_ms = 0;
    return;
  }
  if (m.state == STATE_NORMAL) {
    m.state = STATE_PENDING;
    m.warm_ms = 0;
  } else if (!m.door_open) {
    m.warm_ms += elapsed_ms;
  }
  if (m.warm_ms >= settings.alarm_delay_ms && !m.door_open) raise_alarm(t);
}

static void sample(void) {
  static double value;
  static uint64_t timestamp_us;
  uint64_t now = core_now_ms(), elapsed = now - m.last_sample_ms;
  m.last_sample_ms = now;
  if (sensor_read(m.sensor, &value, &timestamp_us) != FWX_OK) {
    m.failed_reads++;
    if (m.failed_reads >= MAX_FAILED_READS && !m.sensor_fault) {
      m.sensor_fault = 1;
      gpio_write(m.relay, 1);
      core_log(LOG_ERROR, LIT("cold_room sensor failing"));
      publish_event(LIT("cold-chain/fault"), LIT("sensor"));
    }
    return;
  }
  m.failed_reads = 0;
  if (m.sensor_fault) {
    m.sensor_fault = 0;
    if (m.state != STATE_ALARM) gpio_write(m.relay, 0);
    publish_event(LIT("cold-chain/fault"), LIT("cleared"));
  }
  m.last_temp_c = value;
  m.samples++;
  evaluate(value, elapsed);
  if (settings.report_every != 0 && m.samples % settings.report_every == 0) {
    json_num(LIT("temp_c"), value, 2);
    json_uint(LIT("state"), (uint32_t)m.state);
    json_bool(LIT("door_open"), m.door_open);
    json_uint(LIT("alarms"), m.alarm_count);
    json_publish(LIT("cold-chain/reading"));
  }
}

FWX_EXPORT("fwx_init") int32_t fwx_init(void) {
  static uint32_t level;
  int failed;
  m.running = 0;
  load_settings();
  if (sensor_find(LIT("cold_room"), &m.sensor) != FWX_OK) {
    core_log(LOG_ERROR, LIT("cold_room sensor unavailable"));
    return 1;
  }
  failed = gpio_claim(DOOR_PIN, PIN_INPUT_PULL_UP, &m.door) != FWX_OK;
  failed |= gpio_claim(RELAY_PIN, PIN_OUTPUT, &m.relay) != FWX_OK;
  failed |= gpio_claim(BUZZER_PIN, PIN_OUTPUT, &m.buzzer) != FWX_OK;
  if (failed || gpio_watch(m.door, EDGE_RISING | EDGE_FALLING) != FWX_OK) {
    core_log(LOG_ERROR, LIT("door, relay or buzzer pin unavailable"));
    return 2;
  }
  m.state = STATE_NORMAL;
  m.warm_ms = 0;
  m.last_temp_c = __builtin_nan("");
  m.door_open = m.door_alarm = m.sensor_fault = 0;
  m.failed_reads = m.samples = 0;
  m.alarm_count = kv_get_u32(ALARM_COUNT_KEY, 0);
  m.last_sample_ms = core_now_ms();
  /* Door switch to ground with a pull-up: high means the door is open. */
  set_door(gpio_read(m.door, &level) == FWX_OK && level != 0);
  if (timer_start(SAMPLE_TIMER, settings.sample_period_ms, 1) != FWX_OK) {
    core_log(LOG_ERROR, LIT("no timer for sampling"));
    return 3;
  }
  m.running = 1;
  return 0;
}

FWX_EXPORT("fwx_on_timer") void fwx_on_timer(uint32_t id) {
  if (!m.running) return;
  if (id == SAMPLE_TIMER) sample();
  else if (id == DOOR_TIMER) door_too_long();
}

FWX_EXPORT("fwx_on_event") void fwx_on_event(uint32_t kind, uint32_t handle, uint32_t arg) {
  if (m.running && kind == EVENT_GPIO_EDGE && handle == m.door) set_door(arg != 0);
}

FWX_EXPORT("fwx_health") int32_t fwx_health(void) {
  return m.running ? m.sensor_fault : 1;
}

FWX_EXPORT("fwx_deinit") void fwx_deinit(void) {
  if (!m.running) return;
  timer_cancel(SAMPLE_TIMER);
  timer_cancel(DOOR_TIMER);
  m.running = 0;
}
