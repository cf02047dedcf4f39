// Writes the corpus the C verifier is judged on: packages, the device inputs
// they are verified with, and what verifyPackage (src/pkg/verify.ts) says of
// each. tests/c/pkg/pkg_harness.c reads it and must give the same code for
// every entry. Run by tests/c/suites/pkg-verify.mjs:
//   node scripts/run-ts.mjs tests/c/pkg/corpus.ts <out-file>
// Line format (fields separated by one space, bytes as hex, "-" = none):
//   ctx-<field> <value>          device inputs for the records that follow
//   pkg <label> <code> <hex>     one package and its code (0 = accepted)
//   flips <label> <hex> <codes>  every single-bit flip: codes[8*byte + bit]
//   truncs <label> <hex> <codes> every truncation to 0..len-1 bytes
//   accept <label> <hex> <fields...> an accepted package and what it yields
//   rl <label> <ok> <serial> <certs> <keys> <hex>   a revocation list file
//   cbor <ok> <hex>              one CBOR region: does decodeCbor accept it?

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Capabilities } from "../../../src/caps/capabilities.js";
import { decodeCbor, encodeCbor, type CborValue } from "../../../src/pkg/cbor.js";
import { encodeCapabilities } from "../../../src/pkg/caps-codec.js";
import { certificateDigest, encodeCertificateBody, issueCertificate, type IntegratorCertificate } from "../../../src/pkg/certificate.js";
import { PackageError, PKG_ERRORS } from "../../../src/pkg/errors.js";
import { assemblePackage, splitPackage } from "../../../src/pkg/format.js";
import { encodeManifest, type Manifest } from "../../../src/pkg/manifest.js";
import { signRevocationList, verifyRevocationList, type RevocationList } from "../../../src/pkg/revocation.js";
import { sealEnvelope } from "../../../src/pkg/signed.js";
import { verifyPackage, type VerifyContext } from "../../../src/pkg/verify.js";
import { encodeAbiSection } from "../../../src/wasm/abi-section.js";
import { customSection, deviceCtx, interfaces, makeFixture, pack, T0, tinyWasm, type Fixture } from "../../pkg/fixtures.js";
import { buildVector, device as blinkDevice } from "../../pkg/vectors/blink.js";

const out: string[] = [];
const hex = (b: Uint8Array) => (b.length ? Buffer.from(b).toString("hex") : "-");
const text = (s: string | undefined) => (s === undefined ? "-" : hex(Buffer.from(s)));
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

function codeOf(bytes: Uint8Array, ctx: VerifyContext): number {
  try {
    verifyPackage(bytes, ctx);
    return 0;
  } catch (e) {
    if (!(e instanceof PackageError)) throw new Error(`verifyPackage threw a non-PackageError: ${(e as Error).stack}`);
    return e.numericCode;
  }
}

function setCtx(ctx: VerifyContext, revokedFile?: Uint8Array): void {
  const d = ctx.device;
  const now = typeof ctx.now === "number" ? ctx.now : ctx.now.getTime();
  out.push(`ctx-root ${hex(ctx.rootPublicKey)}`);
  out.push(`ctx-now ${Math.floor(now / 1000)}`);
  out.push(`ctx-customer ${text(d.customer)}`);
  out.push(`ctx-group ${text(d.group)}`);
  out.push(`ctx-class ${d.deviceClass === undefined ? 255 : d.deviceClass === "mcu" ? 0 : 1}`);
  out.push(`ctx-board ${hex(encodeCbor(encodeCapabilities(d.capabilities)))}`);
  out.push(`ctx-offered ${d.offeredInterfaces.length ? d.offeredInterfaces.map((i) => `${i.name}:${i.major}:${i.minor}`).join(",") : "-"}`);
  out.push(`ctx-installed ${ctx.installedSeq ?? 0}`);
  out.push(`ctx-revoked ${revokedFile ? hex(revokedFile) : "-"}`);
}

function pkg(label: string, bytes: Uint8Array, ctx: VerifyContext): number {
  const code = codeOf(bytes, ctx);
  out.push(`pkg ${label} ${code} ${hex(bytes)}`);
  return code;
}

function expectCode(label: string, bytes: Uint8Array, ctx: VerifyContext, want: keyof typeof PKG_ERRORS | "ok"): void {
  const code = pkg(label, bytes, ctx);
  const wanted = want === "ok" ? 0 : PKG_ERRORS[want];
  // The scenario must test what its label says; a fixture drifting would otherwise pass silently.
  if (code !== wanted) throw new Error(`corpus scenario ${label}: verifyPackage gives ${code}, the scenario is built for ${wanted}`);
}

function flipsAndTruncs(label: string, good: Uint8Array, ctx: VerifyContext): void {
  const codes: number[] = [];
  for (let pos = 0; pos < good.length; pos++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Uint8Array.from(good);
      bad[pos]! ^= 1 << bit;
      codes.push(codeOf(bad, ctx));
    }
  }
  out.push(`flips ${label} ${hex(good)} ${codes.join(",")}`);
  const truncs: number[] = [];
  for (let len = 0; len < good.length; len++) truncs.push(codeOf(good.subarray(0, len), ctx));
  out.push(`truncs ${label} ${hex(good)} ${truncs.join(",")}`);
  pkg(`${label}-trailing`, Uint8Array.from([...good, 0]), ctx);
}

function accept(label: string, bytes: Uint8Array, ctx: VerifyContext): void {
  const v = verifyPackage(bytes, ctx);
  const m = v.manifest;
  const fields = [text(m.id), text(m.version), m.sequence, v.layout.payload[0], v.layout.payload[1] - v.layout.payload[0], hex(m.payload.sha256), hex(v.certificateDigest),
    m.budgets.ramBytes, m.budgets.fuelPerCallback, m.interfaces.length, m.config.length, m.deviceClass === "mcu" ? 0 : 1, m.payload.fuelInstrumented ? 1 : 0];
  out.push(`accept ${label} ${hex(bytes)} ${fields.join(" ")}`);
}

// Deterministic pseudo-random numbers, so the corpus is the same on every run.
let seed = 20261204;
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80, 0x81, 0x83, 0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc1, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff];
const someByte = () => (rnd(3) === 0 ? rnd(256) : INTERESTING[rnd(INTERESTING.length)]!);

/** Signed parts damaged and signed again, so the decoders (not the signatures) decide. */
function resignedDamage(f: Fixture, ctx: VerifyContext): void {
  const manifest = encodeManifest(f.manifest);
  const body = encodeCertificateBody(f.cert);
  const withManifest = (m: Uint8Array) => assemblePackage(m, f.payload, f.certBytes, f.integratorKey);
  const withBody = (b: Uint8Array) => assemblePackage(manifest, f.payload, sealEnvelope(b, f.rootKey, "certificate"), f.integratorKey);
  const withPayload = (p: Uint8Array) => pack(f, { ...f.manifest, payload: { ...f.manifest.payload, sha256: sha256(p) } }, p);
  const parts: [string, Uint8Array, (b: Uint8Array) => Uint8Array][] = [["manifest", manifest, withManifest], ["cert", body, withBody], ["payload", f.payload, withPayload]];
  for (const [name, good, build] of parts) {
    for (let pos = 0; pos < good.length; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Uint8Array.from(good);
        bad[pos]! ^= 1 << bit;
        pkg(`${name}-resigned-bit-${pos * 8 + bit}`, build(bad), ctx);
      }
    }
    for (let i = 0; i < 400; i++) {
      const bad = Uint8Array.from(good);
      for (let e = 1 + rnd(3); e > 0; e--) bad[rnd(bad.length)] = someByte();
      pkg(`${name}-resigned-random-${i}`, build(bad), ctx);
    }
  }
}

function scenarios(): void {
  const f = makeFixture();
  const good = pack(f);
  const ctx = deviceCtx(f);
  setCtx(ctx);
  accept("fixture", good, ctx);
  flipsAndTruncs("fixture", good, ctx);
  resignedDamage(f, ctx);
  craftedDocuments(f, ctx);

  // Anti-rollback and the clock.
  const { notBefore, notAfter } = f.cert;
  const variants: [string, Partial<VerifyContext>, keyof typeof PKG_ERRORS | "ok"][] = [
    ["rollback-equal", { installedSeq: 7 }, "FWX_PKG_E_ROLLBACK"],
    ["rollback-above", { installedSeq: 100 }, "FWX_PKG_E_ROLLBACK"],
    ["nothing-installed", { installedSeq: undefined }, "ok"],
    ["expired-at-not-after", { now: notAfter * 1000 }, "FWX_PKG_E_EXPIRED"],
    ["valid-last-millisecond", { now: notAfter * 1000 - 1 }, "ok"],
    ["not-yet-valid", { now: notBefore * 1000 - 1 }, "FWX_PKG_E_NOT_YET_VALID"],
    ["valid-from-not-before", { now: notBefore * 1000 }, "ok"],
  ];
  for (const [label, over, want] of variants) {
    const c = deviceCtx(f, over);
    setCtx(c);
    expectCode(label, good, c, want);
  }
  const devices: [string, Partial<VerifyContext["device"]>, keyof typeof PKG_ERRORS | "ok"][] = [
    ["customer-other", { customer: "customer-b" }, "FWX_PKG_E_SCOPE_CUSTOMER"],
    ["customer-longer", { customer: "customer-a-foods" }, "FWX_PKG_E_SCOPE_CUSTOMER"],
    ["customer-shorter", { customer: "customer" }, "FWX_PKG_E_SCOPE_CUSTOMER"],
    ["group-line-10", { group: "line-10" }, "FWX_PKG_E_SCOPE_GROUP"],
    ["group-line", { group: "line" }, "FWX_PKG_E_SCOPE_GROUP"],
    ["class-gateway-device", { deviceClass: "gateway" }, "FWX_PKG_E_DEVICE_CLASS"],
    ["class-unspecified", { deviceClass: undefined }, "ok"],
    ["board-without-gpio-5", { capabilities: { ...f.cert.capabilities, gpio: [{ pin: 5, modes: ["input"] }] } }, "FWX_PKG_E_CAPS_DEVICE"],
    ["board-without-timers", { capabilities: { sensors: ["temperature"], gpio: [{ pin: 5, modes: ["output"] }], telemetry: ["#"], kv: 256 } }, "FWX_PKG_E_CAPS_DEVICE"],
    ["board-kv-one-short", { capabilities: { ...f.cert.capabilities, kv: 255 } }, "FWX_PKG_E_CAPS_DEVICE"],
    ["board-telemetry-other-prefix", { capabilities: { ...f.cert.capabilities, telemetry: ["acme/temp/#"] } }, "FWX_PKG_E_CAPS_DEVICE"],
    ["board-telemetry-exact", { capabilities: { ...f.cert.capabilities, telemetry: ["acme/temp"] } }, "ok"],
    ["sensor-minor-too-old", { offeredInterfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }, { name: "sensor", major: 0, minor: 9 }] }, "FWX_PKG_E_INTERFACE"],
    ["sensor-not-offered", { offeredInterfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }] }, "FWX_PKG_E_INTERFACE"],
    ["sensor-major-2", { offeredInterfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }, { name: "sensor", major: 2, minor: 0 }] }, "FWX_PKG_E_INTERFACE"],
    ["sensor-two-majors", { offeredInterfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }, { name: "sensor", major: 2, minor: 0 }, { name: "sensor", major: 1, minor: 0 }] }, "ok"],
    ["sensors-prefix-name", { offeredInterfaces: [{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }, { name: "sensors", major: 1, minor: 0 }] }, "FWX_PKG_E_INTERFACE"],
  ];
  for (const [label, dev, want] of devices) {
    const c = deviceCtx(f, {}, dev);
    setCtx(c);
    expectCode(label, good, c, want);
  }

  // Certificates and manifests made to order (all correctly signed).
  const pkgs: [string, Fixture, keyof typeof PKG_ERRORS | "ok", Partial<VerifyContext["device"]>?][] = [
    ["cert-customer-prefix-of-device", makeFixture({ cert: { customers: ["acme"] } }), "FWX_PKG_E_SCOPE_CUSTOMER", { customer: "acme-foods" }],
    ["cert-customer-longer-than-device", makeFixture({ cert: { customers: ["acme-foods"] } }), "FWX_PKG_E_SCOPE_CUSTOMER", { customer: "acme" }],
    ["cert-customers-any", makeFixture({ cert: { customers: ["someone", "*"] } }), "ok", { customer: "anyone" }],
    ["cert-groups-absent", makeFixture({ cert: { groups: undefined } }), "ok", { group: "whatever" }],
    ["cert-groups-any", makeFixture({ cert: { groups: ["*"] } }), "ok", { group: "line-10" }],
    ["cert-group-line-1-device-line-10", makeFixture({ cert: { groups: ["line-1"] } }), "FWX_PKG_E_SCOPE_GROUP", { group: "line-10" }],
    ["cert-group-line-10-device-line-1", makeFixture({ cert: { groups: ["line-10"] } }), "FWX_PKG_E_SCOPE_GROUP", { group: "line-1" }],
    ["cert-prefix-not-prefix", makeFixture({ cert: { modulePrefix: "com.acmefoods." } }), "FWX_PKG_E_SCOPE_MODULE"],
    ["cert-prefix-without-dot", makeFixture({ cert: { modulePrefix: "com.acme" } }), "ok"],
    ["cert-prefix-longer-than-id", makeFixture({ cert: { modulePrefix: "com.acme.temp-alarm-2" } }), "FWX_PKG_E_SCOPE_MODULE"],
    ["cert-prefix-empty", makeFixture({ cert: { modulePrefix: "" } }), "ok"],
    ["cert-prefix-whole-id", makeFixture({ cert: { modulePrefix: "com.acme.temp-alarm" } }), "ok"],
    ["cert-no-kv", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, kv: undefined } } }), "FWX_PKG_E_CAPS_CERT"],
    ["cert-gpio-5-input-only", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, gpio: [{ pin: 5, modes: ["input"] }] } } }), "FWX_PKG_E_CAPS_CERT"],
    ["cert-gpio-5-split-modes", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, gpio: [{ pin: 5, modes: ["input"] }, { pin: 5, modes: ["output"] }] } } }), "ok"],
    ["cert-telemetry-exact-topic", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, telemetry: ["acme/temp"] } } }), "ok"],
    ["cert-telemetry-sibling", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, telemetry: ["acme/tem"] } } }), "FWX_PKG_E_CAPS_CERT"],
    ["cert-telemetry-prefix-of-word", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, telemetry: ["acm/#"] } } }), "FWX_PKG_E_CAPS_CERT"],
    ["manifest-telemetry-prefix-wider-than-cert", makeFixture({ manifest: { capabilities: { ...makeFixture().manifest.capabilities, telemetry: ["#"] } } }), "FWX_PKG_E_CAPS_CERT"],
    ["manifest-telemetry-prefix-within", makeFixture({ manifest: { capabilities: { ...makeFixture().manifest.capabilities, telemetry: ["acme/x/#"] } } }), "ok"],
    ["manifest-timers-above-cert", makeFixture({ manifest: { capabilities: { ...makeFixture().manifest.capabilities, timers: 5 } } }), "FWX_PKG_E_CAPS_CERT"],
    ["manifest-i2c-other-address", makeFixture({ manifest: { capabilities: { ...makeFixture().manifest.capabilities, i2c: [{ bus: 0, address: 0x49 }] } } }), "FWX_PKG_E_CAPS_CERT"],
    ["manifest-i2c-granted", makeFixture({ manifest: { capabilities: { ...makeFixture().manifest.capabilities, i2c: [{ bus: 0, address: 0x48 }] } } }), "ok"],
    ["manifest-adc-not-in-cert", makeFixture({ manifest: { capabilities: { ...makeFixture().manifest.capabilities, adc: [0] } } }), "FWX_PKG_E_CAPS_CERT"],
    ["manifest-sensor-beyond-board", makeFixture({ cert: { capabilities: { ...makeFixture().cert.capabilities, sensors: ["temperature", "radiation"] } }, manifest: { capabilities: { ...makeFixture().manifest.capabilities, sensors: ["radiation"] } } }), "FWX_PKG_E_CAPS_DEVICE"],
    ["manifest-id-outside-prefix", makeFixture({ manifest: { id: "com.acmefoods.x" } }), "FWX_PKG_E_SCOPE_MODULE"],
    ["manifest-no-config", makeFixture({ manifest: { config: [] } }), "ok"],
    ["manifest-config-all-shapes", makeFixture({ manifest: { config: [
      { name: "a", type: "integer", default: -5, min: -10 }, { name: "b", type: "integer", max: 3 }, { name: "c", type: "number", min: -0.5, max: 0.5, default: 0 },
      { name: "d", type: "boolean", default: false }, { name: "e", type: "string", default: "" }, { name: "f", type: "number", default: -1.25 }, { name: "g", type: "integer", min: 1.5, max: 2.5, default: 2 },
    ] } }), "ok"],
    ["manifest-version-prerelease-build", makeFixture({ manifest: { version: "2.0.0-rc.1+b7" } }), "ok"],
    ["manifest-sequence-large", makeFixture({ manifest: { sequence: Number.MAX_SAFE_INTEGER } }), "ok"],
    ["manifest-gateway-on-mcu-device", makeFixture({ manifest: { deviceClass: "gateway", payload: { sha256: sha256(tinyWasm(interfaces, false)), fuelInstrumented: false } }, payload: tinyWasm(interfaces, false) }), "FWX_PKG_E_DEVICE_CLASS"],
    ["manifest-gateway-instrumented", makeFixture({ manifest: { deviceClass: "gateway" } }), "FWX_PKG_E_PREINSTRUMENTED", { deviceClass: "gateway" }],
    ["manifest-gateway-instrumented-any-device", makeFixture({ manifest: { deviceClass: "gateway" } }), "FWX_PKG_E_PREINSTRUMENTED", { deviceClass: undefined }],
    ["manifest-mcu-not-instrumented", makeFixture({ manifest: { payload: { sha256: sha256(tinyWasm(interfaces, false)), fuelInstrumented: false } }, payload: tinyWasm(interfaces, false) }), "FWX_PKG_E_NOT_INSTRUMENTED"],
    ["manifest-mcu-says-fuel-payload-has-none", makeFixture({ manifest: { payload: { sha256: sha256(tinyWasm(interfaces, false)), fuelInstrumented: true } }, payload: tinyWasm(interfaces, false) }), "FWX_PKG_E_PAYLOAD"],
  ];
  const hashLastByte = (() => {
    const base = makeFixture();
    const wrong = Uint8Array.from(base.manifest.payload.sha256);
    wrong[31]! ^= 0x01;
    return makeFixture({ manifest: { payload: { sha256: wrong, fuelInstrumented: true } } });
  })();
  pkgs.push(["hash-differs-in-last-byte", hashLastByte, "FWX_PKG_E_HASH"]);
  const hashFirstByte = (() => {
    const base = makeFixture();
    const wrong = Uint8Array.from(base.manifest.payload.sha256);
    wrong[0]! ^= 0x80;
    return makeFixture({ manifest: { payload: { sha256: wrong, fuelInstrumented: true } } });
  })();
  pkgs.push(["hash-differs-in-first-byte", hashFirstByte, "FWX_PKG_E_HASH"]);
  // Payloads whose sections contradict the manifest, or are malformed.
  const withPayload = (label: string, payload: Uint8Array, want: keyof typeof PKG_ERRORS | "ok") =>
    pkgs.push([label, makeFixture({ payload, manifest: { payload: { sha256: sha256(payload), fuelInstrumented: true } } }), want]);
  const tiny = tinyWasm(interfaces);
  withPayload("payload-abi-other-minor", tinyWasm([interfaces[0]!, interfaces[1]!, { name: "sensor", major: 1, minor: 1 }]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-abi-missing-one", tinyWasm([interfaces[0]!, interfaces[1]!]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-abi-joined-names", tinyWasm([{ name: "core@1.0, gpio@1.0, sensor", major: 1, minor: 0 }]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-no-abi-section", withoutAbi(tiny), "ok");
  withPayload("payload-duplicate-custom-name", Uint8Array.from([...tiny, ...customSection("note", Uint8Array.of(1)), ...customSection("note", Uint8Array.of(2))]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-distinct-custom-names", Uint8Array.from([...tiny, ...customSection("note", Uint8Array.of(1)), ...customSection("notes", Uint8Array.of(2))]), "ok");
  // The C verifier reads custom section names 32 bytes at a time: UTF-8 sequences cut by a read boundary
  // (valid, and broken on either side of it) are judged as verifyPackage judges them.
  const straddle = (tail: number[]) => Uint8Array.from([...Buffer.from("n".repeat(31)), ...tail]);
  withPayload("payload-custom-name-utf8-across-read", Uint8Array.from([...tiny, ...customSection(straddle([0xe2, 0x82, 0xac, 0x41]), Uint8Array.of())]), "ok");
  withPayload("payload-custom-name-4byte-across-read", Uint8Array.from([...tiny, ...customSection(straddle([0x61, 0xf0, 0x9f, 0x98, 0x80]), Uint8Array.of())]), "ok");
  withPayload("payload-custom-name-cut-at-end", Uint8Array.from([...tiny, ...customSection(straddle([0xe2, 0x82]), Uint8Array.of())]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-custom-name-bad-continuation-across-read", Uint8Array.from([...tiny, ...customSection(straddle([0xe2, 0x82, 0x41]), Uint8Array.of())]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-custom-name-surrogate-across-read", Uint8Array.from([...tiny, ...customSection(straddle([0xed, 0xa0, 0x80]), Uint8Array.of())]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-custom-name-not-utf8", Uint8Array.from([...tiny, ...customSection(Uint8Array.of(0xc0, 0x80), Uint8Array.of())]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-abi-trailing-byte", Uint8Array.from([...withoutAbi(tiny), ...customSection("fwx.abi", Uint8Array.from([...encodeAbiSection(interfaces), 0]))]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-section-past-end", Uint8Array.from([...tiny, 0x01, 0x05, 0x00]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-empty-custom-section", Uint8Array.from([...tiny, 0x00, 0x00]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-not-wasm", Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-short", Uint8Array.of(0x00, 0x61, 0x73), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-leb-overlong", Uint8Array.from([...tiny, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-leb-padded", Uint8Array.from([...tiny, 0x0b, 0x80, 0x80, 0x80, 0x80, 0x00]), "ok");
  // Longer than the C side's read chunks: hashed, walked and compared piece by piece.
  const blob = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
  const longName = (last: string) => "n".repeat(99) + last;
  withPayload("payload-5000-byte-section", Uint8Array.from([...tiny, ...customSection("blob", blob)]), "ok");
  withPayload("payload-long-names-differ-in-last-byte", Uint8Array.from([...tiny, ...customSection(longName("a"), blob.subarray(0, 10)), ...customSection(longName("b"), blob.subarray(0, 10))]), "ok");
  withPayload("payload-long-name-twice", Uint8Array.from([...tiny, ...customSection(longName("a"), blob.subarray(0, 10)), ...customSection(longName("a"), blob.subarray(0, 20))]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-long-name-invalid-utf8-at-end", Uint8Array.from([...tiny, ...customSection(Uint8Array.from([...Buffer.from("n".repeat(40)), 0xe2, 0x82]), Uint8Array.of())]), "FWX_PKG_E_PAYLOAD");
  withPayload("payload-utf8-split-across-chunks", Uint8Array.from([...tiny, ...customSection(Uint8Array.from([...Buffer.from("n".repeat(31)), 0xe2, 0x82, 0xac]), Uint8Array.of())]), "ok");
  const many = [...tiny];
  for (let i = 0; i < 13; i++) many.push(...customSection(`s${i}`, Uint8Array.of()));
  withPayload("payload-16-custom-sections", Uint8Array.from(many), "ok");
  {
    const payload = Uint8Array.from([...tiny, ...customSection("blob", blob)]);
    const fx = makeFixture({ payload, manifest: { payload: { sha256: sha256(payload), fuelInstrumented: true } } });
    const c = deviceCtx(fx);
    setCtx(c);
    const big = pack(fx);
    accept("big-payload", big, c);
    const bad = Uint8Array.from(big);
    bad[splitPackage(big).layout.payload[1] - 1]! ^= 0x01;
    expectCode("big-payload-last-byte-flipped", bad, c, "FWX_PKG_E_HASH");
  }
  for (const [label, fx, want, dev] of pkgs) {
    const c = deviceCtx(fx, {}, dev ?? {});
    setCtx(c);
    expectCode(label, pack(fx), c, want);
  }

  // Revocation: the kept list is a signed file the C side locates entries in.
  const other = Uint8Array.from({ length: 32 }, (_, i) => i);
  const lists: [string, RevocationList, keyof typeof PKG_ERRORS | "ok"][] = [
    ["revoked-certificate", { serial: 3, issuedAt: T0 / 1000, certificates: [other, certificateDigest(splitPackage(good).certificate.body)], integratorKeys: [] }, "FWX_PKG_E_REVOKED"],
    ["revoked-key", { serial: 4, issuedAt: T0 / 1000, certificates: [other], integratorKeys: [other, f.integratorPub] }, "FWX_PKG_E_REVOKED"],
    ["revocations-unrelated", { serial: 5, issuedAt: T0 / 1000, certificates: [other], integratorKeys: [other] }, "ok"],
    ["revocations-empty", { serial: 1, issuedAt: 0, certificates: [], integratorKeys: [] }, "ok"],
  ];
  for (const [label, list, want] of lists) {
    const file = signRevocationList(list, f.rootKey);
    const c = deviceCtx(f, { revoked: verifyRevocationList(file, f.rootPub) });
    setCtx(c, file);
    expectCode(label, good, c, want);
    rl(label, file, f.rootPub);
  }
  // Revocation list files themselves: damaged, and damaged then signed again.
  const listFile = signRevocationList(lists[1]![1], f.rootKey);
  for (let pos = 0; pos < listFile.length; pos++) {
    const bad = Uint8Array.from(listFile);
    bad[pos]! ^= 1 << rnd(8);
    rl(`rl-flip-${pos}`, bad, f.rootPub);
  }
  const body = encodeCbor(new Map<number, CborValue>([[1, 4], [2, T0 / 1000], [3, [other]], [4, [other, f.integratorPub]]]));
  for (let pos = 0; pos < body.length; pos++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Uint8Array.from(body);
      bad[pos]! ^= 1 << bit;
      rl(`rl-resigned-bit-${pos * 8 + bit}`, sealEnvelope(bad, f.rootKey, "revocations"), f.rootPub);
    }
  }
}

type CborMap = Map<number, CborValue>;
const big = (n: number, f: (i: number) => CborValue) => Array.from({ length: n }, (_, i) => f(i));

/** Documents built field by field (each correctly signed), at and around every limit the decoders enforce. */
function craftedDocuments(f: Fixture, ctx: VerifyContext): void {
  const manifest = () => decodeCbor(encodeManifest(f.manifest)) as CborMap;
  const caps = (m: CborMap) => m.get(6) as CborMap;
  const config = (m: CborMap) => m.get(8) as CborValue[];
  const setCaps = (k: number, v: CborValue | undefined) => (m: CborMap) => { if (v === undefined) caps(m).delete(k); else caps(m).set(k, v); };
  // The flat schema of format 2: name, shape (n | code << 2), then n values.
  const items = (...more: CborValue[]) => (m: CborMap) => { m.set(8, [...config(m), ...more]); };
  const setting = (name: CborValue, code: number, ...values: CborValue[]) => items(name, values.length | (code << 2), ...values);
  const edits: [string, (m: CborMap) => void][] = [
    ["id-one-char", (m) => m.set(1, "a")],
    ["id-digit-first", (m) => m.set(1, "0com.acme.x")],
    ["id-dash-first", (m) => m.set(1, "-com.acme.x")],
    ["id-upper", (m) => m.set(1, "com.acme.X")],
    ["id-64", (m) => m.set(1, "com.acme." + "x".repeat(55))],
    ["id-65", (m) => m.set(1, "com.acme." + "x".repeat(56))],
    ["id-space", (m) => m.set(1, "com.acme.a b")],
    ["id-underscore", (m) => m.set(1, "com.acme.a_b")],
    ["id-non-ascii", (m) => m.set(1, "com.acme.\u00e9")],
    ["id-empty", (m) => m.set(1, "")],
    ["id-bytes", (m) => m.set(1, Buffer.from("com.acme.x"))],
    ...["1.0", "01.0.0", "1.00.0", "1.0.00", "1.0.0-", "1.0.0+", "1.0.0-a.b-c+d.e-f", "1.0.0-+b", "1.0.0+b-c", "1.0.0+b+c", "1.0.0-\u00e9",
      "0.0.0", "10.20.30", "1.0.0 ", "v1.0.0", "1.0.0-01", "1.0.0--", "1.0.0-.", "1..0", "1.0.0.0", "9".repeat(60) + ".0.0", "9".repeat(63) + ".0"]
      .map((v): [string, (m: CborMap) => void] => [`version-${Buffer.from(v).toString("hex").slice(0, 40)}`, (m) => m.set(2, v)]),
    ["sequence-0", (m) => m.set(3, 0)],
    ["sequence-negative", (m) => m.set(3, -1)],
    ["sequence-float", (m) => m.set(3, 7.5)],
    ["sequence-max", (m) => m.set(3, Number.MAX_SAFE_INTEGER)],
    ["class-2", (m) => m.set(4, 2)],
    ["class-bool", (m) => m.set(4, false)],
    // Format 2: flat [number, major, minor] triples (core 0, timer 1, sensor 2, gpio 3, ..., kv 9, telemetry 10), in name order.
    ["interfaces-unsorted", (m) => m.set(5, [3, 1, 0, 0, 1, 0, 2, 1, 0])],
    ["interfaces-duplicate", (m) => m.set(5, [0, 1, 0, 0, 1, 0, 3, 1, 0, 2, 1, 0])],
    ["interfaces-name-order-not-number-order", (m) => m.set(5, [0, 1, 0, 10, 1, 0, 1, 1, 0])],
    ["interfaces-number-order-not-name-order", (m) => m.set(5, [0, 1, 0, 1, 1, 0, 10, 1, 0])],
    ["interface-number-10", (m) => m.set(5, [10, 1, 0])],
    ["interface-number-11", (m) => m.set(5, [11, 1, 0])],
    ["interface-number-text", (m) => m.set(5, ["core", 1, 0])],
    ["interface-nested", (m) => m.set(5, [[0, 1, 0]])],
    ["interface-major-65535", (m) => m.set(5, [0, 65535, 0])],
    ["interface-major-65536", (m) => m.set(5, [0, 65536, 0])],
    ["interface-minor-65536", (m) => m.set(5, [0, 1, 65536])],
    ["interface-two-items", (m) => m.set(5, [0, 1])],
    ["interface-four-items", (m) => m.set(5, [0, 1, 0, 0])],
    ["interfaces-192-items", (m) => m.set(5, big(64, () => [0, 1, 0]).flat())],
    ["interfaces-195-items", (m) => m.set(5, big(65, () => [0, 1, 0]).flat())],
    ["interfaces-empty", (m) => m.set(5, [])],
    ["caps-empty", (m) => m.set(6, new Map())],
    ["caps-timers-64", setCaps(1, 64)],
    ["caps-timers-65", setCaps(1, 65)],
    ["caps-kv-max", setCaps(10, 0xffffffff)],
    ["caps-kv-over", setCaps(10, 0x100000000)],
    ["caps-gpio-mask-0", setCaps(3, [[5, 0]])],
    ["caps-gpio-mask-31", setCaps(3, [[5, 31]])],
    ["caps-gpio-mask-32", setCaps(3, [[5, 32]])],
    ["caps-gpio-pin-max", setCaps(3, [[0xffffffff, 8]])],
    ["caps-gpio-pin-over", setCaps(3, [[0x100000000, 8]])],
    ["caps-gpio-triple", setCaps(3, [[5, 8, 0]])],
    ["caps-i2c-127", setCaps(6, [[0, 127]])],
    ["caps-i2c-128", setCaps(6, [[0, 128]])],
    ["caps-spi", setCaps(7, [[1, 2]])],
    ["caps-uart", setCaps(8, [3])],
    ["caps-pwm", setCaps(5, [0])],
    ["caps-sensor-empty", setCaps(2, [""])],
    ["caps-sensor-64", setCaps(2, ["s".repeat(64)])],
    ["caps-sensor-65", setCaps(2, ["s".repeat(65)])],
    ...["a#/#", "acme/#/b", "+", "acme/+", "acme/\u0000", "#", "acme/#", "", "#/#", "acme#", "/#", "a".repeat(64), "a".repeat(65), "acme/temp"]
      .map((t): [string, (m: CborMap) => void] => [`caps-telemetry-${Buffer.from(t).toString("hex").slice(0, 30)}`, setCaps(9, [t])]),
    ["caps-adc-1024", setCaps(4, big(1024, () => 0))],
    ["caps-adc-1025", setCaps(4, big(1025, () => 0))],
    ["caps-unknown-key", setCaps(11, 1)],
    ["caps-key-0", setCaps(0, 1)],
    ["caps-not-map", (m) => m.set(6, [])],
    ["budgets-ram-max", (m) => m.set(7, new Map([[1, 0xffffffff], [2, 1]]))],
    ["budgets-ram-over", (m) => m.set(7, new Map([[1, 0x100000000], [2, 1]]))],
    ["budgets-fuel-max", (m) => m.set(7, new Map([[1, 0], [2, Number.MAX_SAFE_INTEGER]]))],
    ["budgets-no-fuel", (m) => m.set(7, new Map([[1, 0]]))],
    ["budgets-extra-key", (m) => m.set(7, new Map([[1, 0], [2, 1], [3, 1]]))],
    ["config-absent", (m) => m.delete(8)],
    ["config-empty", (m) => m.set(8, [])],
    ["config-default-below-min", setting("z", 0, 5, 10)],
    ["config-default-above-max", setting("z", 1, 10.5, null, 10.25)],
    ["config-default-at-bounds", setting("z", 1, 10.25, 10.25, 10.25)],
    ["config-min-above-max", setting("z", 0, null, 5, 4)],
    ["config-trailing-null", setting("z", 0, null)],
    ["config-inner-nulls", setting("z", 0, null, null, 5)],
    ["config-one-item", items("z")],
    ["config-extra-value", items("z", 3, 1, 0, 2, 3)],
    ["config-shape-past-end", items("z", 2, 1)],
    ["config-code-6", items("z", 6 << 2)],
    ["config-shape-24", items("z", 24)],
    ["config-shape-text", items("z", "1")],
    ["config-name-not-text", items(1, 0)],
    ["config-tenths", setting("z", 4, 15, -5, 25)],
    ["config-tenths-negative", setting("z", 4, -15, -25, null)],
    ["config-tenths-all-tens", setting("z", 4, 10, 0, 20)],
    ["config-tenths-float", setting("z", 4, 1.5)],
    ["config-tenths-only-null", setting("z", 4, null, 5)],
    ["config-tenths-empty", setting("z", 4)],
    ["config-tenths-text", setting("z", 4, "1")],
    ["config-tenths-below-min", setting("z", 4, 14, 15)],
    ["config-tenths-max-neg", setting("z", 4, null, -(2 ** 53 - 1), -1)],
    ["config-hundredths", setting("z", 5, 1, 0, 101)],
    ["config-tenths-2p50", setting("z", 4, 2 ** 50 - 9, -(2 ** 50), 2 ** 50)],
    ["config-tenths-2p50-plus-1", setting("z", 4, null, null, 2 ** 50 + 1)],
    ["config-tenths-minus-2p50-minus-1", setting("z", 4, -(2 ** 50) - 1)],
    ["config-tenths-adjacent-huge", setting("z", 4, 2 ** 50 - 1, 2 ** 50)],
    ["config-hundredths-tens", setting("z", 5, 10, 0, 100)],
    ["config-hundredths-order-bad", setting("z", 5, 1, 3, 2)],
    ["config-string-bounds", setting("z", 3, "a", 1)],
    ["config-boolean-bounds", setting("z", 2, null, 0)],
    ["config-string-256", setting("z", 3, "s".repeat(256))],
    ["config-string-257", setting("z", 3, "s".repeat(257))],
    ["config-integer-float-default", setting("z", 0, 1.5)],
    ["config-integer-float-bounds", setting("z", 0, 2, 1.5, 2.5)],
    ["config-boolean-int-default", setting("z", 2, 0)],
    ["config-number-text-default", setting("z", 1, "1")],
    ["config-bound-text", setting("z", 1, null, "0")],
    ["config-negative-bounds", setting("z", 0, -(2 ** 53 - 1), -(2 ** 53 - 1), -1)],
    ["config-float-order", setting("z", 1, -0.75, -1.5, -0.5)],
    ["config-float-order-bad", setting("z", 1, -0.25, -1.5, -0.5)],
    ["config-duplicate-name", setting("label", 3)],
    ["config-name-64", setting("n".repeat(64), 2)],
    ["config-name-65", setting("n".repeat(65), 2)],
    ["config-name-empty", setting("", 2)],
    ["config-64", (m) => m.set(8, big(64, (i) => [`n${i}`, 2 << 2]).flat())],
    ["config-65", (m) => m.set(8, big(65, (i) => [`n${i}`, 2 << 2]).flat())],
    ["config-320-items", (m) => m.set(8, big(64, (i) => [`n${i}`, 3 | (1 << 2), 1, 0, 2]).flat().slice(0, 320))],
    ["sha-31", (m) => m.set(9, new Uint8Array(31))],
    ["fuel-flag-int", (m) => m.set(10, 1)],
    ["fuel-flag-null", (m) => m.set(10, null)],
    // Key 11 (build provenance) was format 1's; format 2 refuses it like any unknown key.
    ["manifest-key-11-build", (m) => m.set(11, new Map([[1, "0.1.0"]]))],
    ["manifest-key-12", (m) => m.set(12, 1)],
    ["manifest-key-0", (m) => m.set(0, 1)],
    ["manifest-no-id", (m) => m.delete(1)],
  ];
  for (const [label, edit] of edits) {
    const m = manifest();
    edit(m);
    pkg(`crafted-manifest-${label}`, assemblePackage(encodeCbor(m), f.payload, f.certBytes, f.integratorKey), ctx);
  }
  pkg("crafted-manifest-not-a-map", assemblePackage(encodeCbor([1, 2]), f.payload, f.certBytes, f.integratorKey), ctx);

  const body = () => decodeCbor(encodeCertificateBody(f.cert)) as CborMap;
  const certEdits: [string, (b: CborMap) => void][] = [
    ["id-64", (b) => b.set(1, "i".repeat(64))],
    ["id-65", (b) => b.set(1, "i".repeat(65))],
    ["id-empty", (b) => b.set(1, "")],
    ["key-31", (b) => b.set(2, new Uint8Array(31))],
    ["key-zero", (b) => b.set(2, new Uint8Array(32))],
    ["prefix-65", (b) => b.set(3, "com.acme." + "p".repeat(56))],
    ["caps-bad", (b) => b.set(4, new Map([[1, 65]]))],
    ["customers-empty", (b) => b.set(5, [])],
    ["customers-star-first", (b) => b.set(5, ["*abc", "customer-a"])],
    ["customers-space", (b) => b.set(5, ["a b"])],
    ["customers-slash", (b) => b.set(5, ["customer-a", "a/b"])],
    ["customers-dot-first", (b) => b.set(5, [".customer-a"])],
    ["customers-256", (b) => b.set(5, big(256, (i) => (i === 255 ? "customer-a" : `c${i}`)))],
    ["customers-257", (b) => b.set(5, big(257, (i) => `c${i}`))],
    ["customers-name-64", (b) => b.set(5, ["c".repeat(64), "customer-a"])],
    ["customers-name-65", (b) => b.set(5, ["c".repeat(65), "customer-a"])],
    ["groups-empty", (b) => b.set(6, [])],
    ["groups-star", (b) => b.set(6, ["*"])],
    ["not-after-equal", (b) => b.set(8, b.get(7) as number)],
    ["not-after-before", (b) => b.set(8, (b.get(7) as number) - 1)],
    ["not-before-negative", (b) => b.set(7, -1)],
    ["validity-huge", (b) => { b.set(7, 0); b.set(8, Number.MAX_SAFE_INTEGER); }],
    ["key-9", (b) => b.set(9, 1)],
    ["no-prefix", (b) => b.delete(3)],
    ["no-groups", (b) => b.delete(6)],
  ];
  const manifestBytes = encodeManifest(f.manifest);
  for (const [label, edit] of certEdits) {
    const b = body();
    edit(b);
    pkg(`crafted-cert-${label}`, assemblePackage(manifestBytes, f.payload, sealEnvelope(encodeCbor(b), f.rootKey, "certificate"), f.integratorKey), ctx);
  }
  pkg("crafted-cert-not-a-map", assemblePackage(manifestBytes, f.payload, sealEnvelope(encodeCbor([1]), f.rootKey, "certificate"), f.integratorKey), ctx);
}

function withoutAbi(wasm: Uint8Array): Uint8Array {
  // tinyWasm puts fwx.abi right after the code section; drop it by rebuilding without it.
  const sections: number[][] = [];
  let pos = 8;
  const out = [...wasm.subarray(0, 8)];
  while (pos < wasm.length) {
    const start = pos;
    const id = wasm[pos++]!;
    let size = 0, shift = 0, b: number;
    do { b = wasm[pos++]!; size |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    const end = pos + size;
    const isAbi = id === 0 && Buffer.from(wasm.subarray(pos + 1, pos + 1 + wasm[pos]!)).toString() === "fwx.abi";
    if (!isAbi) sections.push([...wasm.subarray(start, end)]);
    pos = end;
  }
  for (const s of sections) out.push(...s);
  return Uint8Array.from(out);
}

function rl(label: string, file: Uint8Array, root: Uint8Array): void {
  try {
    const l = verifyRevocationList(file, root);
    out.push(`rl ${label} 1 ${l.serial} ${l.certificates.length} ${l.integratorKeys.length} ${hex(file)}`);
  } catch {
    out.push(`rl ${label} 0 - - - ${hex(file)}`);
  }
}

function others(): void {
  // The test vector of docs/package-format.md with the device the document describes.
  const blink = buildVector();
  setCtx(blinkDevice);
  accept("blink", blink, blinkDevice);
  flipsAndTruncs("blink", blink, blinkDevice);
  // A gateway package: the other side of the metering rule.
  const payload = tinyWasm(interfaces, false);
  const f = makeFixture({ payload, manifest: { deviceClass: "gateway", payload: { sha256: sha256(payload), fuelInstrumented: false } } });
  const ctx = deviceCtx(f, {}, { deviceClass: "gateway" });
  setCtx(ctx);
  const good = pack(f);
  accept("gateway", good, ctx);
  flipsAndTruncs("gateway", good, ctx);
}

function cborRegions(): void {
  const verdict = (b: Uint8Array) => {
    try {
      decodeCbor(b);
      return 1;
    } catch {
      return 0;
    }
  };
  const fixed = [
    "00", "17", "1817", "1818", "190017", "1900ff", "190100", "1a0000ffff", "1a00010000", "1b00000000ffffffff", "1b0000000100000000",
    "1b001fffffffffffff", "1b0020000000000000", "3b001ffffffffffffe", "3b001fffffffffffff", "20", "37", "3817", "3818",
    "40", "4100", "5800", "5817", "5818" + "00".repeat(24), "60", "6161", "62c280", "62c080", "63eda080", "63ed9fbf", "64f4908080", "64f48fbfbf", "63efbbbf", "61ff", "61", "62c2",
    "80", "8100", "820000", "8201", "9f00ff", "a0", "a10000", "a1000000", "a200000000", "a201000000", "a200000100", "a1200000", "a1180000", "a16100",
    "c000", "f4", "f5", "f6", "f7", "f0", "f3", "f818", "f93c00", "fa3f800000", "fb3ff8000000000000", "fb3ff0000000000000", "fb0000000000000000", "fb8000000000000000",
    "fb0000000000000001", "fb7ff0000000000000", "fff8000000000000000", "fb7ff8000000000000", "fb4330000000000000", "fb432fffffffffffff", "fbc32fffffffffffff", "fbbfe0000000000000",
    "1c", "1d", "1e", "1f", "5f", "7f", "9f", "bf", "0000", "",
  ];
  for (const h of fixed) out.push(`cbor ${verdict(Buffer.from(h, "hex"))} ${h || "-"}`);
  // Nesting: an array at depth 16 must be empty.
  for (const depth of [15, 16, 17]) {
    for (const inner of ["80", "8100", "a0", "a10000"]) {
      const h = "81".repeat(depth) + inner;
      out.push(`cbor ${verdict(Buffer.from(h, "hex"))} ${h}`);
    }
    const maps = "a100".repeat(depth) + "80";
    out.push(`cbor ${verdict(Buffer.from(maps, "hex"))} ${maps}`);
  }
  // Random damage to real documents.
  const f = makeFixture();
  const docs = [encodeManifest(f.manifest), encodeCertificateBody(f.cert), encodeCbor(encodeCapabilities(boardLike))];
  for (const doc of docs) {
    for (let i = 0; i < 1500; i++) {
      const bad = Uint8Array.from(doc);
      for (let e = 1 + rnd(2); e > 0; e--) bad[rnd(bad.length)] = someByte();
      const cut = rnd(10) === 0 ? bad.subarray(0, rnd(bad.length)) : bad;
      out.push(`cbor ${verdict(cut)} ${hex(cut)}`);
    }
  }
}
const boardLike: Capabilities = { timers: 8, sensors: ["t"], gpio: [{ pin: 5, modes: ["output", "input"] }], adc: [0, 1], i2c: [{ bus: 0, address: 0x48 }], spi: [{ bus: 1, cs: 2 }], uart: [3], telemetry: ["#"], kv: 1 };

const file = process.argv[2];
if (!file) throw new Error("usage: corpus.ts <out-file>");
cborRegions();
scenarios();
others();
writeFileSync(file, out.join("\n") + "\n");
console.log(`wrote ${out.length} corpus lines to ${file}`);
