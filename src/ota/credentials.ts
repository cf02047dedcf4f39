// Where the field tools (flash, rollback, remove, config, revocations) find
// the operator's key and certificate, the product root they check device
// answers against, and the revocation list of devices they must not believe:
// a flag, else an environment variable, else a file in the user's config
// directory. Never in a device's state directory: that belongs
// to the device, and an operator key there would let whoever can read it
// command the fleet.

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../cli/command.js";
import type { KeyObject } from "node:crypto";
import { loadPrivateKey, loadPublicKey, loadRevocationList, readInput } from "../pkg/files.js";
import { decodeCertificateBody } from "../pkg/certificate.js";
import { decodeDeviceCertificateBody, decodeOperatorCertificateBody } from "../pkg/identity.js";
import { keyId, rawPublicKey, verifyWithDomain } from "../pkg/keys.js";
import { openEnvelopeBytes } from "../pkg/signed.js";
import { otherFileKind } from "../pkg/file-kind.js";
import type { OperatorAuth } from "./rpc.js";

export const CREDENTIAL_OPTIONS = {
  "operator-key": { type: "string" }, "operator-cert": { type: "string" }, root: { type: "string" }, revocations: { type: "string" },
} as const;

export function credentialsDir(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "fwx");
}

export const CREDENTIALS_HELP = `operator credentials (every command that changes a device is signed):
  --operator-key <file>   operator private key (fwx keys gen)
                          [env FWX_OPERATOR_KEY, default ~/.config/fwx/operator.key]
  --operator-cert <file>  its certificate from the product root (fwx cert operator)
                          [env FWX_OPERATOR_CERT, default ~/.config/fwx/operator.cert]
  --root <file>           product root public key: the device's answers must be
                          signed by a device certificate from it
                          [env FWX_ROOT, default ~/.config/fwx/root.pub]
  --revocations <file>    the root-signed revocation list (fwx cert revoke): a
                          device whose certificate or key is on it is not
                          believed and is sent nothing (exit 2, "device-revoked")
                          [env FWX_REVOCATIONS, default ~/.config/fwx/revocations.fwxrl
                          when that file exists; keep it the list you deliver]
  (~/.config is $XDG_CONFIG_HOME when set)`;

function pick(flag: string | undefined, env: string, file: string, what: string, option: string): string {
  const fromEnv = process.env[env] || undefined; // set but empty = unset
  const chosen = flag ?? fromEnv ?? join(credentialsDir(), file);
  if (!flag && !fromEnv && !existsSync(chosen)) throw new UsageError(`no ${what}: give ${option}, set ${env}, or put it at ${chosen}`);
  return chosen;
}

/**
 * The revocation list the tool checks device certificates against: the flag, else FWX_REVOCATIONS, else
 * the config directory's revocations.fwxrl if it exists (none: no device is revoked). A list that is
 * given but does not verify against the root is an error, never ignored.
 */
export function loadToolRevocations(flag: string | undefined, rootPublicKey: Uint8Array) {
  const fromEnv = process.env.FWX_REVOCATIONS || undefined;
  const file = flag ?? fromEnv ?? join(credentialsDir(), "revocations.fwxrl");
  if (!flag && !fromEnv && !existsSync(file)) return null;
  try {
    return loadRevocationList(file, rootPublicKey);
  } catch (e) {
    throw new UsageError(`revocation list ${file}: ${(e as Error).message.replace(`${file}: `, "")}`);
  }
}

export function loadOperatorAuth(values: { "operator-key"?: string; "operator-cert"?: string; root?: string; revocations?: string }): OperatorAuth {
  const keyFile = pick(values["operator-key"], "FWX_OPERATOR_KEY", "operator.key", "operator key", "--operator-key");
  const certFile = pick(values["operator-cert"], "FWX_OPERATOR_CERT", "operator.cert", "operator certificate", "--operator-cert");
  const rootFile = pick(values.root, "FWX_ROOT", "root.pub", "product root public key", "--root");
  const rootPublicKey = loadPublicKey(rootFile);
  const key = loadPrivateKey(keyFile);
  const cert = new Uint8Array(readInput(certFile, "operator certificate"));
  checkOperatorCredentials(cert, certFile, key, keyFile, rootPublicKey, rootFile);
  return {
    operator: { key, cert },
    rootPublicKey,
    revoked: loadToolRevocations(values.revocations, rootPublicKey),
  };
}

/**
 * What the tool can tell before it sends anything: the certificate is an operator certificate, the root
 * signed it, and it certifies this key. Otherwise every device refused the command with a misleading
 * reason (an integrator certificate given as --operator-cert: "not signed by this device's product
 * root"; another operator's key: "command signature does not verify"). Its validity and scope are the
 * device's to judge, on its clock and its names.
 */
function checkOperatorCredentials(cert: Uint8Array, certFile: string, key: KeyObject, keyFile: string, rootPublicKey: Uint8Array, rootFile: string): void {
  let env, op;
  try {
    env = openEnvelopeBytes(cert, "operator certificate");
    op = decodeOperatorCertificateBody(env.body);
  } catch (e) {
    const other = otherFileKind(cert, "certificate");
    const kind = other ?? (() => {
      try {
        decodeCertificateBody(env!.body);
        return "an integrator certificate";
      } catch { /* not one */ }
      try {
        decodeDeviceCertificateBody(env!.body);
        return "a device certificate";
      } catch { /* not one */ }
      return null;
    })();
    throw new UsageError(`operator certificate ${certFile}: ${kind ? `not an operator certificate: it is ${kind}` : `not an operator certificate (${(e as Error).message})`}; fwx cert operator issues one`);
  }
  if (!verifyWithDomain(rootPublicKey, "operatorCertificate", env.body, env.signature)) {
    throw new UsageError(`operator certificate ${certFile}: not signed by the product root ${rootFile}`);
  }
  if (!Buffer.from(op.operatorKey).equals(Buffer.from(rawPublicKey(key)))) {
    throw new UsageError(`operator key ${keyFile} is not the key operator certificate ${certFile} certifies (operator "${op.operatorId}", key ${keyId(op.operatorKey)}; this key is ${keyId(rawPublicKey(key))})`);
  }
}
