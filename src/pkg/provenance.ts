// Build provenance beside a package, not inside it: which fwx (and
// AssemblyScript) built the payload and from which sources. No device reads
// it, so the signed package does not carry it (format 2 saved 36 bytes a
// package this way); `fwx pack` writes it to `<package>.build.json` and
// `fwx inspect` shows it when the sidecar names the same payload hash.

import { existsSync, readFileSync } from "node:fs";
import type { BuildProvenance } from "./manifest.js";

export const SIDECAR_SUFFIX = ".build.json";

export const sidecarPath = (packagePath: string) => packagePath + SIDECAR_SUFFIX;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The sidecar's text: the provenance, tied to the package by its payload's SHA-256. */
export function provenanceSidecar(build: BuildProvenance, payloadSha256: Uint8Array): string {
  return JSON.stringify({
    payloadSha256: hex(payloadSha256),
    fwx: build.fwx,
    ...(build.assemblyscript ? { assemblyscript: build.assemblyscript } : {}),
    ...(build.sourceHash ? { sourceHash: hex(build.sourceHash) } : {}),
  }, null, 2) + "\n";
}

/** The provenance beside `packagePath`, or why there is none to show (missing, unreadable, or about another payload). */
export function readProvenance(packagePath: string, payloadSha256: Uint8Array): BuildProvenance | { missing: string } {
  const file = sidecarPath(packagePath);
  if (!existsSync(file)) return { missing: `no ${file}` };
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    return { missing: `${file}: ${(e as Error).message}` };
  }
  if (o.payloadSha256 !== hex(payloadSha256)) return { missing: `${file} describes another payload (sha256 ${String(o.payloadSha256)})` };
  if (typeof o.fwx !== "string") return { missing: `${file}: "fwx" is not text` };
  const out: BuildProvenance = { fwx: o.fwx };
  if (typeof o.assemblyscript === "string") out.assemblyscript = o.assemblyscript;
  if (typeof o.sourceHash === "string" && /^[0-9a-f]{32}$/.test(o.sourceHash)) out.sourceHash = Uint8Array.from(Buffer.from(o.sourceHash, "hex"));
  return out;
}
