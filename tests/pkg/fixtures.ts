// Hand-made keys, certificates, payloads and packages, so these tests depend
// on neither the AssemblyScript build nor the fuel instrumenter.

import { createHash, createPrivateKey, type KeyObject } from "node:crypto";
import type { Capabilities } from "../../src/caps/capabilities.js";
import { encodeAbiSection, type InterfaceRequirement } from "../../src/wasm/abi-section.js";
import { encodeU32 } from "../../src/wasm/leb128.js";
import { issueCertificate, type IntegratorCertificate } from "../../src/pkg/certificate.js";
import { assemblePackage } from "../../src/pkg/format.js";
import { rawPublicKey } from "../../src/pkg/keys.js";
import { encodeManifest, type Manifest } from "../../src/pkg/manifest.js";
import type { VerifyContext } from "../../src/pkg/verify.js";

function section(id: number, body: number[]): number[] {
  return [id, ...encodeU32(body.length), ...body];
}

export function customSection(name: string | Uint8Array, payload: Uint8Array): number[] {
  const n = [...(typeof name === "string" ? Buffer.from(name) : name)];
  return section(0, [...encodeU32(n.length), ...n, ...payload]);
}

/** A valid module exporting fwx_init () -> i32 returning 0, with a fwx.abi section and optionally a fwx.fuel marker. */
export function tinyWasm(interfaces: InterfaceRequirement[], fuelInstrumented = true): Uint8Array {
  const exportName = [...Buffer.from("fwx_init")];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]),
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, exportName.length, ...exportName, 0x00, 0x00]),
    ...section(10, [0x01, 0x04, 0x00, 0x41, 0x00, 0x0b]),
    ...customSection("fwx.abi", encodeAbiSection(interfaces)),
    ...(fuelInstrumented ? customSection("fwx.fuel", Uint8Array.of(1, 1)) : []),
  ];
  return Uint8Array.from(bytes);
}

/** Deterministic Ed25519 keys (PKCS#8 DER prefix + 32-byte seed), so corruption results do not vary between runs. */
export function seededKey(seed: number): { privateKey: KeyObject; publicKey: Uint8Array } {
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, seed)]);
  const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  return { privateKey, publicKey: rawPublicKey(privateKey) };
}

export const T0 = Date.parse("2026-06-01T00:00:00Z");
const DAY = 86400;

export const certCaps: Capabilities = {
  timers: 4,
  sensors: ["temperature", "humidity"],
  gpio: [{ pin: 5, modes: ["output"] }, { pin: 6, modes: ["input", "input-pull-up"] }],
  i2c: [{ bus: 0, address: 0x48 }],
  telemetry: ["acme/#"],
  kv: 4096,
};

export const boardCaps: Capabilities = {
  timers: 8,
  sensors: ["temperature", "humidity", "pressure"],
  gpio: [{ pin: 5, modes: ["output", "input"] }, { pin: 6, modes: ["input", "input-pull-up"] }, { pin: 7, modes: ["output"] }],
  i2c: [{ bus: 0, address: 0x48 }, { bus: 0, address: 0x76 }],
  adc: [0, 1],
  telemetry: ["#"],
  kv: 16384,
};

export const requested: Capabilities = {
  timers: 1,
  sensors: ["temperature"],
  gpio: [{ pin: 5, modes: ["output"] }],
  telemetry: ["acme/temp"],
  kv: 256,
};

export const interfaces: InterfaceRequirement[] = [
  { name: "core", major: 1, minor: 0 },
  { name: "gpio", major: 1, minor: 0 },
  { name: "sensor", major: 1, minor: 0 },
];

export interface Fixture {
  rootKey: KeyObject;
  rootPub: Uint8Array;
  integratorKey: KeyObject;
  integratorPub: Uint8Array;
  cert: IntegratorCertificate;
  certBytes: Uint8Array;
  payload: Uint8Array;
  manifest: Manifest;
}

export function makeFixture(overrides: { cert?: Partial<IntegratorCertificate>; manifest?: Partial<Manifest>; payload?: Uint8Array } = {}): Fixture {
  const root = seededKey(1);
  const integrator = seededKey(2);
  const cert: IntegratorCertificate = {
    integratorId: "acme",
    integratorKey: integrator.publicKey,
    modulePrefix: "com.acme.",
    capabilities: certCaps,
    customers: ["customer-a"],
    groups: ["line-1", "line-2"],
    notBefore: T0 / 1000 - DAY,
    notAfter: T0 / 1000 + 365 * DAY,
    ...overrides.cert,
  };
  const payload = overrides.payload ?? tinyWasm(interfaces);
  const manifest: Manifest = {
    id: "com.acme.temp-alarm",
    version: "1.2.0",
    sequence: 7,
    deviceClass: "mcu",
    interfaces,
    capabilities: requested,
    budgets: { ramBytes: 65536, fuelPerCallback: 1_000_000 },
    config: [
      { name: "threshold", type: "number", default: 42.5, min: -40, max: 125 },
      { name: "label", type: "string", default: "tank" },
      { name: "limit", type: "integer" },
    ],
    payload: { sha256: new Uint8Array(createHash("sha256").update(payload).digest()), fuelInstrumented: true },
    ...overrides.manifest,
  };
  return {
    rootKey: root.privateKey,
    rootPub: root.publicKey,
    integratorKey: integrator.privateKey,
    integratorPub: integrator.publicKey,
    cert,
    certBytes: issueCertificate(cert, root.privateKey),
    payload,
    manifest,
  };
}

export function pack(f: Fixture, manifest: Manifest = f.manifest, payload: Uint8Array = f.payload, certBytes = f.certBytes, key = f.integratorKey): Uint8Array {
  return assemblePackage(encodeManifest(manifest), payload, certBytes, key);
}

export function deviceCtx(f: Fixture, over: Partial<VerifyContext> = {}, device: Partial<VerifyContext["device"]> = {}): VerifyContext {
  return {
    rootPublicKey: f.rootPub,
    now: T0,
    device: {
      customer: "customer-a",
      group: "line-1",
      deviceClass: "mcu",
      capabilities: boardCaps,
      offeredInterfaces: [
        { name: "core", major: 1, minor: 2 },
        { name: "gpio", major: 1, minor: 0 },
        { name: "sensor", major: 1, minor: 1 },
        { name: "kv", major: 1, minor: 0 },
      ],
      ...device,
    },
    installedSeq: 6,
    ...over,
  };
}
