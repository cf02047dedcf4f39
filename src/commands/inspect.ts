import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import type { Capabilities } from "../caps/capabilities.js";
import type { IntegratorCertificate } from "../pkg/certificate.js";
import { PackageError } from "../pkg/errors.js";
import { readInput } from "../pkg/files.js";
import { keyId } from "../pkg/keys.js";
import type { BuildProvenance, Manifest } from "../pkg/manifest.js";
import { SIDECAR_SUFFIX, readProvenance } from "../pkg/provenance.js";
import { readPackageUnverified, type UnverifiedPackage } from "../pkg/verify.js";
import { otherFileKind } from "../pkg/file-kind.js";

const help = `usage: fwx inspect <package.fwx> [--json]

Show what a .fwx package contains, without trusting it.

Prints the manifest (id, version, sequence, target, interfaces, capabilities,
budgets, config schema), the build info from the sidecar \`fwx pack\` wrote
beside it (<package>${SIDECAR_SUFFIX}), the certificate chain (integrator, key
id, scope, validity) and the size of every part. Nothing is verified: use
\`fwx verify\` to decide whether a device would accept the package.

options:
  --json   machine-readable output (byte strings as hex)

exit codes:
  0  printed
  1  internal error
  2  not a readable package (with FWX_PKG_E_* code)

example:
  fwx inspect build/temp-alarm.fwx`;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");

export function describeCapabilities(c: Capabilities, indent = "  "): string {
  const parts: string[] = [];
  if (c.timers !== undefined) parts.push(`timers ${c.timers}`);
  if (c.sensors?.length) parts.push(`sensors ${c.sensors.join(", ")}`);
  if (c.gpio?.length) parts.push(`gpio ${c.gpio.map((g) => `${g.pin}:${g.modes.join("|")}`).join(", ")}`);
  if (c.adc?.length) parts.push(`adc ${c.adc.join(", ")}`);
  if (c.pwm?.length) parts.push(`pwm ${c.pwm.join(", ")}`);
  if (c.i2c?.length) parts.push(`i2c ${c.i2c.map((g) => `${g.bus}:0x${g.address.toString(16).padStart(2, "0")}`).join(", ")}`);
  if (c.spi?.length) parts.push(`spi ${c.spi.map((g) => `${g.bus}:cs${g.cs}`).join(", ")}`);
  if (c.uart?.length) parts.push(`uart ${c.uart.join(", ")}`);
  if (c.telemetry?.length) parts.push(`telemetry ${c.telemetry.join(", ")}`);
  if (c.kv !== undefined) parts.push(`kv ${c.kv} bytes`);
  return parts.length ? parts.map((p) => indent + p).join("\n") : `${indent}(none)`;
}

export function describeCertificate(c: IntegratorCertificate, digest: Uint8Array): string {
  return [
    `integrator   ${c.integratorId} (key ${keyId(c.integratorKey)})`,
    `module ids   ${c.modulePrefix}*`,
    `customers    ${c.customers.join(", ")}`,
    `groups       ${c.groups?.join(", ") ?? "(all)"}`,
    `valid        ${iso(c.notBefore)} .. ${iso(c.notAfter)}`,
    `digest       ${hex(digest)}`,
    "capabilities (at most)",
    describeCapabilities(c.capabilities),
  ].join("\n");
}

function describeBuild(b: BuildProvenance | { missing: string }): string {
  if ("missing" in b) return `(not in the package; ${b.missing})`;
  return `fwx ${b.fwx}${b.assemblyscript ? `, AssemblyScript ${b.assemblyscript}` : ""}${b.sourceHash ? `, source ${hex(b.sourceHash)}` : ""}`;
}

function describeManifest(m: Manifest, build: BuildProvenance | { missing: string }): string {
  const cfg = m.config.map((c) => `  ${c.name}: ${c.type} = ${JSON.stringify(c.default)}${c.min !== undefined || c.max !== undefined ? ` [${c.min ?? ""}..${c.max ?? ""}]` : ""}`);
  return [
    `module       ${m.id} ${m.version} (sequence ${m.sequence})`,
    `target       ${m.deviceClass}${m.payload.fuelInstrumented ? ", fuel-instrumented" : ", not fuel-instrumented"}`,
    `interfaces   ${m.interfaces.map((i) => `${i.name}@${i.major}.${i.minor}`).join(", ") || "(none)"}`,
    `budgets      RAM ${m.budgets.ramBytes} bytes, fuel ${m.budgets.fuelPerCallback} per callback`,
    `payload      sha256 ${hex(m.payload.sha256)}`,
    `built with   ${describeBuild(build)}`,
    "capabilities (requested)",
    describeCapabilities(m.capabilities),
    ...(cfg.length ? ["config", ...cfg] : []),
  ].join("\n");
}

function sizes(p: UnverifiedPackage): Record<string, number> {
  const len = ([a, b]: [number, number]) => b - a;
  const total = p.layout.signatureBlock[1];
  const payload = len(p.layout.payload);
  return {
    header: len(p.layout.header), manifest: len(p.layout.manifest), payload,
    certificate: p.certificateBytes.length, signatureBlock: len(p.layout.signatureBlock), overhead: total - payload, total,
  };
}

function toJson(p: UnverifiedPackage, build: BuildProvenance | { missing: string }): unknown {
  return JSON.parse(JSON.stringify({ ...p, build, sizes: sizes(p) }, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v)));
}

export const command: Command = {
  name: "inspect",
  summary: "Show a package's manifest, capabilities, chain and sizes",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { json: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError("inspect: give exactly one package file");
    const file = positionals[0]!;
    let p: UnverifiedPackage;
    const bytes = new Uint8Array(readInput(file, "package"));
    try {
      p = readPackageUnverified(bytes);
    } catch (e) {
      if (e instanceof PackageError) {
        const other = e.code === "FWX_PKG_E_MAGIC" ? otherFileKind(bytes, "package") : null;
        console.error(`fwx: inspect: ${file}: ${e.message}${other ? `; it is ${other}` : ""}`);
        return EXIT.invalid;
      }
      throw e;
    }
    const build = readProvenance(file, p.payloadSha256);
    if (values.json) {
      console.log(JSON.stringify(toJson(p, build), null, 2));
      return EXIT.ok;
    }
    const s = sizes(p);
    console.log(`${file}: fwx package format ${p.header.formatVersion} — NOT verified (use fwx verify)`);
    console.log("error" in p.manifest ? `manifest     unreadable: ${p.manifest.error}` : describeManifest(p.manifest, build));
    console.log("chain        product root → integrator certificate → package signature");
    console.log("error" in p.certificate ? `certificate  unreadable: ${p.certificate.error}` : describeCertificate(p.certificate, p.certificateDigest));
    console.log(`sizes        header ${s.header} + manifest ${s.manifest} + payload ${s.payload} + signature block ${s.signatureBlock} (certificate ${s.certificate}) = ${s.total} bytes; overhead ${s.overhead} bytes`);
    return EXIT.ok;
  },
};
