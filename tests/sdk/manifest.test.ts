import { describe, expect, it } from "vitest";
import { configDefaults, ManifestError, parseManifest, readManifest } from "../../src/build/manifest.js";

const minimal = { id: "com.acme.pump", version: "1.2.3" };

function fieldOf(json: unknown): string {
  try {
    parseManifest(json, "fwx.json");
  } catch (e) {
    if (e instanceof ManifestError) return e.field;
    throw e;
  }
  throw new Error("expected a ManifestError");
}

describe("fwx.json", () => {
  it("fills defaults: entry, RAM budget, empty capabilities and config", () => {
    const m = parseManifest(minimal, "fwx.json");
    expect(m.entry).toBe("assembly/index.ts");
    expect(m.ramBudgetBytes).toBe(65536);
    expect(m.capabilities).toEqual({});
    expect(m.config).toEqual({});
  });

  it("serves typed defaults as the text config_get returns", () => {
    const m = parseManifest({
      ...minimal,
      ramBudget: "48k",
      config: {
        threshold_c: { type: "number", description: "limit", default: 8.5 },
        enabled: { type: "boolean", description: "on", default: true },
        label: { type: "string", description: "name" },
      },
    }, "fwx.json");
    expect(m.ramBudgetBytes).toBe(48 * 1024);
    expect(configDefaults(m)).toEqual({ threshold_c: "8.5", enabled: "true" });
  });

  it("names the offending field", () => {
    expect(fieldOf({ ...minimal, id: "Pump" })).toBe("id");
    expect(fieldOf({ ...minimal, version: "1.0" })).toBe("version");
    expect(fieldOf({ ...minimal, entry: "../x.ts" })).toBe("entry");
    expect(fieldOf({ ...minimal, colour: "red" })).toBe("colour");
    expect(fieldOf({ ...minimal, ramBudget: "lots" })).toBe("ramBudget");
    expect(fieldOf({ ...minimal, capabilities: { gpio: [{ pin: 5, modes: ["sideways"] }] } })).toBe("capabilities.gpio[0].modes[0]");
    expect(fieldOf({ ...minimal, config: { "Bad-Key": { type: "number", description: "x" } } })).toBe("config.Bad-Key");
    expect(fieldOf({ ...minimal, config: { t: { type: "integer", description: "x", default: 1.5 } } })).toBe("config.t.default");
    expect(fieldOf({ ...minimal, config: { t: { type: "number", description: "x", default: 50, max: 40 } } })).toBe("config.t.default");
    expect(fieldOf({ ...minimal, config: { t: { type: "string", description: "x", min: 1 } } })).toBe("config.t.min");
    // Past ±(2^53−1) a package cannot carry the value: refused by name, not an internal error at pack.
    expect(fieldOf({ ...minimal, config: { t: { type: "integer", description: "x", default: 1e20 } } })).toBe("config.t.default");
    expect(fieldOf({ ...minimal, config: { t: { type: "number", description: "x", default: -1e19 } } })).toBe("config.t.default");
    expect(fieldOf({ ...minimal, config: { t: { type: "number", description: "x", min: -1e300 } } })).toBe("config.t.min");
    expect(fieldOf({ ...minimal, config: { t: { type: "integer", description: "x", max: 2 ** 53 } } })).toBe("config.t.max");
  });

  it("reports a missing or malformed file as such", () => {
    expect(() => readManifest("/nonexistent-dir")).toThrow(/fwx\.json: \(file\): cannot read: no such file or directory/);
  });

  it("accepts the cold-chain example's manifest", () => {
    const m = readManifest("examples/cold-chain-alarm");
    expect(m.id).toBe("com.example.cold-chain-alarm");
    expect(configDefaults(m).threshold_c).toBe("8");
  });
});
