// The simulated device behind the as-pect host mock: a small in-memory board
// with named sensors, pins, timers on a controllable clock, a KV store,
// configuration, telemetry and log records (its buses are in sim-buses.js).
// The generated glue has already checked bounds, handles, enums and UTF-8;
// these methods implement what a well-behaved device does with valid
// arguments. Methods follow the host interface convention: params in spec
// order, outputs through `out`, return a status number.

import { STATUS } from "./mock-glue.generated.js";
import { I2cTarget, makeI2c, makeSpi, makeUart } from "./sim-buses.js";

const S = STATUS;
const utf8 = new TextEncoder();

/** Pins 0..63 exist on the simulated board unless a spec removes them. */
const PIN_COUNT = 64;

export class SimDevice {
  constructor(host) {
    this.host = host;
    this.reset();
    this.core = this.makeCore();
    this.timer = this.makeTimer();
    this.sensor = this.makeSensor();
    this.gpio = this.makeGpio();
    this.adc = this.makeAdc();
    this.pwm = this.makePwm();
    this.i2c = makeI2c(this);
    this.spi = makeSpi(this);
    this.uart = makeUart(this);
    this.kv = this.makeKv();
    this.telemetry = this.makeTelemetry();
  }

  reset() {
    this.nowUs = 0n;
    this.lastDetail = "";
    /** name → { value, unit, min, max, fault: status|0, handle } */
    this.sensors = new Map();
    /** pin → { level, mode, handle, edges } ; claimed pins only have a handle */
    this.pins = new Map();
    this.missingPins = new Set();
    /** id → { periodMs, periodic, dueUs, fired } */
    this.timers = new Map();
    this.timerLimit = 8;
    this.config = new Map();
    this.kvStore = new Map();
    this.kvQuota = 4096;
    this.logs = [];
    this.published = [];
    this.aborts = [];
    /** "bus:addr" → { regs: Uint8Array, pointer, queues: Map(reg → { width, entries: Uint8Array[] }) } */
    this.i2cDevices = new Map();
    /** "bus:cs" → { response: Uint8Array, sent: Uint8Array[] } */
    this.spiDevices = new Map();
    /** port → { rx: number[], tx: number[], open: handle|0, baud, parity, stopBits } (line settings of the last open) */
    this.ports = new Map();
    /** channel → { raw, bits, vrefMv } */
    this.adcChannels = new Map();
    /** channel → { duty, frequencyHz, handle } */
    this.pwmChannels = new Map();
  }

  /**
   * What the host does when it stops a module: timers cancelled, handles and
   * claims released, outputs back to inputs. The board, configuration and KV
   * store stay, so the next fwx_init sees a restart.
   */
  stopModule() {
    this.timers.clear();
    this.host.handles.clear();
    for (const s of this.sensors.values()) s.handle = 0;
    for (const p of this.pins.values()) {
      if (p.mode >= 3) p.level = false;
      p.handle = 0;
      p.mode = -1;
      p.edges = 0;
    }
    for (const port of this.ports.values()) port.open = 0;
    for (const ch of this.pwmChannels.values()) ch.handle = 0;
  }

  pin(number) {
    let p = this.pins.get(number);
    if (!p) {
      p = { level: false, mode: -1, handle: 0, edges: 0 };
      this.pins.set(number, p);
    }
    return p;
  }

  makeCore() {
    return {
      abort: (message, file, line, column) => {
        this.aborts.push({ message, file, line, column });
      },
      log: (level, message) => {
        this.logs.push({ level, message: message.length > 256 ? message.slice(0, 256) : message });
        return S.ok;
      },
      nowMs: () => this.nowUs / 1000n,
      nowUs: () => this.nowUs,
      configGet: (key, value, out) => {
        if (key === "") return S["invalid-arg"];
        if (!this.config.has(key)) return S["not-found"];
        const bytes = utf8.encode(this.config.get(key));
        out.valueLen = bytes.length;
        if (bytes.length > value.length) return S["no-space"];
        value.set(bytes);
        return S.ok;
      },
      errorDetail: (text, out) => {
        const bytes = utf8.encode(this.lastDetail);
        out.textLen = bytes.length;
        if (bytes.length > text.length) return S["no-space"];
        text.set(bytes);
        return S.ok;
      },
      fuelExhausted: () => {},
    };
  }

  makeTimer() {
    return {
      start: (id, periodMs, periodic) => {
        if (periodMs === 0) return S["invalid-arg"];
        if (!this.timers.has(id) && this.timers.size >= this.timerLimit) return S["no-space"];
        this.timers.set(id, { periodMs, periodic, dueUs: this.nowUs + BigInt(periodMs) * 1000n, fired: 0 });
        return S.ok;
      },
      cancel: (id) => (this.timers.delete(id) ? S.ok : S["not-found"]),
    };
  }

  makeSensor() {
    return {
      find: (name, out) => {
        if (name === "") return S["invalid-arg"];
        const s = this.sensors.get(name);
        if (!s) return S["not-found"];
        if (!s.handle) s.handle = this.host.issueHandle("sensor.sensor", name);
        out.handle = s.handle;
        return S.ok;
      },
      read: (handle, out) => {
        const s = this.sensors.get(this.host.resource("sensor.sensor", handle));
        if (s.fault) return s.fault;
        out.value = s.value;
        out.timestampUs = this.nowUs;
        return S.ok;
      },
      info: (handle, unit, out) => {
        const s = this.sensors.get(this.host.resource("sensor.sensor", handle));
        const bytes = utf8.encode(s.unit);
        out.unitLen = bytes.length;
        if (bytes.length > unit.length) return S["no-space"];
        unit.set(bytes);
        out.min = s.min;
        out.max = s.max;
        return S.ok;
      },
    };
  }

  makeGpio() {
    return {
      claim: (pin, mode, out) => {
        if (pin >= PIN_COUNT || this.missingPins.has(pin)) return S["not-found"];
        const p = this.pin(pin);
        if (p.handle) return S.busy;
        p.mode = mode;
        p.edges = 0;
        // Outputs start low; open-drain starts released (reads high via pull-up).
        if (mode === 3) p.level = false;
        if (mode === 4) p.level = true;
        p.handle = this.host.issueHandle("gpio.pin", pin);
        out.handle = p.handle;
        return S.ok;
      },
      read: (handle, out) => {
        out.level = this.pin(this.host.resource("gpio.pin", handle)).level ? 1 : 0;
        return S.ok;
      },
      write: (handle, level) => {
        const p = this.pin(this.host.resource("gpio.pin", handle));
        if (p.mode < 3) return S.unsupported;
        p.level = level;
        return S.ok;
      },
      watch: (handle, edges) => {
        const p = this.pin(this.host.resource("gpio.pin", handle));
        if (p.mode >= 3) return S.unsupported;
        p.edges = edges;
        return S.ok;
      },
      release: (handle) => {
        const p = this.pin(this.host.resource("gpio.pin", handle));
        this.host.releaseHandle("gpio.pin", handle);
        p.handle = 0;
        p.edges = 0;
        if (p.mode >= 3) p.level = false;
        p.mode = -1;
        return S.ok;
      },
    };
  }

  makeAdc() {
    return {
      open: (channel, out) => {
        const ch = this.adcChannels.get(channel);
        if (!ch) return S["not-found"];
        out.handle = this.host.issueHandle("adc.channel", channel);
        return S.ok;
      },
      read: (handle, out) => {
        const ch = this.adcChannels.get(this.host.resource("adc.channel", handle));
        out.raw = ch.raw;
        out.millivolts = Math.round((ch.raw * ch.vrefMv) / (2 ** ch.bits - 1));
        return S.ok;
      },
      info: (handle, out) => {
        const ch = this.adcChannels.get(this.host.resource("adc.channel", handle));
        out.bits = ch.bits;
        out.vrefMv = ch.vrefMv;
        return S.ok;
      },
    };
  }

  makePwm() {
    return {
      open: (channel, frequencyHz, out) => {
        if (frequencyHz === 0) return S["invalid-arg"];
        const existing = this.pwmChannels.get(channel);
        if (existing?.handle) return S.busy;
        const handle = this.host.issueHandle("pwm.channel", channel);
        this.pwmChannels.set(channel, { duty: 0, frequencyHz, handle });
        out.handle = handle;
        return S.ok;
      },
      setDuty: (handle, duty) => {
        if (!(duty >= 0 && duty <= 1)) return S["invalid-arg"];
        this.pwmChannels.get(this.host.resource("pwm.channel", handle)).duty = duty;
        return S.ok;
      },
      close: (handle) => {
        const ch = this.pwmChannels.get(this.host.resource("pwm.channel", handle));
        ch.duty = 0;
        ch.handle = 0;
        this.host.releaseHandle("pwm.channel", handle);
        return S.ok;
      },
    };
  }

  /** A register-file I2C target at bus/address (replacing one there): registers and no queued reads. */
  addI2cDevice(bus, address, registers) {
    this.i2cDevices.set(`${bus}:${address}`, new I2cTarget(registers));
  }

  /** The I2C target at bus/address, or undefined. */
  i2cTarget(bus, address) {
    return this.i2cDevices.get(`${bus}:${address}`);
  }

  /** Queues successive values of register `reg` of the target at bus/address; see I2cTarget.queue. */
  queueI2cReads(bus, address, reg, values, width) {
    const dev = this.i2cTarget(bus, address);
    if (!dev) throw new Error(`no I2C device at bus ${bus} address 0x${address.toString(16)}: create it with Mock.i2cDevice first`);
    dev.queue(reg, values, width);
  }

  /** Port `number`, created on first use (a spec may queue bytes before the module opens it). */
  port(number) {
    let p = this.ports.get(number);
    if (!p) {
      p = { rx: [], tx: [], open: 0, baud: 0, parity: -1, stopBits: -1 };
      this.ports.set(number, p);
    }
    return p;
  }

  kvUsed(exceptKey) {
    let used = 0;
    for (const [k, v] of this.kvStore) if (k !== exceptKey) used += utf8.encode(k).length + v.length;
    return used;
  }

  makeKv() {
    const badKey = (key) => key === "" || utf8.encode(key).length > 32;
    return {
      get: (key, value, out) => {
        if (badKey(key)) return S["invalid-arg"];
        const v = this.kvStore.get(key);
        if (!v) return S["not-found"];
        out.valueLen = v.length;
        if (v.length > value.length) return S["no-space"];
        value.set(v);
        return S.ok;
      },
      set: (key, value) => {
        if (badKey(key)) return S["invalid-arg"];
        if (this.kvUsed(key) + utf8.encode(key).length + value.length > this.kvQuota) return S["no-space"];
        this.kvStore.set(key, Uint8Array.from(value));
        return S.ok;
      },
      delete: (key) => {
        if (badKey(key)) return S["invalid-arg"];
        return this.kvStore.delete(key) ? S.ok : S["not-found"];
      },
    };
  }

  makeTelemetry() {
    return {
      publish: (topic, payload) => {
        if (topic === "" || utf8.encode(topic).length > 64 || /[+#\0]/.test(topic)) return S["invalid-arg"];
        if (payload.length > 1024) return S["no-space"];
        this.published.push({ topic, payload: Uint8Array.from(payload), atUs: this.nowUs });
        return S.ok;
      },
    };
  }

  /**
   * One step of advancing the clock to `targetUs`: moves it to the earliest
   * timer expiry at or before the target and returns that timer's id, or
   * moves it to the target and returns -1 when none is due. The caller runs
   * fwx_on_timer(id) between steps, so timers started or cancelled inside a
   * callback take effect for the rest of the advance, as on a device.
   */
  stepTimers(targetUs) {
    let nextId = -1;
    let next = null;
    for (const [id, t] of this.timers) if (t.dueUs <= targetUs && (!next || t.dueUs < next.dueUs)) { nextId = id; next = t; }
    if (!next) {
      if (targetUs > this.nowUs) this.nowUs = targetUs;
      return -1;
    }
    this.nowUs = next.dueUs;
    next.fired++;
    if (next.periodic) next.dueUs += BigInt(next.periodMs) * 1000n;
    else this.timers.delete(nextId);
    return nextId;
  }
}
