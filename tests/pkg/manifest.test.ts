// Manifest content rules a C verifier must mirror: the config schema as one
// flat array with exactly one encoding per setting, and text taken byte for byte.
import { describe, expect, it } from "vitest";
import { decodeCbor, encodeCbor, type CborMap, type CborValue } from "../../src/pkg/cbor.js";
import { abi } from "../../host-abi/spec/index.js";
import { INTERFACE_NUMBERS, MANIFEST_KEYS, decodeManifest, encodeManifest, type ConfigField } from "../../src/pkg/manifest.js";
import { makeFixture } from "./fixtures.js";

const base = makeFixture().manifest;
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The fixture manifest with its config (key 8) replaced by raw CBOR items. */
function withConfig(items: CborValue[]): Uint8Array {
  const m = decodeCbor(encodeManifest(base)) as CborMap;
  m.set(MANIFEST_KEYS.config, items);
  return encodeCbor(m);
}

const configOf = (fields: ConfigField[]) => (decodeCbor(encodeManifest({ ...base, config: fields })) as CborMap).get(MANIFEST_KEYS.config);

describe("manifest config schema", () => {
  it("is name, shape (n | code << 2), then n values, trailing absent ones left out and inner ones null", () => {
    expect(configOf([
      { name: "a", type: "integer" },
      { name: "b", type: "boolean", default: false },
      { name: "c", type: "number", max: 2.5 },
      { name: "d", type: "integer", default: 3, min: 1 },
      { name: "e", type: "string", default: "x" },
    ])).toEqual(["a", 0, "b", 1 | (2 << 2), false, "c", 3 | (4 << 2), null, null, 25, "d", 2, 3, 1, "e", 1 | (3 << 2), "x"]);
  });

  it("carries decimals as integer tenths or hundredths, the same doubles as the decimal text", () => {
    const fields: ConfigField[] = [
      { name: "tenths", type: "number", default: 1.4, min: 0.1, max: 50 },
      { name: "hundredths", type: "number", default: 0.07, min: -2.5, max: 99.99 },
      { name: "whole", type: "number", default: 8, min: -40, max: 30 },
      { name: "float", type: "number", default: 0.001, max: 1 },
    ];
    expect(configOf(fields)).toEqual([
      "tenths", 3 | (4 << 2), 14, 1, 500,
      "hundredths", 3 | (5 << 2), 7, -250, 9999,
      "whole", 3 | (1 << 2), 8, -40, 30,
      "float", 3 | (1 << 2), 0.001, null, 1,
    ]);
    const back = decodeManifest(encodeManifest({ ...base, config: fields })).config;
    expect(back).toEqual(fields);
    for (const f of back) for (const v of [f.default, f.min, f.max]) if (typeof v === "number") expect(v).toBe(JSON.parse(String(v)));
  });

  it("round-trips every combination of present values", () => {
    const fields: ConfigField[] = [];
    for (let mask = 0; mask < 8; mask++) {
      const f: ConfigField = { name: `n${mask}`, type: "number" };
      if (mask & 1) f.default = 5;
      if (mask & 2) f.min = 0;
      if (mask & 4) f.max = 10.5;
      fields.push(f);
    }
    const bytes = encodeManifest({ ...base, config: fields });
    expect(decodeManifest(bytes).config).toEqual(fields);
    expect(toHex(encodeManifest(decodeManifest(bytes)))).toBe(toHex(bytes));
  });

  it("refuses a second encoding of the same setting: a trailing null, a decimal code a smaller one would do", () => {
    expect(() => decodeManifest(withConfig(["a", 2, 5, null]))).toThrow(/config \(key 8\)\[3\] min: trailing null/);
    expect(() => decodeManifest(withConfig(["a", 1, null]))).toThrow(/trailing null/);
    expect(() => decodeManifest(withConfig(["a", 1 | (4 << 2), 20]))).toThrow(/\[1\] shape: code 4 with every value a multiple of 10/);
    expect(() => decodeManifest(withConfig(["a", 1 | (5 << 2), 150]))).toThrow(/\[1\] shape: code 5 with every value a multiple of 10/);
  });

  it("refuses settings of the wrong length, type or content, naming the item", () => {
    expect(() => decodeManifest(withConfig(["a"]))).toThrow(/\[0\]: a setting needs a name and a shape/);
    expect(() => decodeManifest(withConfig(["a", 2, 1]))).toThrow(/\[1\] shape: says 2 values follow; the array ends first/);
    expect(() => decodeManifest(withConfig(["a", 3, 1, 0, 2, 9]))).toThrow(/\[5\]: a setting needs a name and a shape/);
    expect(() => decodeManifest(withConfig(["a", 24]))).toThrow(/\[1\] shape: 24 exceeds 23/);
    expect(() => decodeManifest(withConfig([1, 0]))).toThrow(/\[0\] name: expected text/);
    expect(() => decodeManifest(withConfig(["a", 1, 1.5]))).toThrow(/\[2\] default: 1.5 is not an integer/);
    expect(() => decodeManifest(withConfig(["a", 1 | (4 << 2), 1.5]))).toThrow(/\[2\] default: expected an integer \(tenths\)/);
    expect(() => decodeManifest(withConfig(["a", 2 | (2 << 2), null, 0]))).toThrow(/\[3\] min: boolean settings have no bounds/);
    expect(() => decodeManifest(withConfig(["a", 3, 50, 0, 10]))).toThrow(/\[2\] default: default 50 is outside \[0, 10\]/);
    expect(() => decodeManifest(withConfig(["a", 3, null, 5, 1]))).toThrow(/\[3\] min: min 5 is above max 1/);
    expect(() => decodeManifest(withConfig(["a", 0, "a", 4]))).toThrow(/\[2\]: duplicate config field "a"/);
    expect(() => decodeManifest(withConfig(["a", 1 | (4 << 2), 2 ** 50 + 1]))).toThrow(/\[2\] default: 1125899906842625 is beyond ±2\^50/);
    expect(() => decodeManifest(withConfig(["a", 2 | (4 << 2), 2 ** 50 - 1, 2 ** 50]))).toThrow(/default .* is outside/);
    expect(() => decodeManifest(withConfig([]))).toThrow(/empty \(left out when there are no settings\)/);
    expect(() => decodeManifest(withConfig(Array.from({ length: 65 }, (_, i) => [`n${i}`, 8]).flat()))).toThrow(/more than 64 settings/);
  });
});

describe("manifest interfaces", () => {
  it("give every interface of the ABI a number, so any module fwx builds can be packed", () => {
    for (const i of abi.interfaces) expect(INTERFACE_NUMBERS as readonly string[], i.name).toContain(i.name);
  });

  it("are flat [number, major, minor] triples in name order, which is not number order", () => {
    const m = { ...base, interfaces: [{ name: "telemetry", major: 1, minor: 2 }, { name: "core", major: 1, minor: 0 }, { name: "timer", major: 2, minor: 0 }] };
    expect((decodeCbor(encodeManifest(m)) as CborMap).get(MANIFEST_KEYS.interfaces)).toEqual([0, 1, 0, 10, 1, 2, 1, 2, 0]);
    expect(decodeManifest(encodeManifest(m)).interfaces.map((i) => i.name)).toEqual(["core", "telemetry", "timer"]);
  });

  it("refuse numbers past the list, names out of order and broken triples", () => {
    const withInterfaces = (items: CborValue[]) => {
      const m = decodeCbor(encodeManifest(base)) as CborMap;
      m.set(MANIFEST_KEYS.interfaces, items);
      return encodeCbor(m);
    };
    expect(() => decodeManifest(withInterfaces([11, 1, 0]))).toThrow(/interfaces \(key 5\)\[0\] number: 11 exceeds 10/);
    expect(() => decodeManifest(withInterfaces([1, 1, 0, 10, 1, 0]))).toThrow(/\[3\]: interfaces not in ascending name order and unique at "telemetry"/);
    expect(() => decodeManifest(withInterfaces([0, 1]))).toThrow(/2 items is not a whole number of \[number, major, minor\] triples/);
    expect(() => decodeManifest(withInterfaces([0, 65536, 0]))).toThrow(/\[1\] major: 65536 exceeds 65535/);
  });
});

describe("manifest keys", () => {
  it("refuses format 1's build provenance (key 11) like any unknown key", () => {
    const m = decodeCbor(encodeManifest(base)) as CborMap;
    m.set(11, new Map<number, CborValue>([[1, "0.1.0"]]));
    expect(() => decodeManifest(encodeCbor(m))).toThrow(/manifest key 11: unknown key/);
  });
});

describe("manifest text", () => {
  it("is the signed bytes: a module id behind a byte order mark is not a module id", () => {
    const bytes = encodeManifest({ ...base, id: "\uFEFFcom.acme.temp-alarm" });
    expect(() => decodeManifest(bytes)).toThrow(/id \(key 1\): ".*com\.acme\.temp-alarm" is not a valid module id/);
  });
});
