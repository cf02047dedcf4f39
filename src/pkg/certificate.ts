// Integrator certificates: the product root's statement that an integrator
// key may sign modules under a module-id prefix, asking for at most a set of
// capabilities, for some customers (and optionally device groups), during a
// validity period. Its format version is the "1" of its signature domain
// ("fwx-cert-1"): a new format gets a new domain, never a silent reinterpretation.

import { createHash, type KeyObject } from "node:crypto";
import type { Capabilities } from "../caps/capabilities.js";
import { decodeCbor, encodeCbor, type CborValue } from "./cbor.js";
import { decodeCapabilities, encodeCapabilities } from "./caps-codec.js";
import { FieldError, Fields, asArray, asBytes, asMap, asText, asUint, compactMap } from "./fields.js";
import { PUBLIC_KEY_BYTES } from "./keys.js";
import { sealEnvelope } from "./signed.js";

/** Allows every customer (or every group); never implied by an empty list. */
export const ANY = "*";

export interface IntegratorCertificate {
  integratorId: string;
  /** Raw Ed25519 public key of the integrator, 32 bytes. */
  integratorKey: Uint8Array;
  /** Module ids this integrator may sign must start with it ("com.acme."). */
  modulePrefix: string;
  capabilities: Capabilities;
  customers: string[];
  /** Device groups within those customers; absent = every group. */
  groups?: string[];
  /** Unix seconds, inclusive. */
  notBefore: number;
  /** Unix seconds, exclusive. */
  notAfter: number;
}

export const CERT_KEYS = {
  integratorId: 1, integratorKey: 2, modulePrefix: 3, capabilities: 4,
  customers: 5, groups: 6, notBefore: 7, notAfter: 8,
} as const;
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(CERT_KEYS).map(([n, k]) => [k, n]));

export const NAME_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9._-]{0,63}$/;

export function encodeCertificateBody(c: IntegratorCertificate): Uint8Array {
  return encodeCbor(compactMap({
    [CERT_KEYS.integratorId]: c.integratorId,
    [CERT_KEYS.integratorKey]: c.integratorKey,
    [CERT_KEYS.modulePrefix]: c.modulePrefix,
    [CERT_KEYS.capabilities]: encodeCapabilities(c.capabilities),
    [CERT_KEYS.customers]: c.customers,
    [CERT_KEYS.groups]: c.groups,
    [CERT_KEYS.notBefore]: c.notBefore,
    [CERT_KEYS.notAfter]: c.notAfter,
  }));
}

/** A non-empty list of names (customers, groups, device ids, operations); compared exactly, never by prefix. */
export const nameList = (v: CborValue, path: string): string[] => {
  const list = asArray(v, path, 256).map((e, i) => {
    const s = asText(e, `${path}[${i}]`, 64);
    if (!NAME_PATTERN.test(s)) throw new FieldError(`${path}[${i}]`, `${JSON.stringify(s)} is not a name (letters, digits, . _ -, or "*")`);
    return s;
  });
  if (list.length === 0) throw new FieldError(path, "empty list allows nothing; use \"*\" for all");
  return list;
};

/** Decodes a certificate body (after its root signature was checked). Throws CborError or FieldError. */
export function decodeCertificateBody(body: Uint8Array, baseOffset = 0, path = "certificate"): IntegratorCertificate {
  const f = new Fields(asMap(decodeCbor(body, baseOffset), path), path, NAMES);
  const cert: IntegratorCertificate = {
    integratorId: f.required(CERT_KEYS.integratorId, (v, p) => asText(v, p, 64)),
    integratorKey: f.required(CERT_KEYS.integratorKey, (v, p) => asBytes(v, p, PUBLIC_KEY_BYTES)),
    modulePrefix: f.required(CERT_KEYS.modulePrefix, (v, p) => asText(v, p, 64)),
    capabilities: f.required(CERT_KEYS.capabilities, decodeCapabilities),
    customers: f.required(CERT_KEYS.customers, nameList),
    notBefore: f.required(CERT_KEYS.notBefore, asUint),
    notAfter: f.required(CERT_KEYS.notAfter, asUint),
  };
  const groups = f.optional(CERT_KEYS.groups, nameList);
  if (groups) cert.groups = groups;
  if (cert.notAfter <= cert.notBefore) throw new FieldError(f.at(CERT_KEYS.notAfter), "validity period is empty (notAfter ≤ notBefore)");
  return cert;
}

/** Signs a certificate with the product root key; returns the certificate file's bytes. */
export function issueCertificate(cert: IntegratorCertificate, rootKey: KeyObject): Uint8Array {
  return sealEnvelope(encodeCertificateBody(cert), rootKey, "certificate");
}

/** What revocation lists name a certificate by: SHA-256 of its body bytes. */
export function certificateDigest(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(body).digest());
}
