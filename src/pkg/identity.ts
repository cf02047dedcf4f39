// Operator and device certificates: the product root's statements about who
// may command devices and which key speaks for a device. Same envelope and
// field rules as integrator certificates (src/pkg/certificate.ts); each kind
// has its own signature domain, so no certificate can pass for another kind.
//
//   operator certificate ("fwx-opcert-1"): this key may send these operations
//     to devices of these customers (and groups, and device ids) in a period.
//   device certificate ("fwx-devcert-1"): this key is device <id> of a customer
//     and group; issued when the device is provisioned. Tools believe a
//     device's answers only when they verify under such a certificate.

import type { KeyObject } from "node:crypto";
import { decodeCbor, encodeCbor, type CborValue } from "./cbor.js";
import { ANY, NAME_PATTERN, certificateDigest, nameList } from "./certificate.js";
import { FieldError, Fields, asBytes, asMap, asText, asUint, compactMap } from "./fields.js";
import { PUBLIC_KEY_BYTES, verifyWithDomain } from "./keys.js";
import { openEnvelopeBytes, sealEnvelope } from "./signed.js";
import { isRevoked, type RevocationList } from "./revocation.js";

/** Operations an operator certificate can allow: every state-changing command. */
export const OPERATIONS = ["begin", "abort", "rollback", "remove", "config", "revocations"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface OperatorCertificate {
  operatorId: string;
  /** Raw Ed25519 public key of the operator, 32 bytes. */
  operatorKey: Uint8Array;
  /** Operations allowed ("*" = all of OPERATIONS). */
  operations: string[];
  customers: string[];
  /** Absent: every group of those customers. */
  groups?: string[];
  /** Absent: every device of those customers and groups. */
  devices?: string[];
  /** Unix seconds, inclusive. */
  notBefore: number;
  /** Unix seconds, exclusive. */
  notAfter: number;
}

export interface DeviceCertificate {
  deviceId: string;
  /** Raw Ed25519 public key of the device, 32 bytes. */
  deviceKey: Uint8Array;
  customer: string;
  group: string;
  notBefore: number;
  notAfter: number;
}

export const OPCERT_KEYS = { operatorId: 1, operatorKey: 2, operations: 3, customers: 4, groups: 5, devices: 6, notBefore: 7, notAfter: 8 } as const;
export const DEVCERT_KEYS = { deviceId: 1, deviceKey: 2, customer: 3, group: 4, notBefore: 5, notAfter: 6 } as const;
const nameMap = (keys: Record<string, number>): Record<number, string> => Object.fromEntries(Object.entries(keys).map(([n, k]) => [k, n]));
const OP_NAMES = nameMap(OPCERT_KEYS);
const DEV_NAMES = nameMap(DEVCERT_KEYS);

const name = (v: CborValue, path: string): string => {
  const s = asText(v, path, 64);
  if (!NAME_PATTERN.test(s) || s.includes("*")) throw new FieldError(path, `${JSON.stringify(s)} is not a name (letters, digits, . _ -)`);
  return s;
};

const operationList = (v: CborValue, path: string): string[] => {
  const list = nameList(v, path);
  list.forEach((op, i) => {
    if (op !== ANY && !(OPERATIONS as readonly string[]).includes(op)) throw new FieldError(`${path}[${i}]`, `unknown operation ${JSON.stringify(op)} (${OPERATIONS.join(", ")} or "*")`);
  });
  return list;
};

export function encodeOperatorCertificateBody(c: OperatorCertificate): Uint8Array {
  return encodeCbor(compactMap({
    [OPCERT_KEYS.operatorId]: c.operatorId, [OPCERT_KEYS.operatorKey]: c.operatorKey, [OPCERT_KEYS.operations]: c.operations,
    [OPCERT_KEYS.customers]: c.customers, [OPCERT_KEYS.groups]: c.groups, [OPCERT_KEYS.devices]: c.devices,
    [OPCERT_KEYS.notBefore]: c.notBefore, [OPCERT_KEYS.notAfter]: c.notAfter,
  }));
}

export function decodeOperatorCertificateBody(body: Uint8Array, path = "operator certificate"): OperatorCertificate {
  const f = new Fields(asMap(decodeCbor(body), path), path, OP_NAMES);
  const c: OperatorCertificate = {
    operatorId: f.required(OPCERT_KEYS.operatorId, name),
    operatorKey: f.required(OPCERT_KEYS.operatorKey, (v, p) => asBytes(v, p, PUBLIC_KEY_BYTES)),
    operations: f.required(OPCERT_KEYS.operations, operationList),
    customers: f.required(OPCERT_KEYS.customers, nameList),
    notBefore: f.required(OPCERT_KEYS.notBefore, asUint),
    notAfter: f.required(OPCERT_KEYS.notAfter, asUint),
  };
  const groups = f.optional(OPCERT_KEYS.groups, nameList);
  if (groups) c.groups = groups;
  const devices = f.optional(OPCERT_KEYS.devices, nameList);
  if (devices) c.devices = devices;
  if (c.notAfter <= c.notBefore) throw new FieldError(f.at(OPCERT_KEYS.notAfter), "validity period is empty (notAfter ≤ notBefore)");
  return c;
}

export function encodeDeviceCertificateBody(c: DeviceCertificate): Uint8Array {
  return encodeCbor(compactMap({
    [DEVCERT_KEYS.deviceId]: c.deviceId, [DEVCERT_KEYS.deviceKey]: c.deviceKey, [DEVCERT_KEYS.customer]: c.customer,
    [DEVCERT_KEYS.group]: c.group, [DEVCERT_KEYS.notBefore]: c.notBefore, [DEVCERT_KEYS.notAfter]: c.notAfter,
  }));
}

export function decodeDeviceCertificateBody(body: Uint8Array, path = "device certificate"): DeviceCertificate {
  const f = new Fields(asMap(decodeCbor(body), path), path, DEV_NAMES);
  const c: DeviceCertificate = {
    deviceId: f.required(DEVCERT_KEYS.deviceId, name),
    deviceKey: f.required(DEVCERT_KEYS.deviceKey, (v, p) => asBytes(v, p, PUBLIC_KEY_BYTES)),
    customer: f.required(DEVCERT_KEYS.customer, name),
    group: f.required(DEVCERT_KEYS.group, name),
    notBefore: f.required(DEVCERT_KEYS.notBefore, asUint),
    notAfter: f.required(DEVCERT_KEYS.notAfter, asUint),
  };
  if (c.notAfter <= c.notBefore) throw new FieldError(f.at(DEVCERT_KEYS.notAfter), "validity period is empty (notAfter ≤ notBefore)");
  return c;
}

export function issueOperatorCertificate(c: OperatorCertificate, rootKey: KeyObject): Uint8Array {
  return sealEnvelope(encodeOperatorCertificateBody(c), rootKey, "operatorCertificate");
}

export function issueDeviceCertificate(c: DeviceCertificate, rootKey: KeyObject): Uint8Array {
  return sealEnvelope(encodeDeviceCertificateBody(c), rootKey, "deviceCertificate");
}

/** Why a certificate or a command is not accepted; the device's refusal codes. */
export type TrustRefusal = "unsigned" | "bad-signature" | "out-of-scope" | "expired" | "not-yet-valid" | "replayed" | "operation-not-allowed" | "revoked";

export class TrustRefused extends Error {
  constructor(readonly code: TrustRefusal, message: string) {
    super(message);
    this.name = "TrustRefused";
  }
}

/** Exact membership ("*" allows all): `acme` never matches `acme-foods`. */
export const allows = (list: readonly string[] | undefined, value: string): boolean => list === undefined || list.includes(ANY) || list.includes(value);

function validity(c: { notBefore: number; notAfter: number }, nowMs: number, what: string): void {
  const now = Math.floor(nowMs / 1000);
  if (now < c.notBefore) throw new TrustRefused("not-yet-valid", `${what} is valid from ${new Date(c.notBefore * 1000).toISOString()}`);
  if (now >= c.notAfter) throw new TrustRefused("expired", `${what} expired at ${new Date(c.notAfter * 1000).toISOString()}`);
}

export interface CheckedOperator { cert: OperatorCertificate; digest: Uint8Array }

/**
 * Checks an operator certificate for one operation on one device: root
 * signature, revocation, validity, operation, then customer, group and
 * device id, each compared exactly. Throws TrustRefused.
 */
export function checkOperatorCertificate(bytes: Uint8Array, ctx: {
  rootPublicKey: Uint8Array; nowMs: number; op: string; device: { id: string; customer: string; group: string }; revoked?: RevocationList | null;
}): CheckedOperator {
  let env, cert: OperatorCertificate;
  try {
    env = openEnvelopeBytes(bytes, "operator certificate");
  } catch (e) {
    throw new TrustRefused("bad-signature", `operator certificate is malformed: ${(e as Error).message}`);
  }
  if (!verifyWithDomain(ctx.rootPublicKey, "operatorCertificate", env.body, env.signature)) throw new TrustRefused("bad-signature", "operator certificate is not signed by this device's product root");
  try {
    cert = decodeOperatorCertificateBody(env.body);
  } catch (e) {
    throw new TrustRefused("bad-signature", `operator certificate body is malformed: ${(e as Error).message}`);
  }
  const digest = certificateDigest(env.body);
  const by = ctx.revoked ? isRevoked(ctx.revoked, digest, cert.operatorKey) : null;
  if (by) throw new TrustRefused("revoked", `operator "${cert.operatorId}"'s ${by} is revoked (revocation list serial ${ctx.revoked!.serial})`);
  validity(cert, ctx.nowMs, `operator certificate of "${cert.operatorId}"`);
  if (!allows(cert.operations, ctx.op)) throw new TrustRefused("operation-not-allowed", `operator "${cert.operatorId}" may not ${ctx.op} (allowed: ${cert.operations.join(", ")})`);
  const d = ctx.device;
  if (!allows(cert.customers, d.customer)) throw new TrustRefused("out-of-scope", `operator "${cert.operatorId}" is not certified for customer ${d.customer} (${cert.customers.join(", ")})`);
  if (!allows(cert.groups, d.group)) throw new TrustRefused("out-of-scope", `operator "${cert.operatorId}" is not certified for group ${d.group} (${cert.groups!.join(", ")})`);
  if (!allows(cert.devices, d.id)) throw new TrustRefused("out-of-scope", `operator "${cert.operatorId}" is not certified for device ${d.id} (${cert.devices!.join(", ")})`);
  return { cert, digest };
}

/**
 * Checks a device certificate against the root, the device id the tool addressed, the time and, when
 * the tool has one, the revocation list (the certificate's digest or the device key). Throws TrustRefused.
 */
export function checkDeviceCertificate(bytes: Uint8Array, rootPublicKey: Uint8Array, deviceId: string, nowMs: number, revoked: RevocationList | null = null): DeviceCertificate {
  let env;
  try {
    env = openEnvelopeBytes(bytes, "device certificate");
  } catch (e) {
    throw new TrustRefused("bad-signature", `device certificate is malformed: ${(e as Error).message}`);
  }
  if (!verifyWithDomain(rootPublicKey, "deviceCertificate", env.body, env.signature)) throw new TrustRefused("bad-signature", "device certificate is not signed by the product root");
  let cert: DeviceCertificate;
  try {
    cert = decodeDeviceCertificateBody(env.body);
  } catch (e) {
    throw new TrustRefused("bad-signature", `device certificate body is malformed: ${(e as Error).message}`);
  }
  if (cert.deviceId !== deviceId) throw new TrustRefused("out-of-scope", `device certificate is for ${cert.deviceId}, not ${deviceId}`);
  const by = revoked ? isRevoked(revoked, certificateDigest(env.body), cert.deviceKey) : null;
  if (by) throw new TrustRefused("revoked", `device ${deviceId}'s ${by === "key" ? "key" : `certificate ${Buffer.from(certificateDigest(env.body)).toString("hex").slice(0, 16)}…`} is revoked (revocation list serial ${revoked!.serial}): its answers are not believed`);
  validity(cert, nowMs, `device certificate of ${deviceId}`);
  return cert;
}
