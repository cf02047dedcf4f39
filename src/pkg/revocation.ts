// The root-signed revocation list. It names certificates by the SHA-256 of
// their body (one leaked or mis-scoped certificate) and integrator keys by
// their raw bytes (a stolen key: every certificate ever issued for it). Its
// serial only grows, so a device can refuse an older list that would
// un-revoke something.

import type { KeyObject } from "node:crypto";
import { decodeCbor, encodeCbor } from "./cbor.js";
import { TrustFileError } from "./errors.js";
import { FieldError, Fields, asArray, asBytes, asMap, asUint, compactMap } from "./fields.js";
import { PUBLIC_KEY_BYTES, verifyWithDomain } from "./keys.js";
import { openEnvelopeBytes, sealEnvelope } from "./signed.js";

export interface RevocationList {
  serial: number;
  /** Unix seconds. */
  issuedAt: number;
  /** SHA-256 digests of revoked certificate bodies. */
  certificates: Uint8Array[];
  /** Raw public keys of integrators whose every certificate is revoked. */
  integratorKeys: Uint8Array[];
}

export const RL_KEYS = { serial: 1, issuedAt: 2, certificates: 3, integratorKeys: 4 } as const;
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(RL_KEYS).map(([n, k]) => [k, n]));

export function emptyRevocationList(): RevocationList {
  return { serial: 0, issuedAt: 0, certificates: [], integratorKeys: [] };
}

export function signRevocationList(list: RevocationList, rootKey: KeyObject): Uint8Array {
  const body = encodeCbor(compactMap({
    [RL_KEYS.serial]: list.serial,
    [RL_KEYS.issuedAt]: list.issuedAt,
    [RL_KEYS.certificates]: list.certificates,
    [RL_KEYS.integratorKeys]: list.integratorKeys,
  }));
  return sealEnvelope(body, rootKey, "revocations");
}

/** Checks the root signature, then decodes. Throws TrustFileError naming the problem. */
export function verifyRevocationList(bytes: Uint8Array, rootPublicKey: Uint8Array, file = "revocation list"): RevocationList {
  try {
    const env = openEnvelopeBytes(bytes, "revocation list");
    if (!verifyWithDomain(rootPublicKey, "revocations", env.body, env.signature)) {
      throw new TrustFileError(file, "signature does not verify against the root public key");
    }
    const f = new Fields(asMap(decodeCbor(env.body), "revocations"), "revocations", NAMES);
    const list = (key: number, len: number) =>
      f.required(key, (v, p) => asArray(v, p, 65536).map((e, i) => asBytes(e, `${p}[${i}]`, len)));
    return {
      serial: f.required(RL_KEYS.serial, asUint),
      issuedAt: f.required(RL_KEYS.issuedAt, asUint),
      certificates: list(RL_KEYS.certificates, 32),
      integratorKeys: list(RL_KEYS.integratorKeys, PUBLIC_KEY_BYTES),
    };
  } catch (e) {
    if (e instanceof TrustFileError) throw e;
    throw new TrustFileError(file, (e as Error).message);
  }
}

const hasBytes = (list: readonly Uint8Array[], x: Uint8Array) => list.some((y) => Buffer.from(y).equals(x));

export function isRevoked(list: RevocationList, certDigest: Uint8Array, integratorKey: Uint8Array): "certificate" | "key" | null {
  if (hasBytes(list.certificates, certDigest)) return "certificate";
  if (hasBytes(list.integratorKeys, integratorKey)) return "key";
  return null;
}

/** A new list with more entries and the next serial; entries already present are kept once. */
export function extendRevocationList(list: RevocationList, add: { certificates?: Uint8Array[]; integratorKeys?: Uint8Array[] }, now: number): RevocationList {
  const merge = (a: Uint8Array[], b: Uint8Array[] = []) => {
    const out = [...a];
    for (const x of b) if (!hasBytes(out, x)) out.push(x);
    return out;
  };
  return {
    serial: list.serial + 1,
    issuedAt: Math.max(now, list.issuedAt),
    certificates: merge(list.certificates, add.certificates),
    integratorKeys: merge(list.integratorKeys, add.integratorKeys),
  };
}
