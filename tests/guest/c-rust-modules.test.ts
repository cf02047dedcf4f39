// C and Rust modules as an integrator builds them (docs/modules-c-rust.md):
// the C and Rust ports of examples/cold-chain-alarm (examples/c/, examples/rust/), compiled with Debian's
// clang and rustc against the generated guest bindings (guest/), finished by
// `fwx build`, replayed against a recording of the AssemblyScript example
// (every host call and callback outcome must match), and shipped as signed
// `--target mcu` packages a device accepts. The compilers run as child
// processes and the fwx commands as runCli in this process
// (tests/support/cli-in-process.ts), each under a time limit, so a hang is a
// named failure.

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clangEnv, ensureClangWasm, ensureRustWasm } from "../../scripts/ensure-wasm-compilers.mjs";
import { tempDir } from "../ota/fixtures.js";
import { SECTION, walkSections } from "../../src/wasm/sections.js";
import { parseModule } from "../../src/wasm/reader.js";
import { runCliInProcess } from "../support/cli-in-process.js";

const root = join(import.meta.dirname, "../..");
const work = tempDir("guest-modules");
const w = (...p: string[]) => join(work.path, ...p);
afterAll(() => work.cleanup());

/** Runs a command; clang and make run with clangEnv() (no wasm-opt of clang's own), so modules are built by their flags alone. */
function run(cmd: string, args: string[], cwd = work.path, timeout = 120_000): { status: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, killSignal: "SIGKILL", env: clangEnv() });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}\n${r.stderr ?? ""}`);
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** `fwx <args>` from `cwd`. */
async function fwxIn(cwd: string, args: string[]): Promise<{ status: number; out: string; err: string }> {
  const r = await runCliInProcess(args, { cwd, timeoutMs: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
const fwx = (...args: string[]) => fwxIn(work.path, args);

const PORTS = [
  { lang: "c", make: () => ({ CC: ensureClangWasm(), FWX_GUEST: join(root, "guest", "c") }) },
  { lang: "rust", make: () => ({ RUSTC: ensureRustWasm(), FWX_GUEST: join(root, "guest", "rust", "fwx-guest") }) },
] as const;

beforeAll(async () => {
  // The AssemblyScript example's recording on its own 2-hour scenario: the door
  // opened briefly then left open (door alarm), a temperature alarm raised and cleared.
  const rec = await fwx("run", join(root, "examples", "cold-chain-alarm"), "--trace", join(root, "examples", "cold-chain-alarm", "trace.csv"), "--duration", "2h", "--record", w("as.fwxrec"));
  expect(rec.status, rec.err).toBe(0);
  for (const topic of ["cold-chain/alarm", "cold-chain/door", "cold-chain/reading"]) expect(rec.out).toContain(topic);
  // A second recording on the board's own trace, with every sample reported.
  const rec2 = await fwx("run", join(root, "examples", "cold-chain-alarm"), "--duration", "3h", "--config", "report_every=1", "--config", "threshold_c=4.5", "--record", w("as-board.fwxrec"));
  expect(rec2.status, rec2.err).toBe(0);

  mkdirSync(w("keys"));
  for (const name of ["root", "acme"]) expect((await fwx("keys", "gen", "--out", w("keys", name))).status).toBe(0);
  writeFileSync(w("caps.json"), JSON.stringify({ timers: 4, sensors: ["cold_room"], gpio: [{ pin: 2, modes: ["input-pull-up"] }, { pin: 5, modes: ["output"] }, { pin: 6, modes: ["output"] }], telemetry: ["cold-chain/#"], kv: 1024 }));
  const cert = await fwx("cert", "issue", "--root-key", w("keys", "root.key"), "--integrator-pub", w("keys", "acme.pub"), "--id", "acme", "--module-prefix", "com.example.",
    "--caps", w("caps.json"), "--customers", "plant-a", "--valid-days", "30", "-o", w("keys", "acme.cert"));
  expect(cert.status, cert.err).toBe(0);
  writeFileSync(w("board.json"), JSON.stringify({ grantable: { timers: 8, sensors: ["cold_room"], gpio: [{ pin: 2, modes: ["input-pull-up"] }, { pin: 5, modes: ["output"] }, { pin: 6, modes: ["output"] }], telemetry: ["#"], kv: 4096 }, deviceClass: "mcu" }));
}, 240_000);

describe.each(PORTS)("the $lang port of the cold-chain alarm", ({ lang, make }) => {
  const project = () => w(lang);

  it("compiles with the generated bindings and is finished by fwx build", async () => {
    const source = join(root, "examples", lang, "cold-chain-alarm");
    cpSync(source, project(), { recursive: true, filter: (src) => src !== join(source, "build") });
    const vars = Object.entries(make()).map(([k, v]) => `${k}=${v}`);
    const built = run("make", ["-C", project(), ...vars]);
    expect(built.status, built.out + built.err).toBe(0);
    const raw = readFileSync(join(project(), "build", `cold-chain-alarm-${lang}.wasm`));
    // As the toolchain left it: no fwx.abi section yet.
    expect(WebAssembly.Module.customSections(new WebAssembly.Module(raw), "fwx.abi")).toHaveLength(0);

    const finished = await fwx("build", project());
    expect(finished.status, finished.err).toBe(0);
    expect(finished.out).toMatch(new RegExp(`built com\\.example\\.cold-chain-alarm-${lang}@1\\.0\\.0 \\(from .*cold-chain-alarm-${lang}\\.wasm\\)`));
    // RAM measured up to __heap_base, so .bss and the 4 KiB stack count.
    expect(finished.out).toMatch(/RAM {9}needs \d+ B .* \(up to __heap_base: data, \.bss and stack;/);
    const out = new WebAssembly.Module(readFileSync(join(project(), "build", `com.example.cold-chain-alarm-${lang}.wasm`)));
    expect(WebAssembly.Module.customSections(out, "fwx.abi")).toHaveLength(1);
  });

  it("replays the AssemblyScript example's recordings exactly, with the command its README gives", async () => {
    // The port's README shows the integrator the replay command; run exactly that one (its recording
    // file name aside, made above), from the port's directory as the README assumes.
    const readme = readFileSync(join(root, "examples", lang, "cold-chain-alarm", "README.md"), "utf8");
    const line = /^npx fwx replay (.*?)\s*(#.*)?$/m.exec(readme);
    expect(line, "the README shows an `npx fwx replay` command").not.toBeNull();
    const documented = line![1]!.split(/\s+/);
    expect(documented[0]).toBe("as.fwxrec");
    for (const rec of ["as.fwxrec", "as-board.fwxrec"]) {
      // The recording's budget is the AssemblyScript module's (fwx ram: need x 1.2); a port keeps a
      // 4 KiB stack below its data, so it runs under a budget of its own, which the README must give.
      const r = await fwxIn(project(), ["replay", w(rec), ...documented.slice(1)]);
      expect(r.status, r.out + r.err).toBe(0);
      expect(r.out).toMatch(/^same: com\.example\.cold-chain-alarm \(a different binary than recorded\) made all \d+ recorded host calls in \d+ callbacks, and every callback ended as recorded/m);
    }
  });

  it("under the recording's own RAM budget, the refusal names the option that lifts it", async () => {
    const r = await fwx("replay", w("as.fwxrec"), join(project(), "build", `com.example.cold-chain-alarm-${lang}.wasm`));
    expect(r.status).toBe(2);
    expect(r.err).toContain("[ram-over-budget]");
    expect(r.err).toContain("replay a module that needs more with --ram-budget <size>");
  });

  it("ships as a signed, fuel-instrumented --target mcu package that a device verifies", async () => {
    const pkg = w(`${lang}.fwx`);
    const packed = await fwx("pack", project(), "--target", "mcu", "--key", w("keys", "acme.key"), "--cert", w("keys", "acme.cert"), "--seq", "7", "-o", pkg);
    expect(packed.status, packed.err).toBe(0);
    expect(packed.out).toContain(`com.example.cold-chain-alarm-${lang} 1.0.0 sequence 7, target mcu (fuel-instrumented)`);
    const verified = await fwx("verify", pkg, "--root", w("keys", "root.pub"), "--board", w("board.json"), "--customer", "plant-a", "--group", "line-1");
    expect(verified.status, verified.out + verified.err).toBe(0);

    // The raw toolchain output packs the same way: fwx.abi added, validated, instrumented.
    const fromWasm = await fwx("pack", join(project(), "build", `cold-chain-alarm-${lang}.wasm`), "--project", project(), "--target", "mcu",
      "--key", w("keys", "acme.key"), "--cert", w("keys", "acme.cert"), "--seq", "8", "-o", w(`${lang}-raw.fwx`));
    expect(fromWasm.status, fromWasm.err).toBe(0);
    expect(fromWasm.out).toContain("target mcu (fuel-instrumented)");
    expect(fromWasm.out).toMatch(/interfaces core@1\.\d+, gpio@1\.\d+, kv@1\.\d+, sensor@1\.\d+, telemetry@1\.\d+, timer@1\.\d+/);
  });
});

describe("modules from other toolchains: what fwx refuses, and says why", () => {
  it("names the missing .wasm entry and how to build it", async () => {
    const p = w("unbuilt");
    const source = join(root, "examples", "c", "cold-chain-alarm");
    cpSync(source, p, { recursive: true, filter: (src) => src !== join(source, "build") });
    const r = await fwx("build", p);
    expect(r.status).toBe(2);
    expect(r.err).toContain("cold-chain-alarm-c.wasm: not found: build the module with its own toolchain first (for example `make -C");
  });

  it("requires __heap_base from a linked C module, and warns loudly on a stripped one that hides its stack", async () => {
    const clang = ensureClangWasm();
    const p = w("no-heap-base");
    mkdirSync(join(p, "build"), { recursive: true });
    // 2,000 bytes of .bss and a 1 KiB stack (a buffer on it, so the stack
    // pointer is kept): nothing of either is in a data segment.
    writeFileSync(join(p, "m.c"), [
      '#include "fwx_guest.h"',
      "static char big[2000];",
      "int32_t fwx_init(void) {",
      "    char line[64];",
      "    uint32_t len = 0;",
      "    big[5] = 1;",
      '    if (fwx_core_config_get("k", 1, line, sizeof line, &len) != FWX_OK) return 1;',
      "    return fwx_core_log(FWX_CORE_LOG_LEVEL_INFO, big, len) | fwx_core_log(FWX_CORE_LOG_LEVEL_INFO, line, len);",
      "}",
      "",
    ].join("\n"));
    const cc = (out: string, ...extra: string[]) =>
      run(clang, ["--target=wasm32", "-nostdlib", "-Oz", `-I${join(root, "guest", "c")}`, "-Wl,--no-entry", "-Wl,-z,stack-size=1024", ...extra, "m.c", "-o", out], p);
    expect(cc("build/m.wasm").status).toBe(0);
    writeFileSync(join(p, "fwx.json"), JSON.stringify({ id: "com.example.no-heap-base", version: "1.0.0", entry: "build/m.wasm", ramBudget: "2k" }));
    const built = await fwx("build", p);
    expect(built.status).toBe(2);
    expect(built.err).toContain("must export __heap_base");
    expect(built.err).toContain("-Wl,--export=__heap_base");
    // Placed where the export belongs, as a missing fwx_init is: not at byte 0, the module's magic.
    const exportSection = walkSections(new Uint8Array(readFileSync(join(p, "build", "m.wasm")))).find((s) => s.id === SECTION.export)!;
    expect(built.err).toContain(`error at byte 0x${exportSection.offset.toString(16)} (export section): a module built by another toolchain must export __heap_base`);

    expect(cc("stripped.wasm", "-Wl,--strip-all").status).toBe(0);
    const v = await fwx("validate", join(p, "stripped.wasm"), "--ram-budget", "2k");
    expect(v.out + v.err).toContain("[ram-need-unknown]");
    // At the global it names (the stack pointer's entry), not at byte 0.
    const stackPointer = parseModule(new Uint8Array(readFileSync(join(p, "stripped.wasm")))).globals[0]!;
    expect(v.out + v.err).toContain(`warning at byte 0x${stackPointer.offset.toString(16)} (global 0): global 0 starts at`);
    expect(v.out + v.err).toMatch(/global 0 starts at \d+, as a C or Rust stack pointer does, but the module exports no __heap_base/);
    expect(v.out).toContain("needs at least");

    expect(cc("linked.wasm", "-Wl,--export=__heap_base").status).toBe(0);
    const linked = await fwx("validate", join(p, "linked.wasm"), "--ram-budget", "2k");
    expect(linked.status).toBe(2);
    expect(linked.out + linked.err).toMatch(/needs \d+ bytes of RAM before any allocation .* more than the budget of 2048 bytes \[ram-over-budget\]/);
  });
});
