// Ed25519 through Node's crypto. On the wire (certificates, packages, device
// flash) a public key is its raw 32 bytes and a signature its raw 64 bytes;
// PEM is only the file format on the signing workstation.
//
// Every signature covers a domain string followed by the signed bytes, so a
// signature made for one kind of document can never be replayed as another.

import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";

export const DOMAIN = {
  certificate: "fwx-cert-1\0",
  package: "fwx-pkg-1\0",
  revocations: "fwx-revocations-1\0",
  /** The root's statement that an operator key may send some commands to some devices (src/pkg/identity.ts). */
  operatorCertificate: "fwx-opcert-1\0",
  /** The root's statement that a device key speaks for one device id (issued at provisioning). */
  deviceCertificate: "fwx-devcert-1\0",
  /** An operator's signed command to a device (src/ota/signed-command.ts). */
  command: "fwx-cmd-1\0",
  /** A device's signed answer to a command, or its verdict on an install. */
  deviceStatement: "fwx-device-1\0",
} as const;
export type SignatureDomain = keyof typeof DOMAIN;

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

function withDomain(domain: SignatureDomain, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(DOMAIN[domain], "latin1"), data]);
}

/** An Ed25519 private key in PKCS #8 DER is this prefix and the key's 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * A new key pair from 32 random bytes, the private key's seed (RFC 8032), not through generateKeyPairSync: on
 * Node 20 that leaves a key-generation job for the garbage collector, whose destructor takes the new key's lock.
 * A collection that runs while the key is being exported (rawPublicKey's JWK export holds that lock and
 * allocates) then waits on the lock its own thread holds, and the process hangs for good; seen in CI as a
 * test worker stopped in ExportJWKEdKey → GC → ~KeyGenJob → pthread_mutex_lock.
 */
export function generateKeyPair(): { privateKey: KeyObject; publicKey: Uint8Array } {
  return keyPairFromSeed(randomBytes(32));
}

/** The Ed25519 key pair of a 32-byte seed. */
export function keyPairFromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKey: Uint8Array } {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  return { privateKey, publicKey: rawPublicKey(privateKey) };
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const jwk = pub.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new Error("not an Ed25519 key");
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}

/**
 * KeyObjects of the raw public keys used lately. Making one from its JWK form costs about a tenth of
 * a verification, and a package's chain is verified under the same few keys again and again (the C
 * lane's package corpus: 6.1 -> 5.5 CPU-s). A KeyObject cannot change, so sharing one is safe.
 */
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEYS_KEPT = 64;

export function publicKeyObject(raw: Uint8Array): KeyObject {
  const x = Buffer.from(raw).toString("base64url");
  let key = publicKeys.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    if (publicKeys.size >= PUBLIC_KEYS_KEPT) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(x, key);
  }
  return key;
}

export function signWithDomain(privateKey: KeyObject, domain: SignatureDomain, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, withDomain(domain, data), privateKey));
}

/** False (never throws) for a wrong signature or a public key that is not a valid curve point. */
export function verifyWithDomain(publicKey: Uint8Array, domain: SignatureDomain, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, withDomain(domain, data), publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** Short fingerprint for humans and logs: the first 8 bytes of SHA-256 of the raw public key. */
export function keyId(raw: Uint8Array): string {
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ format: "pem", type: "pkcs8" }).toString();
}

export function publicKeyPem(raw: Uint8Array): string {
  return publicKeyObject(raw).export({ format: "pem", type: "spki" }).toString();
}

/** Parses a private key file's contents; throws naming what is wrong. */
export function parsePrivateKey(text: string | Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new Error("not a PEM private key (expected the .key file written by `fwx keys gen`)");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/**
 * Parses a public key given as PEM (SPKI), 64 hex digits, or the raw 32
 * bytes, the three forms it travels in (workstation file, firmware source,
 * device flash). Returns the raw 32 bytes.
 */
export function parsePublicKey(data: Buffer): Uint8Array {
  if (data.length === PUBLIC_KEY_BYTES) return new Uint8Array(data);
  const text = data.toString("utf8").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, "hex"));
  if (text.includes("PRIVATE KEY")) throw new Error("this is a private key; give the .pub file");
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new Error("not a public key (expected PEM, 64 hex digits or 32 raw bytes)");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key, not Ed25519`);
  return rawPublicKey(key);
}
