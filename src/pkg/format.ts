// The .fwx container: a fixed 16-byte header, then the CBOR manifest, the
// wasm payload and the CBOR signature block, back to back with no padding.
//
//   off size  field
//    0   4    magic 0x89 'F' 'W' 'X'
//    4   1    format version (2)
//    5   1    reserved, 0
//    6   2    manifest length   (u16, little-endian)
//    8   4    payload length    (u32, little-endian)
//   12   2    signature block length (u16, little-endian)
//   14   2    reserved, 0
//
// The integrator's signature covers "fwx-pkg-1\0" ‖ header ‖ manifest; the
// manifest carries the payload's SHA-256, so the payload can be hashed as a
// stream on a device that cannot hold it in RAM.

import type { KeyObject } from "node:crypto";
import { decodeCbor, encodeCbor } from "./cbor.js";
import { PackageError } from "./errors.js";
import { FieldError, asArray, asBytes } from "./fields.js";
import { SIGNATURE_BYTES, signWithDomain } from "./keys.js";
import { openEnvelope, openEnvelopeBytes, type SignedEnvelope } from "./signed.js";

export const MAGIC = Uint8Array.of(0x89, 0x46, 0x57, 0x58);
// 2: build provenance left the manifest for the sidecar, and the config schema
// became one flat array (docs/package-format.md, "Format versions").
export const FORMAT_VERSION = 2;
export const HEADER_BYTES = 16;
/** Payloads above this are refused before any allocation or hashing. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export interface Header {
  formatVersion: number;
  manifestLength: number;
  payloadLength: number;
  signatureBlockLength: number;
}

/** Byte ranges of a package's parts, for inspection, tests and error offsets. */
export interface Layout {
  header: [number, number];
  manifest: [number, number];
  payload: [number, number];
  signatureBlock: [number, number];
}

export interface RawPackage {
  header: Header;
  layout: Layout;
  headerBytes: Uint8Array;
  manifestBytes: Uint8Array;
  payload: Uint8Array;
  certificate: SignedEnvelope;
  /** Encoded certificate exactly as embedded (the same bytes as a .cert file). */
  certificateBytes: Uint8Array;
  signature: Uint8Array;
}

export function encodeHeader(h: Omit<Header, "formatVersion">): Uint8Array {
  const b = new Uint8Array(HEADER_BYTES);
  const v = new DataView(b.buffer);
  b.set(MAGIC, 0);
  b[4] = FORMAT_VERSION;
  v.setUint16(6, h.manifestLength, true);
  v.setUint32(8, h.payloadLength, true);
  v.setUint16(12, h.signatureBlockLength, true);
  return b;
}

/** Header checks, in the documented order. Establishes that every declared part lies inside `bytes`. */
export function parseHeader(bytes: Uint8Array): { header: Header; layout: Layout } {
  if (bytes.length < HEADER_BYTES) throw new PackageError("FWX_PKG_E_TRUNCATED", `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`, bytes.length);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new PackageError("FWX_PKG_E_MAGIC", `byte ${i} is 0x${bytes[i]!.toString(16).padStart(2, "0")}, expected 0x${MAGIC[i]!.toString(16)} (not a .fwx package)`, i);
  }
  if (bytes[4] !== FORMAT_VERSION) {
    const why = bytes[4]! < FORMAT_VERSION ? "; repack it with this fwx" : "; update fwx to read it";
    throw new PackageError("FWX_PKG_E_VERSION", `package format version ${bytes[4]} at byte 4; this verifier reads only version ${FORMAT_VERSION}${why}`, 4);
  }
  if (bytes[5] !== 0) throw new PackageError("FWX_PKG_E_HEADER", `reserved byte 5 is ${bytes[5]}, must be 0`, 5);
  if (bytes[14] !== 0 || bytes[15] !== 0) throw new PackageError("FWX_PKG_E_HEADER", "reserved bytes 14–15 must be 0", bytes[14] !== 0 ? 14 : 15);
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const header: Header = {
    formatVersion: FORMAT_VERSION,
    manifestLength: v.getUint16(6, true),
    payloadLength: v.getUint32(8, true),
    signatureBlockLength: v.getUint16(12, true),
  };
  if (header.manifestLength === 0) throw new PackageError("FWX_PKG_E_HEADER", "manifest length (bytes 6–7) is 0", 6);
  if (header.payloadLength === 0 || header.payloadLength > MAX_PAYLOAD_BYTES) throw new PackageError("FWX_PKG_E_HEADER", `payload length (bytes 8–11) ${header.payloadLength} is outside 1..${MAX_PAYLOAD_BYTES}`, 8);
  if (header.signatureBlockLength === 0) throw new PackageError("FWX_PKG_E_HEADER", "signature block length (bytes 12–13) is 0", 12);
  const m0 = HEADER_BYTES;
  const p0 = m0 + header.manifestLength;
  const s0 = p0 + header.payloadLength;
  const end = s0 + header.signatureBlockLength;
  const layout: Layout = { header: [0, m0], manifest: [m0, p0], payload: [p0, s0], signatureBlock: [s0, end] };
  if (bytes.length < end) throw new PackageError("FWX_PKG_E_TRUNCATED", `the header declares ${end} bytes (manifest ${header.manifestLength}, payload ${header.payloadLength}, signature block ${header.signatureBlockLength}) but the file has ${bytes.length}`, bytes.length);
  if (bytes.length > end) throw new PackageError("FWX_PKG_E_TRAILING", `${bytes.length - end} bytes after the signature block, which ends at byte ${end}`, end);
  return { header, layout };
}

/** Splits a package into its parts without checking any signature or hash. Throws PackageError. */
export function splitPackage(bytes: Uint8Array): RawPackage {
  const { header, layout } = parseHeader(bytes);
  const part = ([a, b]: [number, number]) => bytes.subarray(a, b);
  const sigBlock = part(layout.signatureBlock);
  const base = layout.signatureBlock[0];
  let certificate: SignedEnvelope;
  let signature: Uint8Array;
  let certificateBytes: Uint8Array;
  try {
    const block = asArray(decodeCbor(sigBlock, base), "signature block");
    if (block.length !== 2) throw new FieldError("signature block", `expected [certificate, signature], found ${block.length} items`);
    certificate = openEnvelope(block[0]!, "signature block[0] certificate");
    signature = asBytes(block[1]!, "signature block[1] signature", SIGNATURE_BYTES);
    // The certificate is the block's first item: its bytes start after the array head (1 byte for 2 items) and end where the signature's 2-byte head begins.
    certificateBytes = sigBlock.subarray(1, sigBlock.length - SIGNATURE_BYTES - 2);
  } catch (e) {
    const where = e instanceof FieldError ? ` (signature block starts at byte ${base})` : "";
    throw new PackageError("FWX_PKG_E_SIGBLOCK", `malformed signature block: ${(e as Error).message}${where}`, base);
  }
  return { header, layout, headerBytes: part(layout.header), manifestBytes: part(layout.manifest), payload: part(layout.payload), certificate, certificateBytes, signature };
}

/** The bytes the integrator signs: header ‖ manifest (the domain string is added by the signer). */
export function signedRegion(bytes: Uint8Array, layout: Layout): Uint8Array {
  return bytes.subarray(0, layout.manifest[1]);
}

/** Assembles and signs a package. `certificate` is a .cert file's bytes, embedded unchanged. */
export function assemblePackage(manifestBytes: Uint8Array, payload: Uint8Array, certificate: Uint8Array, integratorKey: KeyObject): Uint8Array {
  openEnvelopeBytes(certificate, "certificate");
  if (manifestBytes.length > 0xffff) throw new RangeError(`manifest is ${manifestBytes.length} bytes (at most 65535)`);
  if (payload.length === 0 || payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`payload is ${payload.length} bytes (1..${MAX_PAYLOAD_BYTES})`);
  // Array head (1) + certificate + bytes(64) head (2) + signature: known before signing, so the header can be signed whole.
  const signatureBlockLength = 1 + certificate.length + 2 + SIGNATURE_BYTES;
  if (signatureBlockLength > 0xffff) throw new RangeError(`certificate is ${certificate.length} bytes (too large for the signature block)`);
  const header = encodeHeader({ manifestLength: manifestBytes.length, payloadLength: payload.length, signatureBlockLength });
  const signed = new Uint8Array(HEADER_BYTES + manifestBytes.length);
  signed.set(header, 0);
  signed.set(manifestBytes, HEADER_BYTES);
  const sig = signWithDomain(integratorKey, "package", signed);
  const sigBlock = new Uint8Array(signatureBlockLength);
  sigBlock[0] = 0x82;
  sigBlock.set(certificate, 1);
  sigBlock.set(encodeCbor(sig), 1 + certificate.length);
  const out = new Uint8Array(signed.length + payload.length + signatureBlockLength);
  out.set(signed, 0);
  out.set(payload, signed.length);
  out.set(sigBlock, signed.length + payload.length);
  return out;
}
