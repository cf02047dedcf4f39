// Scoped capabilities: what a module may touch. The same shape is used by a
// board profile (what the device can grant), an integrator certificate (what
// the integrator may ask for), a package manifest (what the module asks for)
// and the device agent (what was granted and is enforced on every call).

export interface GpioGrant {
  pin: number;
  /** pin-mode names from the ABI: "input", "input-pull-up", "output", ... */
  modes: string[];
}

export interface Capabilities {
  /** How many timers may run at once. */
  timers?: number;
  sensors?: string[];
  gpio?: GpioGrant[];
  adc?: number[];
  pwm?: number[];
  i2c?: { bus: number; address: number }[];
  spi?: { bus: number; cs: number }[];
  uart?: number[];
  /** Exact topics, or prefixes ending in "/#" (and "#" for all). */
  telemetry?: string[];
  /** KV quota in bytes (key + value bytes). */
  kv?: number;
}

export const PIN_MODES = ["input", "input-pull-up", "input-pull-down", "output", "output-open-drain"] as const;

export class CapabilityError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "CapabilityError";
  }
}

const isUint = (v: unknown, max = 0xffffffff): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Longest telemetry topic or prefix, in UTF-8 bytes, as telemetry.publish limits topics. */
export const MAX_TOPIC_BYTES = 64;
/** Most timers one module may run at once. */
export const MAX_TIMERS = 64;
/** The keys of a capabilities object (the manifest's JSON schema is generated from these). */
export const CAPABILITY_KEYS = ["timers", "sensors", "gpio", "adc", "pwm", "i2c", "spi", "uart", "telemetry", "kv"] as const;
const utf8 = new TextEncoder();

/** Checks untrusted JSON; throws CapabilityError naming the field (`path.gpio[2].modes[0]`). */
export function parseCapabilities(json: unknown, path: string): Capabilities {
  if (json === undefined || json === null) return {};
  if (!isRecord(json)) throw new CapabilityError(path, "must be an object");
  const o = json;
  const known: readonly string[] = CAPABILITY_KEYS;
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new CapabilityError(`${path}.${k}`, `unknown capability (known: ${known.join(", ")})`);
  const out: Capabilities = {};
  const arr = (k: string): unknown[] | undefined => {
    if (o[k] === undefined) return undefined;
    if (!Array.isArray(o[k])) throw new CapabilityError(`${path}.${k}`, "must be an array");
    return o[k] as unknown[];
  };
  const uints = (k: string, max?: number) =>
    arr(k)?.map((v, i) => {
      if (!isUint(v, max)) throw new CapabilityError(`${path}.${k}[${i}]`, `must be an integer 0..${max ?? 0xffffffff}`);
      return v;
    });
  if (o.timers !== undefined) {
    if (!isUint(o.timers, MAX_TIMERS)) throw new CapabilityError(`${path}.timers`, `must be an integer 0..${MAX_TIMERS}`);
    out.timers = o.timers;
  }
  if (o.kv !== undefined) {
    if (!isUint(o.kv)) throw new CapabilityError(`${path}.kv`, "must be a quota in bytes (non-negative integer)");
    out.kv = o.kv;
  }
  const sensors = arr("sensors");
  if (sensors) out.sensors = sensors.map((v, i) => {
    if (typeof v !== "string" || v === "") throw new CapabilityError(`${path}.sensors[${i}]`, "must be a non-empty sensor name");
    return v;
  });
  const gpio = arr("gpio");
  if (gpio) out.gpio = gpio.map((g, i) => {
    const p = `${path}.gpio[${i}]`;
    if (!isRecord(g)) throw new CapabilityError(p, "must be { pin, modes }");
    const { pin, modes } = g;
    if (!isUint(pin)) throw new CapabilityError(`${p}.pin`, "must be a pin number");
    if (!Array.isArray(modes) || modes.length === 0) throw new CapabilityError(`${p}.modes`, "must list at least one mode");
    modes.forEach((m, j) => {
      if (!(PIN_MODES as readonly unknown[]).includes(m)) throw new CapabilityError(`${p}.modes[${j}]`, `unknown mode ${JSON.stringify(m)} (known: ${PIN_MODES.join(", ")})`);
    });
    return { pin, modes: modes as string[] };
  });
  const adc = uints("adc"); if (adc) out.adc = adc;
  const pwm = uints("pwm"); if (pwm) out.pwm = pwm;
  const uart = uints("uart"); if (uart) out.uart = uart;
  const i2c = arr("i2c");
  if (i2c) out.i2c = i2c.map((g, i) => {
    if (!isRecord(g)) throw new CapabilityError(`${path}.i2c[${i}]`, "must be { bus, address }");
    const { bus, address } = g;
    if (!isUint(bus)) throw new CapabilityError(`${path}.i2c[${i}].bus`, "must be a bus number");
    if (!isUint(address, 0x7f)) throw new CapabilityError(`${path}.i2c[${i}].address`, "must be a 7-bit address 0..127");
    return { bus, address };
  });
  const spi = arr("spi");
  if (spi) out.spi = spi.map((g, i) => {
    if (!isRecord(g)) throw new CapabilityError(`${path}.spi[${i}]`, "must be { bus, cs }");
    const { bus, cs } = g;
    if (!isUint(bus)) throw new CapabilityError(`${path}.spi[${i}].bus`, "must be a bus number");
    if (!isUint(cs)) throw new CapabilityError(`${path}.spi[${i}].cs`, "must be a chip-select number");
    return { bus, cs };
  });
  const telemetry = arr("telemetry");
  if (telemetry) out.telemetry = telemetry.map((t, i) => {
    if (typeof t !== "string" || t === "" || /[+\0]/.test(t) || (t.includes("#") && !(t === "#" || t.endsWith("/#"))))
      throw new CapabilityError(`${path}.telemetry[${i}]`, "must be a topic (no + or NUL) or a prefix ending in /#");
    const bytes = utf8.encode(t).length;
    if (bytes > MAX_TOPIC_BYTES) throw new CapabilityError(`${path}.telemetry[${i}]`, `is ${bytes} bytes of UTF-8; topics are at most ${MAX_TOPIC_BYTES}`);
    return t;
  });
  return out;
}

export function topicAllowed(patterns: readonly string[] | undefined, topic: string): boolean {
  for (const p of patterns ?? []) {
    if (p === "#" || p === topic) return true;
    if (p.endsWith("/#") && topic.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

export const allows = {
  sensor: (c: Capabilities, name: string) => c.sensors?.includes(name) ?? false,
  gpio: (c: Capabilities, pin: number, mode: string) => c.gpio?.some((g) => g.pin === pin && g.modes.includes(mode)) ?? false,
  adc: (c: Capabilities, ch: number) => c.adc?.includes(ch) ?? false,
  pwm: (c: Capabilities, ch: number) => c.pwm?.includes(ch) ?? false,
  i2c: (c: Capabilities, bus: number, address: number) => c.i2c?.some((g) => g.bus === bus && g.address === address) ?? false,
  spi: (c: Capabilities, bus: number, cs: number) => c.spi?.some((g) => g.bus === bus && g.cs === cs) ?? false,
  uart: (c: Capabilities, port: number) => c.uart?.includes(port) ?? false,
  telemetry: (c: Capabilities, topic: string) => topicAllowed(c.telemetry, topic),
};

/**
 * Whether anything of a capability kind (the ABI's capability names: "gpio",
 * "timer", "kv", ...) is granted. The generated glue gates on this before the
 * implementation checks the scope; the C glue gates on the same bit per kind
 * in fwx_module_t.granted, which `grantedKindMask` computes.
 */
export function grantsKind(c: Capabilities, kind: string): boolean {
  switch (kind) {
    case "timer": return (c.timers ?? 0) > 0;
    case "kv": return (c.kv ?? 0) > 0;
    case "sensor": return (c.sensors?.length ?? 0) > 0;
    case "gpio": return (c.gpio?.length ?? 0) > 0;
    case "adc": return (c.adc?.length ?? 0) > 0;
    case "pwm": return (c.pwm?.length ?? 0) > 0;
    case "i2c": return (c.i2c?.length ?? 0) > 0;
    case "spi": return (c.spi?.length ?? 0) > 0;
    case "uart": return (c.uart?.length ?? 0) > 0;
    case "telemetry": return (c.telemetry?.length ?? 0) > 0;
    default: return false;
  }
}

/** fwx_module_t.granted for these capabilities: bit `id` per kind granted (ids from the ABI). */
export function grantedKindMask(c: Capabilities, kinds: readonly { name: string; id: number }[]): number {
  return kinds.reduce((mask, k) => (grantsKind(c, k.name) ? (mask | (1 << k.id)) >>> 0 : mask), 0);
}

/** Every part of `requested` not covered by `allowed`, each named ("gpio pin 5 mode output"). Empty = subset. */
export function capabilityExcess(requested: Capabilities, allowed: Capabilities): string[] {
  const out: string[] = [];
  if ((requested.timers ?? 0) > (allowed.timers ?? 0)) out.push(`timers ${requested.timers} (allowed ${allowed.timers ?? 0})`);
  if ((requested.kv ?? 0) > (allowed.kv ?? 0)) out.push(`kv quota ${requested.kv} bytes (allowed ${allowed.kv ?? 0})`);
  for (const s of requested.sensors ?? []) if (!allows.sensor(allowed, s)) out.push(`sensor ${s}`);
  for (const g of requested.gpio ?? []) for (const m of g.modes) if (!allows.gpio(allowed, g.pin, m)) out.push(`gpio pin ${g.pin} mode ${m}`);
  for (const ch of requested.adc ?? []) if (!allows.adc(allowed, ch)) out.push(`adc channel ${ch}`);
  for (const ch of requested.pwm ?? []) if (!allows.pwm(allowed, ch)) out.push(`pwm channel ${ch}`);
  for (const g of requested.i2c ?? []) if (!allows.i2c(allowed, g.bus, g.address)) out.push(`i2c bus ${g.bus} address 0x${g.address.toString(16).padStart(2, "0")}`);
  for (const g of requested.spi ?? []) if (!allows.spi(allowed, g.bus, g.cs)) out.push(`spi bus ${g.bus} cs ${g.cs}`);
  for (const p of requested.uart ?? []) if (!allows.uart(allowed, p)) out.push(`uart port ${p}`);
  for (const t of requested.telemetry ?? []) {
    // A requested prefix is covered only by an equal or wider allowed prefix.
    const ok = t.endsWith("#") ? (allowed.telemetry ?? []).some((a) => a === "#" || (a.endsWith("/#") && t.startsWith(a.slice(0, -1)))) : allows.telemetry(allowed, t);
    if (!ok) out.push(`telemetry topic ${t}`);
  }
  return out;
}
