// The signed-command test vector of docs/package-format.md ("Signed commands
// and device answers"): fixed seeds and fields, so every byte is reproducible
// (Ed25519 signatures are deterministic). A C implementation checks itself
// against these bytes.

import { createPrivateKey, type KeyObject } from "node:crypto";
import { encodeCbor } from "../../../src/pkg/cbor.js";
import { issueDeviceCertificate, issueOperatorCertificate, type DeviceCertificate, type OperatorCertificate } from "../../../src/pkg/identity.js";
import { rawPublicKey, signWithDomain } from "../../../src/pkg/keys.js";
import { encodeCommandBody, encodeStatementBody, sha256, signCommand, type CommandBody, type Statement } from "../../../src/ota/signed-command.js";

/** An Ed25519 private key from a 32-byte seed. */
export function keyFromSeed(byte: number): KeyObject {
  const d = Buffer.alloc(32, byte);
  const pub = rawPublicKey(createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: d.toString("base64url"), x: "" }, format: "jwk" }));
  return createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: d.toString("base64url"), x: Buffer.from(pub).toString("base64url") }, format: "jwk" });
}

export const root = keyFromSeed(0x11);
export const operatorKey = keyFromSeed(0x22);
export const deviceKey = keyFromSeed(0x33);

export const operatorCert: OperatorCertificate = {
  operatorId: "alice", operatorKey: rawPublicKey(operatorKey), operations: ["rollback", "config"], customers: ["acme-foods"],
  groups: ["cold-store-3"], notBefore: 1767225600, notAfter: 1798761600,
};
export const deviceCert: DeviceCertificate = {
  deviceId: "gw-17", deviceKey: rawPublicKey(deviceKey), customer: "acme-foods", group: "cold-store-3", notBefore: 1767225600, notAfter: 2082758400,
};
export const command: CommandBody = { op: "rollback", device: "gw-17", counter: 7, req: "1", from: "fwx-tool-1", module: "com.acme.ticker" };

export function buildCommandVector() {
  const opCert = issueOperatorCertificate(operatorCert, root);
  const devCert = issueDeviceCertificate(deviceCert, root);
  const body = encodeCommandBody(command);
  const signed = signCommand(command, { key: operatorKey, cert: opCert });
  const statement: Statement = { device: "gw-17", request: sha256(body), outcome: "rolled-back", module: "com.acme.ticker" };
  const stBody = encodeStatementBody(statement);
  const proof = encodeCbor([stBody, signWithDomain(deviceKey, "deviceStatement", stBody)]);
  return { opCert, devCert, body, signed, statement, stBody, proof };
}
