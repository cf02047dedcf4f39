// Building a package from a wasm payload: derive what the payload itself says
// (interfaces from fwx.abi, metering from fwx.fuel), take what the integrator
// says (id, version, capabilities, config, budgets), check it all against the
// certificate before signing, so an integrator learns at pack time, not at
// deploy time, that a device would refuse it.

import { createHash, type KeyObject } from "node:crypto";
import { capabilityExcess, type Capabilities } from "../caps/capabilities.js";
import { ABI_SECTION_NAME, decodeAbiSection, type InterfaceRequirement } from "../wasm/abi-section.js";
import { parseModule } from "../wasm/reader.js";
import { MODULE_LIMITS } from "../validate/limits.js";
import { limitIssues } from "../validate/resource-limits.js";
import { FWX_VERSION } from "../version.js";
import { decodeCertificateBody } from "./certificate.js";
import { assemblePackage } from "./format.js";
import { rawPublicKey } from "./keys.js";
import { MODULE_ID, SEMVER, encodeManifest, interfaceNumber, type BuildProvenance, type ConfigField, type DeviceClass, type Manifest } from "./manifest.js";
import { openEnvelopeBytes } from "./signed.js";
import { FUEL_SECTION_NAME } from "./verify.js";
import { customSections } from "./wasm-sections.js";

export const DEFAULT_RAM_BYTES = 65536;
export const DEFAULT_FUEL_PER_CALLBACK = 1_000_000;

export interface PackInput {
  payload: Uint8Array;
  id: string;
  version: string;
  sequence: number;
  deviceClass: DeviceClass;
  capabilities: Capabilities;
  config: ConfigField[];
  ramBytes: number;
  fuelPerCallback: number;
  /** Provenance for the sidecar (src/pkg/provenance.ts); not signed into the package. */
  build: BuildProvenance;
  certificate: Uint8Array;
  integratorKey: KeyObject;
  /** Unix seconds, to refuse signing under a certificate that is not valid now. */
  now: number;
}

/** A reason the package would be refused, phrased for the integrator. */
export class PackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PackError";
  }
}

export function payloadFacts(payload: Uint8Array): { interfaces: InterfaceRequirement[]; fuelInstrumented: boolean } {
  let sections: Map<string, Uint8Array>;
  try {
    parseModule(payload);
    // The verifier's own walk, so a payload it would refuse (a custom section name twice) is refused before signing.
    sections = customSections(payload);
  } catch (e) {
    throw new PackError(`payload is not a readable wasm module: ${(e as Error).message}`);
  }
  const abi = sections.get(ABI_SECTION_NAME);
  if (!abi) throw new PackError(`payload has no ${ABI_SECTION_NAME} section saying which interfaces it needs; build it with \`fwx build\``);
  let interfaces: InterfaceRequirement[];
  try {
    interfaces = decodeAbiSection(abi);
  } catch (e) {
    throw new PackError(`payload: ${(e as Error).message}`);
  }
  for (const i of interfaces) {
    try {
      interfaceNumber(i.name);
    } catch (e) {
      throw new PackError(`payload's ${ABI_SECTION_NAME} section: ${(e as Error).message}`);
    }
  }
  return { interfaces, fuelInstrumented: sections.has(FUEL_SECTION_NAME) };
}

export function buildPackage(input: PackInput): { bytes: Uint8Array; manifest: Manifest; build: BuildProvenance } {
  if (!MODULE_ID.test(input.id)) throw new PackError(`module id "${input.id}" must be lowercase letters, digits, . _ - (at most 64)`);
  if (!SEMVER.test(input.version)) throw new PackError(`version "${input.version}" is not a semantic version (e.g. 1.2.0)`);
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 1) throw new PackError(`sequence ${input.sequence} must be an integer ≥ 1`);
  const facts = payloadFacts(input.payload);
  if (!facts.fuelInstrumented && input.deviceClass === "mcu") {
    throw new PackError(`payload is not fuel-instrumented (no ${FUEL_SECTION_NAME} section), so wasm3 on a microcontroller could not meter it; pack the project directory with --target mcu, which instruments it`);
  }
  if (facts.fuelInstrumented && input.deviceClass === "gateway") {
    throw new PackError(`payload is already fuel-instrumented; the gateway agent meters payloads itself and refuses foreign fuel counters: pack the uninstrumented module for --target gateway`);
  }
  // The payload as signed (for mcu the instrumented device form, which the
  // install check sees) within its class's limits, so no device refuses it for one.
  const overLimits = limitIssues(input.payload, { limits: MODULE_LIMITS[input.deviceClass], deviceClass: input.deviceClass });
  if (overLimits.length) {
    throw new PackError(`payload is past the ${input.deviceClass} module limits, which a device would refuse: ${overLimits.map((e) => `${e.location ? `${e.location}, ` : ""}byte ${e.offset}: ${e.message}`).join("; ")}`);
  }

  let cert;
  try {
    cert = decodeCertificateBody(openEnvelopeBytes(input.certificate, "certificate").body);
  } catch (e) {
    throw new PackError(`certificate is not valid: ${(e as Error).message}`);
  }
  if (!Buffer.from(rawPublicKey(input.integratorKey)).equals(cert.integratorKey)) {
    throw new PackError(`the signing key does not belong to the certificate of "${cert.integratorId}" (wrong --key or --cert)`);
  }
  if (!input.id.startsWith(cert.modulePrefix)) throw new PackError(`module id "${input.id}" is outside the certificate's prefix "${cert.modulePrefix}"`);
  const excess = capabilityExcess(input.capabilities, cert.capabilities);
  if (excess.length) throw new PackError(`capabilities beyond the certificate of "${cert.integratorId}": ${excess.join("; ")}`);
  if (input.now < cert.notBefore) throw new PackError(`the certificate is not valid until ${new Date(cert.notBefore * 1000).toISOString()}`);
  if (input.now >= cert.notAfter) throw new PackError(`the certificate expired at ${new Date(cert.notAfter * 1000).toISOString()}`);

  const manifest: Manifest = {
    id: input.id,
    version: input.version,
    sequence: input.sequence,
    deviceClass: input.deviceClass,
    interfaces: facts.interfaces,
    capabilities: input.capabilities,
    budgets: { ramBytes: input.ramBytes, fuelPerCallback: input.fuelPerCallback },
    config: input.config,
    payload: {
      sha256: new Uint8Array(createHash("sha256").update(input.payload).digest()),
      fuelInstrumented: facts.fuelInstrumented,
    },
  };
  const bytes = assemblePackage(encodeManifest(manifest), input.payload, input.certificate, input.integratorKey);
  return { bytes, manifest, build: input.build };
}

/** The manifest's view of fwx.json config settings (descriptions stay in fwx.json; a device does not need them). */
export function configFields(config: Record<string, { type: ConfigField["type"]; default?: number | boolean | string; min?: number; max?: number }>): ConfigField[] {
  return Object.entries(config).map(([name, e]) => {
    const f: ConfigField = { name, type: e.type };
    if (e.default !== undefined) f.default = e.default;
    if (e.min !== undefined) f.min = e.min;
    if (e.max !== undefined) f.max = e.max;
    return f;
  });
}
