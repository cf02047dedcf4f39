// Key pairs: made from a random seed (src/pkg/keys.ts says why not
// generateKeyPairSync), and a seed gives the public key RFC 8032 says it does.
import { describe, expect, it } from "vitest";
import { generateKeyPair, keyPairFromSeed, publicKeyObject, rawPublicKey, signWithDomain, verifyWithDomain } from "../../src/pkg/keys.js";

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

describe("Ed25519 key pairs", () => {
  it("derives RFC 8032's public keys from its seeds (test vectors 1 and 2)", () => {
    expect(Buffer.from(keyPairFromSeed(hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")).publicKey).toString("hex"))
      .toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    expect(Buffer.from(keyPairFromSeed(hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")).publicKey).toString("hex"))
      .toBe("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    expect(() => keyPairFromSeed(new Uint8Array(31))).toThrow("an Ed25519 seed is 32 bytes, not 31");
  });

  it("makes a new pair each time, whose signatures verify under its public key only", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(false);
    const sig = signWithDomain(a.privateKey, "package", hex("0102"));
    expect(verifyWithDomain(a.publicKey, "package", hex("0102"), sig)).toBe(true);
    expect(verifyWithDomain(b.publicKey, "package", hex("0102"), sig)).toBe(false);
  });

  it("keeps the KeyObject of a raw public key it made, and of nothing that is not 32 bytes", () => {
    const a = generateKeyPair().publicKey;
    const b = generateKeyPair().publicKey;
    expect(publicKeyObject(a)).toBe(publicKeyObject(new Uint8Array(a)));
    expect(publicKeyObject(a)).not.toBe(publicKeyObject(b));
    expect(Buffer.from(rawPublicKey(publicKeyObject(b))).equals(Buffer.from(b))).toBe(true);
    // Refused each time, nothing kept in its place.
    const short = a.subarray(0, 31);
    expect(() => publicKeyObject(short)).toThrow();
    expect(() => publicKeyObject(short)).toThrow();
    // 32 bytes that are no point of the curve make a KeyObject (OpenSSL decodes at verification), under which nothing verifies.
    expect(verifyWithDomain(new Uint8Array(32).fill(0xff), "package", hex("0102"), new Uint8Array(64))).toBe(false);
  });
});
