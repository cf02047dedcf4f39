// `fwx run` with signed .fwx packages: verified against a product root key
// (--root), run unverified with a warning (no --root), refused when the
// signature chain does not lead to the given root, and the manifest's budgets
// and configuration reaching the running module.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { command } from "../../src/commands/run.js";
import { ANY } from "../../src/pkg/certificate.js";
import { publicKeyPem } from "../../src/pkg/keys.js";
import type { Manifest } from "../../src/pkg/manifest.js";
import { appendCustomSection } from "../../src/wasm/reader.js";
import { encodeAbiSection } from "../../src/wasm/abi-section.js";
import { hostile, tickerModule } from "../fixtures/hostile/modules.js";
import { makeFixture, pack, seededKey } from "../pkg/fixtures.js";
import { createHash } from "node:crypto";

const dir = mkdtempSync(join(tmpdir(), "fwx-run-pkg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const DAY = 86400;
const interfaces = [{ name: "core", major: 1, minor: 0 }, { name: "timer", major: 1, minor: 0 }];

/** A gateway package (uninstrumented payload: the agent meters it itself) signed by the fixture's integrator under root key 1. */
function gatewayPackage(payloadModule: Uint8Array, manifest: Partial<Manifest> = {}, scope: { customers?: string[]; groups?: string[] } = {}): { pkg: Uint8Array; rootPem: string; payload: Uint8Array } {
  const payload = appendCustomSection(payloadModule, "fwx.abi", encodeAbiSection(interfaces));
  // Valid around the wall clock: `fwx run` verifies against the machine's time.
  const now = Math.floor(Date.now() / 1000);
  const f = makeFixture({
    cert: { customers: [ANY], groups: [ANY], capabilities: { timers: 4, telemetry: ["acme/#"] }, modulePrefix: "com.acme.", notBefore: now - DAY, notAfter: now + 30 * DAY, ...scope },
    payload,
    manifest: {
      id: "com.acme.ticker", deviceClass: "gateway", interfaces, capabilities: { timers: 1 }, config: [],
      payload: { sha256: new Uint8Array(createHash("sha256").update(payload).digest()), fuelInstrumented: false },
      ...manifest,
    },
  });
  return { pkg: pack(f), rootPem: publicKeyPem(f.rootPub), payload };
}

function file(name: string, content: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; });
  const code = await command.run(args);
  vi.restoreAllMocks();
  return { code, out: out.join(""), err: err.join("") };
}

const events = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l) as { module: string; kind: string; message?: string; reason?: string; tUs: string | number });

describe("fwx run with a .fwx package", () => {
  it("with --root: verifies the chain, then runs the payload under the manifest's id", async () => {
    const { pkg, rootPem } = gatewayPackage(tickerModule(1000, "tick"));
    const r = await run([file("ticker.fwx", pkg), "--root", file("root.pub", rootPem), "--duration", "3500ms", "--json"]);
    expect(r.err).not.toContain("NOT verified");
    expect(r.code).toBe(0);
    const ticks = events(r.out).filter((e) => e.module === "com.acme.ticker" && e.kind === "log");
    expect(ticks.map((e) => e.message)).toEqual(["tick", "tick", "tick"]);
  });

  it("with --root: a package certified for named customers runs (the simulated device is in its scope)", async () => {
    // An integrator's certificate names its customers; the simulator is none of them unless told.
    const { pkg, rootPem } = gatewayPackage(tickerModule(1000, "tick"), {}, { customers: ["acme-foods"], groups: ["cold-store-3"] });
    const r = await run([file("scoped.fwx", pkg), "--root", file("root-s.pub", rootPem), "--duration", "1500ms", "--json"]);
    expect(r.err).not.toMatch(/refused|NOT verified/);
    expect(r.code).toBe(0);
    expect(events(r.out).filter((e) => e.kind === "log").map((e) => e.message)).toEqual(["tick"]);
    // --customer/--group name the device to check the scope for, as `fwx verify` does.
    const inScope = await run([file("scoped.fwx", pkg), "--root", file("root-s.pub", rootPem), "--customer", "acme-foods", "--group", "cold-store-3", "--duration", "1500ms", "--json"]);
    expect(inScope.code, inScope.err).toBe(0);
    const other = await run([file("scoped.fwx", pkg), "--root", file("root-s.pub", rootPem), "--customer", "plant-b", "--duration", "1500ms", "--json"]);
    expect(other.code).toBe(2);
    expect(other.err).toContain('FWX_PKG_E_SCOPE_CUSTOMER: certificate of "acme" covers customers [acme-foods], not "plant-b"');
    expect(other.out).toBe("");
    // Without --root nothing is verified, so a scope would be ignored: refused instead.
    await expect(run([file("scoped.fwx", pkg), "--customer", "plant-b", "--duration", "1500ms", "--json"])).rejects.toThrow("run: --customer needs --root");
  });

  it("without --root: runs, and says the signature was not verified", async () => {
    const { pkg } = gatewayPackage(tickerModule(1000, "tock"));
    const r = await run([file("unverified.fwx", pkg), "--duration", "1500ms", "--json"]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/unverified\.fwx: signature NOT verified \(pass --root/);
    expect(events(r.out).filter((e) => e.kind === "log").map((e) => e.message)).toEqual(["tock"]);
  });

  it("with the wrong --root: refuses the package and names the failed check; nothing runs", async () => {
    const { pkg } = gatewayPackage(tickerModule());
    const other = publicKeyPem(seededKey(9).publicKey);
    const r = await run([file("foreign.fwx", pkg), "--root", file("other.pub", other), "--duration", "2s", "--json"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refused \(package\)/);
    expect(r.err).toMatch(/foreign\.fwx: FWX_PKG_E_CERT_SIG: the integrator certificate \(byte \d+\) is not signed by this product root key/);
    expect(r.out).toBe("");
  });

  it("with --root: a payload changed after signing is refused", async () => {
    const { pkg, rootPem, payload } = gatewayPackage(tickerModule());
    const at = Buffer.from(pkg).indexOf(Buffer.from(payload));
    expect(at).toBeGreaterThan(0);
    const tampered = pkg.slice();
    tampered[at + payload.length - 1]! ^= 0x01; // last byte of the fwx.abi section
    const r = await run([file("tampered.fwx", tampered), "--root", file("root2.pub", rootPem), "--json"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/tampered\.fwx: FWX_PKG_E_/);
    expect(r.out).toBe("");
  });

  it("the manifest's fuel budget applies to the payload's callbacks", async () => {
    const { pkg, rootPem } = gatewayPackage(hostile.infiniteLoop(), { budgets: { ramBytes: 65536, fuelPerCallback: 5000 } });
    const r = await run([file("spin.fwx", pkg), "--root", file("root3.pub", rootPem), "--duration", "1s", "--json"]);
    expect(r.code).toBe(3);
    const fault = events(r.out).find((e) => e.kind === "fault");
    expect(fault?.reason).toBe("fuel-exhausted");
    expect(fault?.module).toBe("com.acme.ticker");
    expect(JSON.stringify(fault)).toContain("of 5000");
  });
});

describe("fwx run options", () => {
  it("--fuel above what the i64 fuel counter holds is a usage error, not a run where every callback runs out", async () => {
    const wasm = file("tick.wasm", tickerModule());
    const err = await command.run([wasm, "--fuel", "9223372036854775808"]).then(() => null, (e: unknown) => e);
    expect((err as Error).message).toMatch(/--fuel 9223372036854775808: expected a positive integer up to 9223372036854775807/);
    const ok = await run([wasm, "--fuel", "9223372036854775807", "--duration", "1500ms", "--json", "--grant", "timers:1"]);
    expect(ok.code).toBe(0);
    expect(events(ok.out).filter((e) => e.kind === "log").map((e) => e.message)).toEqual(["tick"]);
  });

  it("--config is checked against the manifest's settings as a device checks `fwx config set`", async () => {
    const { pkg } = gatewayPackage(tickerModule(), { config: [{ name: "period_s", type: "integer", default: 10, min: 1, max: 3600 }] });
    const path = file("configured.fwx", pkg);
    const refused = async (setting: string) => (await command.run([path, "--config", setting, "--duration", "1s"]).then(() => null, (e: unknown) => e)) as Error;
    expect((await refused("period_s=5000000")).message).toMatch(/--config period_s=5000000: com\.acme\.ticker\.period_s: 5000000 is outside \[1, 3600\]/);
    expect((await refused("period_s=2.5")).message).toMatch(/expected an integer, got 2\.5/);
    expect((await refused("speed=3")).message).toMatch(/has no config field "speed" \(fields: period_s\)/);
    expect((await run([path, "--config", "period_s=60", "--duration", "1s", "--json"])).code).toBe(0);
  });
});
