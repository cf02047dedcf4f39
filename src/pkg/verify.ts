// The one verification function: the CLI (`fwx verify`), `fwx run` and the
// device agent all call verifyPackage, so what a workstation accepts is what
// a device accepts. It is pure (no I/O, the clock comes in through ctx) and
// all-or-nothing: it returns a verified package or throws one PackageError.
//
// Order: structure → certificate signature → certificate content → package
// signature → manifest content → payload hash → certificate validity
// → revocation → scope → device class and metering → payload/manifest
// agreement → capabilities → interfaces → anti-rollback. Nothing is decoded
// from a part before the signature covering it has been checked.

import { createHash } from "node:crypto";
import { capabilityExcess, type Capabilities } from "../caps/capabilities.js";
import { ABI_SECTION_NAME, decodeAbiSection, type InterfaceRequirement } from "../wasm/abi-section.js";
import { CborError } from "./cbor.js";
import { ANY, certificateDigest, decodeCertificateBody, type IntegratorCertificate } from "./certificate.js";
import { PackageError, type PackageErrorCode } from "./errors.js";
import { FieldError } from "./fields.js";
import { signedRegion, splitPackage, type Header, type Layout } from "./format.js";
import { interfaceShortfall } from "./interfaces.js";
import { verifyWithDomain } from "./keys.js";
import { decodeManifest, type DeviceClass, type Manifest } from "./manifest.js";
import { isRevoked, type RevocationList } from "./revocation.js";
import { WasmSectionError, customSections } from "./wasm-sections.js";

export const FUEL_SECTION_NAME = "fwx.fuel";

export interface DeviceContext {
  customer: string;
  group: string;
  /** The runtime class of this device; packages targeting another class are refused. */
  deviceClass?: DeviceClass;
  /** What the board can grant at all. */
  capabilities: Capabilities;
  /** Interfaces the firmware implements, each at its newest minor version. */
  offeredInterfaces: InterfaceRequirement[];
}

export interface VerifyContext {
  /** Raw Ed25519 product root public key (32 bytes): the only thing a device must trust. */
  rootPublicKey: Uint8Array;
  /** The device clock (a Date or milliseconds since the Unix epoch). */
  now: Date | number;
  device: DeviceContext;
  /** Sequence number of the installed version of this module, if any. */
  installedSeq?: number;
  /** A revocation list already verified with verifyRevocationList. */
  revoked?: RevocationList;
}

export interface VerifiedPackage {
  manifest: Manifest;
  payload: Uint8Array;
  certificate: IntegratorCertificate;
  certificateDigest: Uint8Array;
  header: Header;
  layout: Layout;
}

export interface UnverifiedPackage {
  header: Header;
  layout: Layout;
  /** Decoded manifest, or why it could not be decoded. */
  manifest: Manifest | { error: string };
  certificate: IntegratorCertificate | { error: string };
  certificateDigest: Uint8Array;
  /** Bytes of the certificate as embedded (a .cert file's contents). */
  certificateBytes: Uint8Array;
  signature: Uint8Array;
  payloadSha256: Uint8Array;
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Converts decoding errors of one region into that region's error code; keeps file offsets. */
function decodeIn<T>(code: PackageErrorCode, region: string, regionStart: number, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof CborError) throw new PackageError(code, `${region}: malformed CBOR at ${e.message}`, e.offset);
    if (e instanceof FieldError) throw new PackageError(code, `${region} (starts at byte ${regionStart}): ${e.message}`, regionStart);
    throw e;
  }
}

function scopeMatches(allowed: readonly string[] | undefined, value: string): boolean {
  return allowed === undefined || allowed.includes(ANY) || allowed.includes(value);
}

export function verifyPackage(bytes: Uint8Array, ctx: VerifyContext): VerifiedPackage {
  const raw = splitPackage(bytes);
  const { layout } = raw;
  const certStart = layout.signatureBlock[0] + 1;
  const certBodyStart = certStart + (raw.certificateBytes.length - raw.certificate.body.length - 2 - 64);

  if (!verifyWithDomain(ctx.rootPublicKey, "certificate", raw.certificate.body, raw.certificate.signature)) {
    throw new PackageError("FWX_PKG_E_CERT_SIG", `the integrator certificate (byte ${certStart}) is not signed by this product root key`, certStart);
  }
  const cert = decodeIn("FWX_PKG_E_CERT", "certificate", certBodyStart, () => decodeCertificateBody(raw.certificate.body, certBodyStart));
  const digest = certificateDigest(raw.certificate.body);

  if (!verifyWithDomain(cert.integratorKey, "package", signedRegion(bytes, layout), raw.signature)) {
    const at = layout.signatureBlock[1] - 64;
    throw new PackageError("FWX_PKG_E_SIG", `package signature (byte ${at}) does not verify with integrator "${cert.integratorId}"'s key over header and manifest (bytes 0–${layout.manifest[1] - 1})`, at);
  }
  const manifest = decodeIn("FWX_PKG_E_MANIFEST", "manifest", layout.manifest[0], () => decodeManifest(raw.manifestBytes, layout.manifest[0]));

  const actualHash = sha256(raw.payload);
  if (!Buffer.from(actualHash).equals(manifest.payload.sha256)) {
    throw new PackageError("FWX_PKG_E_HASH", `payload (bytes ${layout.payload[0]}–${layout.payload[1] - 1}) has SHA-256 ${hex(actualHash)}, the manifest says ${hex(manifest.payload.sha256)}`, layout.payload[0]);
  }

  const nowMs = typeof ctx.now === "number" ? ctx.now : ctx.now.getTime();
  const nowSec = Math.floor(nowMs / 1000);
  const iso = (s: number) => new Date(s * 1000).toISOString();
  if (nowSec < cert.notBefore) throw new PackageError("FWX_PKG_E_NOT_YET_VALID", `certificate of "${cert.integratorId}" is valid from ${iso(cert.notBefore)}; device clock is ${iso(nowSec)}`);
  if (nowSec >= cert.notAfter) throw new PackageError("FWX_PKG_E_EXPIRED", `certificate of "${cert.integratorId}" expired at ${iso(cert.notAfter)}; device clock is ${iso(nowSec)}`);

  const revokedBy = ctx.revoked ? isRevoked(ctx.revoked, digest, cert.integratorKey) : null;
  if (revokedBy === "certificate") throw new PackageError("FWX_PKG_E_REVOKED", `certificate ${hex(digest).slice(0, 16)}… of "${cert.integratorId}" is revoked (revocation list serial ${ctx.revoked!.serial})`);
  if (revokedBy === "key") throw new PackageError("FWX_PKG_E_REVOKED", `integrator key of "${cert.integratorId}" is revoked (revocation list serial ${ctx.revoked!.serial})`);

  if (!manifest.id.startsWith(cert.modulePrefix)) {
    throw new PackageError("FWX_PKG_E_SCOPE_MODULE", `module id "${manifest.id}" is outside "${cert.integratorId}"'s prefix "${cert.modulePrefix}"`);
  }
  const { device } = ctx;
  if (!scopeMatches(cert.customers, device.customer)) {
    throw new PackageError("FWX_PKG_E_SCOPE_CUSTOMER", `certificate of "${cert.integratorId}" covers customers [${cert.customers.join(", ")}], not "${device.customer}"`);
  }
  if (!scopeMatches(cert.groups, device.group)) {
    throw new PackageError("FWX_PKG_E_SCOPE_GROUP", `certificate of "${cert.integratorId}" covers device groups [${cert.groups!.join(", ")}], not "${device.group}"`);
  }
  if (device.deviceClass && manifest.deviceClass !== device.deviceClass) {
    throw new PackageError("FWX_PKG_E_DEVICE_CLASS", `package targets "${manifest.deviceClass}" devices; this device is "${device.deviceClass}"`);
  }
  // wasm3 cannot meter or interrupt code: a microcontroller payload carries its own fuel counter.
  if (manifest.deviceClass === "mcu" && !manifest.payload.fuelInstrumented) {
    throw new PackageError("FWX_PKG_E_NOT_INSTRUMENTED", "package for mcu devices has a payload without fuel instrumentation; wasm3 cannot meter it (pack with --target mcu from the project, which instruments it)");
  }
  // The agent meters gateway payloads itself and refuses counters it did not insert.
  if (manifest.deviceClass === "gateway" && manifest.payload.fuelInstrumented) {
    throw new PackageError("FWX_PKG_E_PREINSTRUMENTED", "package for gateway devices has a fuel-instrumented payload; the agent instruments payloads itself and does not trust a foreign fuel counter");
  }
  checkPayloadSections(raw.payload, manifest, layout.payload[0]);

  const beyondCert = capabilityExcess(manifest.capabilities, cert.capabilities);
  if (beyondCert.length) throw new PackageError("FWX_PKG_E_CAPS_CERT", `manifest requests capabilities the certificate of "${cert.integratorId}" does not allow: ${beyondCert.join("; ")}`);
  const beyondDevice = capabilityExcess(manifest.capabilities, device.capabilities);
  if (beyondDevice.length) throw new PackageError("FWX_PKG_E_CAPS_DEVICE", `manifest requests capabilities this board cannot grant: ${beyondDevice.join("; ")}`);

  const missing = interfaceShortfall(manifest.interfaces, device.offeredInterfaces);
  if (missing.length) throw new PackageError("FWX_PKG_E_INTERFACE", `device firmware does not offer ${missing.join("; ")}`);

  if (ctx.installedSeq !== undefined && manifest.sequence <= ctx.installedSeq) {
    throw new PackageError("FWX_PKG_E_ROLLBACK", `sequence ${manifest.sequence} (version ${manifest.version}) is not above the installed sequence ${ctx.installedSeq}`);
  }
  return { manifest, payload: raw.payload, certificate: cert, certificateDigest: digest, header: raw.header, layout };
}

/** The payload's own fwx.abi and fwx.fuel sections must say what the signed manifest says. */
function checkPayloadSections(payload: Uint8Array, manifest: Manifest, payloadStart: number): void {
  let sections: Map<string, Uint8Array>;
  try {
    sections = customSections(payload);
  } catch (e) {
    const off = e instanceof WasmSectionError ? payloadStart + e.offset : payloadStart;
    throw new PackageError("FWX_PKG_E_PAYLOAD", `payload at byte ${off}: ${(e as Error).message}`, off);
  }
  const fuel = sections.has(FUEL_SECTION_NAME);
  if (fuel !== manifest.payload.fuelInstrumented) {
    throw new PackageError("FWX_PKG_E_PAYLOAD", `manifest says the payload is ${manifest.payload.fuelInstrumented ? "" : "not "}fuel-instrumented, but its ${FUEL_SECTION_NAME} section is ${fuel ? "present" : "absent"}`, payloadStart);
  }
  const abi = sections.get(ABI_SECTION_NAME);
  if (!abi) return;
  let declared: InterfaceRequirement[];
  try {
    declared = decodeAbiSection(abi);
  } catch (e) {
    throw new PackageError("FWX_PKG_E_PAYLOAD", `payload: ${(e as Error).message}`, payloadStart);
  }
  const fmt = (l: InterfaceRequirement[]) => l.map((i) => `${i.name}@${i.major}.${i.minor}`).join(", ");
  // Compared entry by entry: joined strings would let a name containing "@1.0, " stand for several entries.
  const same = declared.length === manifest.interfaces.length &&
    declared.every((d, i) => { const m = manifest.interfaces[i]!; return d.name === m.name && d.major === m.major && d.minor === m.minor; });
  if (!same) {
    throw new PackageError("FWX_PKG_E_PAYLOAD", `payload's ${ABI_SECTION_NAME} section requires [${fmt(declared)}] but the manifest lists [${fmt(manifest.interfaces)}]`, payloadStart);
  }
}

/** For inspection: the parts and what they claim, with no signature, hash or scope check. Throws PackageError only when the container itself is malformed. */
export function readPackageUnverified(bytes: Uint8Array): UnverifiedPackage {
  const raw = splitPackage(bytes);
  const attempt = <T>(f: () => T): T | { error: string } => {
    try {
      return f();
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  return {
    header: raw.header,
    layout: raw.layout,
    manifest: attempt(() => decodeManifest(raw.manifestBytes, raw.layout.manifest[0])),
    certificate: attempt(() => decodeCertificateBody(raw.certificate.body)),
    certificateDigest: certificateDigest(raw.certificate.body),
    certificateBytes: raw.certificateBytes,
    signature: raw.signature,
    payloadSha256: sha256(raw.payload),
  };
}
