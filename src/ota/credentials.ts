// Where the field tools (flash, rollback, remove, config, revocations) find
// the operator's key and certificate and the product root they check device
// answers against: a flag, else an environment variable, else a file in the
// user's config directory. Never in a device's state directory: that belongs
// to the device, and an operator key there would let whoever can read it
// command the fleet.

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../cli/command.js";
import { loadPrivateKey, loadPublicKey, readInput } from "../pkg/files.js";
import type { OperatorAuth } from "./rpc.js";

export const CREDENTIAL_OPTIONS = {
  "operator-key": { type: "string" }, "operator-cert": { type: "string" }, root: { type: "string" },
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
  (~/.config is $XDG_CONFIG_HOME when set)`;

function pick(flag: string | undefined, env: string, file: string, what: string, option: string): string {
  const fromEnv = process.env[env] || undefined; // set but empty = unset
  const chosen = flag ?? fromEnv ?? join(credentialsDir(), file);
  if (!flag && !fromEnv && !existsSync(chosen)) throw new UsageError(`no ${what}: give ${option}, set ${env}, or put it at ${chosen}`);
  return chosen;
}

export function loadOperatorAuth(values: { "operator-key"?: string; "operator-cert"?: string; root?: string }): OperatorAuth {
  const keyFile = pick(values["operator-key"], "FWX_OPERATOR_KEY", "operator.key", "operator key", "--operator-key");
  const certFile = pick(values["operator-cert"], "FWX_OPERATOR_CERT", "operator.cert", "operator certificate", "--operator-cert");
  const rootFile = pick(values.root, "FWX_ROOT", "root.pub", "product root public key", "--root");
  return {
    operator: { key: loadPrivateKey(keyFile), cert: new Uint8Array(readInput(certFile, "operator certificate")) },
    rootPublicKey: loadPublicKey(rootFile),
  };
}
