// The corpus the C command gate and statement writer are checked against
// (tests/c/suites/trust.mjs): signed commands made by src/ota/signed-command.ts
// with the decision the Node agent's gate (src/ota/op-guard.ts admit) takes
// on each, and device statements with the TS encoder's bytes and proofs.
//
//   ctx <root hex> <device> <customer> <group>
//   cmd <highest counter> <now s> <expected: ok | refusal code | ignored | not-ok> <payload hex> <what>
//   rl <serial, 0: none> <revoked certificate digest hex | -> <revoked key hex | ->   the kept list from here on
//   dc <expected: ok | refusal code> <seed hex> <device certificate hex> <now s>
//   st <device> <request hex> <outcome> <code|-> <package hex|-> <module|-> <seed hex> <body hex> <proof base64>
import { writeFileSync } from "node:fs";
import { encodeCbor } from "../../../src/pkg/cbor.js";
import { checkOperatorCertificate, issueDeviceCertificate, issueOperatorCertificate, TrustRefused, type OperatorCertificate } from "../../../src/pkg/identity.js";
import { certificateDigest } from "../../../src/pkg/certificate.js";
import { openEnvelopeBytes } from "../../../src/pkg/signed.js";
import type { RevocationList } from "../../../src/pkg/revocation.js";
import { rawPublicKey } from "../../../src/pkg/keys.js";
import { encodeCommandBody, encodeStatementBody, sha256, signCommand, signStatement, type CommandBody, type Statement } from "../../../src/ota/signed-command.js";
import { buildCommandVector, command, deviceCert as deviceCertInfo, deviceKey, keyFromSeed, operatorCert, operatorKey, root } from "../../pkg/vectors/command.js";

const out: string[] = [];
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const DEVICE = "gw-17", CUSTOMER = "acme-foods", GROUP = "cold-store-3";
const NOW = 1780000000; // inside the vector certificate's validity
out.push(`ctx ${hex(rawPublicKey(root))} ${DEVICE} ${CUSTOMER} ${GROUP}`);
const cmd = (highest: number, now: number, expect: string, payload: Uint8Array, what: string) => out.push(`cmd ${highest} ${now} ${expect} ${payload.length ? hex(payload) : "-"} ${what.replace(/\s+/g, "_")}`);

// 1. The documented vector, and every bit flip of it: nothing but the original is accepted.
const v = buildCommandVector();
const vcert = { key: operatorKey, cert: v.opCert };
cmd(0, NOW, "ok", v.signed, "vector");
cmd(7, NOW, "replayed", v.signed, "vector at its own counter");
cmd(0, operatorCert.notAfter, "expired", v.signed, "vector after notAfter");
cmd(0, operatorCert.notBefore - 1, "not-yet-valid", v.signed, "vector before notBefore");
for (let bit = 0; bit < v.signed.length * 8; bit++) {
  const f = Uint8Array.from(v.signed);
  f[bit >> 3]! ^= 1 << (bit & 7);
  cmd(0, NOW, "not-ok", f, `vector bit ${bit} flipped`);
}
for (let n = 0; n < v.signed.length; n++) cmd(0, NOW, "ignored", v.signed.subarray(0, n), `vector cut at ${n}`);

// 2. Generated commands of every op and field, under an operator allowed everything for this device.
const allCert: OperatorCertificate = { ...operatorCert, operatorId: "bob", operations: ["*"], customers: [CUSTOMER], groups: ["*"], devices: [DEVICE] };
const all = { key: operatorKey, cert: issueOperatorCertificate(allCert, root) };
const sha = (s: string) => hex(sha256(Buffer.from(s)));
const base: CommandBody = { op: "begin", device: DEVICE, counter: 1, req: "r", from: "fwx-tool-9" };
const bodies: CommandBody[] = [
  { ...base, module: "com.acme.ticker", session: 65535, window: 1024, package: { sha256: sha("a"), size: 695, version: "1.0.0-rc.1+b", sequence: 4294967295 } },
  { ...base, module: "com.acme.ticker", session: 1, window: 1, package: { sha256: sha("b"), size: 1, version: "2.0.0", sequence: 0 }, delta: { base: sha("c"), size: 70000, sha256: sha("d") }, customers: ["acme-foods", "*"], groups: ["cold-store-3"], preempt: true },
  { ...base, op: "abort", session: 300, counter: 2 ** 53 - 1 },
  { ...base, op: "rollback", module: "m", req: "x".repeat(64), from: "F".repeat(64) },
  { ...base, op: "remove", module: "com.acme.ticker", counter: 24 },
  { ...base, op: "config", module: "com.acme.ticker", values: { a: "", threshold: "12.5", "z\u00e9": "\u00fcnicode \"quoted\"" } },
  { ...base, op: "revocations", revocations: Uint8Array.from([1, 2, 3]) },
];
bodies.forEach((b, i) => {
  const signed = signCommand(b, all);
  cmd(0, NOW, "ok", signed, `generated ${b.op} ${i}`);
  cmd(b.counter, NOW, "replayed", signed, `generated ${b.op} ${i} replayed`);
});

// 3. Refusals, each for one reason, in the order admit() checks them.
const sign = (c: Partial<OperatorCertificate>, body: Partial<CommandBody> = {}, key = operatorKey, rootKey = root) =>
  signCommand({ ...base, op: "rollback", module: "m", ...body }, { key, cert: issueOperatorCertificate({ ...allCert, ...c }, rootKey) });
cmd(0, NOW, "out-of-scope", sign({}, { device: "gw-170" }), "addressed to another device");
cmd(0, NOW, "out-of-scope", sign({}, { device: "gw-1" }), "addressed to a prefix of this device");
cmd(0, NOW, "bad-signature", sign({}, {}, operatorKey, keyFromSeed(0x44)), "operator certificate from another root");
cmd(0, NOW, "operation-not-allowed", sign({ operations: ["begin", "config"] }), "operation not in the certificate");
cmd(0, NOW, "out-of-scope", sign({ customers: ["acme"] }), "customer acme is not acme-foods");
cmd(0, NOW, "out-of-scope", sign({ customers: ["acme-foods-2"] }), "customer acme-foods-2 is not acme-foods");
cmd(0, NOW, "ok", sign({ customers: ["*"] }), "any customer");
cmd(0, NOW, "out-of-scope", sign({ groups: ["cold-store"] }), "group prefix");
cmd(0, NOW, "ok", sign({ groups: undefined }), "groups absent");
cmd(0, NOW, "out-of-scope", sign({ devices: ["gw-18"] }), "device list without this device");
cmd(0, NOW, "ok", sign({ devices: ["gw-18", "gw-17"] }), "device list with this device");
cmd(0, NOW, "bad-signature", signCommand({ ...base, op: "rollback", module: "m" }, { key: keyFromSeed(0x55), cert: all.cert }), "signed by a key the certificate does not name");
cmd(0, NOW, "not-yet-valid", sign({ notBefore: NOW + 1, notAfter: NOW + 10 }), "certificate starts in a second");
cmd(0, NOW, "expired", sign({ notBefore: NOW - 10, notAfter: NOW }), "certificate ended now");
cmd(5, NOW, "replayed", sign({}, { counter: 5 }), "counter equal to the highest");
cmd(5, NOW, "ok", sign({}, { counter: 6 }), "counter above the highest");
// Revoked operators (a kept list): by certificate digest or by key, checked before validity; the
// expected code is what the Node agent's checkOperatorCertificate decides with that list.
{
  const certOf = (c: Partial<OperatorCertificate>) => issueOperatorCertificate({ ...allCert, ...c }, root);
  const revokedCert = certOf({ operatorId: "carol" });
  const digest = certificateDigest(openEnvelopeBytes(revokedCert, "op").body);
  const otherKey = keyFromSeed(0x66);
  const decide = (cert: Uint8Array, now: number, list: RevocationList) => {
    try {
      checkOperatorCertificate(cert, { rootPublicKey: rawPublicKey(root), nowMs: now * 1000, op: "rollback", device: { id: DEVICE, customer: CUSTOMER, group: GROUP }, revoked: list });
      return "ok";
    } catch (e) {
      if (e instanceof TrustRefused) return e.code;
      throw e;
    }
  };
  const byDigest: RevocationList = { serial: 7, issuedAt: 0, certificates: [digest], integratorKeys: [] };
  out.push(`rl 7 ${hex(digest)} -`);
  const rc = (cert: Uint8Array, key = operatorKey) => signCommand({ ...base, op: "rollback", module: "m" }, { key, cert });
  cmd(0, NOW, decide(revokedCert, NOW, byDigest), rc(revokedCert), "operator certificate revoked by digest");
  cmd(0, NOW, decide(certOf({ operatorId: "dave" }), NOW, byDigest), rc(certOf({ operatorId: "dave" })), "another certificate of the same key, not listed");
  const expiredRevoked = certOf({ operatorId: "erin", notBefore: NOW - 10, notAfter: NOW });
  const both: RevocationList = { ...byDigest, certificates: [certificateDigest(openEnvelopeBytes(expiredRevoked, "op").body)] };
  out.push(`rl 7 ${hex(both.certificates[0]!)} -`);
  cmd(0, NOW, decide(expiredRevoked, NOW, both), rc(expiredRevoked), "revoked and expired: revocation is checked first");
  const byKey: RevocationList = { serial: 8, issuedAt: 0, certificates: [], integratorKeys: [rawPublicKey(operatorKey)] };
  out.push(`rl 8 - ${hex(rawPublicKey(operatorKey))}`);
  cmd(0, NOW, decide(certOf({ operatorId: "frank" }), NOW, byKey), rc(certOf({ operatorId: "frank" })), "operator key revoked");
  const otherCert = issueOperatorCertificate({ ...allCert, operatorId: "grace", operatorKey: rawPublicKey(otherKey) }, root);
  cmd(0, NOW, decide(otherCert, NOW, byKey), rc(otherCert, otherKey), "another operator key, not listed");
  out.push("rl 0 - -");
}
// Not commands: extra array item, unknown body key, size without sha256, bad window.
const body = encodeCommandBody({ ...base, op: "rollback", module: "m" });
cmd(0, NOW, "ignored", encodeCbor([body, new Uint8Array(64), all.cert, new Uint8Array(0)]), "four items");
const withKey = (k: number, value: unknown) => {
  const m = new Map<number, unknown>([[1, "rollback"], [2, DEVICE], [3, 1], [4, "r"], [5, "fwx-tool-9"], [k, value]]);
  const b = encodeCbor(m as never);
  return encodeCbor([b, new Uint8Array(64), all.cert]);
};
cmd(0, NOW, "ignored", withKey(19, 1), "unknown key 19");
cmd(0, NOW, "ignored", withKey(10, 5), "size without sha256");
cmd(0, NOW, "ignored", withKey(8, 1025), "window above 1024");
cmd(0, NOW, "ignored", withKey(7, 65536), "session above 65535");
cmd(0, NOW, "ignored", withKey(6, "x".repeat(65)), "module of 65 bytes");

// 4. Statements: body bytes and proofs (Ed25519 is deterministic) of the TS encoder.
const seedHex = hex(Buffer.alloc(32, 0x33));
const statements: Statement[] = [
  v.statement,
  { device: DEVICE, request: sha256(v.body), outcome: "refused", code: "replayed" },
  { device: "d".repeat(64), request: sha256(Buffer.from("x")), outcome: "confirmed", code: "FWX_PKG_E_SIG", package: sha("p"), module: "m".repeat(64) },
  { device: "a", request: new Uint8Array(32), outcome: "ok", package: sha("q") },
];
for (const s of statements) {
  out.push(["st", s.device, hex(s.request), s.outcome, s.code ?? "-", s.package ?? "-", s.module ?? "-", seedHex, hex(encodeStatementBody(s)), signStatement(s, deviceKey)].join(" "));
}
// 5. The device's own certificate at start-up (`dc <expected> <seed hex> <cert hex> <now s>`).
const seed = (b: number) => hex(Buffer.alloc(32, b));
const dc = (expect: string, seedHex: string, cert: Uint8Array, now: number) => out.push(`dc ${expect} ${seedHex} ${hex(cert)} ${now}`);
dc("ok", seed(0x33), v.devCert, NOW);
dc("out-of-scope", seed(0x34), v.devCert, NOW);
dc("expired", seed(0x33), v.devCert, deviceCertInfo.notAfter);
dc("not-yet-valid", seed(0x33), v.devCert, deviceCertInfo.notBefore - 1);
dc("out-of-scope", seed(0x33), issueDeviceCertificate({ ...deviceCertInfo, deviceId: "gw-170" }, root), NOW);
dc("bad-signature", seed(0x33), issueDeviceCertificate(deviceCertInfo, keyFromSeed(0x44)), NOW);
dc("bad-signature", seed(0x33), v.opCert, NOW);
void command;
writeFileSync(process.argv[2]!, out.join("\n") + "\n");
