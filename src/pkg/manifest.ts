// The package manifest: everything a device decides on before it runs a byte
// of the payload. Encoded as a CBOR map with small-integer keys
// (docs/package-format.md has the table a C verifier follows).

import type { Capabilities } from "../caps/capabilities.js";
import type { InterfaceRequirement } from "../wasm/abi-section.js";
import { decodeCbor, encodeCbor, type CborValue } from "./cbor.js";
import { decodeCapabilities, encodeCapabilities } from "./caps-codec.js";
import { FieldError, Fields, asArray, asBool, asBytes, asMap, asText, asUint, compactMap } from "./fields.js";

// mcu: wasm3 on a microcontroller, which cannot meter code, so the payload is
// fuel-instrumented at pack time. gateway: the Node device agent, which
// instruments the payload itself and never trusts a foreign fuel counter, so
// the payload is not instrumented. One release therefore ships one package per class.
export const SOURCE_HASH_BYTES = 16;

export const DEVICE_CLASSES = ["mcu", "gateway"] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];
// The config setting types of fwx.json (src/build/manifest.ts); the index is the wire code.
export const CONFIG_TYPES = ["integer", "number", "boolean", "string"] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

export interface ConfigField {
  name: string;
  type: ConfigType;
  /** Served when the device has no value; absent = the module reads not-found. */
  default?: number | boolean | string;
  /** Inclusive bounds, integer and number settings only. */
  min?: number;
  max?: number;
}

export interface Manifest {
  id: string;
  version: string;
  /** Monotonic anti-rollback counter: a device installs only a higher one. */
  sequence: number;
  /** The runtime the payload is prepared for (see DEVICE_CLASSES). */
  deviceClass: DeviceClass;
  interfaces: InterfaceRequirement[];
  capabilities: Capabilities;
  budgets: { ramBytes: number; fuelPerCallback: number };
  config: ConfigField[];
  /** The payload's length is the header's (signed with the manifest), so it is not repeated here. */
  payload: { sha256: Uint8Array; fuelInstrumented: boolean };
}

/**
 * Build provenance. Nothing on a device reads it, so since format 2 it is not
 * in the signed package (36 bytes a package) but in the sidecar `fwx pack`
 * writes beside it (`<package>.build.json`, src/pkg/provenance.ts).
 * sourceHash: the first 16 bytes of SHA-256 over the project sources
 * (identification, not security: the payload hash is what is verified).
 */
export interface BuildProvenance { fwx: string; assemblyscript?: string; sourceHash?: Uint8Array }

export const MANIFEST_KEYS = {
  id: 1, version: 2, sequence: 3, deviceClass: 4, interfaces: 5, capabilities: 6,
  budgets: 7, config: 8, payloadSha256: 9, fuelInstrumented: 10,
} as const;
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(MANIFEST_KEYS).map(([n, k]) => [k, n]));
const BUDGET_NAMES: Record<number, string> = { 1: "ramBytes", 2: "fuelPerCallback" };

// Interfaces travel as numbers (format 2): an interface's number is its
// position here, and the list only grows, so a number never changes meaning.
// A name costs 5-10 bytes an entry, a number one (the pump example's list went
// from 53 to 20 bytes). The C verifier has the same list
// (firmware/runtime/fwx_pkg_fields.c), and tests/pkg/manifest.test.ts checks
// that every interface of host-abi/spec has a number.
export const INTERFACE_NUMBERS = ["core", "timer", "sensor", "gpio", "adc", "pwm", "i2c", "spi", "uart", "kv", "telemetry"] as const;
const MAX_INTERFACES = 64;

export const MODULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function configValue(type: ConfigType, v: CborValue, path: string): number | boolean | string {
  if (type === "boolean") return asBool(v, path);
  if (type === "string") return asText(v, path, 256);
  if (typeof v !== "number") throw new FieldError(path, `expected a ${type}`);
  if (type === "integer" && !Number.isInteger(v)) throw new FieldError(path, `${v} is not an integer`);
  return v;
}

// The config schema is one flat array, not an array of entries: it repeats
// once per setting, so every byte of framing counts (format 1's per-entry
// arrays and float64 bounds cost the pump example 42 bytes). Per setting:
//   name: text, shape: uint, then n values: default?, min?, max?
// shape = n | code << 2 (always below 24, so one byte). n (0..3) says how many
// of default, min, max follow; an absent one before a present one is null, so
// the last is never null and each setting has one encoding. code:
//   0 integer, 1 number, 2 boolean, 3 string,
//   4 number in tenths, 5 number in hundredths: the values are integers m
//     standing for m / 10 or m / 100 (IEEE division, correctly rounded, so
//     the same double JSON.parse gives for the decimal), at least one not a
//     multiple of 10 (else a smaller code would carry it).
// A number whose values are all integral uses code 1 with integers; float64
// appears only where no decimal code fits.
const CONFIG_CODES = ["integer", "number", "boolean", "string", "number", "number"] as const;
const DECIMAL_CODES: Record<number, number> = { 4: 10, 5: 100 };
// Decimal integers stay within ±2^50, where m / 10 and m / 100 keep distinct
// integers distinct and in order as doubles: the C verifier compares the
// integers, this one the doubles, and both must reach the same verdict.
export const MAX_DECIMAL_MAGNITUDE = 2 ** 50;
const VALUE_POSITIONS = ["default", "min", "max"] as const;
const MAX_CONFIG_FIELDS = 64;

/** The decimal code (4, 5) whose integers carry every value exactly, or 1. */
function numberCode(values: number[]): number {
  if (values.every((v) => Number.isInteger(v))) return 1;
  for (const code of [4, 5]) {
    const scale = DECIMAL_CODES[code]!;
    if (values.every((v) => { const m = Math.round(v * scale); return Math.abs(m) <= MAX_DECIMAL_MAGNITUDE && m / scale === v; })) return code;
  }
  return 1;
}

export function encodeConfig(fields: readonly ConfigField[]): CborValue[] {
  const out: CborValue[] = [];
  for (const c of fields) {
    const values: (number | boolean | string | null)[] = [c.default ?? null, c.min ?? null, c.max ?? null];
    while (values.length && values[values.length - 1] === null) values.pop();
    let code: number = CONFIG_TYPES.indexOf(c.type);
    if (c.type === "number") code = numberCode(values.filter((v): v is number => typeof v === "number"));
    const scale = DECIMAL_CODES[code];
    out.push(c.name, values.length | (code << 2), ...values.map((v) => (scale && typeof v === "number" ? Math.round(v * scale) : v)));
  }
  return out;
}

/** Reads one setting at items[at]; returns it and where the next begins. */
function decodeConfigField(items: CborValue[], at: number, path: string): { field: ConfigField; next: number } {
  const where = (i: number, what: string) => `${path}[${i}] ${what}`;
  if (at + 1 >= items.length) throw new FieldError(`${path}[${at}]`, "a setting needs a name and a shape");
  const name = asText(items[at]!, where(at, "name"), 64);
  const shape = asUint(items[at + 1]!, where(at + 1, "shape"), (CONFIG_CODES.length << 2) - 1);
  const n = shape & 3, code = shape >> 2;
  if (at + 2 + n > items.length) throw new FieldError(where(at + 1, "shape"), `says ${n} values follow; the array ends first`);
  const type = CONFIG_TYPES[code > 3 ? 1 : code]!;
  const scale = DECIMAL_CODES[code];
  const vals = items.slice(at + 2, at + 2 + n);
  if (n > 0 && vals[n - 1] === null) throw new FieldError(where(at + 1 + n, VALUE_POSITIONS[n - 1]!), "trailing null (shape counts only up to the last present value)");
  const field: ConfigField = { name, type };
  const numeric: number[] = [];
  vals.forEach((raw, i) => {
    if (raw === null) return;
    const p = where(at + 2 + i, VALUE_POSITIONS[i]!);
    let v: number | boolean | string;
    if (scale !== undefined) {
      if (typeof raw !== "number" || !Number.isInteger(raw)) throw new FieldError(p, `expected an integer (${scale === 10 ? "tenths" : "hundredths"})`);
      if (Math.abs(raw) > MAX_DECIMAL_MAGNITUDE) throw new FieldError(p, `${raw} is beyond ±2^50`);
      numeric.push(raw);
      v = raw / scale;
    } else if (i === 0) {
      v = configValue(type, raw, p);
    } else {
      if (typeof raw !== "number") throw new FieldError(p, "expected a number");
      if (type !== "number" && type !== "integer") throw new FieldError(p, `${type} settings have no bounds`);
      v = raw;
    }
    if (i === 0) field.default = v;
    else field[VALUE_POSITIONS[i] as "min" | "max"] = v as number;
  });
  if (scale !== undefined && numeric.every((m) => m % 10 === 0)) throw new FieldError(where(at + 1, "shape"), `code ${code} with every value a multiple of 10 (a smaller code carries them)`);
  const { default: d, min, max } = field;
  if (typeof d === "number" && ((min !== undefined && d < min) || (max !== undefined && d > max))) throw new FieldError(where(at + 2, "default"), `default ${d} is outside [${min ?? "-∞"}, ${max ?? "∞"}]`);
  if (min !== undefined && max !== undefined && min > max) throw new FieldError(where(at + 3, "min"), `min ${min} is above max ${max}`);
  return { field, next: at + 2 + n };
}

function decodeConfig(v: CborValue, path: string): ConfigField[] {
  const items = asArray(v, path, MAX_CONFIG_FIELDS * 5);
  const out: ConfigField[] = [];
  for (let at = 0; at < items.length;) {
    if (out.length === MAX_CONFIG_FIELDS) throw new FieldError(path, `more than ${MAX_CONFIG_FIELDS} settings`);
    const { field, next } = decodeConfigField(items, at, path);
    if (out.some((c) => c.name === field.name)) throw new FieldError(`${path}[${at}]`, `duplicate config field "${field.name}"`);
    out.push(field);
    at = next;
  }
  if (out.length === 0) throw new FieldError(path, "empty (left out when there are no settings)");
  return out;
}

export function encodeManifest(m: Manifest): Uint8Array {
  return encodeCbor(compactMap({
    [MANIFEST_KEYS.id]: m.id,
    [MANIFEST_KEYS.version]: m.version,
    [MANIFEST_KEYS.sequence]: m.sequence,
    [MANIFEST_KEYS.deviceClass]: DEVICE_CLASSES.indexOf(m.deviceClass),
    [MANIFEST_KEYS.interfaces]: [...m.interfaces].sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((i) => [interfaceNumber(i.name), i.major, i.minor]),
    [MANIFEST_KEYS.capabilities]: encodeCapabilities(m.capabilities),
    [MANIFEST_KEYS.budgets]: compactMap({ 1: m.budgets.ramBytes, 2: m.budgets.fuelPerCallback }),
    [MANIFEST_KEYS.config]: m.config.length ? encodeConfig(m.config) : undefined,
    [MANIFEST_KEYS.payloadSha256]: m.payload.sha256,
    [MANIFEST_KEYS.fuelInstrumented]: m.payload.fuelInstrumented,
  }));
}

/** The interface's number (INTERFACE_NUMBERS); throws RangeError for a name without one. */
export function interfaceNumber(name: string): number {
  const n = (INTERFACE_NUMBERS as readonly string[]).indexOf(name);
  if (n < 0) throw new RangeError(`interface "${name}" has no number in the package format (known: ${INTERFACE_NUMBERS.join(", ")})`);
  return n;
}

// Flat triples number, major, minor, in ascending order of the interfaces' names (the fwx.abi section's order), so unique.
function decodeInterfaces(v: CborValue, path: string): InterfaceRequirement[] {
  const items = asArray(v, path, MAX_INTERFACES * 3);
  if (items.length % 3 !== 0) throw new FieldError(path, `${items.length} items is not a whole number of [number, major, minor] triples`);
  const out: InterfaceRequirement[] = [];
  for (let i = 0; i < items.length; i += 3) {
    const id = asUint(items[i]!, `${path}[${i}] number`, INTERFACE_NUMBERS.length - 1);
    const name = INTERFACE_NUMBERS[id]!;
    if (out.length && out[out.length - 1]!.name >= name) throw new FieldError(`${path}[${i}]`, `interfaces not in ascending name order and unique at "${name}" (number ${id})`);
    out.push({ name, major: asUint(items[i + 1]!, `${path}[${i + 1}] major`, 0xffff), minor: asUint(items[i + 2]!, `${path}[${i + 2}] minor`, 0xffff) });
  }
  return out;
}

/** Decodes and checks a manifest's bytes. Throws CborError (encoding) or FieldError (content, by field path). */
export function decodeManifest(bytes: Uint8Array, baseOffset = 0): Manifest {
  const f = new Fields(asMap(decodeCbor(bytes, baseOffset), "manifest"), "manifest", NAMES);
  const text = (re: RegExp, what: string) => (v: CborValue, p: string) => {
    const s = asText(v, p, 64);
    if (!re.test(s)) throw new FieldError(p, `${JSON.stringify(s)} is not a valid ${what}`);
    return s;
  };
  const budgets = f.required(MANIFEST_KEYS.budgets, (v, p) => {
    const b = new Fields(asMap(v, p), p, BUDGET_NAMES);
    return { ramBytes: b.required(1, (x, q) => asUint(x, q, 0xffffffff)), fuelPerCallback: b.required(2, asUint) };
  });
  const m: Manifest = {
    id: f.required(MANIFEST_KEYS.id, text(MODULE_ID, "module id (lowercase letters, digits, . _ -)")),
    version: f.required(MANIFEST_KEYS.version, text(SEMVER, "semantic version")),
    sequence: f.required(MANIFEST_KEYS.sequence, asUint),
    deviceClass: DEVICE_CLASSES[f.required(MANIFEST_KEYS.deviceClass, (v, p) => asUint(v, p, DEVICE_CLASSES.length - 1))]!,
    interfaces: f.required(MANIFEST_KEYS.interfaces, decodeInterfaces),
    capabilities: f.required(MANIFEST_KEYS.capabilities, decodeCapabilities),
    budgets,
    config: f.optional(MANIFEST_KEYS.config, decodeConfig) ?? [],
    payload: {
      sha256: f.required(MANIFEST_KEYS.payloadSha256, (v, p) => asBytes(v, p, 32)),
      fuelInstrumented: f.required(MANIFEST_KEYS.fuelInstrumented, asBool),
    },
  };
  if (m.sequence < 1) throw new FieldError(f.at(MANIFEST_KEYS.sequence), "must be at least 1 (0 means \"nothing installed\")");
  return m;
}
