// fwx-device reads its key files in the forms `fwx agent` takes
// (parsePublicKey, parsePrivateKey: src/pkg/keys.ts) and refuses any other
// at start-up, naming the flag, the file and what is wrong. One PEM decoder
// serves --root and --device-key (firmware/ports/posix/fwx_posix_pem.c).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair, privateKeyPem, publicKeyPem } from "../../src/pkg/keys.js";
import { buildTestDevice, root } from "./device-fixtures.js";

let exe = "";
let dir = "";
const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END ${label}-----\n`;
// RFC 8410 prefixes: an X25519 key is the same shape as an Ed25519 one under another OID.
const X25519_SPKI = Buffer.from("302a300506032b656e032100", "hex");
const X25519_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");

beforeAll(() => {
  exe = buildTestDevice(join(root, "tests/c/build", "fwx-device-fake"));
  dir = mkdtempSync(join(tmpdir(), "fwx-key-files-"));
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the device with these key files; it stops at the first file it refuses. */
function start(files: { root: string | Buffer; deviceKey?: string }): { status: number | null; stderr: string } {
  const rootFile = join(dir, "root.pub");
  writeFileSync(rootFile, files.root);
  const keyFile = join(dir, "device.key");
  if (files.deviceKey !== undefined) writeFileSync(keyFile, files.deviceKey);
  else rmSync(keyFile, { force: true });
  const r = spawnSync(exe, ["--device-id", "d1", "--state-dir", join(dir, "state"), "--root", rootFile, "--customer", "c", "--group", "g",
    "--device-key", keyFile, "--device-cert", join(dir, "missing.cert"), "--broker", "mqtt://127.0.0.1:1"], { encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stderr: r.stderr.replaceAll(dir, "<dir>") };
}

describe("fwx-device --root", () => {
  const { publicKey } = generateKeyPair();
  it.each([
    ["PEM", publicKeyPem(publicKey)],
    ["64 hex digits and a newline", `${Buffer.from(publicKey).toString("hex")}\n`],
    ["32 raw bytes", Buffer.from(publicKey)],
  ])("takes the root key as %s (it goes on to the next file)", (_form, text) => {
    const r = start({ root: text });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("fwx-device: --device-key <dir>/device.key cannot be read\n");
  });
  it.each([
    ["an X25519 public key", pem("PUBLIC KEY", Buffer.concat([X25519_SPKI, randomBytes(32)])), "is not an Ed25519 public key"],
    ["a PEM body that is not base64", publicKeyPem(publicKey).replace(/\n(.)/, "\n!$1"), "is not an Ed25519 public key"],
    ["an Ed25519 key with bytes after it", pem("PUBLIC KEY", Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(publicKey), Buffer.of(0)])), "is not an Ed25519 public key"],
    ["a private key", privateKeyPem(generateKeyPair().privateKey), "is a private key; give the .pub file"],
    ["66 hex digits (33 bytes)", `${Buffer.from(publicKey).toString("hex")}00\n`, "is not a public key (expected PEM, 64 hex digits or 32 raw bytes)"],
    ["62 hex digits", Buffer.from(publicKey).toString("hex").slice(2), "is not a public key (expected PEM, 64 hex digits or 32 raw bytes)"],
  ])("refuses %s, naming the flag and the file", (_what, text, why) => {
    const r = start({ root: text });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`fwx-device: --root <dir>/root.pub ${why}\n`);
  });
});

describe("fwx-device --device-key", () => {
  const rootPem = publicKeyPem(generateKeyPair().publicKey);
  it("takes the PKCS#8 PEM fwx keys gen writes (it goes on to the certificate)", () => {
    const r = start({ root: rootPem, deviceKey: privateKeyPem(generateKeyPair().privateKey) });
    expect(r.stderr).toBe("fwx-device: --device-cert <dir>/missing.cert cannot be read\n");
  });
  it.each([
    ["an X25519 private key", pem("PRIVATE KEY", Buffer.concat([X25519_PKCS8, randomBytes(32)])), "is not an Ed25519 private key"],
    ["a public key", rootPem, "is not a PEM private key (fwx keys gen)"],
    ["a PEM body with a character that is not base64", privateKeyPem(generateKeyPair().privateKey).replace(/\n(.)/, "\n*$1"), "is not a PEM private key (fwx keys gen)"],
  ])("refuses %s, naming the flag and the file", (_what, text, why) => {
    const r = start({ root: rootPem, deviceKey: text });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`fwx-device: --device-key <dir>/device.key ${why}\n`);
  });
});
