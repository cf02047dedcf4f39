// The `fwx:mock` import module: what `Mock.*` in assembly/testing/index.ts
// calls to set up the simulated device and inspect what the module did.
// Strings from the spec arrive as AssemblyScript UTF-16 (pointer + length in
// code units); strings back to the spec go out as UTF-8 with the two-call
// "ask for the length, then fetch" pattern, so the mock never allocates in
// module memory either.

import { MockTrap } from "./mock-host.js";

const utf8 = new TextEncoder();
const utf16 = new TextDecoder("utf-16le");

export function createControlImports(host) {
  const sim = host.sim;
  const str = (ptr, units) => {
    const bytes = host.bytes();
    if ((ptr >>> 0) + units * 2 > bytes.length) throw new MockTrap("fwx mock: string outside memory");
    return utf16.decode(bytes.subarray(ptr >>> 0, (ptr >>> 0) + units * 2));
  };
  /** Copies `data` to [ptr, ptr+cap) when it fits; always returns its length. */
  const give = (data, ptr, cap) => {
    if (data.length <= cap) {
      host.checkRange("fwx:mock", "buffer", ptr, data.length);
      host.bytes().set(data, ptr >>> 0);
    }
    return data.length;
  };
  const at = (list, index) => list[index < 0 ? list.length + index : index];
  const sensor = (name) => {
    let s = sim.sensors.get(name);
    if (!s) {
      s = { value: 0, unit: "", min: -Infinity, max: Infinity, fault: 0, handle: 0 };
      sim.sensors.set(name, s);
    }
    return s;
  };

  return {
    reset: () => host.reset(),
    stop_module: () => sim.stopModule(),

    sensor_set: (p, n, value) => { const s = sensor(str(p, n)); s.value = value; s.fault = 0; },
    sensor_fault: (p, n, status) => { sensor(str(p, n)).fault = status; },
    sensor_describe: (p, n, up, un, min, max) => { const s = sensor(str(p, n)); s.unit = str(up, un); s.min = min; s.max = max; },
    sensor_remove: (p, n) => { sim.sensors.delete(str(p, n)); },

    config_set: (kp, kn, vp, vn) => { sim.config.set(str(kp, kn), str(vp, vn)); },
    config_delete: (kp, kn) => { sim.config.delete(str(kp, kn)); },

    now_us: () => sim.nowUs,
    advance_step: (targetUs) => sim.stepTimers(BigInt.asUintN(64, targetUs)),
    timer_running: (id) => (sim.timers.has(id >>> 0) ? 1 : 0),
    timer_period: (id) => sim.timers.get(id >>> 0)?.periodMs ?? 0,
    timer_periodic: (id) => (sim.timers.get(id >>> 0)?.periodic ? 1 : 0),
    timer_limit: (n) => { sim.timerLimit = n >>> 0; },

    pin_level: (pin) => (sim.pin(pin >>> 0).level ? 1 : 0),
    pin_mode: (pin) => sim.pin(pin >>> 0).mode,
    pin_handle: (pin) => sim.pin(pin >>> 0).handle,
    pin_edges: (pin) => sim.pin(pin >>> 0).edges,
    pin_drive: (pin, level) => { sim.pin(pin >>> 0).level = level !== 0; },
    pin_remove: (pin) => { sim.missingPins.add(pin >>> 0); },

    telemetry_count: () => sim.published.length,
    telemetry_topic: (index, ptr, cap) => { const m = at(sim.published, index); return m ? give(utf8.encode(m.topic), ptr, cap) : -1; },
    telemetry_payload: (index, ptr, cap) => { const m = at(sim.published, index); return m ? give(m.payload, ptr, cap) : -1; },

    log_count: (level) => (level < 0 ? sim.logs.length : sim.logs.filter((l) => l.level === level).length),
    log_level: (index) => at(sim.logs, index)?.level ?? -1,
    log_message: (index, ptr, cap) => { const l = at(sim.logs, index); return l ? give(utf8.encode(l.message), ptr, cap) : -1; },

    abort_count: () => sim.aborts.length,
    allocations: () => {
      if (host.allocations === null) throw new MockTrap('fwx mock: Mock.allocations() needs the runtime\'s allocation trace: add "ASC_RTRACE=1" to options.use in as-pect.asconfig.json (the fwx scaffold has it)');
      return host.allocations;
    },

    call_count: (p, n) => host.callCount(str(p, n)),
    last_status: (p, n) => {
      const fn = str(p, n);
      host.assertKnown(fn);
      for (let i = host.calls.length - 1; i >= 0; i--) if (host.calls[i].fn === fn) return host.calls[i].status ?? -1;
      return -1;
    },
    fail_next: (p, n, status) => host.failNext(str(p, n), status),
    fail_always: (p, n, status) => host.failAlways(str(p, n), status),

    kv_put: (kp, kn, vp, vn) => { host.checkRange("fwx:mock", "value", vp, vn); sim.kvStore.set(str(kp, kn), Uint8Array.from(host.view(vp, vn))); },
    kv_fetch: (kp, kn, ptr, cap) => { const v = sim.kvStore.get(str(kp, kn)); return v ? give(v, ptr, cap) : -1; },
    kv_quota: (bytes) => { sim.kvQuota = bytes >>> 0; },

    i2c_device: (bus, address, rp, rn) => {
      host.checkRange("fwx:mock", "registers", rp, rn);
      sim.addI2cDevice(bus >>> 0, address & 0x7f, host.view(rp, rn));
    },
    i2c_register: (bus, address, reg) => {
      const dev = sim.i2cTarget(bus >>> 0, address & 0x7f);
      return dev && reg >>> 0 < dev.regs.length ? dev.regs[reg >>> 0] : -1;
    },
    i2c_set_register: (bus, address, reg, value) => {
      const dev = sim.i2cTarget(bus >>> 0, address & 0x7f);
      if (!dev || reg >>> 0 >= dev.regs.length) throw new MockTrap(`fwx mock: Mock.i2cSetRegister: no register 0x${(reg >>> 0).toString(16)} on an I2C device at bus ${bus >>> 0} address 0x${(address & 0x7f).toString(16)}`);
      dev.regs[reg >>> 0] = value & 0xff;
    },
    i2c_queue: (bus, address, reg, vp, vn, width) => {
      host.checkRange("fwx:mock", "values", vp, vn);
      try {
        sim.queueI2cReads(bus >>> 0, address & 0x7f, reg >>> 0, host.view(vp, vn), width | 0);
      } catch (e) {
        throw new MockTrap(`fwx mock: Mock.i2cQueue: ${e.message}`);
      }
    },
    i2c_queued: (bus, address, reg) => {
      const dev = sim.i2cTarget(bus >>> 0, address & 0x7f);
      return dev ? (dev.queues.get(reg >>> 0)?.entries.length ?? 0) : -1;
    },

    spi_device: (bus, cs, rp, rn) => {
      host.checkRange("fwx:mock", "response", rp, rn);
      sim.spiDevices.set(`${bus >>> 0}:${cs >>> 0}`, { response: Uint8Array.from(host.view(rp, rn)), sent: [] });
    },
    spi_sent: (bus, cs, index, ptr, cap) => {
      const dev = sim.spiDevices.get(`${bus >>> 0}:${cs >>> 0}`);
      const frame = dev ? at(dev.sent, index) : undefined;
      return frame ? give(frame, ptr, cap) : -1;
    },

    uart_receive: (port, ptr, len) => {
      host.checkRange("fwx:mock", "bytes", ptr, len);
      const p = sim.port(port >>> 0);
      p.rx.push(...host.view(ptr, len));
      return p.rx.length;
    },
    uart_sent: (port, ptr, cap) => { const p = sim.ports.get(port >>> 0); return p ? give(Uint8Array.from(p.tx), ptr, cap) : -1; },
    uart_handle: (port) => sim.ports.get(port >>> 0)?.open ?? 0,
    uart_waiting: (port) => sim.ports.get(port >>> 0)?.rx.length ?? 0,
    // Line settings of the last open, kept after close; 0 / -1 when never opened.
    uart_baud: (port) => sim.ports.get(port >>> 0)?.baud ?? 0,
    uart_parity: (port) => sim.ports.get(port >>> 0)?.parity ?? -1,
    uart_stop_bits: (port) => sim.ports.get(port >>> 0)?.stopBits ?? -1,

    adc_set: (channel, raw, bits, vrefMv) => { sim.adcChannels.set(channel >>> 0, { raw: raw >>> 0, bits: bits >>> 0, vrefMv: vrefMv >>> 0 }); },
    pwm_duty: (channel) => { const ch = sim.pwmChannels.get(channel >>> 0); return ch && ch.handle ? ch.duty : -1; },
  };
}
