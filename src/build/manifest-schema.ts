// The JSON schema of fwx.json (schemas/fwx.schema.json), for editors: it is
// generated from the constants the manifest validator itself uses
// (src/build/manifest.ts, src/caps/capabilities.ts, src/validate/ram.ts), so
// there is one definition of the format. The validator stays the authority:
// a few rules JSON Schema cannot say (byte lengths of UTF-8, a default within
// min/max) are only in the descriptions here. tests/build/manifest-schema.test.ts
// checks the file is current and that schema and validator agree.

import { CAPABILITY_KEYS, MAX_TIMERS, MAX_TOPIC_BYTES, PIN_MODES } from "../caps/capabilities.js";
import { RAM_BUDGET_PATTERN } from "../validate/ram.js";
import {
  CONFIG_ENTRY_FIELDS, CONFIG_KEY_PATTERN, CONFIG_TYPES, DEFAULT_ENTRY, DEFAULT_RAM_BUDGET_BYTES, MANIFEST_FIELDS,
  MANIFEST_FORMAT, MAX_CONFIG_STRING_BYTES, MAX_MODULE_ID_LENGTH, MODULE_ID_PATTERN, VERSION_PATTERN, type ConfigType,
} from "./manifest.js";

type Schema = Record<string, unknown>;

/** Where the generated file lives in the fwx package. */
export const MANIFEST_SCHEMA_PATH = "schemas/fwx.schema.json";

const UINT32_MAX = 0xffffffff;

/** A case-insensitive regex as a JSON-Schema pattern (which has no flags): each letter becomes [xX]. */
function patternOf(re: RegExp): string {
  if (!re.ignoreCase) return re.source;
  return re.source.replace(/[a-zA-Z]/g, (c, at: number, src: string) => (src[at - 1] === "\\" ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`));
}

const uint = (max = UINT32_MAX): Schema => ({ type: "integer", minimum: 0, maximum: max });

function capabilities(): Schema {
  const uintList = (what: string): Schema => ({ type: "array", items: uint(), description: `${what} numbers` });
  const props: Record<(typeof CAPABILITY_KEYS)[number], Schema> = {
    timers: { ...uint(MAX_TIMERS), description: "How many timers the module may run at once." },
    sensors: { type: "array", items: { type: "string", minLength: 1 }, description: "Sensor names of the board profile." },
    gpio: {
      type: "array",
      description: "Pins and the pin modes allowed on each.",
      items: {
        type: "object", required: ["pin", "modes"],
        properties: { pin: uint(), modes: { type: "array", minItems: 1, items: { enum: [...PIN_MODES] } } },
      },
    },
    adc: uintList("ADC channel"),
    pwm: uintList("PWM channel"),
    i2c: {
      type: "array", description: "I2C bus and 7-bit device address.",
      items: { type: "object", required: ["bus", "address"], properties: { bus: uint(), address: uint(0x7f) } },
    },
    spi: {
      type: "array", description: "SPI bus and chip select.",
      items: { type: "object", required: ["bus", "cs"], properties: { bus: uint(), cs: uint() } },
    },
    uart: uintList("UART port"),
    telemetry: {
      type: "array",
      description: `Exact topics, or prefixes ending in "/#" ("#" alone: every topic); no "+" or NUL; at most ${MAX_TOPIC_BYTES} bytes of UTF-8.`,
      items: { type: "string", minLength: 1, maxLength: MAX_TOPIC_BYTES, pattern: "^(?:#|[^+#\\u0000]+|[^+\\u0000]*/#)$" },
    },
    kv: { ...uint(), description: "KV quota in bytes (key + value bytes)." },
  };
  return { type: "object", additionalProperties: false, properties: props, description: "What the module asks the device for (docs/module-manifest.md#capabilities)." };
}

function configEntry(type: ConfigType): Schema {
  const value: Record<ConfigType, Schema> = {
    number: { type: "number" },
    integer: { type: "integer" },
    boolean: { type: "boolean" },
    string: { type: "string", maxLength: MAX_CONFIG_STRING_BYTES, description: `At most ${MAX_CONFIG_STRING_BYTES} bytes of UTF-8.` },
  };
  const numeric = type === "number" || type === "integer";
  const fields = CONFIG_ENTRY_FIELDS.filter((f) => numeric || (f !== "min" && f !== "max"));
  const props: Record<string, Schema> = {
    type: { const: type },
    description: { type: "string", pattern: "\\S", description: "What the setting does (not blank)." },
    default: { ...value[type], description: "Served to the module when the device has no value; within min and max." },
    min: { type: "number", description: "Inclusive lower bound." },
    max: { type: "number", description: "Inclusive upper bound." },
  };
  return {
    type: "object", additionalProperties: false, required: ["type", "description"],
    properties: Object.fromEntries(fields.map((f) => [f, props[f]!])),
  };
}

/** The schema object; `manifestSchemaText()` is what the file holds. */
export function manifestSchema(): Schema {
  const properties: Record<(typeof MANIFEST_FIELDS)[number], Schema> = {
    $schema: { type: "string", description: "Path or URL of this schema, for editors; fwx ignores it." },
    format: { const: MANIFEST_FORMAT, description: `Manifest format version (default ${MANIFEST_FORMAT}).` },
    id: { type: "string", pattern: MODULE_ID_PATTERN.source, maxLength: MAX_MODULE_ID_LENGTH, description: "Reverse-DNS module id, e.g. com.acme.pump-monitor. An update must keep it." },
    version: { type: "string", pattern: VERSION_PATTERN.source, description: "MAJOR.MINOR.PATCH, digits only." },
    description: { type: "string", description: "One line for fwx inspect and fwx devices." },
    entry: {
      type: "string",
      // The validator: ends in .ts or .wasm, does not start with "/", has no ".." segment.
      pattern: "^(?!/)(?!(?:.*[\\\\/])?\\.\\.(?:[\\\\/]|$)).*\\.(?:ts|wasm)$",
      description: `The AssemblyScript entry file (default ${DEFAULT_ENTRY}), or a .wasm module built by another toolchain (C, Rust: docs/modules-c-rust.md), relative to the project directory.`,
    },
    capabilities: { $ref: "#/$defs/capabilities" },
    config: {
      type: "object",
      description: "Deploy-time settings, keyed by name (docs/module-manifest.md#configuration).",
      propertyNames: { pattern: CONFIG_KEY_PATTERN.source },
      additionalProperties: { $ref: "#/$defs/configEntry" },
    },
    ramBudget: {
      description: `Linear-memory budget: bytes, or text with a unit ("48k", "1m", "1p" = 64 KiB pages); default ${DEFAULT_RAM_BUDGET_BYTES}.`,
      oneOf: [
        { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        { type: "string", pattern: `^\\s*${patternOf(RAM_BUDGET_PATTERN).slice(1, -1)}\\s*$` },
      ],
    },
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://fwx.dev/schemas/fwx.schema.json",
    $comment: "GENERATED by src/build/manifest-schema.ts from the manifest validator's definitions; do not edit. Refresh: UPDATE_GOLDEN=1 npx vitest run tests/build/manifest-schema.test.ts",
    title: "fwx module manifest (fwx.json)",
    description: "An fwx integrator project's manifest: module id, version, entry, capabilities, deploy-time configuration and RAM budget. See docs/module-manifest.md.",
    type: "object",
    additionalProperties: false,
    required: ["id", "version"],
    properties,
    $defs: {
      capabilities: capabilities(),
      configEntry: { oneOf: CONFIG_TYPES.map(configEntry) },
    },
  };
}

export function manifestSchemaText(): string {
  return JSON.stringify(manifestSchema(), null, 2) + "\n";
}
