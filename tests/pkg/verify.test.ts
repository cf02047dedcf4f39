import { describe, expect, it } from "vitest";
import { encodeCbor, type CborValue } from "../../src/pkg/cbor.js";
import { certificateDigest, issueCertificate } from "../../src/pkg/certificate.js";
import { PackageError, type PackageErrorCode } from "../../src/pkg/errors.js";
import { assemblePackage, splitPackage } from "../../src/pkg/format.js";
import { offeredInterfaces } from "../../src/pkg/interfaces.js";
import { decodeManifest, encodeManifest } from "../../src/pkg/manifest.js";
import { emptyRevocationList, extendRevocationList, signRevocationList, verifyRevocationList } from "../../src/pkg/revocation.js";
import { openEnvelopeBytes, sealEnvelope } from "../../src/pkg/signed.js";
import { payloadFacts } from "../../src/pkg/pack.js";
import { readPackageUnverified, verifyPackage, type VerifyContext } from "../../src/pkg/verify.js";
import { abi } from "../../host-abi/spec/index.js";
import { lowerAbi } from "../../host-abi/gen/lower.js";
import { T0, customSection, deviceCtx, interfaces, makeFixture, pack, seededKey, tinyWasm, type Fixture } from "./fixtures.js";

function codeOf(bytes: Uint8Array, ctx: VerifyContext): PackageErrorCode | "ok" {
  try {
    verifyPackage(bytes, ctx);
    return "ok";
  } catch (e) {
    if (!(e instanceof PackageError)) throw e;
    return e.code;
  }
}

function rejects(bytes: Uint8Array, ctx: VerifyContext, code: PackageErrorCode, message?: RegExp): void {
  let err: unknown;
  try {
    verifyPackage(bytes, ctx);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(PackageError);
  expect((err as PackageError).code).toBe(code);
  if (message) expect((err as PackageError).message).toMatch(message);
}

describe("verifyPackage: accepted packages", () => {
  const f = makeFixture();
  const bytes = pack(f);

  it("round-trips manifest, payload and certificate", () => {
    const v = verifyPackage(bytes, deviceCtx(f));
    expect(v.manifest).toEqual(decodeManifest(encodeManifest(f.manifest)));
    expect(v.manifest.id).toBe("com.acme.temp-alarm");
    expect(v.manifest.config[0]).toEqual({ name: "threshold", type: "number", default: 42.5, min: -40, max: 125 });
    expect(Buffer.from(v.payload).equals(f.payload)).toBe(true);
    expect(v.certificate.integratorId).toBe("acme");
    expect(Buffer.from(v.certificate.integratorKey).equals(f.integratorPub)).toBe(true);
    expect(v.layout.payload[1] - v.layout.payload[0]).toBe(f.payload.length);
  });

  it("is deterministic: the same inputs give the same bytes", () => {
    expect(Buffer.from(pack(f)).equals(bytes)).toBe(true);
  });

  it("embeds the certificate file byte for byte", () => {
    expect(Buffer.from(splitPackage(bytes).certificateBytes).equals(f.certBytes)).toBe(true);
  });

  it("accepts a first install (no installed sequence) and wildcard customers", () => {
    const g = makeFixture({ cert: { customers: ["*"], groups: undefined } });
    expect(codeOf(pack(g), deviceCtx(g, { installedSeq: undefined }, { customer: "anyone", group: "any" }))).toBe("ok");
  });

  it("accepts a gateway-only package without fuel instrumentation on a gateway", () => {
    const payload = tinyWasm(interfaces, false);
    const g = makeFixture({ payload });
    const m = { ...g.manifest, deviceClass: "gateway" as const, payload: { ...g.manifest.payload, fuelInstrumented: false } };
    expect(codeOf(pack(g, m, payload), deviceCtx(g, {}, { deviceClass: "gateway" }))).toBe("ok");
  });

  it("offers every interface of the lowered ABI, so a module built against it is accepted", () => {
    const offered = offeredInterfaces(lowerAbi(abi));
    expect(offered.map((i) => i.name)).toEqual(expect.arrayContaining(["core", "gpio", "sensor", "kv", "telemetry"]));
    expect(codeOf(bytes, deviceCtx(f, {}, { offeredInterfaces: offered }))).toBe("ok");
  });

  it("readPackageUnverified shows what a package claims, even when no root key is at hand", () => {
    const r = readPackageUnverified(bytes);
    expect("id" in r.manifest && r.manifest.id).toBe("com.acme.temp-alarm");
    expect("integratorId" in r.certificate && r.certificate.integratorId).toBe("acme");
    expect(Buffer.from(r.certificateBytes).equals(f.certBytes)).toBe(true);
  });
});

describe("verifyPackage: each check fails on its own, with its own code", () => {
  const f = makeFixture();
  const ok = pack(f);
  const ctx = deviceCtx(f);

  it("a package of another format version, named with the version it reads and what to do", () => {
    const v1 = Uint8Array.from(ok);
    v1[4] = 1;
    rejects(v1, ctx, "FWX_PKG_E_VERSION", /package format version 1 at byte 4; this verifier reads only version 2; repack it with this fwx/);
    const v3 = Uint8Array.from(ok);
    v3[4] = 3;
    rejects(v3, ctx, "FWX_PKG_E_VERSION", /version 3 at byte 4; .*update fwx to read it/);
  });

  it("certificate not from this product root", () => {
    const other = seededKey(9);
    rejects(ok, { ...ctx, rootPublicKey: other.publicKey }, "FWX_PKG_E_CERT_SIG", /not signed by this product root/);
  });

  it("root-signed certificate with malformed content", () => {
    const body = encodeCbor(new Map<number, CborValue>([[1, 1], [99, "surprise"]]));
    const bad = pack(f, f.manifest, f.payload, sealEnvelope(body, f.rootKey, "certificate"));
    rejects(bad, ctx, "FWX_PKG_E_CERT", /key 99: unknown key/);
  });

  it("package signed by a key other than the certificate's", () => {
    rejects(pack(f, f.manifest, f.payload, f.certBytes, seededKey(3).privateKey), ctx, "FWX_PKG_E_SIG", /integrator "acme"/);
  });

  it("a signature made for a certificate is not accepted as a package signature (domain separation)", () => {
    // The root certifies its own key as an integrator key, so the same key signs both kinds of document.
    const selfCert = issueCertificate({ ...f.cert, integratorKey: f.rootPub }, f.rootKey);
    const genuine = pack(f, f.manifest, f.payload, selfCert, f.rootKey);
    expect(codeOf(genuine, ctx)).toBe("ok");
    const region = genuine.subarray(0, splitPackage(genuine).layout.manifest[1]);
    const certDomainSig = openEnvelopeBytes(sealEnvelope(region, f.rootKey, "certificate"), "envelope").signature;
    const forged = Uint8Array.from(genuine);
    forged.set(certDomainSig, forged.length - 64);
    rejects(forged, ctx, "FWX_PKG_E_SIG");
  });

  it("signed manifest that is not canonical CBOR", () => {
    const manifestBytes = encodeManifest(f.manifest);
    const nonCanonical = Uint8Array.from([manifestBytes[0]!, 0x18, 0x01, ...manifestBytes.subarray(2)]);
    rejects(assemblePackage(nonCanonical, f.payload, f.certBytes, f.integratorKey), ctx, "FWX_PKG_E_MANIFEST", /shortest form/);
  });

  it("signed manifest with an invalid field", () => {
    rejects(pack(f, { ...f.manifest, version: "1.2" }), ctx, "FWX_PKG_E_MANIFEST", /version \(key 2\).*semantic version/);
  });

  it("payload hash differs from the manifest", () => {
    const sha256 = Uint8Array.from(f.manifest.payload.sha256);
    sha256[0]! ^= 1;
    rejects(pack(f, { ...f.manifest, payload: { ...f.manifest.payload, sha256 } }), ctx, "FWX_PKG_E_HASH", /SHA-256/);
  });

  it("certificate not yet valid / expired on the device clock", () => {
    rejects(ok, { ...ctx, now: (f.cert.notBefore - 1) * 1000 }, "FWX_PKG_E_NOT_YET_VALID");
    rejects(ok, { ...ctx, now: f.cert.notAfter * 1000 }, "FWX_PKG_E_EXPIRED", /expired at/);
    expect(codeOf(ok, { ...ctx, now: new Date(f.cert.notAfter * 1000 - 1000) })).toBe("ok");
  });

  it("revoked certificate, and revoked integrator key", () => {
    const byCert = extendRevocationList(emptyRevocationList(), { certificates: [certificateDigest(splitPackage(ok).certificate.body)] }, T0 / 1000);
    rejects(ok, { ...ctx, revoked: byCert }, "FWX_PKG_E_REVOKED", /certificate .* is revoked/);
    const byKey = extendRevocationList(emptyRevocationList(), { integratorKeys: [f.integratorPub] }, T0 / 1000);
    rejects(ok, { ...ctx, revoked: byKey }, "FWX_PKG_E_REVOKED", /integrator key/);
    const unrelated = extendRevocationList(emptyRevocationList(), { integratorKeys: [seededKey(5).publicKey] }, T0 / 1000);
    expect(codeOf(ok, { ...ctx, revoked: unrelated })).toBe("ok");
  });

  it("module id outside the certificate's prefix", () => {
    rejects(pack(f, { ...f.manifest, id: "com.acmeevil.x" }), ctx, "FWX_PKG_E_SCOPE_MODULE", /com\.acmeevil\.x.*com\.acme\./);
  });

  it("integrator A's module for customer A is refused on customer B's device", () => {
    rejects(ok, deviceCtx(f, {}, { customer: "customer-b" }), "FWX_PKG_E_SCOPE_CUSTOMER", /customer-b/);
  });

  it("device group outside the certificate", () => {
    rejects(ok, deviceCtx(f, {}, { group: "line-9" }), "FWX_PKG_E_SCOPE_GROUP", /line-9/);
  });

  it("package for another device class", () => {
    rejects(pack(f, { ...f.manifest, deviceClass: "gateway" }), ctx, "FWX_PKG_E_DEVICE_CLASS", /"gateway"/);
  });

  it("mcu package without fuel instrumentation", () => {
    const payload = tinyWasm(interfaces, false);
    const g = makeFixture({ payload });
    const m = { ...g.manifest, payload: { ...g.manifest.payload, fuelInstrumented: false } };
    rejects(pack(g, m, payload), deviceCtx(g), "FWX_PKG_E_NOT_INSTRUMENTED", /wasm3 cannot meter/);
    // Even where the device class is unknown (a workstation check), the package is unusable everywhere.
    rejects(pack(g, m, payload), deviceCtx(g, {}, { deviceClass: undefined }), "FWX_PKG_E_NOT_INSTRUMENTED");
  });

  it("gateway package with a pre-instrumented payload", () => {
    const m = { ...f.manifest, deviceClass: "gateway" as const };
    rejects(pack(f, m), deviceCtx(f, {}, { deviceClass: "gateway" }), "FWX_PKG_E_PREINSTRUMENTED", /does not trust a foreign fuel counter/);
  });

  it("payload sections disagree with the manifest", () => {
    const uninstrumented = tinyWasm(interfaces, false);
    const g = makeFixture({ payload: uninstrumented });
    rejects(pack(g), deviceCtx(g), "FWX_PKG_E_PAYLOAD", /fwx\.fuel section is absent/);
    const h = makeFixture({ manifest: { interfaces: [{ name: "core", major: 1, minor: 0 }] } });
    rejects(pack(h), deviceCtx(h), "FWX_PKG_E_PAYLOAD", /requires \[core@1\.0, gpio@1\.0, sensor@1\.0\] but the manifest lists \[core@1\.0\]/);
  });

  it("payload whose one fwx.abi entry is named like the manifest's list joined (compared entry by entry, not as text)", () => {
    const joined = [{ name: "core@1.0, gpio@1.0, sensor", major: 1, minor: 0 }];
    const g = makeFixture({ payload: tinyWasm(joined) });
    rejects(pack(g), deviceCtx(g), "FWX_PKG_E_PAYLOAD", /requires \[core@1\.0, gpio@1\.0, sensor@1\.0\] but the manifest lists \[core@1\.0, gpio@1\.0, sensor@1\.0\]/);
  });

  it("payload with a custom section name that is not UTF-8 (the device's module check refuses it too)", () => {
    const payload = Uint8Array.from([...tinyWasm(interfaces), ...customSection(Uint8Array.of(0x66, 0xff), Uint8Array.of(0))]);
    const g = makeFixture({ payload });
    const nameAt = payload.length - 3;
    rejects(pack(g), deviceCtx(g), "FWX_PKG_E_PAYLOAD", new RegExp(`payload at byte ${splitPackage(pack(g)).layout.payload[0] + nameAt}: wasm byte ${nameAt}: custom section name is not UTF-8`));
  });

  it("capabilities beyond the certificate (though the board has them)", () => {
    rejects(pack(f, { ...f.manifest, capabilities: { ...f.manifest.capabilities, gpio: [{ pin: 7, modes: ["output"] }] } }), ctx, "FWX_PKG_E_CAPS_CERT", /gpio pin 7 mode output/);
  });

  it("capabilities within the certificate but beyond the board", () => {
    const g = makeFixture({ cert: { capabilities: { adc: [3] } }, manifest: { capabilities: { adc: [3] } } });
    rejects(pack(g), deviceCtx(g), "FWX_PKG_E_CAPS_DEVICE", /adc channel 3/);
  });

  it("required interfaces not offered: missing, newer minor, other major", () => {
    const need = (name: string, major: number, minor: number) => {
      const reqs = [...interfaces, { name, major, minor }].sort((a, b) => (a.name < b.name ? -1 : 1));
      const g = makeFixture({ payload: tinyWasm(reqs), manifest: { interfaces: reqs } });
      return [pack(g), deviceCtx(g)] as const;
    };
    rejects(...need("uart", 1, 0), "FWX_PKG_E_INTERFACE", /uart@1\.0 \(not offered at all\)/);
    rejects(...need("kv", 1, 1), "FWX_PKG_E_INTERFACE", /kv@1\.1 \(offered: kv@1\.0\)/);
    rejects(...need("kv", 2, 0), "FWX_PKG_E_INTERFACE", /kv@2\.0/);
    expect(codeOf(...need("kv", 1, 0))).toBe("ok");
  });

  it("a replayed older or equal sequence is refused", () => {
    rejects(ok, { ...ctx, installedSeq: 7 }, "FWX_PKG_E_ROLLBACK", /sequence 7 .* installed sequence 7/);
    rejects(ok, { ...ctx, installedSeq: 100 }, "FWX_PKG_E_ROLLBACK");
  });
});

describe("payloadFacts (pack time)", () => {
  it("refuses a payload every verifier would refuse: a custom section name twice", () => {
    const twice = Uint8Array.from([...tinyWasm(interfaces), ...customSection("fwx.fuel", Uint8Array.of(1, 1))]);
    expect(() => payloadFacts(twice)).toThrow(/custom section "fwx\.fuel" appears twice/);
    expect(payloadFacts(tinyWasm(interfaces))).toEqual({ interfaces, fuelInstrumented: true });
  });
});

describe("revocation lists", () => {
  const f: Fixture = makeFixture();

  it("round-trip under the root signature and only grow", () => {
    const list = extendRevocationList(emptyRevocationList(), { integratorKeys: [f.integratorPub] }, 1000);
    const again = extendRevocationList(list, { integratorKeys: [f.integratorPub] }, 2000);
    expect(again.serial).toBe(2);
    expect(again.integratorKeys).toHaveLength(1);
    const decoded = verifyRevocationList(signRevocationList(again, f.rootKey), f.rootPub);
    expect(decoded.serial).toBe(2);
    expect(Buffer.from(decoded.integratorKeys[0]!).equals(f.integratorPub)).toBe(true);
  });

  it("refuse a list not signed by the root, or a certificate signature reused as a list", () => {
    const list = signRevocationList(emptyRevocationList(), seededKey(8).privateKey);
    expect(() => verifyRevocationList(list, f.rootPub)).toThrow(/signature does not verify/);
    expect(() => verifyRevocationList(f.certBytes, f.rootPub)).toThrow(/signature does not verify/);
  });

  it("certificates and lists carry their own domain: a certificate is not a valid list even with the right key", () => {
    const cert = issueCertificate(f.cert, f.rootKey);
    expect(() => verifyRevocationList(cert, f.rootPub)).toThrow(/signature does not verify/);
  });
});
