// The over-the-air half of `npm start`: sign the example modules with a
// throwaway product root and integrator key, start the embedded broker and a
// simulated gateway that trusts that root, and flash each package to it with
// progress, waiting for the device's verdict after its health window.

import type { KeyObject } from "node:crypto";
import type { Capabilities } from "../caps/capabilities.js";
import { readManifest } from "../build/manifest.js";
import { buildPackage, configFields, DEFAULT_FUEL_PER_CALLBACK, DEFAULT_RAM_BYTES } from "../pkg/pack.js";
import { buildProjectPayload } from "../pkg/project.js";
import { generateKeyPair } from "../pkg/keys.js";
import { issueCertificate } from "../pkg/certificate.js";
import { startOtaDemo, type FlashProgress, type FlashResult } from "../ota/api.js";

export const DEMO_CUSTOMER = "demo-customer";
export const DEMO_GROUP = "demo-site";

export interface DemoPackage {
  dir: string;
  id: string;
  version: string;
  bytes: Uint8Array;
  payloadBytes: number;
}

export interface SignedExamples {
  rootPublicKey: Uint8Array;
  /** The throwaway root's private key: the demo provisions its gateway's device certificate and its operator with it. */
  rootKey: KeyObject;
  packages: DemoPackage[];
}

/** Builds and signs every example for the gateway, under a certificate allowing what the demo board can grant. */
export async function signExamples(dirs: readonly string[], grantable: Capabilities): Promise<SignedExamples> {
  const root = generateKeyPair();
  const integrator = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const certificate = issueCertificate({
    integratorId: "example-integrator", integratorKey: integrator.publicKey, modulePrefix: "com.example.",
    capabilities: grantable, customers: [DEMO_CUSTOMER], notBefore: now - 60, notAfter: now + 24 * 3600,
  }, root.privateKey);
  const packages: DemoPackage[] = [];
  for (const dir of dirs) {
    const manifest = readManifest(dir);
    const { payload, build } = await buildProjectPayload(dir, "gateway");
    const { bytes } = buildPackage({
      payload, id: manifest.id, version: manifest.version, sequence: 1, deviceClass: "gateway",
      capabilities: manifest.capabilities, config: configFields(manifest.config),
      ramBytes: manifest.ramBudgetBytes ?? DEFAULT_RAM_BYTES, fuelPerCallback: DEFAULT_FUEL_PER_CALLBACK,
      build, certificate, integratorKey: integrator.privateKey, now,
    });
    packages.push({ dir, id: manifest.id, version: manifest.version, bytes, payloadBytes: payload.length });
  }
  return { rootPublicKey: root.publicKey, rootKey: root.privateKey, packages };
}

export interface FlashReport {
  pkg: DemoPackage;
  result: FlashResult;
  seconds: number;
}

/** Flashes every package to a fresh simulated gateway over the embedded broker; the device is stopped afterwards. */
export async function flashToDemoGateway(
  signed: SignedExamples,
  onProgress: (pkg: DemoPackage, p: FlashProgress) => void,
  onBroker: (url: string, deviceId: string) => void,
): Promise<FlashReport[]> {
  const demo = await startOtaDemo({ rootKey: signed.rootKey, customer: DEMO_CUSTOMER, group: DEMO_GROUP });
  try {
    onBroker(demo.brokerUrl, demo.deviceId);
    const reports: FlashReport[] = [];
    for (const pkg of signed.packages) {
      const started = process.hrtime.bigint();
      const result = await demo.flash(pkg.bytes, (p) => onProgress(pkg, p));
      reports.push({ pkg, result, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    }
    return reports;
  } finally {
    await demo.stop();
  }
}
