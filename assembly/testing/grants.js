// The manifest's grants, applied by the as-pect mock as the device agent
// applies them: a call outside the module's capabilities returns
// not-permitted, with the same detail text the device gives. The rules
// mirror src/caps/capabilities.ts (`allows`, `grantsKind`, `topicAllowed`);
// tests/sdk/mock-grants.test.ts checks the two agree case by case, because
// this file ships to integrators as plain JavaScript and cannot import the
// TypeScript sources.
//
// Without a manifest (the SDK's own specs) the mock grants everything.

import { STATUS } from "./mock-glue.generated.js";

const PIN_MODES = ["input", "input-pull-up", "input-pull-down", "output", "output-open-drain"];
const utf8 = new TextEncoder();

/** Exact topics, prefixes ending in "/#", and "#" for all: as topicAllowed. */
export function topicAllowed(patterns, topic) {
  for (const p of patterns ?? []) {
    if (p === "#" || p === topic) return true;
    if (p.endsWith("/#") && topic.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

const hex = (n) => `0x${n.toString(16).padStart(2, "0")}`;
const has = (list, pred) => (list ?? []).some(pred);
const noKind = (fn, kind) => `${fn}: the module has no ${kind} grant`;

/**
 * Why `caps` refuses this call, or null when it is granted. `args` are the
 * decoded arguments the generated glue passes to the simulated device.
 * Argument rules the device checks before the grant (a malformed topic, an
 * address over 7 bits) are left to the device, so their status wins.
 */
export function refusal(caps, fn, args) {
  switch (fn) {
    case "timer.start": case "timer.cancel":
      return (caps.timers ?? 0) > 0 ? null : noKind(fn, "timer");
    case "kv.get": case "kv.set": case "kv.delete":
      return (caps.kv ?? 0) > 0 ? null : noKind(fn, "kv");
    case "sensor.find": {
      if (!caps.sensors?.length) return noKind(fn, "sensor");
      const [name] = args;
      return caps.sensors.includes(name) ? null : `${fn}: the module was not granted sensor ${name}`;
    }
    case "gpio.claim": {
      if (!caps.gpio?.length) return noKind(fn, "gpio");
      const [pin, mode] = args;
      const modeName = PIN_MODES[mode] ?? String(mode);
      return has(caps.gpio, (g) => g.pin === pin && g.modes.includes(modeName)) ? null : `${fn}: the module was not granted pin ${pin} as ${modeName}`;
    }
    case "adc.open": case "pwm.open": case "uart.open": {
      const [kind, what, list] = { "adc.open": ["adc", "ADC channel", caps.adc], "pwm.open": ["pwm", "PWM channel", caps.pwm], "uart.open": ["uart", "UART port", caps.uart] }[fn];
      if (!list?.length) return noKind(fn, kind);
      return list.includes(args[0]) ? null : `${fn}: the module was not granted ${what} ${args[0]}`;
    }
    case "i2c.write": case "i2c.read": case "i2c.write_read": {
      const [bus, address] = args;
      if (address > 0x7f) return null;
      return has(caps.i2c, (g) => g.bus === bus && g.address === address) ? null : `${fn}: the module was not granted I2C bus ${bus} address ${hex(address)}`;
    }
    case "spi.transfer": {
      if (!caps.spi?.length) return noKind(fn, "spi");
      const [bus, cs] = args;
      return has(caps.spi, (g) => g.bus === bus && g.cs === cs) ? null : `${fn}: the module was not granted SPI bus ${bus} cs ${cs}`;
    }
    case "telemetry.publish": {
      if (!caps.telemetry?.length) return noKind(fn, "telemetry");
      const [topic] = args;
      const n = utf8.encode(topic).length;
      if (n === 0 || n > 64 || /[+#\0]/.test(topic)) return null;
      return topicAllowed(caps.telemetry, topic) ? null : `${fn}: "${topic}" is outside the grant ${caps.telemetry.join(", ")}`;
    }
    default:
      return null;
  }
}

/** Simulated-device methods by ABI function, for the calls a grant scopes. */
const GUARDED = [
  ["timer", "start", "timer.start"], ["timer", "cancel", "timer.cancel"],
  ["kv", "get", "kv.get"], ["kv", "set", "kv.set"], ["kv", "delete", "kv.delete"],
  ["sensor", "find", "sensor.find"], ["gpio", "claim", "gpio.claim"],
  ["adc", "open", "adc.open"], ["pwm", "open", "pwm.open"], ["uart", "open", "uart.open"],
  ["i2c", "write", "i2c.write"], ["i2c", "read", "i2c.read"], ["i2c", "writeRead", "i2c.write_read"],
  ["spi", "transfer", "spi.transfer"], ["telemetry", "publish", "telemetry.publish"],
];

/**
 * Puts the grant check in front of the simulated device's methods. `host.grants`
 * (a capabilities object, or null for "everything") is read on every call, so
 * a spec's Mock.reset() keeps it.
 */
export function guardGrants(host) {
  for (const [iface, method, fn] of GUARDED) {
    const impl = host.sim[iface];
    const device = impl[method];
    impl[method] = (...args) => {
      const why = host.grants ? refusal(host.grants, fn, args) : null;
      if (why === null) return device(...args);
      host.refusalDetail = why;
      return STATUS["not-permitted"];
    };
  }
}

/** The capabilities an fwx.json asks for (its `capabilities`, {} when it has none). */
export function manifestGrants(manifest) {
  const caps = manifest.capabilities ?? {};
  if (caps === null || typeof caps !== "object" || Array.isArray(caps)) throw new Error("fwx.json: capabilities must be an object");
  return caps;
}
