// Every single-bit flip and every truncation of a valid package is refused,
// and with the code of the region that was damaged. The expected code comes
// from the documented layout and check order, not from running the verifier.

import { describe, expect, it } from "vitest";
import { PackageError, type PackageErrorCode } from "../../src/pkg/errors.js";
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, splitPackage } from "../../src/pkg/format.js";
import { verifyPackage } from "../../src/pkg/verify.js";
import { deviceCtx, makeFixture, pack } from "./fixtures.js";

const f = makeFixture();
const good = pack(f);
const ctx = deviceCtx(f);
const raw = splitPackage(good);
const { layout } = raw;

function codeOf(bytes: Uint8Array): PackageErrorCode | "ok" {
  try {
    verifyPackage(bytes, ctx);
    return "ok";
  } catch (e) {
    if (!(e instanceof PackageError)) throw new Error(`not a PackageError: ${(e as Error).stack}`);
    return e.code;
  }
}

// Regions of the signature block: [array head][cert: array head, body head, body, sig head, root sig][sig head, package sig]
const sb = layout.signatureBlock[0];
const certLen = raw.certificateBytes.length;
const bodyLen = raw.certificate.body.length;
const bodyStart = sb + 1 + certLen - bodyLen - 66;
const rootSigStart = bodyStart + bodyLen + 2;
const pkgSigStart = layout.signatureBlock[1] - 64;

function expectedForFlip(pos: number, mutated: Uint8Array): PackageErrorCode {
  if (pos < 4) return "FWX_PKG_E_MAGIC";
  if (pos === 4) return "FWX_PKG_E_VERSION";
  if (pos === 5 || pos === 14 || pos === 15) return "FWX_PKG_E_HEADER";
  if (pos < HEADER_BYTES) {
    const v = new DataView(mutated.buffer, mutated.byteOffset);
    const m = v.getUint16(6, true), p = v.getUint32(8, true), s = v.getUint16(12, true);
    if (m === 0 || p === 0 || p > MAX_PAYLOAD_BYTES || s === 0) return "FWX_PKG_E_HEADER";
    return HEADER_BYTES + m + p + s > good.length ? "FWX_PKG_E_TRUNCATED" : "FWX_PKG_E_TRAILING";
  }
  if (pos < layout.manifest[1]) return "FWX_PKG_E_SIG";
  if (pos < layout.payload[1]) return "FWX_PKG_E_HASH";
  if (pos >= bodyStart && pos < bodyStart + bodyLen) return "FWX_PKG_E_CERT_SIG";
  if (pos >= rootSigStart && pos < rootSigStart + 64) return "FWX_PKG_E_CERT_SIG";
  if (pos >= pkgSigStart) return "FWX_PKG_E_SIG";
  return "FWX_PKG_E_SIGBLOCK";
}

describe("corruption corpus", () => {
  it("the unmodified package verifies", () => {
    expect(codeOf(good)).toBe("ok");
  });

  it("refuses every single-bit flip anywhere with the damaged region's code", () => {
    const wrong: string[] = [];
    const seen = new Map<string, number>();
    for (let pos = 0; pos < good.length; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Uint8Array.from(good);
        bad[pos]! ^= 1 << bit;
        const want = expectedForFlip(pos, bad);
        const got = codeOf(bad);
        seen.set(want, (seen.get(want) ?? 0) + 1);
        if (got !== want) wrong.push(`byte ${pos} bit ${bit}: got ${got}, expected ${want}`);
      }
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    // Every region was actually exercised.
    for (const code of ["FWX_PKG_E_MAGIC", "FWX_PKG_E_VERSION", "FWX_PKG_E_HEADER", "FWX_PKG_E_TRUNCATED", "FWX_PKG_E_TRAILING", "FWX_PKG_E_SIG", "FWX_PKG_E_HASH", "FWX_PKG_E_CERT_SIG", "FWX_PKG_E_SIGBLOCK"]) {
      expect(seen.get(code), code).toBeGreaterThan(0);
    }
  });

  it("refuses every truncation as truncated, and any appended byte as trailing", () => {
    const wrong: number[] = [];
    for (let len = 0; len < good.length; len++) if (codeOf(good.subarray(0, len)) !== "FWX_PKG_E_TRUNCATED") wrong.push(len);
    expect(wrong).toEqual([]);
    expect(codeOf(Uint8Array.from([...good, 0]))).toBe("FWX_PKG_E_TRAILING");
  });

  it("refuses random multi-byte damage with a PackageError, never another exception and never acceptance", () => {
    let seed = 2024;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 2000; i++) {
      const bad = Uint8Array.from(good);
      const edits = 1 + rnd(8);
      for (let e = 0; e < edits; e++) bad[rnd(bad.length)] = rnd(256);
      if (Buffer.from(bad).equals(good)) continue;
      expect(codeOf(bad)).not.toBe("ok");
    }
  });

  it("refuses non-package input by its magic", () => {
    expect(codeOf(f.payload)).toBe("FWX_PKG_E_MAGIC");
    expect(codeOf(new Uint8Array(64))).toBe("FWX_PKG_E_MAGIC");
  });
});
