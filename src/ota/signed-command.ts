// Signed operations and device-signed answers (docs/ota-protocol.md, "Trust
// model"; byte layouts and test vectors in docs/package-format.md).
//
// A state-changing command is a binary MQTT payload on `cmd`:
//   CBOR [ body: bstr, signature: bstr(64), operator certificate: bstr ]
// signature = Ed25519(operator key, "fwx-cmd-1\0" || body), body a
// deterministic CBOR map with integer keys (COMMAND_KEYS). The body names the
// device and carries a counter the device persists: a command is accepted
// only with a counter above every counter it accepted before.
//
// A device's answer (the reply to a signed command, an install verdict)
// carries a proof: CBOR [ body: bstr, signature: bstr(64) ], signature =
// Ed25519(device key, "fwx-device-1\0" || body), body = STATEMENT_KEYS,
// bound to the SHA-256 of the command body it answers. The tool believes it
// only under a device certificate from the root naming that device.

import { createHash, type KeyObject } from "node:crypto";
import { decodeCbor, encodeCbor, type CborValue } from "../pkg/cbor.js";
import { FieldError, Fields, asArray, asBool, asBytes, asMap, asText, asUint, compactMap } from "../pkg/fields.js";
import { checkDeviceCertificate, TrustRefused } from "../pkg/identity.js";
import { SIGNATURE_BYTES, signWithDomain, verifyWithDomain } from "../pkg/keys.js";
import { openEnvelopeBytes } from "../pkg/signed.js";
import type { RevocationList } from "../pkg/revocation.js";
import type { DeltaSpec, PackageRef } from "./protocol.js";

export const COMMAND_KEYS = {
  op: 1, device: 2, counter: 3, req: 4, from: 5, module: 6, session: 7, window: 8,
  sha256: 9, size: 10, version: 11, sequence: 12, delta: 13, customers: 14, groups: 15,
  values: 16, revocations: 17, preempt: 18,
} as const;
const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(COMMAND_KEYS).map(([n, k]) => [k, n]));

export const STATEMENT_KEYS = { device: 1, request: 2, outcome: 3, code: 4, package: 5, module: 6 } as const;
const STATEMENT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(STATEMENT_KEYS).map(([n, k]) => [k, n]));

/** What a signed command says; which fields an op uses is listed in docs/ota-protocol.md. */
export interface CommandBody {
  op: string;
  device: string;
  counter: number;
  req: string;
  from: string;
  module?: string;
  session?: number;
  window?: number;
  /** begin: the package (its module is `module`). */
  package?: Omit<PackageRef, "module">;
  delta?: DeltaSpec;
  /** begin: the customers and groups the package's certificate allows, so the device refuses a wrong-customer package before any byte is sent. */
  customers?: string[];
  groups?: string[];
  /** config: key → value, sorted by key. */
  values?: Record<string, string>;
  /** revocations: a root-signed revocation list file. */
  revocations?: Uint8Array;
  /** begin: replace the device's current transfer even if it is not idle. */
  preempt?: boolean;
}

const hexBytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

export function encodeCommandBody(c: CommandBody): Uint8Array {
  const K = COMMAND_KEYS;
  return encodeCbor(compactMap({
    [K.op]: c.op, [K.device]: c.device, [K.counter]: c.counter, [K.req]: c.req, [K.from]: c.from,
    [K.module]: c.module, [K.session]: c.session, [K.window]: c.window,
    [K.sha256]: c.package ? hexBytes(c.package.sha256) : undefined, [K.size]: c.package?.size,
    [K.version]: c.package?.version, [K.sequence]: c.package?.sequence,
    [K.delta]: c.delta ? [hexBytes(c.delta.base), c.delta.size, hexBytes(c.delta.sha256)] : undefined,
    [K.customers]: c.customers, [K.groups]: c.groups,
    [K.values]: c.values ? Object.keys(c.values).sort().map((k) => [k, c.values![k]!]) : undefined,
    [K.revocations]: c.revocations, [K.preempt]: c.preempt ? true : undefined,
  }));
}

const text = (max: number) => (v: CborValue, p: string) => asText(v, p, max);
const texts = (v: CborValue, p: string) => asArray(v, p, 64).map((e, i) => asText(e, `${p}[${i}]`, 64));

/** Strict decode of a command body (the signature is checked separately). Throws FieldError or CborError. */
export function decodeCommandBody(body: Uint8Array): CommandBody {
  const f = new Fields(asMap(decodeCbor(body), "command"), "command", COMMAND_NAMES);
  const K = COMMAND_KEYS;
  const c: CommandBody = {
    op: f.required(K.op, text(16)), device: f.required(K.device, text(64)), counter: f.required(K.counter, asUint),
    req: f.required(K.req, text(64)), from: f.required(K.from, text(64)),
  };
  const module = f.optional(K.module, text(64));
  if (module !== undefined) c.module = module;
  const session = f.optional(K.session, (v, p) => asUint(v, p, 0xffff));
  if (session !== undefined) c.session = session;
  const window = f.optional(K.window, (v, p) => asUint(v, p, 1024));
  if (window !== undefined) c.window = window;
  const sha = f.optional(K.sha256, (v, p) => asBytes(v, p, 32));
  if (sha) {
    c.package = {
      sha256: hexOf(sha), size: f.required(K.size, asUint), version: f.required(K.version, text(64)), sequence: f.required(K.sequence, asUint),
    };
  } else {
    for (const k of [K.size, K.version, K.sequence]) if (f.optional(k, (v) => v) !== undefined) throw new FieldError(f.at(k), "given without sha256");
  }
  const delta = f.optional(K.delta, (v, p) => {
    const a = asArray(v, p, 3);
    if (a.length !== 3) throw new FieldError(p, "expected [base sha256, size, sha256]");
    return { base: hexOf(asBytes(a[0]!, `${p}[0]`, 32)), size: asUint(a[1]!, `${p}[1]`), sha256: hexOf(asBytes(a[2]!, `${p}[2]`, 32)) };
  });
  if (delta) c.delta = delta;
  const customers = f.optional(K.customers, texts);
  if (customers) c.customers = customers;
  const groups = f.optional(K.groups, texts);
  if (groups) c.groups = groups;
  const values = f.optional(K.values, (v, p) => {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    let last = "";
    asArray(v, p, 64).forEach((e, i) => {
      const pair = asArray(e, `${p}[${i}]`, 2);
      if (pair.length !== 2) throw new FieldError(`${p}[${i}]`, "expected [key, value]");
      const k = asText(pair[0]!, `${p}[${i}][0]`, 64);
      if (i > 0 && !(k > last)) throw new FieldError(`${p}[${i}]`, "keys must be unique and in ascending order");
      last = k;
      out[k] = asText(pair[1]!, `${p}[${i}][1]`, 256);
    });
    return out;
  });
  if (values) c.values = values;
  const rl = f.optional(K.revocations, (v, p) => asBytes(v, p));
  if (rl) c.revocations = rl;
  const preempt = f.optional(K.preempt, asBool);
  if (preempt) c.preempt = true;
  return c;
}

export interface OperatorCredentials {
  key: KeyObject;
  /** The operator certificate file's bytes (root-signed). */
  cert: Uint8Array;
}

/** The MQTT payload of a signed command. */
export function signCommand(c: CommandBody, operator: OperatorCredentials): Uint8Array {
  const body = encodeCommandBody(c);
  return encodeCbor([body, signWithDomain(operator.key, "command", body), operator.cert]);
}

export const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

export interface OpenedCommand {
  body: CommandBody;
  bodyBytes: Uint8Array;
  signature: Uint8Array;
  operatorCert: Uint8Array;
  /** SHA-256 of the body: what the device's answer is bound to, and the replay cache key. */
  digest: Uint8Array;
}

/** A signed command's structure (the signature is checked by the device agent once it knows the operator key); null if the payload is not one. */
export function openCommand(payload: Uint8Array): OpenedCommand | null {
  try {
    const a = asArray(decodeCbor(payload), "signed command", 3);
    if (a.length !== 3) return null;
    const bodyBytes = asBytes(a[0]!, "body");
    const signature = asBytes(a[1]!, "signature", SIGNATURE_BYTES);
    const operatorCert = asBytes(a[2]!, "operator certificate");
    return { body: decodeCommandBody(bodyBytes), bodyBytes, signature, operatorCert, digest: sha256(bodyBytes) };
  } catch {
    return null;
  }
}

export function commandSignatureValid(cmd: OpenedCommand, operatorKey: Uint8Array): boolean {
  return verifyWithDomain(operatorKey, "command", cmd.bodyBytes, cmd.signature);
}

// ---- device statements ----------------------------------------------------

export interface Statement {
  device: string;
  /** SHA-256 of the command body this answers. */
  request: Uint8Array;
  /** "ok", "refused", or the install event's phase (a verdict, "rolled-back", "removed", "reconfigured"). */
  outcome: string;
  code?: string;
  /** SHA-256 (hex) of the package concerned. */
  package?: string;
  module?: string;
}

export function encodeStatementBody(s: Statement): Uint8Array {
  const K = STATEMENT_KEYS;
  return encodeCbor(compactMap({
    [K.device]: s.device, [K.request]: s.request, [K.outcome]: s.outcome, [K.code]: s.code,
    [K.package]: s.package ? hexBytes(s.package) : undefined, [K.module]: s.module,
  }));
}

/** The proof a device attaches to an answer: base64 of CBOR [body, signature]. */
export function signStatement(s: Statement, deviceKey: KeyObject): string {
  const body = encodeStatementBody(s);
  return Buffer.from(encodeCbor([body, signWithDomain(deviceKey, "deviceStatement", body)])).toString("base64");
}

export interface DeviceTrust {
  rootPublicKey: Uint8Array;
  device: string;
  nowMs?: number;
  /** The tool's revocation list: a device whose certificate or key is on it is not believed. */
  revoked?: RevocationList | null;
}

/**
 * Verifies a device's proof under its certificate (both base64, as they
 * travel in JSON replies and events) and returns what the device stated.
 * Throws TrustRefused: the tool must then treat the answer as never received.
 */
export function verifyStatement(proofB64: unknown, certB64: unknown, trust: DeviceTrust): Statement {
  if (typeof proofB64 !== "string" || typeof certB64 !== "string") throw new TrustRefused("unsigned", `the answer from ${trust.device} carries no device proof`);
  const cert = checkDeviceCertificate(new Uint8Array(Buffer.from(certB64, "base64")), trust.rootPublicKey, trust.device, trust.nowMs ?? Date.now(), trust.revoked ?? null);
  let env;
  try {
    env = openEnvelopeBytes(new Uint8Array(Buffer.from(proofB64, "base64")), "device proof");
  } catch (e) {
    throw new TrustRefused("bad-signature", `device proof is malformed: ${(e as Error).message}`);
  }
  if (!verifyWithDomain(cert.deviceKey, "deviceStatement", env.body, env.signature)) throw new TrustRefused("bad-signature", `device proof does not verify under ${trust.device}'s certificate`);
  try {
    const f = new Fields(asMap(decodeCbor(env.body), "statement"), "statement", STATEMENT_NAMES);
    const K = STATEMENT_KEYS;
    const s: Statement = { device: f.required(K.device, text(64)), request: f.required(K.request, (v, p) => asBytes(v, p, 32)), outcome: f.required(K.outcome, text(32)) };
    const code = f.optional(K.code, text(64));
    if (code !== undefined) s.code = code;
    const pkg = f.optional(K.package, (v, p) => asBytes(v, p, 32));
    if (pkg) s.package = hexOf(pkg);
    const module = f.optional(K.module, text(64));
    if (module !== undefined) s.module = module;
    if (s.device !== trust.device) throw new TrustRefused("out-of-scope", `device proof names ${s.device}, not ${trust.device}`);
    return s;
  } catch (e) {
    if (e instanceof TrustRefused) throw e;
    throw new TrustRefused("bad-signature", `device statement is malformed: ${(e as Error).message}`);
  }
}

export const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
