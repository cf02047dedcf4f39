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
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) throw new ConfigValueError(`${module}.${key}: expected ${f.type === "integer" ? "an" : "a"} ${f.type}, got "${raw}"`);
    if (f.type === "integer" && !Number.isInteger(n)) throw new ConfigValueError(`${module}.${key}: expected an integer, got ${raw}`);
    if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
      throw new ConfigValueError(`${module}.${key}: ${n} is outside [${f.min ?? "-∞"}, ${f.max ?? "∞"}]`);
    }
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
