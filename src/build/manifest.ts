// fwx.json: the module manifest of an integrator project (format in
// docs/module-manifest.md). `fwx build` reads the entry and RAM budget,
// `fwx pack` the id, version, capabilities and config schema, and the device
// agent serves the config defaults through core.config_get.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describeFileError } from "../fs/file-error.js";
import { CapabilityError, parseCapabilities, type Capabilities } from "../caps/capabilities.js";
import { parseRamBudget } from "../validate/ram.js";

export const MANIFEST_FILE = "fwx.json";
export const MANIFEST_FORMAT = 1;

export type ConfigType = "number" | "integer" | "boolean" | "string";

export interface ConfigEntry {
  type: ConfigType;
  description: string;
  /** Default served to the module when the device has no value; absent = not-found. */
  default?: number | boolean | string;
  /** Inclusive bounds for number and integer entries. */
  min?: number;
  max?: number;
}

export interface ModuleManifest {
  format: number;
  /** Reverse-DNS module id, e.g. "com.acme.cold-chain-alarm". */
  id: string;
  /** Semantic version "MAJOR.MINOR.PATCH". */
  version: string;
  description: string;
  /** Entry file relative to the project directory. */
  entry: string;
  /** What the module asks the device for. */
  capabilities: Capabilities;
  config: Record<string, ConfigEntry>;
  /** Linear-memory budget in bytes. */
  ramBudgetBytes: number;
}

export class ManifestError extends Error {
  constructor(readonly file: string, readonly field: string, message: string) {
    super(`${file}: ${field}: ${message}`);
    this.name = "ManifestError";
  }
}

export const MODULE_ID_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;
export const MAX_MODULE_ID_LENGTH = 64;
export const VERSION_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
export const CONFIG_KEY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
export const CONFIG_ENTRY_FIELDS = ["type", "description", "default", "min", "max"] as const;
/** Longest string setting, in UTF-8 bytes. */
export const MAX_CONFIG_STRING_BYTES = 256;
export const DEFAULT_ENTRY = "assembly/index.ts";
export const DEFAULT_RAM_BUDGET_BYTES = 65536;
export const CONFIG_TYPES: readonly ConfigType[] = ["number", "integer", "boolean", "string"];
/** Every top-level field; "$schema" lets editors find the JSON schema (schemas/fwx.schema.json) and means nothing to fwx. */
export const MANIFEST_FIELDS = ["$schema", "format", "id", "version", "description", "entry", "capabilities", "config", "ramBudget"];

function configEntry(raw: unknown, file: string, field: string): ConfigEntry {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ManifestError(file, field, "must be an object { type, description, default? }");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!(CONFIG_ENTRY_FIELDS as readonly string[]).includes(k)) throw new ManifestError(file, `${field}.${k}`, "unknown field (known: type, description, default, min, max)");
  if (!CONFIG_TYPES.includes(o.type as ConfigType)) throw new ManifestError(file, `${field}.type`, `must be one of ${CONFIG_TYPES.join(", ")}`);
  const type = o.type as ConfigType;
  if (typeof o.description !== "string" || o.description.trim() === "") throw new ManifestError(file, `${field}.description`, "must be a non-empty string saying what the setting does");
  const entry: ConfigEntry = { type, description: o.description };
  for (const bound of ["min", "max"] as const) {
    if (o[bound] === undefined) continue;
    if (type !== "number" && type !== "integer") throw new ManifestError(file, `${field}.${bound}`, `only number and integer settings have bounds, not ${type}`);
    if (typeof o[bound] !== "number" || !Number.isFinite(o[bound])) throw new ManifestError(file, `${field}.${bound}`, "must be a finite number");
    checkMagnitude(o[bound] as number, file, `${field}.${bound}`);
    entry[bound] = o[bound] as number;
  }
  if (entry.min !== undefined && entry.max !== undefined && entry.min > entry.max) throw new ManifestError(file, `${field}.min`, `is above max (${entry.min} > ${entry.max})`);
  if (o.default !== undefined) {
    entry.default = checkConfigValue(entry, o.default, file, `${field}.default`);
  }
  return entry;
}

/**
 * A package's manifest carries a whole number as a CBOR integer, which holds
 * ±(2^53−1) exactly; every double beyond that is a whole number, so neither
 * an integer nor a number setting can have one (the encoder would throw).
 */
function checkMagnitude(value: number, file: string, field: string): void {
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) throw new ManifestError(file, field, `${value} is beyond ±${Number.MAX_SAFE_INTEGER} (±(2^53−1)), the largest a package carries exactly`);
}

/** Checks one value against its config entry; returns it or throws naming `field`. */
export function checkConfigValue(entry: ConfigEntry, value: unknown, file: string, field: string): number | boolean | string {
  switch (entry.type) {
    case "boolean":
      if (typeof value !== "boolean") throw new ManifestError(file, field, "must be true or false");
      return value;
    case "string":
      if (typeof value !== "string") throw new ManifestError(file, field, "must be a string");
      if (new TextEncoder().encode(value).length > MAX_CONFIG_STRING_BYTES) throw new ManifestError(file, field, `must be at most ${MAX_CONFIG_STRING_BYTES} bytes of UTF-8`);
      return value;
    case "number":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new ManifestError(file, field, "must be a finite number");
      checkMagnitude(value, file, field);
      if (entry.type === "integer" && !Number.isInteger(value)) throw new ManifestError(file, field, "must be a whole number");
      if (entry.min !== undefined && value < entry.min) throw new ManifestError(file, field, `${value} is below the minimum ${entry.min}`);
      if (entry.max !== undefined && value > entry.max) throw new ManifestError(file, field, `${value} is above the maximum ${entry.max}`);
      return value;
    }
  }
}

/** The text a module reads through core.config_get for a typed value. */
export function configText(value: number | boolean | string): string {
  return typeof value === "string" ? value : String(value);
}

/** Every default as the text the module reads, keyed by config key. */
export function configDefaults(manifest: ModuleManifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(manifest.config)) if (entry.default !== undefined) out[key] = configText(entry.default);
  return out;
}

/** Checks untrusted manifest JSON; every error names the field (`config.threshold_c.default`). */
export function parseManifest(json: unknown, file: string): ModuleManifest {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new ManifestError(file, "(root)", "must be a JSON object");
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!MANIFEST_FIELDS.includes(k)) throw new ManifestError(file, k, `unknown field (known: ${MANIFEST_FIELDS.join(", ")})`);

  if (o.$schema !== undefined && typeof o.$schema !== "string") throw new ManifestError(file, "$schema", "must be a string (the path or URL of the JSON schema, for editors)");
  const format = o.format ?? MANIFEST_FORMAT;
  if (format !== MANIFEST_FORMAT) throw new ManifestError(file, "format", `unsupported manifest format ${JSON.stringify(format)} (this fwx reads format ${MANIFEST_FORMAT})`);
  if (typeof o.id !== "string" || !MODULE_ID_PATTERN.test(o.id) || o.id.length > MAX_MODULE_ID_LENGTH)
    throw new ManifestError(file, "id", 'must be a reverse-DNS module id of at most 64 characters, lowercase, e.g. "com.example.cold-chain-alarm"');
  if (typeof o.version !== "string" || !VERSION_PATTERN.test(o.version)) throw new ManifestError(file, "version", 'must be a version "MAJOR.MINOR.PATCH", e.g. "1.0.0"');
  if (o.description !== undefined && typeof o.description !== "string") throw new ManifestError(file, "description", "must be a string");

  const entry = o.entry ?? DEFAULT_ENTRY;
  if (typeof entry !== "string" || !/\.(ts|wasm)$/.test(entry) || entry.startsWith("/") || entry.split(/[\\/]/).includes(".."))
    throw new ManifestError(file, "entry", "must be a .ts file (AssemblyScript) or a .wasm module (built by another toolchain) inside the project directory, e.g. \"assembly/index.ts\" or \"build/module.wasm\"");

  let capabilities: Capabilities;
  try {
    capabilities = parseCapabilities(o.capabilities, "capabilities");
  } catch (e) {
    if (e instanceof CapabilityError) throw new ManifestError(file, e.path, e.message.slice(e.path.length + 2));
    throw e;
  }

  const config: Record<string, ConfigEntry> = {};
  if (o.config !== undefined) {
    if (!o.config || typeof o.config !== "object" || Array.isArray(o.config)) throw new ManifestError(file, "config", "must be an object of settings keyed by name");
    for (const [key, raw] of Object.entries(o.config)) {
      if (!CONFIG_KEY_PATTERN.test(key)) throw new ManifestError(file, `config.${key}`, "setting names are 1-32 characters of a-z, 0-9 and _, starting with a letter");
      config[key] = configEntry(raw, file, `config.${key}`);
    }
  }

  let ramBudgetBytes = DEFAULT_RAM_BUDGET_BYTES;
  if (o.ramBudget !== undefined) {
    if (typeof o.ramBudget === "number") {
      if (!Number.isSafeInteger(o.ramBudget) || o.ramBudget <= 0) throw new ManifestError(file, "ramBudget", "must be a positive number of bytes or a string like \"48k\"");
      ramBudgetBytes = o.ramBudget;
    } else if (typeof o.ramBudget === "string") {
      try {
        ramBudgetBytes = parseRamBudget(o.ramBudget);
      } catch (e) {
        throw new ManifestError(file, "ramBudget", (e as Error).message);
      }
    } else throw new ManifestError(file, "ramBudget", "must be a number of bytes or a string like \"48k\"");
  }

  return {
    format: MANIFEST_FORMAT, id: o.id, version: o.version, description: (o.description as string | undefined) ?? "",
    entry, capabilities, config, ramBudgetBytes,
  };
}

/** Reads and parses `<dir>/fwx.json`. Throws ManifestError (also for unreadable or non-JSON files). */
export function readManifest(dir: string): ModuleManifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ManifestError(file, "(file)", `cannot read: ${describeFileError(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(file, "(file)", `not valid JSON: ${(e as Error).message}`);
  }
  return parseManifest(json, file);
}

/**
 * For a directory without fwx.json: the hint that a project lies above it (a command run from assembly/ or
 * build/), " (<rel>/fwx.json is above it: name that project directory, or run fwx from it)"; "" when no
 * directory above has one.
 */
export function projectAboveHint(dir: string): string {
  const start = resolve(dir);
  for (let d = dirname(start); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, MANIFEST_FILE))) {
      const rel = relative(process.cwd(), d) || ".";
      return ` (${join(rel, MANIFEST_FILE)} is above it: name that project directory, ${rel}, or run fwx from it)`;
    }
  }
  return "";
}
