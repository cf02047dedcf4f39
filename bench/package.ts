// Signed-package figures: the bytes a package adds around its payload (the
// comparison points are a signed SUIT manifest, ~240–270 B, and MCUboot's
// header + TLVs + trailer, ~1.5 KB) and the time verifyPackage takes.
import { createHash } from "node:crypto";
import type { Capabilities } from "../src/caps/capabilities.js";
import { CERT_KEYS, issueCertificate, type IntegratorCertificate } from "../src/pkg/certificate.js";
import { openEnvelopeBytes } from "../src/pkg/signed.js";
import { assemblePackage, splitPackage } from "../src/pkg/format.js";
import { generateKeyPair } from "../src/pkg/keys.js";
import { encodeManifest, MANIFEST_KEYS, type Manifest } from "../src/pkg/manifest.js";
import { decodeCbor, encodeCbor } from "../src/pkg/cbor.js";
import { verifyPackage, type VerifyContext } from "../src/pkg/verify.js";
import { encodeAbiSection, type InterfaceRequirement } from "../src/wasm/abi-section.js";
import { encodeU32 } from "../src/wasm/leb128.js";
import { customSections } from "../src/pkg/wasm-sections.js";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/build/compile.js";
import { DEFAULT_RAM_BUDGET_BYTES, readManifest } from "../src/build/manifest.js";
import { configFields, DEFAULT_FUEL_PER_CALLBACK } from "../src/pkg/pack.js";
import type { BenchRow } from "./row.js";

const RUNS = 300;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** A valid module of about `size` bytes: fwx.abi and fwx.fuel sections plus a filler custom section standing in for code. */
function payloadOfSize(size: number, interfaces: InterfaceRequirement[]): Uint8Array {
  const custom = (name: string, body: Uint8Array) => {
    const n = [...Buffer.from(name)];
    const content = [...encodeU32(n.length), ...n, ...body];
    return [0, ...encodeU32(content.length), ...content];
  };
  const head = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...custom("fwx.abi", encodeAbiSection(interfaces)), ...custom("fwx.fuel", Uint8Array.of(1, 1))];
  const filler = Math.max(0, size - head.length - 16);
  return Uint8Array.from([...head, ...custom("filler", new Uint8Array(filler).fill(0xaa))]);
}

interface Shape {
  id: string;
  interfaces: InterfaceRequirement[];
  requested: Capabilities;
  config: Manifest["config"];
  /** The RAM budget `fwx pack` would sign: the example's own `ramBudget`. */
  ramBytes: number;
}

/** A package of the given shape, under a certificate that grants exactly what it requests plus a little headroom. */
function packageFor(shape: Shape, payloadBytes: number) {
  const root = generateKeyPair();
  const integrator = generateKeyPair();
  const certCaps: Capabilities = { ...shape.requested, timers: 4, kv: 4096 };
  const now = Math.floor(Date.now() / 1000);
  const cert: IntegratorCertificate = {
    integratorId: "acme", integratorKey: integrator.publicKey, modulePrefix: shape.id.slice(0, shape.id.lastIndexOf(".") + 1), capabilities: certCaps,
    customers: ["plant-a"], groups: ["line-1"], notBefore: now - 86400, notAfter: now + 365 * 86400,
  };
  const payload = payloadOfSize(payloadBytes, shape.interfaces);
  const manifest: Manifest = {
    id: shape.id, version: "1.4.2", sequence: 1_760_000_000, deviceClass: "mcu", interfaces: shape.interfaces, capabilities: shape.requested,
    budgets: { ramBytes: shape.ramBytes, fuelPerCallback: DEFAULT_FUEL_PER_CALLBACK }, config: shape.config,
    payload: { sha256: new Uint8Array(createHash("sha256").update(payload).digest()), fuelInstrumented: true },
  };
  const bytes = assemblePackage(encodeManifest(manifest), payload, issueCertificate(cert, root.privateKey), integrator.privateKey);
  const ctx: VerifyContext = {
    rootPublicKey: root.publicKey, now: Date.now(), installedSeq: 1,
    device: { customer: "plant-a", group: "line-1", deviceClass: "mcu", capabilities: certCaps, offeredInterfaces: shape.interfaces },
  };
  return { bytes, payload, ctx };
}

const MINIMAL: Shape = {
  id: "com.acme.blink",
  interfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }, { name: "timer", major: 1, minor: 0 }],
  requested: { timers: 1, gpio: [{ pin: 5, modes: ["output"] }] },
  config: [{ name: "period_ms", type: "integer", default: 500, min: 10, max: 60000 }],
  ramBytes: DEFAULT_RAM_BUDGET_BYTES,
};

// The interface each capability kind is used through; every module also imports core.
const INTERFACE_OF: Record<keyof Capabilities, string> = {
  timers: "timer", sensors: "sensor", gpio: "gpio", adc: "adc", pwm: "pwm", i2c: "i2c", spi: "spi", uart: "uart", telemetry: "telemetry", kv: "kv",
};

/** The shape of each example's fwx.json: its settings, its capabilities and the interfaces they need. */
function exampleShapes(): { name: string; shape: Shape }[] {
  const dir = join(packageRoot(), "examples");
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, "fwx.json"))).sort() : [];
  return names.map((name) => {
    const project = readManifest(join(dir, name));
    const kinds = Object.keys(project.capabilities) as (keyof Capabilities)[];
    const interfaces = ["core", ...kinds.map((k) => INTERFACE_OF[k])].sort().map((i) => ({ name: i, major: 1, minor: 0 }));
    return { name, shape: { id: project.id, interfaces, requested: project.capabilities, config: configFields(project.config), ramBytes: project.ramBudgetBytes } };
  });
}

// Which manifest fields the bytes go to (each: its key plus its value), so a
// change to one encoding shows where it saved. Build provenance is not
// counted because since format 2 it is in the sidecar beside the package,
// which no device reads or receives (docs/package-format.md). "other" is id, version,
// sequence, device class, budgets, the fuel flag and the map's own head.
const MANIFEST_PARTS: [string, number[]][] = [
  ["config schema", [MANIFEST_KEYS.config]],
  ["capabilities", [MANIFEST_KEYS.capabilities]],
  ["interfaces", [MANIFEST_KEYS.interfaces]],
  ["payload hash", [MANIFEST_KEYS.payloadSha256]],
];

// The same for the certificate: "other" is the envelope's framing and the map's head.
const CERT_PARTS: [string, number[]][] = [
  ["integrator key", [CERT_KEYS.integratorKey]],
  ["capabilities", [CERT_KEYS.capabilities]],
  ["names (integrator, prefix, customers, groups)", [CERT_KEYS.integratorId, CERT_KEYS.modulePrefix, CERT_KEYS.customers, CERT_KEYS.groups]],
  ["validity times", [CERT_KEYS.notBefore, CERT_KEYS.notAfter]],
];

/** Bytes per named group of keys of a CBOR map, and the rest of `total` as "other". */
function mapParts(map: Uint8Array, total: number, groups: [string, number[]][], extra: [string, number][] = []): [string, number][] {
  const m = decodeCbor(map) as Map<number, Parameters<typeof encodeCbor>[0]>;
  const sizeOf = (keys: number[]) => keys.reduce((n, k) => n + (m.has(k) ? encodeCbor(k).length + encodeCbor(m.get(k)!).length : 0), 0);
  const parts: [string, number][] = [...extra, ...groups.map(([name, keys]): [string, number] => [name, sizeOf(keys)])];
  return [...parts, ["other", total - parts.reduce((n, [, b]) => n + b, 0)]];
}

const manifestParts = (manifest: Uint8Array) => mapParts(manifest, manifest.length, MANIFEST_PARTS);

function certificateParts(certificate: Uint8Array): [string, number][] {
  const { body, signature } = openEnvelopeBytes(certificate, "certificate");
  return mapParts(body, certificate.length, CERT_PARTS, [["root signature", signature.length]]);
}

/** Bytes of the payload's fwx.* custom sections, each with its id, size and name. */
function metadataSectionBytes(payload: Uint8Array): number {
  let total = 0;
  for (const [name, body] of customSections(payload)) {
    if (!name.startsWith("fwx.")) continue;
    const content = encodeU32(name.length).length + name.length + body.length;
    total += 1 + encodeU32(content).length + content;
  }
  return total;
}

function overheadRows(label: string, shape: Shape): BenchRow[] {
  const { bytes, payload } = packageFor(shape, 8 * 1024);
  const raw = splitPackage(bytes);
  const overhead = bytes.length - payload.length;
  const manifestBytes = raw.layout.manifest[1] - raw.layout.manifest[0];
  const certBytes = raw.certificateBytes.length;
  return [
    { name: `${label}: package overhead`, value: overhead, unit: "B", goal: "≤ 512 B", met: overhead <= 512 },
    { name: `${label}:   manifest`, value: manifestBytes, unit: "B" },
    ...manifestParts(bytes.subarray(...raw.layout.manifest)).map(([part, b]): BenchRow => ({ name: `${label}:     ${part}`, value: b, unit: "B" })),
    { name: `${label}:   certificate (incl. root signature)`, value: certBytes, unit: "B" },
    ...certificateParts(raw.certificateBytes).map(([part, b]): BenchRow => ({ name: `${label}:     ${part}`, value: b, unit: "B" })),
    { name: `${label}:   header + package signature + framing`, value: overhead - manifestBytes - certBytes, unit: "B" },
    // Shown, not counted: the payload's own metadata sections, there before and after format 2 (which moved nothing into the payload).
    { name: `${label}:   (not counted, in the payload as built: fwx.abi + fwx.fuel sections)`, value: metadataSectionBytes(payload), unit: "B" },
  ];
}

function timeVerify(bytes: Uint8Array, ctx: VerifyContext): number {
  for (let i = 0; i < 20; i++) verifyPackage(bytes, ctx);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    verifyPackage(bytes, ctx);
    times.push(performance.now() - t0);
  }
  return median(times) * 1000;
}

export async function benchPackage(): Promise<BenchRow[]> {
  const small = packageFor(MINIMAL, 8 * 1024);
  const large = packageFor(MINIMAL, 256 * 1024);
  return [
    ...overheadRows("blink (1 setting)", MINIMAL),
    ...exampleShapes().flatMap(({ name, shape }) => overheadRows(`${name} example (${shape.config.length} settings)`, shape)),
    { name: "verifyPackage, 8 KiB payload (median)", value: timeVerify(small.bytes, small.ctx), unit: "µs" },
    { name: "verifyPackage, 256 KiB payload (median)", value: timeVerify(large.bytes, large.ctx), unit: "µs" },
  ];
}
