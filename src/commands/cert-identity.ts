// `fwx cert operator`, `fwx cert device` and `fwx cert deliver`: the
// certificates that let an operator command devices and a device prove its
// answers, and delivering a revocation list to a device.

import { UsageError } from "../cli/command.js";
import { writeFileDurable } from "../fs/durable.js";
import { NAME_PATTERN } from "../pkg/certificate.js";
import { list, loadPrivateKey, loadPublicKey, parseTime, parseUint, loadRevocationList, readInput } from "../pkg/files.js";
import { issueDeviceCertificate, issueOperatorCertificate, OPERATIONS, type OperatorCertificate } from "../pkg/identity.js";
import { keyId, rawPublicKey } from "../pkg/keys.js";
import { checkDevice, OTA_EXIT, reportRemoteError } from "../ota/cli-support.js";
import { loadOperatorAuth } from "../ota/credentials.js";
import { ToolConnection } from "../ota/rpc.js";
import { brokerTargetFromArgs } from "../ota/transport.js";

type Values = Record<string, string | string[] | boolean | undefined>;

function common(v: Values, action: string) {
  const str = (k: string) => v[k] as string | undefined;
  const need = (k: string) => {
    const x = str(k);
    if (!x) throw new UsageError(`cert ${action}: --${k} is required`);
    return x;
  };
  const names = (opt: string, value: string | undefined, allowAny = true) => {
    const l = list(value);
    if (l === undefined) return undefined;
    if (l.length === 0) throw new UsageError(`cert ${action}: --${opt} is empty (leave it out to allow all)`);
    for (const n of l) if (!NAME_PATTERN.test(n) || (!allowAny && n.includes("*"))) throw new UsageError(`cert ${action}: --${opt}: "${n}" is not a name (letters, digits, . _ -${allowAny ? ", or \"*\"" : ""})`);
    return l;
  };
  if (str("valid-days") && str("not-after")) throw new UsageError(`cert ${action}: give --valid-days or --not-after, not both`);
  const notBefore = str("not-before") ? parseTime(str("not-before")!, "--not-before") : Math.floor(Date.now() / 1000);
  const days = parseUint(str("valid-days"), "--valid-days", 36500);
  const period = (defaultDays: number) => {
    const notAfter = str("not-after") ? parseTime(str("not-after")!, "--not-after") : notBefore + (days ?? defaultDays) * 86400;
    if (notAfter <= notBefore) throw new UsageError(`cert ${action}: the validity period is empty`);
    return { notBefore, notAfter };
  };
  return { str, need, names, period };
}

export function issueOperator(v: Values): number {
  const { need, names, period, str } = common(v, "operator");
  const rootKey = loadPrivateKey(need("root-key"));
  const operatorKey = loadPublicKey(need("operator-pub"));
  const id = need("id");
  if (!NAME_PATTERN.test(id) || id.includes("*")) throw new UsageError(`cert operator: --id "${id}" must be letters, digits, . _ -`);
  const operations = names("operations", need("operations"))!;
  for (const op of operations) if (op !== "*" && !(OPERATIONS as readonly string[]).includes(op)) throw new UsageError(`cert operator: --operations: unknown operation "${op}" (${OPERATIONS.join(", ")} or "*")`);
  const customers = names("customers", need("customers"))!;
  const groups = names("groups", str("groups"));
  const devices = names("devices", str("devices"), false);
  const cert: OperatorCertificate = { operatorId: id, operatorKey, operations, customers, ...period(30), ...(groups ? { groups } : {}), ...(devices ? { devices } : {}) };
  const out = need("out");
  const bytes = issueOperatorCertificate(cert, rootKey);
  writeFileDurable(out, bytes);
  console.log(`wrote ${out} (${bytes.length} bytes), signed by root ${keyId(rawPublicKey(rootKey))}
operator     ${id} (key ${keyId(operatorKey)})
operations   ${operations.join(", ")}
customers    ${customers.join(", ")}
groups       ${groups?.join(", ") ?? "(all)"}
devices      ${devices?.join(", ") ?? "(all)"}
valid        ${new Date(cert.notBefore * 1000).toISOString()} .. ${new Date(cert.notAfter * 1000).toISOString()}`);
  return 0;
}

export function issueDevice(v: Values): number {
  const { need, period } = common(v, "device");
  const rootKey = loadPrivateKey(need("root-key"));
  const deviceKey = loadPublicKey(need("device-pub"));
  const deviceId = checkDevice(need("device-id"), "--device-id");
  const customer = need("customer");
  const group = need("group");
  for (const [opt, n] of [["--customer", customer], ["--group", group]] as const) {
    if (!NAME_PATTERN.test(n) || n.includes("*")) throw new UsageError(`cert device: ${opt} "${n}" must be letters, digits, . _ -`);
  }
  const out = need("out");
  const p = period(3650);
  const bytes = issueDeviceCertificate({ deviceId, deviceKey, customer, group, ...p }, rootKey);
  writeFileDurable(out, bytes);
  console.log(`wrote ${out} (${bytes.length} bytes), signed by root ${keyId(rawPublicKey(rootKey))}
device       ${deviceId} (key ${keyId(deviceKey)}), customer ${customer}, group ${group}
valid        ${new Date(p.notBefore * 1000).toISOString()} .. ${new Date(p.notAfter * 1000).toISOString()}`);
  return 0;
}

/** Sends a root-signed revocation list to a device as a signed command; the device keeps it if its serial is higher. */
export async function deliverRevocations(file: string | undefined, v: Values): Promise<number> {
  if (!file) throw new UsageError("cert deliver: give the revocation list file");
  const device = checkDevice(v.device as string | undefined, "--device");
  const auth = loadOperatorAuth(v as Record<string, string | undefined>);
  const bytes = new Uint8Array(readInput(file, "revocation list"));
  // Checked here too: a list that is not the root's would only be refused by the device.
  const sent = loadRevocationList(file, auth.rootPublicKey);
  let conn: ToolConnection | null = null;
  try {
    // The broker options of every field tool; --cert (a list for `cert revoke`) is the MQTT client certificate here.
    const certs = (v.cert as string[] | undefined) ?? [];
    if (certs.length > 1) throw new UsageError("cert deliver: --cert is the MQTT client certificate; give it once");
    const str = (k: string) => v[k] as string | undefined;
    const broker = brokerTargetFromArgs({ broker: str("broker"), ca: str("ca"), cert: certs[0], key: str("key"), username: str("username"), "password-file": str("password-file") });
    conn = await ToolConnection.open({ brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}) });
    const { reply } = await conn.signedRequest(device, { op: "revocations", revocations: bytes }, auth, 10_000);
    // What the device signed is that it accepted this list command ("ok"): it then keeps this list or one with a
    // higher serial, so "serial N or later" is proven. Its `serial`/`replaced` fields lie outside the proof: a claim.
    console.log(`${device}: enforces revocation list serial ${sent.serial} or later (device-signed acceptance); it reports keeping serial ${String(reply.serial)}${reply.replaced ? "" : " (its own, not older than this one)"}`);
    return OTA_EXIT.ok;
  } catch (e) {
    const code = reportRemoteError(e, false, "cert deliver");
    if (code !== null) return code;
    throw e;
  } finally {
    await conn?.close();
  }
}
