// Deploy-time config: checking `fwx config set` values against the fields a
// module's signed manifest declares, and the text map a module reads through
// core.config_get (defaults applied).

import { ownRecord } from "../fs/own-record.js";
import type { ConfigField } from "../pkg/manifest.js";

export class ConfigValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigValueError";
  }
}

// What a number setting accepts, the same on every device (the C device's parse_number,
// firmware/runtime/device/fwx_device_services.c): decimal digits with an optional sign, point and
// exponent (at most 308), spaces around; not hex, not Infinity, not other white space. A value
// that is not whole keeps at most 15 significant digits, which every double round-trips, so both
// devices read it to the same double and keep the same text, String(n).
const NUMBER_TEXT = /^ *[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))? *$/;

/**
 * The number as typed, digits × 10^exponent without trailing zeros: whether it is whole (judged on
 * what was typed, not on the double it rounds to: "1.5e1" is, "1.00000000000000000001" is not) and
 * how many significant digits it has.
 */
function decimalOf(int: string, fraction: string, exponent: number): { whole: boolean; significant: number } {
  const digits = (int + fraction).replace(/^0+/, "");
  const trimmed = digits.replace(/0+$/, "");
  return { whole: trimmed === "" || exponent - fraction.length + (digits.length - trimmed.length) >= 0, significant: trimmed.length };
}

/** Normalises `values` (text from the CLI) against `fields`; throws naming the key and the rule broken. */
export function checkConfigValues(module: string, fields: readonly ConfigField[], values: Record<string, string>): Record<string, string> {
  const out = ownRecord<string>();
  for (const [key, raw] of Object.entries(values)) {
    const f = fields.find((x) => x.name === key);
    if (!f) throw new ConfigValueError(`${module} has no config field "${key}" (fields: ${fields.map((x) => x.name).join(", ") || "none"})`);
    if (f.type === "string") {
      if (Buffer.byteLength(raw) > 256) throw new ConfigValueError(`${module}.${key}: string values are at most 256 bytes`);
      out[key] = raw;
      continue;
    }
    if (f.type === "boolean") {
      if (raw !== "true" && raw !== "false") throw new ConfigValueError(`${module}.${key}: expected true or false, got "${raw}"`);
      out[key] = raw;
      continue;
    }
    const typed = NUMBER_TEXT.exec(raw);
    const n = Number(raw);
    if (!typed || typed[1]! + (typed[2] ?? "") === "" || Math.abs(Number(typed[3] ?? "0")) > 308 || !Number.isFinite(n)) {
      throw new ConfigValueError(`${module}.${key}: expected ${f.type === "integer" ? "an" : "a"} ${f.type}, got "${raw}"`);
    }
    const { whole, significant } = decimalOf(typed[1]!, typed[2] ?? "", Number(typed[3] ?? "0"));
    if (f.type === "integer" && !whole) throw new ConfigValueError(`${module}.${key}: expected an integer, got ${raw}`);
    if (!whole && significant > 15) {
      throw new ConfigValueError(`${module}.${key}: ${raw} has more than 15 significant digits, more than this device keeps exactly`);
    }
    if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
      throw new ConfigValueError(`${module}.${key}: ${n} is outside [${f.min ?? "-∞"}, ${f.max ?? "∞"}]`);
    }
    if (Math.abs(n) >= 2 ** 53) throw new ConfigValueError(`${module}.${key}: ${raw} is beyond ±9007199254740991, the largest number this device keeps exactly`);
    out[key] = String(n);
  }
  return out;
}

/** What the module sees: manifest defaults, overridden by device values for fields the manifest still declares. */
export function effectiveConfig(fields: readonly ConfigField[], values: Record<string, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of fields) {
    // Own properties only: a field named `constructor` must not read Object.prototype.constructor.
    const v = (Object.hasOwn(values, f.name) ? values[f.name] : undefined) ?? (f.default === undefined ? undefined : String(f.default));
    if (v !== undefined) m.set(f.name, v);
  }
  return m;
}
