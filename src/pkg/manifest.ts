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
  /** Provenance. sourceHash: the first 16 bytes of SHA-256 over the project sources (identification, not security: the payload hash is what is verified). */
  build: { fwx: string; assemblyscript?: string; sourceHash?: Uint8Array };
}

export const MANIFEST_KEYS = {
  id: 1, version: 2, sequence: 3, deviceClass: 4, interfaces: 5, capabilities: 6,
  budgets: 7, config: 8, payloadSha256: 9, fuelInstrumented: 10, build: 11,
} as const;
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(MANIFEST_KEYS).map(([n, k]) => [k, n]));
const BUDGET_NAMES: Record<number, string> = { 1: "ramBytes", 2: "fuelPerCallback" };
const BUILD_NAMES: Record<number, string> = { 1: "fwx", 2: "assemblyscript", 3: "sourceHash" };

export const MODULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const IFACE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

function configValue(type: ConfigType, v: CborValue, path: string): number | boolean | string {
  if (type === "boolean") return asBool(v, path);
  if (type === "string") return asText(v, path, 256);
  if (typeof v !== "number") throw new FieldError(path, `expected a ${type}`);
  if (type === "integer" && !Number.isInteger(v)) throw new FieldError(path, `${v} is not an integer`);
  return v;
}

// A config entry is a positional array, not a keyed map: it is repeated once
// per setting, and keys would cost 5 bytes an entry (a schema of ten settings,
// 50 bytes). Interfaces and capability pairs are positional for the same reason.
//   [name, type, default?, min?, max?]
// Trailing absent fields are left out; an absent field before a present one is
// null. So the last item is never null and each entry has one encoding.
const CONFIG_POSITIONS = ["name", "type", "default", "min", "max"] as const;

function encodeConfigField(c: ConfigField): CborValue[] {
  const items: CborValue[] = [c.name, CONFIG_TYPES.indexOf(c.type), c.default ?? null, c.min ?? null, c.max ?? null];
  while (items[items.length - 1] === null) items.pop();
  return items;
}

function decodeConfigField(v: CborValue, path: string): ConfigField {
  const items = asArray(v, path, CONFIG_POSITIONS.length);
  if (items.length < 2) throw new FieldError(path, `expected [name, type, default?, min?, max?], found ${items.length} items`);
  if (items[items.length - 1] === null) throw new FieldError(`${path}[${items.length - 1}]`, "trailing null (an absent trailing field is left out)");
  const at = (i: number) => `${path}[${i}] ${CONFIG_POSITIONS[i]}`;
  const present = (i: number) => (items[i] ?? null) !== null;
  const type = CONFIG_TYPES[asUint(items[1]!, at(1), CONFIG_TYPES.length - 1)]!;
  const field: ConfigField = { name: asText(items[0]!, at(0), 64), type };
  if (present(2)) field.default = configValue(type, items[2]!, at(2));
  for (const [i, key] of [[3, "min"], [4, "max"]] as const) {
    if (!present(i)) continue;
    const x = items[i]!;
    if (typeof x !== "number") throw new FieldError(at(i), "expected a number");
    if (type !== "number" && type !== "integer") throw new FieldError(at(i), `${type} settings have no bounds`);
    field[key] = x;
  }
  const { default: d, min, max } = field;
  if (typeof d === "number" && ((min !== undefined && d < min) || (max !== undefined && d > max))) throw new FieldError(at(2), `default ${d} is outside [${min ?? "-∞"}, ${max ?? "∞"}]`);
  if (min !== undefined && max !== undefined && min > max) throw new FieldError(at(3), `min ${min} is above max ${max}`);
  return field;
}

export function encodeManifest(m: Manifest): Uint8Array {
  return encodeCbor(compactMap({
    [MANIFEST_KEYS.id]: m.id,
    [MANIFEST_KEYS.version]: m.version,
    [MANIFEST_KEYS.sequence]: m.sequence,
    [MANIFEST_KEYS.deviceClass]: DEVICE_CLASSES.indexOf(m.deviceClass),
    [MANIFEST_KEYS.interfaces]: [...m.interfaces].sort((a, b) => (a.name < b.name ? -1 : 1)).map((i) => [i.name, i.major, i.minor]),
    [MANIFEST_KEYS.capabilities]: encodeCapabilities(m.capabilities),
    [MANIFEST_KEYS.budgets]: compactMap({ 1: m.budgets.ramBytes, 2: m.budgets.fuelPerCallback }),
    [MANIFEST_KEYS.config]: m.config.length ? m.config.map(encodeConfigField) : undefined,
    [MANIFEST_KEYS.payloadSha256]: m.payload.sha256,
    [MANIFEST_KEYS.fuelInstrumented]: m.payload.fuelInstrumented,
    [MANIFEST_KEYS.build]: compactMap({ 1: m.build.fwx, 2: m.build.assemblyscript, 3: m.build.sourceHash }),
  }));
}

function decodeInterfaces(v: CborValue, path: string): InterfaceRequirement[] {
  const out: InterfaceRequirement[] = [];
  asArray(v, path, 64).forEach((e, i) => {
    const p = `${path}[${i}]`;
    const t = asArray(e, p);
    if (t.length !== 3) throw new FieldError(p, "expected [name, major, minor]");
    const name = asText(t[0]!, `${p}[0]`, 32);
    if (!IFACE_NAME.test(name)) throw new FieldError(`${p}[0]`, `${JSON.stringify(name)} is not an interface name`);
    if (out.length && out[out.length - 1]!.name >= name) throw new FieldError(p, `interfaces not sorted and unique at "${name}"`);
    out.push({ name, major: asUint(t[1]!, `${p}[1]`, 0xffff), minor: asUint(t[2]!, `${p}[2]`, 0xffff) });
  });
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
  const build = f.required(MANIFEST_KEYS.build, (v, p) => {
    const b = new Fields(asMap(v, p), p, BUILD_NAMES);
    const out: Manifest["build"] = { fwx: b.required(1, (x, q) => asText(x, q, 32)) };
    const as = b.optional(2, (x, q) => asText(x, q, 32));
    const src = b.optional(3, (x, q) => asBytes(x, q, SOURCE_HASH_BYTES));
    if (as !== undefined) out.assemblyscript = as;
    if (src !== undefined) out.sourceHash = src;
    return out;
  });
  const m: Manifest = {
    id: f.required(MANIFEST_KEYS.id, text(MODULE_ID, "module id (lowercase letters, digits, . _ -)")),
    version: f.required(MANIFEST_KEYS.version, text(SEMVER, "semantic version")),
    sequence: f.required(MANIFEST_KEYS.sequence, asUint),
    deviceClass: DEVICE_CLASSES[f.required(MANIFEST_KEYS.deviceClass, (v, p) => asUint(v, p, DEVICE_CLASSES.length - 1))]!,
    interfaces: f.required(MANIFEST_KEYS.interfaces, decodeInterfaces),
    capabilities: f.required(MANIFEST_KEYS.capabilities, decodeCapabilities),
    budgets,
    config: f.optional(MANIFEST_KEYS.config, (v, p) => asArray(v, p, 64).map((e, i) => decodeConfigField(e, `${p}[${i}]`))) ?? [],
    payload: {
      sha256: f.required(MANIFEST_KEYS.payloadSha256, (v, p) => asBytes(v, p, 32)),
      fuelInstrumented: f.required(MANIFEST_KEYS.fuelInstrumented, asBool),
    },
    build,
  };
  if (m.sequence < 1) throw new FieldError(f.at(MANIFEST_KEYS.sequence), "must be at least 1 (0 means \"nothing installed\")");
  const names = new Set<string>();
  m.config.forEach((c, i) => {
    if (names.has(c.name)) throw new FieldError(`${f.at(MANIFEST_KEYS.config)}[${i}]`, `duplicate config field "${c.name}"`);
    names.add(c.name);
  });
  return m;
}
