// Capabilities as CBOR: the same shape as src/caps/capabilities.ts, with
// small-integer keys and GPIO modes as a bit mask (bit i = PIN_MODES[i]) so a
// certificate granting a handful of pins costs tens of bytes, not hundreds.

import { CapabilityError, PIN_MODES, parseCapabilities, type Capabilities } from "../caps/capabilities.js";
import type { CborMap, CborValue } from "./cbor.js";
import { FieldError, Fields, asArray, asText, asUint, compactMap } from "./fields.js";

export const CAPS_KEYS = {
  timers: 1, sensors: 2, gpio: 3, adc: 4, pwm: 5, i2c: 6, spi: 7, uart: 8, telemetry: 9, kv: 10,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(CAPS_KEYS).map(([n, k]) => [k, n]));

function modeMask(modes: readonly string[]): number {
  let mask = 0;
  for (const m of modes) {
    const bit = (PIN_MODES as readonly string[]).indexOf(m);
    if (bit < 0) throw new RangeError(`unknown pin mode ${m}`);
    mask |= 1 << bit;
  }
  return mask;
}

export function encodeCapabilities(c: Capabilities): CborMap {
  const pairs = <T>(list: T[] | undefined, f: (x: T) => [number, number]) => list?.map((x) => f(x) as CborValue[]);
  return compactMap({
    [CAPS_KEYS.timers]: c.timers,
    [CAPS_KEYS.sensors]: c.sensors,
    [CAPS_KEYS.gpio]: pairs(c.gpio, (g) => [g.pin, modeMask(g.modes)]),
    [CAPS_KEYS.adc]: c.adc,
    [CAPS_KEYS.pwm]: c.pwm,
    [CAPS_KEYS.i2c]: pairs(c.i2c, (g) => [g.bus, g.address]),
    [CAPS_KEYS.spi]: pairs(c.spi, (g) => [g.bus, g.cs]),
    [CAPS_KEYS.uart]: c.uart,
    [CAPS_KEYS.telemetry]: c.telemetry,
    [CAPS_KEYS.kv]: c.kv,
  });
}

function pair(v: CborValue, path: string): [number, number] {
  const a = asArray(v, path);
  if (a.length !== 2) throw new FieldError(path, `expected a pair, found ${a.length} items`);
  return [asUint(a[0]!, `${path}[0]`, 0xffffffff), asUint(a[1]!, `${path}[1]`, 0xffffffff)];
}

export function decodeCapabilities(v: CborValue, path: string): Capabilities {
  if (!(v instanceof Map)) throw new FieldError(path, "expected a map of capabilities");
  const f = new Fields(v, path, NAMES);
  const uints = (key: number) => f.optional(key, (x, p) => asArray(x, p).map((e, i) => asUint(e, `${p}[${i}]`, 0xffffffff)));
  const texts = (key: number) => f.optional(key, (x, p) => asArray(x, p).map((e, i) => asText(e, `${p}[${i}]`, 64)));
  const pairs = (key: number) => f.optional(key, (x, p) => asArray(x, p).map((e, i) => pair(e, `${p}[${i}]`)));
  const json: Record<string, unknown> = {
    timers: f.optional(CAPS_KEYS.timers, asUint),
    sensors: texts(CAPS_KEYS.sensors),
    gpio: pairs(CAPS_KEYS.gpio)?.map(([pin, mask], i) => {
      if (mask === 0 || mask >= 1 << PIN_MODES.length) throw new FieldError(`${f.at(CAPS_KEYS.gpio)}[${i}][1]`, `mode mask ${mask} is empty or names unknown modes`);
      return { pin, modes: PIN_MODES.filter((_, bit) => mask & (1 << bit)) };
    }),
    adc: uints(CAPS_KEYS.adc),
    pwm: uints(CAPS_KEYS.pwm),
    i2c: pairs(CAPS_KEYS.i2c)?.map(([bus, address]) => ({ bus, address })),
    spi: pairs(CAPS_KEYS.spi)?.map(([bus, cs]) => ({ bus, cs })),
    uart: uints(CAPS_KEYS.uart),
    telemetry: texts(CAPS_KEYS.telemetry),
    kv: f.optional(CAPS_KEYS.kv, asUint),
  };
  for (const k of Object.keys(json)) if (json[k] === undefined) delete json[k];
  try {
    // The same rules as capability JSON files (topic syntax, address ranges), so both paths agree.
    return parseCapabilities(json, path);
  } catch (e) {
    if (e instanceof CapabilityError) throw new FieldError(e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
}
