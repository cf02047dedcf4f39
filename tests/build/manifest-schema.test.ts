// schemas/fwx.schema.json: generated from the manifest validator's own
// definitions, current, accepted by the manifests fwx ships (the scaffold's
// and the examples'), and in agreement with the validator on what is wrong.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManifestError, parseManifest } from "../../src/build/manifest.js";
import { MANIFEST_SCHEMA_PATH, manifestSchemaText } from "../../src/build/manifest-schema.js";
import { scaffoldProject } from "../../src/build/scaffold.js";
import { validateAgainst } from "../sim/schema-subset.js";

const REPO = resolve(".");
const SCHEMA_FILE = join(REPO, MANIFEST_SCHEMA_PATH);
const work = mkdtempSync(join(tmpdir(), "fwx-manifest-schema-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

if (process.env.UPDATE_GOLDEN === "1") writeFileSync(SCHEMA_FILE, manifestSchemaText());
const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Record<string, unknown>;

function validatorAccepts(json: unknown): boolean {
  try {
    parseManifest(json, "fwx.json");
    return true;
  } catch (e) {
    if (e instanceof ManifestError) return false;
    throw e;
  }
}

const GOOD = {
  $schema: "./node_modules/fwx/schemas/fwx.schema.json",
  format: 1,
  id: "com.acme.pump-monitor",
  version: "1.2.3",
  description: "A pump monitor.",
  entry: "assembly/main.ts",
  capabilities: {
    timers: 2, sensors: ["ambient"], gpio: [{ pin: 5, modes: ["output"] }], adc: [0], pwm: [1], uart: [2],
    i2c: [{ bus: 1, address: 72 }], spi: [{ bus: 0, cs: 0 }], telemetry: ["status", "pump/#", "#"], kv: 256,
  },
  config: {
    limit_c: { type: "number", description: "Limit.", default: 8, min: -40, max: 30 },
    period_ms: { type: "integer", description: "Period.", default: 1000, min: 10 },
    enabled: { type: "boolean", description: "On.", default: true },
    label: { type: "string", description: "Label.", default: "pump" },
  },
  ramBudget: "48k",
};

/** Each: a change to GOOD, and whether it stays valid. Schema and validator must both say the same. */
const CASES: [string, (m: Record<string, any>) => void, boolean][] = [
  ["minimal (id and version only)", (m) => { for (const k of Object.keys(m)) if (k !== "id" && k !== "version") delete m[k]; }, true],
  ["ramBudget in bytes", (m) => { m.ramBudget = 65536; }, true],
  ["ramBudget in pages, any case", (m) => { m.ramBudget = "2 Pages"; }, true],
  ["ramBudget 0", (m) => { m.ramBudget = 0; }, false],
  ["ramBudget with an unknown unit", (m) => { m.ramBudget = "64 gb"; }, false],
  ["unknown top-level field", (m) => { m.capabilites = {}; }, false],
  ["$schema not a string", (m) => { m.$schema = 1; }, false],
  ["format 2", (m) => { m.format = 2; }, false],
  ["missing id", (m) => { delete m.id; }, false],
  ["id with capitals", (m) => { m.id = "com.Acme.pump"; }, false],
  ["id of one label", (m) => { m.id = "pump"; }, false],
  ["id over 64 characters", (m) => { m.id = `com.${"a".repeat(61)}`; }, false],
  ["missing version", (m) => { delete m.version; }, false],
  ["version with a pre-release", (m) => { m.version = "1.0.0-rc1"; }, false],
  ["version with a leading zero", (m) => { m.version = "01.0.0"; }, false],
  ["entry neither .ts nor .wasm", (m) => { m.entry = "build/x.wat"; }, false],
  ["entry a .wasm from another toolchain", (m) => { m.entry = "build/x.wasm"; }, true],
  ["entry absolute", (m) => { m.entry = "/src/index.ts"; }, false],
  ["entry leaving the project", (m) => { m.entry = "../other/index.ts"; }, false],
  ["entry with a .. segment inside", (m) => { m.entry = "assembly/../x.ts"; }, false],
  ["entry with dots in a name", (m) => { m.entry = "assembly/..x/a..b.ts"; }, true],
  ["unknown capability", (m) => { m.capabilities.flash = 1; }, false],
  ["timers above 64", (m) => { m.capabilities.timers = 65; }, false],
  ["negative kv", (m) => { m.capabilities.kv = -1; }, false],
  ["empty sensor name", (m) => { m.capabilities.sensors = [""]; }, false],
  ["unknown pin mode", (m) => { m.capabilities.gpio = [{ pin: 5, modes: ["analog"] }]; }, false],
  ["gpio without modes", (m) => { m.capabilities.gpio = [{ pin: 5, modes: [] }]; }, false],
  ["i2c address above 127", (m) => { m.capabilities.i2c = [{ bus: 1, address: 128 }]; }, false],
  ["spi without cs", (m) => { m.capabilities.spi = [{ bus: 0 }]; }, false],
  ["uart port not an integer", (m) => { m.capabilities.uart = [1.5]; }, false],
  ["telemetry with +", (m) => { m.capabilities.telemetry = ["a/+/b"]; }, false],
  ["telemetry # in the middle", (m) => { m.capabilities.telemetry = ["a/#/b"]; }, false],
  ["telemetry over 64 bytes", (m) => { m.capabilities.telemetry = ["t".repeat(65)]; }, false],
  ["config key with a capital", (m) => { m.config.Limit = { type: "number", description: "x" }; }, false],
  ["config key over 32 characters", (m) => { m.config["k".repeat(33)] = { type: "number", description: "x" }; }, false],
  ["config of unknown type", (m) => { m.config.limit_c.type = "float"; }, false],
  ["config without description", (m) => { delete m.config.limit_c.description; }, false],
  ["config with a blank description", (m) => { m.config.limit_c.description = "  "; }, false],
  ["config with an unknown field", (m) => { m.config.limit_c.unit = "°C"; }, false],
  ["boolean config with bounds", (m) => { m.config.enabled.min = 0; }, false],
  ["integer config with a fractional default", (m) => { m.config.period_ms.default = 1.5; }, false],
  ["string config with a number default", (m) => { m.config.label.default = 3; }, false],
  ["boolean config with a string default", (m) => { m.config.enabled.default = "true"; }, false],
  ["config not an object", (m) => { m.config = []; }, false],
];

describe(MANIFEST_SCHEMA_PATH, () => {
  it("is the generator's current output (refresh: UPDATE_GOLDEN=1 npx vitest run tests/build/manifest-schema.test.ts)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(manifestSchemaText());
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("ships in the npm package, where the scaffold's $schema points", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain(dirname(MANIFEST_SCHEMA_PATH));
    const dir = join(work, "scaffold");
    scaffoldProject(dir);
    const manifest = JSON.parse(readFileSync(join(dir, "fwx.json"), "utf8")) as { $schema: string };
    // node_modules/fwx is this package once installed.
    expect(manifest.$schema).toBe(`./node_modules/fwx/${MANIFEST_SCHEMA_PATH}`);
    expect(existsSync(join(REPO, manifest.$schema.replace("./node_modules/fwx/", "")))).toBe(true);
  });

  it("accepts the scaffold's manifest and every example's", () => {
    const dir = join(work, "scaffold-2");
    scaffoldProject(dir, { id: "com.acme.first" });
    // The AssemblyScript examples, and the C and Rust ports under examples/<language>/.
    const projects = readdirSync(join(REPO, "examples")).flatMap((e) => [join(REPO, "examples", e), ...["c", "rust"].includes(e) ? readdirSync(join(REPO, "examples", e)).map((p) => join(REPO, "examples", e, p)) : []]);
    const files = [join(dir, "fwx.json"), ...projects.map((p) => join(p, "fwx.json")).filter(existsSync)];
    expect(files.filter((f) => f.endsWith(join("c", "cold-chain-alarm", "fwx.json")) || f.endsWith(join("rust", "cold-chain-alarm", "fwx.json")))).toHaveLength(2);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const json = JSON.parse(readFileSync(f, "utf8"));
      expect(validateAgainst(schema, json), f).toEqual([]);
      expect(validatorAccepts(json), f).toBe(true);
    }
  });

  it("the full example is valid to both", () => {
    expect(validateAgainst(schema, GOOD)).toEqual([]);
    expect(validatorAccepts(GOOD)).toBe(true);
  });

  it.each(CASES)("%s: schema and validator agree", (_name, change, valid) => {
    const m = structuredClone(GOOD) as Record<string, any>;
    change(m);
    expect(validatorAccepts(m), "validator").toBe(valid);
    const errors = validateAgainst(schema, m);
    if (valid) expect(errors).toEqual([]);
    else expect(errors.length, "schema finds nothing wrong").toBeGreaterThan(0);
  });
});
