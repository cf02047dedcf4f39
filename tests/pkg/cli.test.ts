// The five commands end to end, in-process, in a temporary directory.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { command as cert } from "../../src/commands/cert.js";
import { command as inspect } from "../../src/commands/inspect.js";
import { command as keys } from "../../src/commands/keys.js";
import { command as pack } from "../../src/commands/pack.js";
import { command as verify } from "../../src/commands/verify.js";
import { interfaces, tinyWasm } from "./fixtures.js";
import { MODULE_LIMITS } from "../../src/validate/limits.js";
import { requiredInterfaces } from "../../src/validate/validate.js";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { adaptForMcu } from "../../src/fuel/mcu.js";
import { ABI_SECTION_NAME, encodeAbiSection } from "../../src/wasm/abi-section.js";
import { appendCustomSection } from "../../src/wasm/reader.js";
import { misbehaveOnTimer } from "../fixtures/hostile/modules.js";

let dir: string;
const p = (name: string) => join(dir, name);

async function run(cmd: { run(argv: string[]): Promise<number> }, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    return { code: await cmd.run(argv), out: out.join("\n"), err: err.join("\n") };
  } catch (e) {
    if (e instanceof UsageError) return { code: e.exitCode, out: out.join("\n"), err: `fwx: ${e.message}` };
    throw e;
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const device = (extra: string[] = []) => ["--root", p("root.pub"), "--board", p("board.json"), "--customer", "plant-a", "--group", "line-1", ...extra];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fwx-pkg-cli-"));
  writeFileSync(p("caps.json"), JSON.stringify({ timers: 2, sensors: ["temperature"], gpio: [{ pin: 5, modes: ["output"] }], telemetry: ["acme/#"] }));
  writeFileSync(p("want.json"), JSON.stringify({ timers: 1, gpio: [{ pin: 5, modes: ["output"] }] }));
  writeFileSync(p("greedy.json"), JSON.stringify({ timers: 1, gpio: [{ pin: 6, modes: ["output"] }] }));
  writeFileSync(p("board.json"), JSON.stringify({ grantable: { timers: 8, sensors: ["temperature"], gpio: [{ pin: 5, modes: ["output"] }], telemetry: ["#"] }, deviceClass: "mcu" }));
  writeFileSync(p("module.wasm"), tinyWasm(interfaces, true));
  writeFileSync(p("plain.wasm"), tinyWasm(interfaces, false));
  expect((await run(keys, ["gen", "--out", p("root")])).code).toBe(0);
  expect((await run(keys, ["gen", "--out", p("acme")])).code).toBe(0);
  const issued = await run(cert, ["issue", "--root-key", p("root.key"), "--integrator-pub", p("acme.pub"), "--id", "acme", "--module-prefix", "com.acme.",
    "--caps", p("caps.json"), "--customers", "plant-a", "--groups", "line-1", "--valid-days", "30", "-o", p("acme.cert")]);
  expect(issued.code, issued.err).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fwx keys", () => {
  it("writes the private key with mode 0600, never prints it, and leaves no temporary files", async () => {
    expect(statSync(p("root.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(p("root.key"), "utf8")).toContain("PRIVATE KEY");
    const r = await run(keys, ["gen", "--out", p("other")]);
    expect(r.out).not.toContain("PRIVATE");
    expect(r.out).toMatch(/public\s+[0-9a-f]{64}/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses to overwrite an existing key without --force", async () => {
    const before = readFileSync(p("root.key"), "utf8");
    const r = await run(keys, ["gen", "--out", p("root")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/root\.key already exists/);
    expect(readFileSync(p("root.key"), "utf8")).toBe(before);
  });
});

describe("fwx pack / verify / inspect", () => {
  it("packs a .wasm byte for byte and a device in scope accepts it", async () => {
    const r = await run(pack, [p("module.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.probe", "--version", "1.0.0",
      "--caps", p("want.json"), "--seq", "5", "-o", p("probe.fwx")]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/target mcu \(fuel-instrumented\)/);
    const pkg = readFileSync(p("probe.fwx"));
    expect(pkg.includes(readFileSync(p("module.wasm")))).toBe(true);
    const ok = await run(verify, [p("probe.fwx"), ...device(["--installed-seq", "4"])]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/OK — com\.acme\.probe 1\.0\.0 \(sequence 5\)/);
  });

  it("verify exits 2 with the error code for another customer, an old sequence, and a revoked certificate", async () => {
    const other = await run(verify, [p("probe.fwx"), "--root", p("root.pub"), "--board", p("board.json"), "--customer", "plant-b", "--group", "line-1"]);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/FWX_PKG_E_SCOPE_CUSTOMER/);
    const replay = await run(verify, [p("probe.fwx"), ...device(["--installed-seq", "5"])]);
    expect(replay.err).toMatch(/FWX_PKG_E_ROLLBACK/);
    expect((await run(cert, ["revoke", "--root-key", p("root.key"), "--cert", p("acme.cert"), "-o", p("revoked.fwxrl")])).code).toBe(0);
    const revoked = await run(verify, [p("probe.fwx"), ...device(["--revocations", p("revoked.fwxrl"), "--json"])]);
    expect(revoked.code).toBe(2);
    expect(JSON.parse(revoked.out)).toMatchObject({ ok: false, code: "FWX_PKG_E_REVOKED", number: 14 });
  });

  it("refuses at pack time what a device would refuse: capabilities beyond the certificate, a foreign module id", async () => {
    const greedy = await run(pack, [p("module.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.probe", "--version", "1.0.0", "--caps", p("greedy.json"), "-o", p("greedy.fwx")]);
    expect(greedy.code).toBe(2);
    expect(greedy.err).toMatch(/gpio pin 6 mode output/);
    const foreign = await run(pack, [p("module.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.other.probe", "--version", "1.0.0", "-o", p("foreign.fwx")]);
    expect(foreign.err).toMatch(/outside the certificate's prefix "com\.acme\."/);
    const wrongKey = await run(pack, [p("module.wasm"), "--key", p("root.key"), "--cert", p("acme.cert"), "--id", "com.acme.probe", "--version", "1.0.0", "-o", p("w.fwx")]);
    expect(wrongKey.err).toMatch(/signing key does not belong to the certificate/);
    expect(() => statSync(p("greedy.fwx"))).toThrow();
  });

  it("a --cert that is not a certificate is named by its file, not by the module being packed", async () => {
    const r = await run(pack, [p("module.wasm"), "--key", p("acme.key"), "--cert", p("acme.key"), "--id", "com.acme.probe", "--version", "1.0.0", "-o", p("c.fwx")]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`fwx: ${p("acme.key")}: not a certificate: it is a PEM key (what --root and the --...-key options take)`);
  });

  it("a --caps file with a bad field names the file, then the field in it", async () => {
    writeFileSync(p("typo-caps.json"), JSON.stringify({ gpio: [{ pin: 5, modes: ["outptu"] }] }));
    const r = await run(pack, [p("module.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.probe", "--version", "1.0.0", "--caps", p("typo-caps.json"), "-o", p("t.fwx")]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`fwx: ${p("typo-caps.json")}: gpio[0].modes[0]: unknown mode "outptu" (known: input, input-pull-up, input-pull-down, output, output-open-drain)`);
  });

  it("a public key given as --key is refused as not a private key, not warned about as an exposed one", async () => {
    // run() keeps only the error's message when a command throws: the warnings printed before it are seen here.
    const warnings: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void warnings.push(a.join(" ")));
    let message = "";
    try {
      await pack.run([p("module.wasm"), "--key", p("acme.pub"), "--cert", p("acme.cert"), "--id", "com.acme.probe", "--version", "1.0.0", "-o", p("pub.fwx")]);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      message = (e as Error).message;
    } finally {
      spy.mockRestore();
    }
    expect(message).toBe(`${p("acme.pub")}: not a PEM private key (expected the .key file written by \`fwx keys gen\`)`);
    expect(warnings).toEqual([]);
  });

  it("packs an uninstrumented .wasm as it is for gateways, and instruments it with --target mcu", async () => {
    const mcu = await run(pack, [p("plain.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.plain", "--version", "0.1.0", "--target", "mcu", "-o", p("plain-mcu.fwx")]);
    expect(mcu.code, mcu.err).toBe(0);
    expect(mcu.out).toContain("target mcu (fuel-instrumented)");
    const mcuOnMcu = await run(verify, [p("plain-mcu.fwx"), ...device()]);
    expect(mcuOnMcu.code, mcuOnMcu.err).toBe(0);
    const gw = await run(pack, [p("plain.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.plain", "--version", "0.1.0", "-o", p("plain.fwx")]);
    expect(gw.code, gw.err).toBe(0);
    const onMcu = await run(verify, [p("plain.fwx"), ...device()]);
    expect(onMcu.err).toMatch(/FWX_PKG_E_DEVICE_CLASS/);
  });

  it("refuses an mcu payload past the mcu limits, naming the limit, and packs one at them", async () => {
    // The device form, as `fwx pack --target mcu` makes it: n values on the stack, kept through instrumentation.
    const max = MODULE_LIMITS.mcu.operandStack;
    const deviceForm = (n: number) => {
      const chain = [...new Array(n).fill([0x41, 0x01]).flat(), ...new Array(n - 1).fill(0x6a), 0x1a];
      const payload = adaptForMcu(instrumentFuel(misbehaveOnTimer(chain)).bytes).bytes;
      return appendCustomSection(payload, ABI_SECTION_NAME, encodeAbiSection(requiredInterfaces(payload)));
    };
    writeFileSync(p("deep.wasm"), deviceForm(max + 1));
    writeFileSync(p("at-limit.wasm"), deviceForm(max));
    const deep = await run(pack, [p("deep.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.deep", "--version", "1.0.0", "--target", "mcu", "-o", p("deep.fwx")]);
    expect(deep.code).toBe(2);
    expect(deep.err).toMatch(new RegExp(`past the mcu module limits.*function \\d+ "culprit", byte \\d+: operand stack \\(values\\): ${max + 1} exceeds the mcu limit of ${max}`));
    expect(() => statSync(p("deep.fwx"))).toThrow();
    const at = await run(pack, [p("at-limit.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.deep", "--version", "1.0.0", "--target", "mcu", "-o", p("at-limit.fwx")]);
    expect(at.code, at.err).toBe(0);
  });

  it("names problems in the .wasm as given: no issue about the fwx.abi section pack adds itself, no offset past the file's end", async () => {
    // fwx:core@1 log imported as (i32, i32) -> i32, and no fwx.abi section (as clang or rustc write it).
    const sig = (params: number, result: boolean) => [0x60, params, ...new Array(params).fill(0x7f), ...(result ? [0x01, 0x7f] : [0x00])];
    const section = (id: number, payload: number[]) => [id, payload.length, ...payload];
    const name = (s: string) => [s.length, ...Buffer.from(s)];
    const wasm = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, [0x02, ...sig(2, true), ...sig(0, true)]),
      ...section(2, [0x01, ...name("fwx:core@1"), ...name("log"), 0x00, 0x00]),
      ...section(3, [0x01, 0x01]),
      ...section(5, [0x01, 0x00, 0x01]),
      ...section(7, [0x02, ...name("fwx_init"), 0x00, 0x01, ...name("memory"), 0x02, 0x00]),
      ...section(10, [0x01, 0x04, 0x00, 0x41, 0x00, 0x0b]),
    ]);
    writeFileSync(p("wrong-sig.wasm"), wasm);
    const r = await run(pack, [p("wrong-sig.wasm"), "--key", p("acme.key"), "--cert", p("acme.cert"), "--id", "com.acme.sig", "--version", "1.0.0", "-o", p("sig.fwx")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/import 0 "fwx:core@1\.log"\): wrong signature/);
    expect(r.err).not.toMatch(/fwx\.abi section/);
    for (const m of r.err.matchAll(/at byte 0x([0-9a-f]+)/g)) expect(parseInt(m[1]!, 16)).toBeLessThan(wasm.length);
  });

  it("inspect shows manifest, chain and sizes, and names a damaged package's error", async () => {
    const r = await run(inspect, [p("probe.fwx")]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/module\s+com\.acme\.probe 1\.0\.0 \(sequence 5\)/);
    expect(r.out).toMatch(/integrator\s+acme/);
    expect(r.out).toMatch(/overhead \d+ bytes/);
    const json = JSON.parse((await run(inspect, [p("probe.fwx"), "--json"])).out);
    expect(json.manifest.interfaces).toEqual(interfaces);
    expect(json.sizes.payload).toBe(readFileSync(p("module.wasm")).length);
    writeFileSync(p("cut.fwx"), readFileSync(p("probe.fwx")).subarray(0, 100));
    const cut = await run(inspect, [p("cut.fwx")]);
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/FWX_PKG_E_TRUNCATED/);
  });

  it("packs a project directory: builds it and takes id, version, capabilities and config from fwx.json", async () => {
    const proj = p("proj");
    mkdirSync(join(proj, "assembly"), { recursive: true });
    writeFileSync(join(proj, "fwx.json"), JSON.stringify({
      id: "com.acme.tiny", version: "2.1.0", description: "test module", capabilities: { timers: 1 },
      config: { period_ms: { type: "integer", description: "period", default: 500, min: 10, max: 60000 } },
    }));
    writeFileSync(join(proj, "assembly", "index.ts"), "export function fwx_init(): i32 { return 0; }\n");
    const r = await run(pack, [proj, "--key", p("acme.key"), "--cert", p("acme.cert"), "--seq", "9", "--target", "mcu", "-o", p("tiny.fwx")]);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse((await run(inspect, [p("tiny.fwx"), "--json"])).out);
    expect(json.manifest).toMatchObject({ id: "com.acme.tiny", version: "2.1.0", sequence: 9, deviceClass: "mcu", capabilities: { timers: 1 } });
    expect(json.manifest.config).toEqual([{ name: "period_ms", type: "integer", default: 500, min: 10, max: 60000 }]);
    expect(json.manifest.payload.fuelInstrumented).toBe(true);
    expect(json.build.sourceHash).toMatch(/^[0-9a-f]{32}$/);
    expect((await run(verify, [p("tiny.fwx"), ...device()])).code).toBe(0);
  });
});
