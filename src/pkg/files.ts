// Reading the trust files the CLI takes as arguments, with errors that name
// the file and what is wrong with it (as UsageError: the user can fix them).

import { statSync } from "node:fs";
import { readInputFile } from "../cli/files.js";
import type { KeyObject } from "node:crypto";
import { UsageError } from "../cli/command.js";
import { CapabilityError, parseCapabilities, type Capabilities } from "../caps/capabilities.js";
import { decodeCertificateBody, type IntegratorCertificate } from "./certificate.js";
import { parsePrivateKey, parsePublicKey, verifyWithDomain } from "./keys.js";
import { verifyRevocationList, type RevocationList } from "./revocation.js";
import { openEnvelopeBytes, type SignedEnvelope } from "./signed.js";
import { otherFileKind } from "./file-kind.js";

/** A trust file named on the command line ("cannot read key x: no such file or directory"). */
export function readInput(file: string, what: string): Buffer {
  return readInputFile("", `cannot read ${what} ${file}`, file);
}

export function loadPrivateKey(file: string): KeyObject {
  const data = readInput(file, "private key");
  let key: KeyObject;
  try {
    key = parsePrivateKey(data);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  // Only a private key is worth the warning: a .pub given by mistake is refused above, not called exposed.
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) console.error(`fwx: warning: private key ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  return key;
}

export function loadPublicKey(file: string): Uint8Array {
  try {
    return parsePublicKey(readInput(file, "public key"));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
}

export function loadJson(file: string, what: string): unknown {
  const text = readInput(file, what).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function loadCapabilities(file: string): Capabilities {
  return capabilitiesFrom(loadJson(file, "capabilities file"), file);
}

export function capabilitiesFrom(json: unknown, path: string): Capabilities {
  try {
    return parseCapabilities(json, path);
  } catch (e) {
    // "caps.json: gpio[0].modes[0]: …": the file, then the field in it (the checker joins them with a dot).
    if (e instanceof CapabilityError) {
      const field = e.path.startsWith(`${path}.`) ? e.path.slice(path.length + 1) : null;
      throw new UsageError(field === null ? e.message : `${path}: ${field}: ${e.message.slice(e.path.length + 2)}`);
    }
    throw e;
  }
}

export interface LoadedCertificate {
  bytes: Uint8Array;
  envelope: SignedEnvelope;
  cert: IntegratorCertificate;
}

/** Reads a .cert file; with `rootPublicKey`, also checks the root's signature. */
export function loadCertificate(file: string, rootPublicKey?: Uint8Array): LoadedCertificate {
  const bytes = new Uint8Array(readInput(file, "certificate"));
  try {
    const envelope = openEnvelopeBytes(bytes, "certificate");
    if (rootPublicKey && !verifyWithDomain(rootPublicKey, "certificate", envelope.body, envelope.signature)) {
      throw new Error("not signed by this root key");
    }
    return { bytes, envelope, cert: decodeCertificateBody(envelope.body) };
  } catch (e) {
    const other = otherFileKind(bytes, "certificate");
    throw new UsageError(other ? `${file}: not a certificate: it is ${other}` : `${file}: not a valid fwx certificate: ${(e as Error).message}`);
  }
}

export function loadRevocationList(file: string, rootPublicKey: Uint8Array): RevocationList {
  try {
    return verifyRevocationList(new Uint8Array(readInput(file, "revocation list")), rootPublicKey, file);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/** ISO 8601 date or date-time → Unix seconds. */
export function parseTime(value: string, option: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new UsageError(`${option}: "${value}" is not an ISO 8601 date (e.g. 2026-06-01 or 2026-06-01T12:00:00Z)`);
  return Math.floor(ms / 1000);
}

export function parseUint(value: string | undefined, option: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new UsageError(`${option}: "${value}" is not an integer 0..${max}`);
  return Number(value);
}

export function list(value: string | undefined): string[] | undefined {
  return value?.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
