// The reference package of docs/package-format.md ("Test vector"): every
// input is fixed (Ed25519 signing is deterministic), so its bytes are fixed
// too, and a verifier written from the document can be checked against
// blink.fwx. tests/pkg/format-doc.test.ts fails when the code would produce
// other bytes. After an intended format change, rewrite the file with
//   node scripts/run-ts.mjs tests/pkg/vectors/blink.ts --write
// and update the document.

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { issueCertificate, type IntegratorCertificate } from "../../../src/pkg/certificate.js";
import { assemblePackage } from "../../../src/pkg/format.js";
import { encodeManifest, type Manifest } from "../../../src/pkg/manifest.js";
import type { VerifyContext } from "../../../src/pkg/verify.js";
import type { InterfaceRequirement } from "../../../src/wasm/abi-section.js";
import { seededKey, tinyWasm } from "../fixtures.js";

export const VECTOR_FILE = join(import.meta.dirname, "blink.fwx");

const interfaces: InterfaceRequirement[] = [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }];
export const root = seededKey(1);
export const integrator = seededKey(2);
export const payload = tinyWasm(interfaces, true);

export const manifest: Manifest = {
  id: "com.acme.blink",
  version: "1.0.0",
  sequence: 7,
  deviceClass: "mcu",
  interfaces,
  capabilities: { timers: 1, gpio: [{ pin: 5, modes: ["output"] }] },
  budgets: { ramBytes: 65536, fuelPerCallback: 1_000_000 },
  config: [
    { name: "period_ms", type: "integer", default: 500, min: 10, max: 60000 },
    { name: "gain", type: "number", default: 1.5 },
    { name: "limit", type: "integer", min: 0, max: 100 },
  ],
  payload: { sha256: new Uint8Array(createHash("sha256").update(payload).digest()), fuelInstrumented: true },
};

export const certificate: IntegratorCertificate = {
  integratorId: "acme",
  integratorKey: integrator.publicKey,
  modulePrefix: "com.acme.",
  capabilities: { timers: 2, gpio: [{ pin: 5, modes: ["output"] }] },
  customers: ["plant-a"],
  groups: ["line-1"],
  notBefore: Date.parse("2026-01-01T00:00:00Z") / 1000,
  notAfter: Date.parse("2027-01-01T00:00:00Z") / 1000,
};

/** The device the document says accepts the vector. */
export const device: VerifyContext = {
  rootPublicKey: root.publicKey,
  now: Date.parse("2026-06-01T00:00:00Z"),
  installedSeq: 6,
  device: {
    customer: "plant-a", group: "line-1", deviceClass: "mcu",
    capabilities: { timers: 4, gpio: [{ pin: 5, modes: ["output", "input"] }] },
    offeredInterfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }],
  },
};

export function buildVector(): Uint8Array {
  return assemblePackage(encodeManifest(manifest), payload, issueCertificate(certificate, root.privateKey), integrator.privateKey);
}

if (process.argv.includes("--write")) {
  writeFileSync(VECTOR_FILE, buildVector());
  console.log(`wrote ${VECTOR_FILE}`);
}
