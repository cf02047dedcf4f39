// Manifest content rules a C verifier must mirror: config entries as
// positional arrays with exactly one encoding each, and text taken byte for byte.
import { describe, expect, it } from "vitest";
import { decodeCbor, encodeCbor, type CborMap, type CborValue } from "../../src/pkg/cbor.js";
import { MANIFEST_KEYS, decodeManifest, encodeManifest, type ConfigField } from "../../src/pkg/manifest.js";
import { makeFixture } from "./fixtures.js";

const base = makeFixture().manifest;
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The fixture manifest with its config (key 8) replaced by raw CBOR items. */
function withConfig(entries: CborValue[]): Uint8Array {
  const m = decodeCbor(encodeManifest(base)) as CborMap;
  m.set(MANIFEST_KEYS.config, entries);
  return encodeCbor(m);
}

const configOf = (fields: ConfigField[]) => (decodeCbor(encodeManifest({ ...base, config: fields })) as CborMap).get(MANIFEST_KEYS.config);

describe("manifest config entries", () => {
  it("are [name, type, default?, min?, max?] with trailing absent fields left out and inner ones null", () => {
    expect(configOf([
      { name: "a", type: "integer" },
      { name: "b", type: "boolean", default: false },
      { name: "c", type: "number", max: 2.5 },
      { name: "d", type: "integer", default: 3, min: 1 },
    ])).toEqual([["a", 0], ["b", 2, false], ["c", 1, null, null, 2.5], ["d", 0, 3, 1]]);
  });

  it("round-trip every combination of present fields", () => {
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

  it("refuse a second encoding of the same entry: a trailing null", () => {
    expect(() => decodeManifest(withConfig([["a", 0, 5, null]]))).toThrow(/config \(key 8\)\[0\]\[3\]: trailing null/);
    expect(() => decodeManifest(withConfig([["a", 0, null]]))).toThrow(/trailing null/);
  });

  it("refuse entries of the wrong length, type or content, naming the position", () => {
    expect(() => decodeManifest(withConfig([["a"]]))).toThrow(/\[0\]: expected \[name, type, default\?, min\?, max\?\], found 1 items/);
    expect(() => decodeManifest(withConfig([["a", 0, 1, 0, 2, 9]]))).toThrow(/\[0\]: 6 items \(at most 5\)/);
    expect(() => decodeManifest(withConfig([["a", 4]]))).toThrow(/\[0\]\[1\] type: 4 exceeds 3/);
    expect(() => decodeManifest(withConfig([["a", 0, 1.5]]))).toThrow(/\[0\]\[2\] default: 1.5 is not an integer/);
    expect(() => decodeManifest(withConfig([["a", 2, null, 0]]))).toThrow(/\[0\]\[3\] min: boolean settings have no bounds/);
    expect(() => decodeManifest(withConfig([["a", 0, 50, 0, 10]]))).toThrow(/\[0\]\[2\] default: default 50 is outside \[0, 10\]/);
    expect(() => decodeManifest(withConfig([["a", 0, null, 5, 1]]))).toThrow(/\[0\]\[3\] min: min 5 is above max 1/);
    expect(() => decodeManifest(withConfig([["a", 0], ["a", 1]]))).toThrow(/\[1\]: duplicate config field "a"/);
    expect(() => decodeManifest(withConfig([new Map<number, CborValue>([[1, "a"], [2, 0]])]))).toThrow(/\[0\]: expected an array, found map/);
  });
});

describe("manifest text", () => {
  it("is the signed bytes: a module id behind a byte order mark is not a module id", () => {
    const bytes = encodeManifest({ ...base, id: "\uFEFFcom.acme.temp-alarm" });
    expect(() => decodeManifest(bytes)).toThrow(/id \(key 1\): ".*com\.acme\.temp-alarm" is not a valid module id/);
  });
});
