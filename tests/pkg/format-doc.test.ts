// docs/package-format.md is what a C verifier is written from, so its tables,
// examples and test vector are read here and checked against the code: a
// change to either that the other does not follow fails this file.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CAPS_KEYS } from "../../src/pkg/caps-codec.js";
import { CERT_KEYS, decodeCertificateBody } from "../../src/pkg/certificate.js";
import { PKG_ERRORS, PackageError } from "../../src/pkg/errors.js";
import { encodeHeader, splitPackage } from "../../src/pkg/format.js";
import { DOMAIN } from "../../src/pkg/keys.js";
import { MANIFEST_KEYS, decodeManifest, encodeManifest } from "../../src/pkg/manifest.js";
import { verifyPackage } from "../../src/pkg/verify.js";
import { VECTOR_FILE, buildVector, certificate, device, manifest, root } from "./vectors/blink.js";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "package-format.md"), "utf8");
const hexBytes = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The lines of the section under `heading`, up to the next heading of the same or a higher level. */
function section(heading: string): string[] {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.replace(/^#+\s*/, "") === heading && l.startsWith("#"));
  if (start < 0) throw new Error(`docs/package-format.md has no heading "${heading}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+\s/.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Rows of the first markdown table in `lines`, as trimmed cells (header and rule rows dropped). */
function tableRows(lines: string[]): string[][] {
  const start = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
  return lines.slice(start + 2, end < 0 ? undefined : end).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
}

/** Field names by key from a table whose first column is the key, second the field name. */
function keyTable(heading: string): Map<number, string> {
  return new Map(tableRows(section(heading)).map(([key, field]) => [Number(key), field!.replace(/\s*\(optional\)$/, "")]));
}

const words = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
const camelWords = (s: string) => words(s.replace(/([A-Z])/g, " $1"));

describe("docs/package-format.md agrees with the code", () => {
  it("lists every error code with its number, in order, and nothing else", () => {
    const rows = tableRows(section("Error codes")).map(([n, code]) => [Number(n), code!.replace(/`/g, "")] as const);
    expect(rows).toEqual(Object.entries(PKG_ERRORS).map(([code, n]) => [n, code]));
  });

  it("gives each signature domain's bytes", () => {
    const rows = tableRows(section("Trust model"));
    expect(rows.map(([doc]) => doc)).toEqual(["certificate", "package", "revocation list"]);
    const [cert, pkg, revocations] = rows.map((r) => toHex(hexBytes(r[2]!.replace(/`/g, ""))));
    expect({ cert, pkg, revocations }).toEqual({
      cert: toHex(Buffer.from(DOMAIN.certificate, "latin1")),
      pkg: toHex(Buffer.from(DOMAIN.package, "latin1")),
      revocations: toHex(Buffer.from(DOMAIN.revocations, "latin1")),
    });
  });

  it("numbers the manifest, certificate and capability keys as the codecs do", () => {
    const expectKeys = (heading: string, keys: Record<string, number>, aliases: Record<string, string> = {}) => {
      const table = keyTable(heading);
      expect([...table.keys()]).toEqual(Object.values(keys));
      for (const [name, key] of Object.entries(keys)) expect(words(table.get(key)!), `${heading} key ${key}`).toBe(aliases[name] ?? camelWords(name));
    };
    expectKeys("Manifest (CBOR map)", MANIFEST_KEYS, { payloadSha256: "payload sha 256" });
    expectKeys("Certificate body (CBOR map)", CERT_KEYS);
    expectKeys("Capability map", CAPS_KEYS);
  });

  it("encodes the header example as documented", () => {
    const example = /Example \(a (\d+)-byte manifest,\s*(\d+)-byte payload, (\d+)-byte signature block\):\s*`([0-9a-f ]+)`/.exec(doc);
    expect(example, "header example").not.toBeNull();
    const [, m, p, s, bytes] = example!;
    expect(toHex(encodeHeader({ manifestLength: Number(m), payloadLength: Number(p), signatureBlockLength: Number(s) }))).toBe(toHex(hexBytes(bytes!)));
  });

  it("annotates the example manifest byte for byte", () => {
    const lines = section("Example manifest");
    const block = lines.slice(lines.indexOf("```hex") + 1, lines.indexOf("```", lines.indexOf("```hex") + 1));
    const bytes = hexBytes(block.map((l) => l.replace(/#.*$/, "")).join(""));
    const stated = /, (\d+) bytes, annotated/.exec(lines.join(" "));
    expect(bytes.length).toBe(Number(stated![1]));
    expect(toHex(bytes)).toBe(toHex(encodeManifest(manifest)));
    expect(decodeManifest(bytes)).toEqual(manifest);
  });
});

describe("the test vector", () => {
  const file = new Uint8Array(readFileSync(VECTOR_FILE));
  const text = section("Test vector").join(" ").replace(/\s+/g, " ");

  it("is what the code builds from its inputs today", () => {
    expect(toHex(buildVector())).toBe(toHex(file));
  });

  it("has the size, digest, keys, header and offsets the document gives", () => {
    const raw = splitPackage(file);
    const { layout } = raw;
    const sb = layout.signatureBlock[0];
    const bodyStart = sb + 1 + raw.certificateBytes.length - raw.certificate.body.length - 66;
    const facts = [
      `(${file.length} bytes, SHA-256 \`${createHash("sha256").update(file).digest("hex")}\`)`,
      `root public key \`${toHex(root.publicKey)}\``,
      `header \`${toHex(file.subarray(0, 16)).replace(/(..)(?!$)/g, "$1 ")}\``,
      `M = ${layout.manifest[1] - layout.manifest[0]}, P = ${layout.payload[1] - layout.payload[0]}, S = ${layout.signatureBlock[1] - sb}`,
      `manifest at bytes ${layout.manifest[0]}–${layout.manifest[1] - 1}`,
      `payload at bytes ${layout.payload[0]}–${layout.payload[1] - 1}`,
      `signature block at bytes ${sb}–${layout.signatureBlock[1] - 1}`,
      `certificate body head \`${toHex(file.subarray(sb + 2, bodyStart)).replace(/(..)(?!$)/g, "$1 ")}\` at ${sb + 2}`,
      `body (${raw.certificate.body.length} bytes) at ${bodyStart}–${bodyStart + raw.certificate.body.length - 1}`,
      `root signature at ${bodyStart + raw.certificate.body.length + 2}–${bodyStart + raw.certificate.body.length + 65}`,
      `package signature at ${layout.signatureBlock[1] - 64}–${layout.signatureBlock[1] - 1}`,
    ];
    for (const fact of facts) expect(text, fact).toContain(fact);
    expect(toHex(raw.manifestBytes)).toBe(toHex(encodeManifest(manifest)));
    expect(decodeCertificateBody(raw.certificate.body)).toEqual(certificate);
  });

  it("is accepted by the documented device, and refused by code once a signed byte changes", () => {
    expect(verifyPackage(file, device).manifest).toEqual(manifest);
    const damaged = Uint8Array.from(file);
    damaged[20]! ^= 1;
    expect(() => verifyPackage(damaged, device)).toThrow(PackageError);
    expect(() => verifyPackage(damaged, device)).toThrow(/FWX_PKG_E_SIG/);
  });
});
