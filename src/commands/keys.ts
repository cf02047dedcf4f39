import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputFile } from "../cli/files.js";
import { writeFileDurable } from "../fs/durable.js";
import { loadPublicKey, readInput } from "../pkg/files.js";
import { generateKeyPair, keyId, parsePrivateKey, privateKeyPem, publicKeyPem, rawPublicKey } from "../pkg/keys.js";

const help = `usage: fwx keys gen --out <name> [--force]
       fwx keys show <file.pub|file.key>

Ed25519 key pairs for the product root, integrators, operators and devices.

gen   writes <name>.key (PKCS#8 PEM, mode 0600, written atomically) and
      <name>.pub (SPKI PEM), and prints the key id and the raw 32-byte public
      key in hex (what device firmware embeds as its root of trust). Private
      keys are never printed.
show  prints the key id and raw public key of a public or private key file.

The same key pair serves every role; the root's certificate says which
(fwx cert issue | operator | device). Keep operator and device private keys
outside any device state directory (an agent's --state-dir is the device's,
and whoever can read an operator key can command the fleet in its scope).

options:
  --out <name>   path prefix of the two files (gen); the directory must exist
  --force        replace existing files (gen; default: refuse)

exit codes:
  0  ok
  1  internal error
  2  bad arguments or unreadable key

example:
  mkdir -p keys && fwx keys gen --out keys/root
  fwx keys gen --out keys/acme
  mkdir -p ~/.config/fwx && fwx keys gen --out ~/.config/fwx/operator   # fwx flash/rollback/… find it there
  mkdir -p provisioning && fwx keys gen --out provisioning/gw-17         # a device identity`;

function describe(raw: Uint8Array): string {
  return `key id   ${keyId(raw)}\npublic   ${Buffer.from(raw).toString("hex")}`;
}

export const command: Command = {
  name: "keys",
  summary: "Generate Ed25519 key pairs",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { out: { type: "string" }, force: { type: "boolean", default: false } },
      allowPositionals: true,
      strict: true,
    });
    const [action, ...rest] = positionals;
    if (action === "gen") {
      if (rest.length) throw new UsageError(`keys gen: unexpected argument "${rest[0]}"`);
      if (!values.out) throw new UsageError("keys gen: --out <name> is required");
      const keyFile = `${values.out}.key`;
      const pubFile = `${values.out}.pub`;
      for (const f of [keyFile, pubFile]) checkOutputFile("keys gen", `--out ${values.out}`, f);
      const { privateKey, publicKey } = generateKeyPair();
      // Checked for both before writing either, so a refusal never leaves a new private key beside an old public key.
      for (const f of [keyFile, pubFile]) if (!values.force && existsSync(f)) throw new UsageError(`keys gen: ${f} already exists (use --force to replace it)`);
      try {
        writeFileDurable(keyFile, privateKeyPem(privateKey), { mode: 0o600, noClobber: !values.force });
        writeFileDurable(pubFile, publicKeyPem(publicKey), { mode: 0o644, noClobber: !values.force });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "EEXIST") throw new UsageError(`keys gen: ${(err as { dest?: string }).dest ?? err.path ?? values.out} already exists (use --force to replace it)`);
        if (err.code === "ENOENT") throw new UsageError(`keys gen: directory of ${values.out} does not exist`);
        throw e;
      }
      console.log(`wrote ${keyFile} (private, mode 0600) and ${pubFile}\n${describe(publicKey)}`);
      return EXIT.ok;
    }
    if (action === "show") {
      const file = rest[0];
      if (!file || rest.length > 1) throw new UsageError("keys show: give exactly one key file");
      const data = readInput(file, "key");
      let raw: Uint8Array;
      if (data.toString("utf8").includes("PRIVATE KEY")) {
        try {
          raw = rawPublicKey(parsePrivateKey(data));
        } catch (e) {
          throw new UsageError(`${file}: ${(e as Error).message}`);
        }
      } else {
        raw = loadPublicKey(file);
      }
      console.log(`${file}\n${describe(raw)}`);
      return EXIT.ok;
    }
    throw new UsageError(action ? `keys: unknown action "${action}" (gen, show)` : "keys: give an action: gen or show (fwx keys --help)");
  },
};
