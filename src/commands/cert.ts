import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputFile } from "../cli/files.js";
import { writeFileDurable } from "../fs/durable.js";
import { NAME_PATTERN, certificateDigest, encodeCertificateBody, issueCertificate, type IntegratorCertificate } from "../pkg/certificate.js";
import { list, loadCapabilities, loadCertificate, loadPrivateKey, loadPublicKey, loadRevocationList, parseTime, parseUint, readInput } from "../pkg/files.js";
import { keyId, rawPublicKey, verifyWithDomain } from "../pkg/keys.js";
import { openEnvelopeBytes } from "../pkg/signed.js";
import { decodeDeviceCertificateBody, decodeOperatorCertificateBody } from "../pkg/identity.js";
import { MODULE_ID } from "../pkg/manifest.js";
import { emptyRevocationList, extendRevocationList, signRevocationList } from "../pkg/revocation.js";
import { describeCertificate } from "./inspect.js";
import { deliverRevocations, issueDevice, issueOperator } from "./cert-identity.js";
import { otherFileKind } from "../pkg/file-kind.js";

const help = `usage: fwx cert issue --root-key root.key --integrator-pub acme.pub --id acme
                      --module-prefix com.acme. --caps caps.json --customers a,b
                      [--groups g1,g2] [--valid-days N | --not-before DATE --not-after DATE]
                      -o acme.cert
       fwx cert revoke --root-key root.key (--cert acme.cert | --integrator-pub acme.pub)...
                      [--list revoked.fwxrl] [-o revoked.fwxrl]
       fwx cert show acme.cert|alice.opcert|gw-17.devcert [--root root.pub] [--json]
       fwx cert operator --root-key root.key --operator-pub alice.pub --id alice
                      --operations begin,rollback,remove,config,abort,revocations|*
                      --customers a,b [--groups g1,g2] [--devices d1,d2]
                      [--valid-days N (default 30) | --not-before DATE --not-after DATE]
                      -o alice.opcert
       fwx cert device --root-key root.key --device-pub gw-17.pub --device-id gw-17
                      --customer a --group g [--valid-days N (default 3650)] -o gw-17.devcert
       fwx cert deliver revoked.fwxrl --device <id> [--broker url] [--ca f --cert f --key f]
                      [--username u --password-file f]
                      [--operator-key f --operator-cert f --root f --revocations f]

Certificates signed by the product root key: integrators, operators and
devices; revocation lists and their delivery to devices.

issue    certifies that the integrator's key may sign modules whose id starts
         with --module-prefix, requesting at most the capabilities in --caps
         (JSON, the board-profile capability shape), for devices of the listed
         customers ("*" = all) and, if given, only these device groups.
         Valid from --not-before (default now) for --valid-days (default 365)
         or until --not-after.
revoke   adds certificates (integrator, operator or device, by digest) or
         integrator keys (all their certificates) to the root-signed
         revocation list, raising its serial. Devices refuse revoked
         packages and operators; field tools given the list (--revocations)
         believe nothing a revoked device says.
         --list is the current list (verified against the root key); the
         result goes to -o (default: back to --list, replaced atomically).
show     prints a certificate (integrator, operator or device); with --root,
         also checks that the root signed it.
operator certifies that an operator key may send the listed operations (the
         state-changing commands) to devices of these customers, and if
         given only these groups and device ids; names compare exactly
         ("acme" never matches "acme-foods"). fwx flash, rollback, remove and
         config sign with it (see their --operator-key/--operator-cert).
device   certifies a device's key at provisioning: fwx agent takes it with
         --device-key/--device-cert, and tools believe the device's answers
         and verdicts only when they verify under it.
deliver  sends a revocation list to a device (a signed "revocations"
         command); the device keeps it only if its serial is higher than the
         one it has, and enforces it at install, at boot and on operators.
         It prints what the device signed: it enforces this serial or a
         later one. Like the other field tools it believes nothing a
         device revoked in --revocations says (default: the config
         directory's revocations.fwxrl).
Key files (fwx keys gen) never belong in a device's state directory.

options:
  -o, --out <file>   the certificate or list to write (atomically); its
                     directory must exist, and it is checked before any key
                     is read
  -h, --help         show this help
  (every other option belongs to an action: see the usage lines and the
  action descriptions above)

exit codes:
  0  ok
  1  internal error
  2  bad arguments, unreadable or invalid input

example:
  fwx cert issue --root-key keys/root.key --integrator-pub keys/acme.pub --id acme \\
      --module-prefix com.acme. --caps acme-caps.json --customers plant-a \\
      --groups line-1 --valid-days 180 -o acme.cert
  fwx cert revoke --root-key keys/root.key --cert acme.cert -o revoked.fwxrl`;

function issue(v: Record<string, string | string[] | boolean | undefined>): number {
  const str = (k: string) => v[k] as string | undefined;
  const need = (k: string) => {
    const x = str(k);
    if (!x) throw new UsageError(`cert issue: --${k} is required`);
    return x;
  };
  const rootKey = loadPrivateKey(need("root-key"));
  const integratorKey = loadPublicKey(need("integrator-pub"));
  const id = need("id");
  if (!NAME_PATTERN.test(id) || id.includes("*")) throw new UsageError(`cert issue: --id "${id}" must be letters, digits, . _ - (at most 64)`);
  const modulePrefix = need("module-prefix");
  if (!MODULE_ID.test(modulePrefix)) throw new UsageError(`cert issue: --module-prefix "${modulePrefix}" must be lowercase letters, digits, . _ -`);
  if (!modulePrefix.endsWith(".")) console.error(`fwx: warning: --module-prefix "${modulePrefix}" does not end in "."; it also matches e.g. "${modulePrefix}x.y"`);
  const capabilities = loadCapabilities(need("caps"));
  const customers = list(need("customers")) ?? [];
  const groups = list(str("groups"));
  for (const [opt, names] of [["--customers", customers], ["--groups", groups ?? []]] as const) {
    for (const n of names) if (!NAME_PATTERN.test(n)) throw new UsageError(`cert issue: ${opt}: "${n}" is not a name (letters, digits, . _ -, or "*")`);
  }
  if (customers.length === 0) throw new UsageError("cert issue: --customers lists no customer (use \"*\" for all)");
  if (groups && groups.length === 0) throw new UsageError("cert issue: --groups is empty (leave it out to allow every group)");
  if (str("valid-days") && str("not-after")) throw new UsageError("cert issue: give --valid-days or --not-after, not both");
  const notBefore = str("not-before") ? parseTime(str("not-before")!, "--not-before") : Math.floor(Date.now() / 1000);
  const days = parseUint(str("valid-days"), "--valid-days", 36500) ?? 365;
  const notAfter = str("not-after") ? parseTime(str("not-after")!, "--not-after") : notBefore + days * 86400;
  if (notAfter <= notBefore) throw new UsageError("cert issue: the validity period is empty (--not-after is not after --not-before)");
  const out = need("out");
  const cert: IntegratorCertificate = { integratorId: id, integratorKey, modulePrefix, capabilities, customers, notBefore, notAfter };
  if (groups) cert.groups = groups;
  const bytes = issueCertificate(cert, rootKey);
  writeFileDurable(out, bytes);
  console.log(`wrote ${out} (${bytes.length} bytes), signed by root ${keyId(rawPublicKey(rootKey))}`);
  console.log(describeCertificate(cert, certificateDigest(encodeCertificateBody(cert))));
  return EXIT.ok;
}

/** The digest a revocation list names a certificate by: any kind the root signs (integrator, operator, device). */
function revocableDigest(file: string, rootPub: Uint8Array): Uint8Array {
  let env;
  const bytes = new Uint8Array(readInput(file, "certificate"));
  try {
    env = openEnvelopeBytes(bytes, "certificate");
  } catch (e) {
    const other = otherFileKind(bytes, "certificate");
    throw new UsageError(other ? `${file}: not a certificate: it is ${other}` : `${file}: not a valid fwx certificate: ${(e as Error).message}`);
  }
  for (const domain of ["certificate", "operatorCertificate", "deviceCertificate"] as const) {
    if (verifyWithDomain(rootPub, domain, env.body, env.signature)) return certificateDigest(env.body);
  }
  throw new UsageError(`${file}: not an integrator, operator or device certificate signed by this root key`);
}

function revoke(v: Record<string, string | string[] | boolean | undefined>): number {
  const rootKeyFile = v["root-key"] as string | undefined;
  if (!rootKeyFile) throw new UsageError("cert revoke: --root-key is required");
  const rootKey = loadPrivateKey(rootKeyFile);
  const rootPub = rawPublicKey(rootKey);
  const certs = (v.cert as string[] | undefined) ?? [];
  const keys = (v["integrator-pub"] as string[] | undefined) ?? [];
  if (certs.length + keys.length === 0) throw new UsageError("cert revoke: name at least one --cert or --integrator-pub to revoke");
  const listFile = v.list as string | undefined;
  const out = (v.out as string | undefined) ?? listFile;
  if (!out) throw new UsageError("cert revoke: give -o <file> (or --list to update a list in place)");
  if (listFile && !existsSync(listFile)) throw new UsageError(`cert revoke: --list ${listFile} does not exist (leave --list out to start a new list)`);
  if (!listFile && existsSync(out)) throw new UsageError(`cert revoke: ${out} exists; pass --list ${out} to extend it (a fresh list would un-revoke its entries)`);
  const current = listFile ? loadRevocationList(listFile, rootPub) : emptyRevocationList();
  const certDigests = certs.map((f) => revocableDigest(f, rootPub));
  const next = extendRevocationList(current, { certificates: certDigests, integratorKeys: keys.map(loadPublicKey) }, Math.floor(Date.now() / 1000));
  writeFileDurable(out, signRevocationList(next, rootKey));
  console.log(`wrote ${out}: serial ${next.serial}, ${next.certificates.length} revoked certificate(s), ${next.integratorKeys.length} revoked integrator key(s)`);
  return EXIT.ok;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

/**
 * An operator or device certificate (what a field tech holds and provisions) shown as `fwx cert operator`
 * and `fwx cert device` print it when they issue one; null when the file is neither, so the integrator
 * path below reports it as before.
 */
function showIdentity(file: string, root: string | undefined, json: boolean): number | null {
  const bytes = new Uint8Array(readInput(file, "certificate"));
  let env;
  try {
    env = openEnvelopeBytes(bytes, "certificate");
  } catch {
    return null;
  }
  const decoded = (() => {
    try {
      return { kind: "operator" as const, domain: "operatorCertificate" as const, cert: decodeOperatorCertificateBody(env.body) };
    } catch { /* not an operator certificate */ }
    try {
      return { kind: "device" as const, domain: "deviceCertificate" as const, cert: decodeDeviceCertificateBody(env.body) };
    } catch { /* not a device certificate */ }
    return null;
  })();
  if (!decoded) return null;
  if (root && !verifyWithDomain(loadPublicKey(root), decoded.domain, env.body, env.signature)) throw new UsageError(`${file}: not a valid fwx ${decoded.kind} certificate: not signed by this root key`);
  const digest = Buffer.from(certificateDigest(env.body)).toString("hex");
  const c = decoded.cert;
  if (json) {
    const key = "operatorKey" in c ? { operatorKey: Buffer.from(c.operatorKey).toString("hex") } : { deviceKey: Buffer.from(c.deviceKey).toString("hex") };
    console.log(JSON.stringify({ kind: decoded.kind, ...c, ...key, digest, signatureChecked: Boolean(root) }, null, 2));
    return EXIT.ok;
  }
  console.log(`${file} (${bytes.length} bytes), ${decoded.kind} certificate${root ? ", signature verified against " + root : ", signature NOT checked (give --root)"}`);
  if ("operatorKey" in c) {
    console.log(`operator     ${c.operatorId} (key ${keyId(c.operatorKey)})
operations   ${c.operations.join(", ")}
customers    ${c.customers.join(", ")}
groups       ${c.groups?.join(", ") ?? "(all)"}
devices      ${c.devices?.join(", ") ?? "(all)"}
valid        ${iso(c.notBefore)} .. ${iso(c.notAfter)}
digest       ${digest}`);
  } else {
    console.log(`device       ${c.deviceId} (key ${keyId(c.deviceKey)}), customer ${c.customer}, group ${c.group}
valid        ${iso(c.notBefore)} .. ${iso(c.notAfter)}
digest       ${digest}`);
  }
  return EXIT.ok;
}

function show(file: string | undefined, v: Record<string, string | string[] | boolean | undefined>): number {
  if (!file) throw new UsageError("cert show: give a certificate file");
  const root = v.root as string | undefined;
  // Operator and device certificates too: before, they were "not a valid fwx certificate: certificate.modulePrefix
  // (key 3): expected text" or, with --root, "not signed by this root key" although the root had signed them.
  const identity = showIdentity(file, root, Boolean(v.json));
  if (identity !== null) return identity;
  const c = loadCertificate(file, root ? loadPublicKey(root) : undefined);
  const digest = certificateDigest(c.envelope.body);
  if (v.json) {
    console.log(JSON.stringify({ ...c.cert, integratorKey: Buffer.from(c.cert.integratorKey).toString("hex"), digest: Buffer.from(digest).toString("hex"), signatureChecked: Boolean(root) }, null, 2));
  } else {
    console.log(`${file} (${c.bytes.length} bytes)${root ? ", signature verified against " + root : ", signature NOT checked (give --root)"}`);
    console.log(describeCertificate(c.cert, digest));
  }
  return EXIT.ok;
}

export const command: Command = {
  name: "cert",
  summary: "Certificates from the product root (integrators, operators, devices) and revocation lists",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        "root-key": { type: "string" }, "integrator-pub": { type: "string", multiple: true }, id: { type: "string" },
        "module-prefix": { type: "string" }, caps: { type: "string" }, customers: { type: "string" }, groups: { type: "string" },
        "valid-days": { type: "string" }, "not-before": { type: "string" }, "not-after": { type: "string" },
        out: { type: "string", short: "o" }, cert: { type: "string", multiple: true }, list: { type: "string" },
        root: { type: "string" }, json: { type: "boolean", default: false },
        "operator-pub": { type: "string" }, operations: { type: "string" }, devices: { type: "string" },
        "device-pub": { type: "string" }, "device-id": { type: "string" }, customer: { type: "string" }, group: { type: "string" },
        device: { type: "string" }, broker: { type: "string" }, ca: { type: "string" }, key: { type: "string" },
        username: { type: "string" }, "password-file": { type: "string" }, "operator-key": { type: "string" }, "operator-cert": { type: "string" }, revocations: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
    const [action, ...rest] = positionals;
    // Before loading keys or signing: a bad output path must not cost the work (README, "Errors and exit codes").
    if (values.out !== undefined && ["issue", "revoke", "operator", "device"].includes(action ?? "")) checkOutputFile(`cert ${action}`, `-o ${values.out}`, values.out);
    if (action === "issue") {
      const pubs = values["integrator-pub"] ?? [];
      if (pubs.length > 1) throw new UsageError("cert issue: give one --integrator-pub");
      if (rest.length) throw new UsageError(`cert issue: unexpected argument "${rest[0]}"`);
      return issue({ ...values, "integrator-pub": pubs[0] });
    }
    if (action === "revoke") return revoke(values);
    if (action === "show") return show(rest[0], values);
    if (action === "operator") return issueOperator(values);
    if (action === "device") return issueDevice(values);
    if (action === "deliver") return deliverRevocations(rest[0], values);
    throw new UsageError(action ? `cert: unknown action "${action}" (issue, revoke, show, operator, device, deliver)` : "cert: give an action: issue, revoke, show, operator, device or deliver (fwx cert --help)");
  },
};
