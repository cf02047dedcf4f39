import { describe, expect, it } from "vitest";
import { CborError, decodeCbor, encodeCbor, type CborValue } from "../../src/pkg/cbor.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("deterministic CBOR", () => {
  it("encodes integers in their shortest form (RFC 8949 appendix A vectors)", () => {
    const cases: [number, string][] = [
      [0, "00"], [23, "17"], [24, "1818"], [255, "18ff"], [256, "190100"], [65535, "19ffff"], [65536, "1a00010000"],
      [4294967295, "1affffffff"], [4294967296, "1b0000000100000000"], [-1, "20"], [-24, "37"], [-25, "3818"], [-1000, "3903e7"],
      [Number.MAX_SAFE_INTEGER, "1b001fffffffffffff"],
    ];
    for (const [v, h] of cases) {
      expect(toHex(encodeCbor(v))).toBe(h);
      expect(decodeCbor(hex(h))).toBe(v);
    }
  });

  it("round-trips every supported type and sorts map keys", () => {
    const m = new Map<number, CborValue>([[10, "ten"], [2, [true, false, null]], [1, Uint8Array.of(1, 2, 3)], [300, 1.5]]);
    const enc = encodeCbor(m);
    expect(toHex(enc)).toBe("a4" + "01" + "43010203" + "02" + "83f5f4f6" + "0a" + "6374656e" + "19012c" + "fb3ff8000000000000");
    const dec = decodeCbor(enc) as Map<number, CborValue>;
    expect([...dec.keys()]).toEqual([1, 2, 10, 300]);
    expect(dec.get(10)).toBe("ten");
    expect(dec.get(300)).toBe(1.5);
    expect(toHex(encodeCbor(dec))).toBe(toHex(enc));
  });

  const rejects: [string, string, RegExp][] = [
    ["non-shortest int", "1817", /shortest form/],
    ["non-shortest length", "5801ff", /shortest form/],
    ["indefinite array", "9f01ff", /indefinite/],
    ["indefinite bytes", "5f41ff", /indefinite/],
    ["reserved info", "1c", /reserved/],
    ["tag", "c100", /tags/],
    ["undefined", "f7", /simple value/],
    ["float16", "f93c00", /simple value or float width/],
    ["float32", "fa3f800000", /simple value or float width/],
    ["integral float64", "fb3ff0000000000000", /integral/],
    ["NaN", "fb7ff8000000000000", /non-finite/],
    ["duplicate key", "a2010101 02", /duplicate map key 1/],
    ["unordered keys", "a202010101", /out of ascending order/],
    ["text map key", "a1616101", /unsigned integers/],
    ["trailing bytes", "0000", /trailing/],
    ["truncated bytes", "4401", /needs 4 bytes/],
    ["truncated argument", "19 01", /needs 2 bytes/],
    ["huge array count", "9b0000000100000000", /array of/],
    ["huge map count", "ba00010000", /map of/],
    ["integer beyond 2^53", "1b0020000000000000", /2\^53/],
    ["negative integer −2^53 (the encoder's range is symmetric)", "3b001fffffffffffff", /below −\(2\^53−1\)/],
    ["invalid UTF-8", "62c328", /UTF-8/],
    ["empty input", "", /needs 1 bytes/],
  ];
  for (const [name, h, msg] of rejects) {
    it(`rejects ${name}`, () => {
      expect(() => decodeCbor(hex(h))).toThrow(msg);
      expect(() => decodeCbor(hex(h))).toThrow(CborError);
    });
  }

  it("rejects nesting deeper than the limit without overflowing the stack", () => {
    const deep = new Uint8Array(100_000).fill(0x81);
    expect(() => decodeCbor(deep)).toThrow(/nested deeper/);
  });

  it("reports offsets relative to the enclosing file", () => {
    try {
      decodeCbor(hex("82 01 1817"), 1000);
      expect.unreachable();
    } catch (e) {
      expect((e as CborError).offset).toBe(1002);
    }
  });

  it("never throws anything but CborError on random input", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from({ length: 1 + (i % 40) }, rnd);
      try {
        decodeCbor(b);
      } catch (e) {
        expect(e).toBeInstanceOf(CborError);
      }
    }
  });

  it("decodes the most negative integer it can encode", () => {
    expect(decodeCbor(hex("3b001ffffffffffffe"))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(toHex(encodeCbor(-Number.MAX_SAFE_INTEGER))).toBe("3b001ffffffffffffe");
  });

  it("keeps a leading byte order mark in text, so the string is exactly the signed bytes", () => {
    const bytes = hex("64 efbbbf 61");
    const s = decodeCbor(bytes);
    expect(s).toBe("\uFEFFa");
    expect(toHex(encodeCbor(s))).toBe(toHex(bytes));
  });

  it("refuses to encode what it could not decode", () => {
    expect(() => encodeCbor("a\uD800")).toThrow(/lone UTF-16 surrogate/);
    expect(() => encodeCbor(2 ** 60)).toThrow(RangeError);
    expect(() => encodeCbor(Infinity)).toThrow(RangeError);
    expect(() => encodeCbor(new Map([[-1, 0]]))).toThrow(RangeError);
  });
});
