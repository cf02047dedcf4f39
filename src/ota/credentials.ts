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
import { loadPrivateKey, loadPublicKey, loadRevocationList, readInput } from "../pkg/files.js";
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
  return {
    operator: { key: loadPrivateKey(keyFile), cert: new Uint8Array(readInput(certFile, "operator certificate")) },
    rootPublicKey,
    revoked: loadToolRevocations(values.revocations, rootPublicKey),
  };
}
