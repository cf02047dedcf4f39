/* C port of examples/pump-vibration (assembly/index.ts, monitor.ts,
 * settings.ts, adxl345.ts, alert.ts, analysis.ts, fft.ts): the same host
 * calls in the same order with the same arguments, the same config keys and
 * byte-identical telemetry and log lines, so it replays the AssemblyScript
 * module's recordings. sincos (as_math.h) and log are AssemblyScript's
 * own size-first Math, translated, so both languages pay the same for Math
 * and the FFT tables and peak interpolation round the same. */
#include "as_math.h"
#include "fwx_text.h"

#define RUNNING_PIN 3u
#define LED_PIN 7u
#define PERIOD_TIMER 1u
#define DRAIN_TIMER 2u
#define ALERT_COUNT_KEY LIT("alert_count")
#define MAX_RESTARTS 3u
#define FAULT_AFTER 3u
#define I2C_BUS 1u
#define ACCEL 0x53u
#define FFT_SIZE 256
#define FFT_LOG2 8
#define BANDS 4
#define BAND_BINS (FFT_SIZE / 2 / BANDS)
#define PI 3.141592653589793
#define GRAVITY_MM_S2 9806.65

/* ---- log line (Log.line): one static buffer; the ports' lines stay under 256 bytes ---- */
static uint8_t line[256];
static uint32_t line_len, line_level;
static void ln_begin(uint32_t level) { line_level = level; line_len = 0; }
static void ln_str(const char *s, uint32_t n) { copy(line + line_len, s, n); line_len += n; }
static void ln_uint(uint64_t v) { line_len += format_unsigned(line + line_len, v); }
static void ln_num(double v, int decimals) { line_len += format_decimal(line + line_len, v, decimals); }
static void ln_send(void) { core_log(line_level, (const char *)line, line_len); }

/* ---- settings ---- */
static struct {
  uint32_t sample_rate_hz, period_ms, start_delay_ms, confirm_blocks, report_every;
  uint8_t rate;
  double zone_b, zone_c, alert, hysteresis;
} s;

static uint8_t rate_code(uint32_t hz) {
  for (uint8_t code = 0x0a; code <= 0x0f; code++) if ((3200u >> (15 - code)) == hz) return code;
  return 0;
}

static uint32_t at_least_1(uint32_t v) { return v > 1 ? v : 1; }

static void load_settings(void) {
  uint32_t hz = config_u32(LIT("sample_rate_hz"), 400);
  uint8_t code = rate_code(hz);
  double h;
  s.sample_rate_hz = 400;
  s.rate = 0x0c;
  if (code == 0) core_log(LOG_WARN, LIT("sample_rate_hz must be 100, 200, 400, 800, 1600 or 3200; using 400"));
  else {
    s.sample_rate_hz = hz;
    s.rate = code;
  }
  s.period_ms = at_least_1(config_u32(LIT("period_s"), 10)) * 1000;
  s.start_delay_ms = config_u32(LIT("start_delay_s"), 20) * 1000;
  s.zone_b = config_number(LIT("zone_b_mm_s"), 1.4);
  s.zone_c = config_number(LIT("zone_c_mm_s"), 2.8);
  s.alert = config_number(LIT("alert_mm_s"), 4.5);
  h = config_number(LIT("hysteresis_mm_s"), 0.5);
  s.hysteresis = h > 0 ? h : 0;
  s.confirm_blocks = at_least_1(config_u32(LIT("confirm_blocks"), 2));
  s.report_every = config_u32(LIT("report_every"), 6);
}

/* ---- ADXL345 over I2C ---- */
static int32_t accel_status;
static double accel_x;
/* Register reads and sample reads land in separate buffers, as in adxl345.ts:
 * a recording keeps only the prefix of a buffer that a call changed, so a
 * replay is exact only when each buffer holds what the example's held. */
static uint8_t tx[2], rx1[1], rx6[6];

static int write_register(uint8_t reg, uint8_t value) {
  tx[0] = reg;
  tx[1] = value;
  accel_status = i2c_write(I2C_BUS, ACCEL, tx, 2);
  return accel_status == FWX_OK;
}

static int read_register(uint8_t reg) {
  tx[0] = reg;
  accel_status = i2c_write_read(I2C_BUS, ACCEL, tx, 1, rx1, 1);
  return accel_status == FWX_OK ? rx1[0] : -1;
}

static int accel_configure(uint8_t rate) {
  int id = read_register(0x00);
  if (id < 0) return 0;
  if (id != 0xe5) {
    accel_status = FWX_NOT_FOUND;
    return 0;
  }
  return write_register(0x2d, 0) && write_register(0x31, 0x09) && write_register(0x2c, rate) && write_register(0x38, 0x80);
}

static int accel_start(void) { return write_register(0x2d, 0) && write_register(0x2d, 0x08); }
static void accel_standby(void) { write_register(0x2d, 0); }

static int accel_overrun(void) {
  int v = read_register(0x30);
  return v >= 0 && (v & 1);
}

static int accel_waiting(void) {
  int v = read_register(0x39);
  return v < 0 ? -1 : v & 0x3f;
}

static int accel_read_sample(void) {
  tx[0] = 0x32;
  accel_status = i2c_write_read(I2C_BUS, ACCEL, tx, 1, rx6, 6);
  if (accel_status != FWX_OK) return 0;
  accel_x = (double)(int16_t)(rx6[0] | rx6[1] << 8) / 256;
  return 1;
}

/* ---- FFT and analysis ---- */
static double COS[FFT_SIZE / 2], SIN[FFT_SIZE / 2], HANN[FFT_SIZE], hann_power;
static uint16_t BITREV[FFT_SIZE];
static double RE[FFT_SIZE], IM[FFT_SIZE], POWER[FFT_SIZE / 2 + 1];

static void init_tables(void) {
  double power = 0;
  for (int k = 0; k < FFT_SIZE / 2; k++) {
    as_sincos((2 * PI * (double)k) / (double)FFT_SIZE);
    COS[k] = sincos_cos;
    SIN[k] = sincos_sin;
  }
  for (int i = 0; i < FFT_SIZE; i++) {
    int r = 0;
    for (int b = 0; b < FFT_LOG2; b++) r |= ((i >> b) & 1) << (FFT_LOG2 - 1 - b);
    BITREV[i] = (uint16_t)r;
  }
  for (int n = 0; n < FFT_SIZE; n++) {
    double w;
    as_sincos((2 * PI * (double)n) / (double)FFT_SIZE);
    w = 0.5 - 0.5 * sincos_cos;
    HANN[n] = w;
    power += w * w;
  }
  hann_power = power / (double)FFT_SIZE;
}

static void fft(void) {
  for (int i = 0; i < FFT_SIZE; i++) {
    int j = BITREV[i];
    if (j > i) {
      double tr = RE[i], ti = IM[i];
      RE[i] = RE[j];
      RE[j] = tr;
      IM[i] = IM[j];
      IM[j] = ti;
    }
  }
  for (int size = 2; size <= FFT_SIZE; size <<= 1) {
    int half = size >> 1, step = FFT_SIZE / size;
    for (int start = 0; start < FFT_SIZE; start += size)
      for (int k = 0; k < half; k++) {
        double wr = COS[k * step], wi = -SIN[k * step];
        int a = start + k, b = a + half;
        double br = RE[b], bi = IM[b];
        double tr = wr * br - wi * bi, ti = wr * bi + wi * br;
        double ar = RE[a], ai = IM[a];
        RE[b] = ar - tr;
        IM[b] = ai - ti;
        RE[a] = ar + tr;
        IM[a] = ai + ti;
      }
  }
}

/* AssemblyScript's Math.log at shrink level >= 1 (fdlibm's e_log.c). */
static double log_(double x) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  union { double f; uint64_t i; } u = {x};
  uint32_t hx = (uint32_t)(u.i >> 32);
  int k = 0;
  double f, hfsq, sz, z, w, r, dk;
  if ((hx >> 31) || hx < 0x00100000) {
    if (u.i << 1 == 0) return -1 / (x * x);
    if (hx >> 31) return (x - x) / 0.0;
    k -= 54;
    u.f = x * 18014398509481984.0;
    hx = (uint32_t)(u.i >> 32);
  } else if (hx >= 0x7ff00000) {
    return x;
  } else if (hx == 0x3ff00000 && u.i << 32 == 0) {
    return 0;
  }
  hx += 0x3ff00000 - 0x3fe6a09e;
  k += (int)(hx >> 20) - 0x3ff;
  hx = (hx & 0x000fffff) + 0x3fe6a09e;
  u.i = (uint64_t)hx << 32 | (u.i & 0xffffffff);
  f = u.f - 1.0;
  hfsq = 0.5 * f * f;
  sz = f / (2.0 + f);
  z = sz * sz;
  w = z * z;
  r = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7))) + w * (Lg2 + w * (Lg4 + w * Lg6));
  dk = (double)k;
  return sz * (hfsq + r) + dk * ln2_lo - hfsq + f + dk * ln2_hi;
}

static struct {
  double accel_rms_g, velocity_rms_mm_s, peak_hz;
  double band_g[BANDS];
} result;

static double peak_offset(int k) {
  double a, b, c, la, lb, lc, denominator, d;
  if (k < 1 || k >= FFT_SIZE / 2) return 0;
  a = POWER[k - 1];
  b = POWER[k];
  c = POWER[k + 1];
  if (a <= 0 || b <= 0 || c <= 0) return 0;
  la = 0.5 * log_(a);
  lb = 0.5 * log_(b);
  lc = 0.5 * log_(c);
  denominator = la - 2 * lb + lc;
  if (denominator >= 0) return 0;
  d = (0.5 * (la - lc)) / denominator;
  return d < -0.5 ? -0.5 : d > 0.5 ? 0.5 : d;
}

static double samples[FFT_SIZE];

static void analyse(double rate_hz) {
  const int n = FFT_SIZE, half = FFT_SIZE / 2;
  double sum = 0, mean, squares = 0, scale, bin_hz, velocity_squares = 0;
  int first_bin, peak;
  for (int i = 0; i < n; i++) sum += samples[i];
  mean = sum / (double)n;
  for (int i = 0; i < n; i++) {
    double x = samples[i] - mean;
    squares += x * x;
    RE[i] = x * HANN[i];
    IM[i] = 0;
  }
  result.accel_rms_g = __builtin_sqrt(squares / (double)n);
  fft();
  scale = 1.0 / ((double)n * (double)n * hann_power);
  for (int k = 0; k <= half; k++) {
    double p = (RE[k] * RE[k] + IM[k] * IM[k]) * scale;
    POWER[k] = k == 0 || k == half ? p : 2 * p;
  }
  bin_hz = rate_hz / (double)n;
  first_bin = (int)__builtin_ceil(10.0 / bin_hz);
  if (first_bin < 1) first_bin = 1;
  peak = first_bin;
  for (int k = first_bin; k <= half; k++) {
    double p = POWER[k], omega = 2 * PI * (double)k * bin_hz;
    velocity_squares += (p * GRAVITY_MM_S2 * GRAVITY_MM_S2) / (omega * omega);
    if (k < half && p > POWER[peak]) peak = k;
  }
  result.velocity_rms_mm_s = __builtin_sqrt(velocity_squares);
  result.peak_hz = ((double)peak + peak_offset(peak)) * bin_hz;
  for (int b = 0; b < BANDS; b++) {
    double e = 0;
    int from = 1 + b * BAND_BINS;
    for (int k = from; k < from + BAND_BINS; k++) e += POWER[k];
    result.band_g[b] = __builtin_sqrt(e);
  }
}

/* ---- the monitor ---- */
static struct {
  int active_monitor;
  uint32_t running_pin, led;
  int collected, collecting, running, sensor_fault, alert_active;
  uint32_t restarts, blocks, failed_blocks, alert_count, high_blocks;
  uint64_t running_since_ms;
} m;

static const char *zone_of(double v) {
  return v < s.zone_b ? "A" : v < s.zone_c ? "B" : v < s.alert ? "C" : "D";
}

static void end_block(void) {
  m.collecting = 0;
  timer_cancel(DRAIN_TIMER);
  accel_standby();
}

static void block_failed(void) {
  uint32_t status = (uint32_t)accel_status;
  end_block();
  m.failed_blocks++;
  ln_begin(LOG_DEBUG);
  ln_str(LIT("accelerometer transfer failed: status "));
  ln_uint(status);
  ln_send();
  if (m.failed_blocks >= FAULT_AFTER && !m.sensor_fault) {
    m.sensor_fault = 1;
    ln_begin(LOG_ERROR);
    ln_str(LIT("accelerometer failing ("));
    ln_uint(m.failed_blocks);
    ln_str(LIT(" blocks in a row, status "));
    ln_uint(status);
    ln_str(LIT(")"));
    ln_send();
    json_str(LIT("fault"), LIT("accelerometer"));
    json_bool(LIT("active"), 1);
    json_uint(LIT("status"), status);
    json_publish(LIT("pump/fault"));
  }
}

static void start_block(void) {
  static uint32_t level;
  int running;
  if (m.collecting) return;
  running = gpio_read(m.running_pin, &level) == FWX_OK && level != 0;
  if (running != m.running) {
    m.running = running;
    m.running_since_ms = core_now_ms();
    if (running) {
      ln_begin(LOG_INFO);
      ln_str(LIT("pump running: vibration monitoring starts in "));
      ln_uint(s.start_delay_ms / 1000);
      ln_str(LIT(" s"));
      ln_send();
    } else core_log(LOG_INFO, LIT("pump stopped: vibration monitoring paused"));
  }
  if (!running) return;
  if (core_now_ms() - m.running_since_ms < s.start_delay_ms) return;
  if (!accel_start()) {
    block_failed();
    return;
  }
  m.collected = 0;
  m.restarts = 0;
  m.collecting = 1;
  timer_start(DRAIN_TIMER, at_least_1(16000 / s.sample_rate_hz), 1);
}

static void alert_message(int active, const char *zone) {
  json_str(LIT("alert"), LIT("vibration"));
  json_bool(LIT("active"), active);
  json_num(LIT("v_rms_mm_s"), result.velocity_rms_mm_s, 2);
  json_num(LIT("limit_mm_s"), s.alert, 2);
  json_str(LIT("zone"), zone, 1);
  json_num(LIT("peak_hz"), result.peak_hz, 1);
  json_uint(LIT("alerts_total"), m.alert_count);
  json_publish(LIT("pump/alert"));
}

static void finish_block(void) {
  const char *zone;
  double v;
  end_block();
  if (m.sensor_fault) {
    m.sensor_fault = 0;
    core_log(LOG_INFO, LIT("accelerometer working again"));
    json_str(LIT("fault"), LIT("accelerometer"));
    json_bool(LIT("active"), 0);
    json_publish(LIT("pump/fault"));
  }
  m.failed_blocks = 0;
  m.blocks++;
  analyse((double)s.sample_rate_hz);
  v = result.velocity_rms_mm_s;
  zone = zone_of(v);
  ln_begin(LOG_DEBUG);
  ln_str(LIT("block "));
  ln_uint(m.blocks);
  ln_str(LIT(": "));
  ln_num(v, 2);
  ln_str(LIT(" mm/s (zone "));
  ln_str(zone, 1);
  ln_str(LIT("), "));
  ln_num(result.accel_rms_g, 3);
  ln_str(LIT(" g RMS, peak "));
  ln_num(result.peak_hz, 1);
  ln_str(LIT(" Hz"));
  ln_send();
  /* The alert state machine (alert.ts). */
  if (m.alert_active) {
    if (v < s.alert - s.hysteresis) {
      m.alert_active = 0;
      gpio_write(m.led, 0);
      ln_begin(LOG_INFO);
      ln_str(LIT("vibration back to "));
      ln_num(v, 2);
      ln_str(LIT(" mm/s (zone "));
      ln_str(zone, 1);
      ln_str(LIT("): alert cleared"));
      ln_send();
      alert_message(0, zone);
    }
  } else if (v >= s.alert) {
    if (++m.high_blocks >= s.confirm_blocks) {
      m.alert_active = 1;
      m.high_blocks = 0;
      m.alert_count++;
      kv_set_u32(ALERT_COUNT_KEY, m.alert_count);
      gpio_write(m.led, 1);
      ln_begin(LOG_WARN);
      ln_str(LIT("maintenance alert: vibration "));
      ln_num(v, 2);
      ln_str(LIT(" mm/s >= "));
      ln_num(s.alert, 1);
      ln_str(LIT(" mm/s (zone "));
      ln_str(zone, 1);
      ln_str(LIT("), dominant "));
      ln_num(result.peak_hz, 1);
      ln_str(LIT(" Hz; alert #"));
      ln_uint(m.alert_count);
      ln_send();
      alert_message(1, zone);
    }
  } else {
    m.high_blocks = 0;
  }
  if (s.report_every != 0 && m.blocks % s.report_every == 0) {
    static const char band_keys[] = "band1_gband2_gband3_gband4_g";
    json_num(LIT("v_rms_mm_s"), v, 2);
    json_num(LIT("a_rms_g"), result.accel_rms_g, 4);
    json_num(LIT("peak_hz"), result.peak_hz, 1);
    json_str(LIT("zone"), zone, 1);
    for (int b = 0; b < BANDS; b++) json_num(band_keys + 7 * b, 7, result.band_g[b], 4);
    json_bool(LIT("alert"), m.alert_active);
    json_publish(LIT("pump/vibration"));
  }
}

static void drain(void) {
  int waiting, take;
  if (accel_overrun()) {
    /* A gap in the block would put a step into the spectrum: start over. */
    if (++m.restarts > MAX_RESTARTS) {
      core_log(LOG_WARN, LIT("accelerometer FIFO keeps overrunning (timer late?); block skipped"));
      end_block();
      return;
    }
    m.collected = 0;
    if (!accel_start()) block_failed();
    return;
  }
  if (accel_status != FWX_OK) {
    block_failed();
    return;
  }
  waiting = accel_waiting();
  if (waiting < 0) {
    block_failed();
    return;
  }
  take = waiting < FFT_SIZE - m.collected ? waiting : FFT_SIZE - m.collected;
  for (int i = 0; i < take; i++) {
    if (!accel_read_sample()) {
      block_failed();
      return;
    }
    samples[m.collected++] = accel_x;
  }
  if (m.collected == FFT_SIZE) finish_block();
}

FWX_EXPORT("fwx_init") int32_t fwx_init(void) {
  int failed;
  m.active_monitor = 0;
  init_tables();
  load_settings();
  accel_status = FWX_OK;
  if (!accel_configure(s.rate)) {
    ln_begin(LOG_ERROR);
    ln_str(LIT("accelerometer at I2C 1/0x53 not usable: status "));
    ln_uint((uint32_t)accel_status);
    ln_send();
    return 1;
  }
  failed = gpio_claim(RUNNING_PIN, PIN_INPUT, &m.running_pin) != FWX_OK;
  failed |= gpio_claim(LED_PIN, PIN_OUTPUT, &m.led) != FWX_OK;
  if (failed || gpio_write(m.led, 0) != FWX_OK) {
    core_log(LOG_ERROR, LIT("pump-running input (pin 3) or alarm LED (pin 7) unavailable"));
    return 2;
  }
  m.collected = m.collecting = m.running = m.sensor_fault = m.alert_active = 0;
  m.restarts = m.blocks = m.failed_blocks = m.high_blocks = 0;
  m.running_since_ms = 0;
  m.alert_count = kv_get_u32(ALERT_COUNT_KEY, 0);
  ln_begin(LOG_INFO);
  ln_str(LIT("pump vibration monitor: "));
  ln_uint(FFT_SIZE);
  ln_str(LIT(" samples at "));
  ln_uint(s.sample_rate_hz);
  ln_str(LIT(" Hz every "));
  ln_uint(s.period_ms / 1000);
  ln_str(LIT(" s, alert at "));
  ln_num(s.alert, 1);
  ln_str(LIT(" mm/s, "));
  ln_uint(m.alert_count);
  ln_str(LIT(" alerts so far"));
  ln_send();
  if (timer_start(PERIOD_TIMER, s.period_ms, 1) != FWX_OK) {
    core_log(LOG_ERROR, LIT("no timer for the measurement period"));
    return 3;
  }
  start_block();
  m.active_monitor = 1;
  return 0;
}

FWX_EXPORT("fwx_on_timer") void fwx_on_timer(uint32_t id) {
  if (!m.active_monitor) return;
  if (id == PERIOD_TIMER) start_block();
  else if (id == DRAIN_TIMER && m.collecting) drain();
}

FWX_EXPORT("fwx_health") int32_t fwx_health(void) {
  return m.active_monitor ? m.sensor_fault : 1;
}

FWX_EXPORT("fwx_deinit") void fwx_deinit(void) {
  if (!m.active_monitor) return;
  timer_cancel(PERIOD_TIMER);
  timer_cancel(DRAIN_TIMER);
  accel_standby();
  m.active_monitor = 0;
}
