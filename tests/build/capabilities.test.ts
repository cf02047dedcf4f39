// The capability shape every manifest, certificate and board profile is read
// through: untrusted JSON in, each mistake named by its field path.
import { describe, expect, it } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { CapabilityError, capabilityExcess, parseCapabilities, PIN_MODES } from "../../src/caps/capabilities.js";

function problem(json: unknown): { path: string; message: string } {
  try {
    parseCapabilities(json, "caps");
  } catch (e) {
    if (e instanceof CapabilityError) return { path: e.path, message: e.message };
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(json)} to be rejected`);
}

describe("parseCapabilities", () => {
  it("accepts every kind in its documented shape", () => {
    const caps = {
      timers: 4, sensors: ["cold_room"], gpio: [{ pin: 5, modes: ["output"] }], adc: [0], pwm: [1],
      i2c: [{ bus: 0, address: 0x48 }], spi: [{ bus: 1, cs: 0 }], uart: [2], telemetry: ["alarm", "metrics/#"], kv: 4096,
    };
    expect(parseCapabilities(caps, "caps")).toEqual(caps);
  });

  it("measures telemetry topics in UTF-8 bytes, as telemetry.publish does", () => {
    // 32 characters but 64 bytes: the longest topic a module can publish.
    expect(parseCapabilities({ telemetry: ["é".repeat(32)] }, "caps").telemetry).toEqual(["é".repeat(32)]);
    // 33 characters, 66 bytes: no publish could ever match it.
    expect(problem({ telemetry: ["ok", "é".repeat(33)] })).toEqual({
      path: "caps.telemetry[1]",
      message: "caps.telemetry[1]: is 66 bytes of UTF-8; topics are at most 64",
    });
    expect(problem({ telemetry: ["a".repeat(65)] }).message).toMatch(/is 65 bytes of UTF-8/);
  });

  it("rejects wildcards other than a trailing /# and the + wildcard", () => {
    expect(problem({ telemetry: ["a/+/b"] }).path).toBe("caps.telemetry[0]");
    expect(problem({ telemetry: ["a#"] }).path).toBe("caps.telemetry[0]");
    expect(parseCapabilities({ telemetry: ["#"] }, "caps").telemetry).toEqual(["#"]);
  });

  it.each([
    [{ i2c: [7] }, "caps.i2c[0]", /must be \{ bus, address \}/],
    [{ i2c: [[0, 0x48]] }, "caps.i2c[0]", /must be \{ bus, address \}/],
    [{ spi: [null] }, "caps.spi[0]", /must be \{ bus, cs \}/],
    [{ gpio: [[5, ["output"]]] }, "caps.gpio[0]", /must be \{ pin, modes \}/],
    [{ i2c: [{ bus: 0, address: 0x80 }] }, "caps.i2c[0].address", /7-bit address/],
    [[], "caps", /must be an object/],
  ])("names the entry that is not the right shape: %j", (json, path, message) => {
    const p = problem(json);
    expect(p.path).toBe(path);
    expect(p.message).toMatch(message);
  });
});

describe("capabilityExcess", () => {
  it("covers a requested prefix only by an equal or wider allowed prefix", () => {
    expect(capabilityExcess({ telemetry: ["metrics/cpu/#"] }, { telemetry: ["metrics/#"] })).toEqual([]);
    expect(capabilityExcess({ telemetry: ["metrics/#"] }, { telemetry: ["metrics/cpu/#"] })).toEqual(["telemetry topic metrics/#"]);
  });
});

describe("PIN_MODES", () => {
  it("lists the ABI's gpio pin-mode cases in value order (the agent indexes it by the mode value)", () => {
    const gpio = abi.interfaces.find((i) => i.name === "gpio")!;
    const cases = gpio.enums!.find((e) => e.name === "pin-mode")!.cases;
    expect(cases.map((c) => c.value)).toEqual(cases.map((_, i) => i));
    expect([...PIN_MODES]).toEqual(cases.map((c) => c.name));
  });
});
