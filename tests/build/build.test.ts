// fwx build: in-process compile, validation, the fwx.abi section, atomic
// output and diagnostics the integrator can act on.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildModule } from "../../src/build/build.js";
import { command as buildCommand } from "../../src/commands/build.js";
import { decodeAbiSection } from "../../src/wasm/abi-section.js";
import { parseModule } from "../../src/wasm/reader.js";
import { requiredInterfaces } from "../../src/validate/validate.js";

const EXAMPLE = "examples/cold-chain-alarm";
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "fwx-build-test-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A copy of the example outside the repository (no node_modules anywhere above it). */
function copyExample(name: string): string {
  const dir = join(work, name);
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes(`${EXAMPLE}/build`) });
  return dir;
}

/**
 * The one copy the tests that build the example as it is share. The compile cache is keyed by the
 * project's directory, so every copy is a full compile (about 1 CPU-s); the tests that change the
 * sources or the manifest make copies of their own.
 */
let unchanged: string | undefined;
const unchangedExample = (): string => (unchanged ??= copyExample("unchanged"));

async function runBuild(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  const warn = vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    const code = await buildCommand.run(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
    warn.mockRestore();
  }
}

describe("building the cold-chain example", () => {
  it("produces a valid module whose only imports are fwx ABI functions, with a matching fwx.abi section", async () => {
    const dir = unchangedExample();
    const r = await buildModule(dir);
    expect(r.ok).toBe(true);
    expect(r.outFile).toBe(join(dir, "build", "com.example.cold-chain-alarm.wasm"));
    const bytes = readFileSync(r.outFile!);
    expect(new Uint8Array(bytes)).toEqual(r.bytes);

    const m = parseModule(bytes);
    expect(m.imports.length).toBeGreaterThan(0);
    for (const i of m.imports) expect(i.module).toMatch(/^fwx:[a-z0-9]+@1$/);
    const section = m.customSections.find((s) => s.name === "fwx.abi");
    expect(section).toBeDefined();
    const reqs = decodeAbiSection(section!.payload);
    expect(reqs).toEqual(requiredInterfaces(bytes));
    expect(reqs.map((q) => q.name)).toEqual(["core", "gpio", "kv", "sensor", "telemetry", "timer"]);

    expect(r.validation!.report.flashBytes).toBe(bytes.length);
    expect(r.validation!.report.exports).toEqual(expect.arrayContaining(["fwx_init", "fwx_on_timer", "fwx_on_event", "memory"]));
  });

  it("prints the size and RAM report, and JSON with --json", async () => {
    const dir = unchangedExample();
    const text = await runBuild([dir]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/built com\.example\.cold-chain-alarm@1\.0\.0/);
    expect(text.out).toMatch(/flash\s+\d+ B/);
    expect(text.out).toMatch(/RAM\s+needs at least \d+ B .* \(static data only;/);
    // An output path's directory must exist (fwx creates only its default build/).
    mkdirSync(join(dir, "out"));
    const json = await runBuild([dir, "--json", "-o", join(dir, "out", "x.wasm")]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { ok: boolean; output: string; validation: { report: { flashBytes: number } } };
    expect(parsed.ok).toBe(true);
    expect(parsed.output).toBe(join(dir, "out", "x.wasm"));
    expect(parsed.validation.report.flashBytes).toBe(readFileSync(parsed.output).length);
  });
});

describe("failures", () => {
  it("a compile error exits 2 with file:line:col and leaves the previous output intact", async () => {
    const dir = copyExample("broken");
    const good = await runBuild([dir]);
    expect(good.code).toBe(0);
    const out = join(dir, "build", "com.example.cold-chain-alarm.wasm");
    const before = readFileSync(out);

    const index = join(dir, "assembly", "index.ts");
    writeFileSync(index, readFileSync(index, "utf8").replace("return InitError.None;", "return undefinedThing;"));
    const bad = await runBuild([dir]);
    expect(bad.code).toBe(2);
    const lineNo = readFileSync(index, "utf8").split("\n").findIndex((l) => l.includes("undefinedThing")) + 1;
    expect(bad.err).toMatch(new RegExp(`assembly/index\\.ts:${lineNo}:\\d+: error AS2304: Cannot find name 'undefinedThing'`));
    expect(readFileSync(out)).toEqual(before);
    expect(readdirSync(join(dir, "build"))).toEqual(["com.example.cold-chain-alarm.fwxmap.json", "com.example.cold-chain-alarm.wasm"]);
  });

  it("a module the validator rejects exits 2 and writes nothing", async () => {
    const dir = copyExample("invalid");
    // Math.random makes the compiler import env.seed, which no device provides.
    writeFileSync(join(dir, "assembly", "index.ts"), "export function fwx_init(): i32 { return <i32>(Math.random() * 10); }\n");
    const r = await buildModule(dir);
    expect(r.ok).toBe(false);
    expect(r.stage).toBe("validate");
    expect(r.validation!.errors.map((e) => e.importName)).toContain("env.seed");
    const cli = await runBuild([dir]);
    expect(cli.code).toBe(2);
    expect(() => readdirSync(join(dir, "build"))).toThrow(/ENOENT/);
  });

  it("a bad fwx.json exits 2 naming the field", async () => {
    const dir = copyExample("manifest");
    const manifest = JSON.parse(readFileSync(join(dir, "fwx.json"), "utf8")) as { config: { threshold_c: { default: unknown } } };
    manifest.config.threshold_c.default = "eight";
    writeFileSync(join(dir, "fwx.json"), JSON.stringify(manifest));
    await expect(buildCommand.run([dir])).rejects.toThrow(/config\.threshold_c\.default: must be a finite number/);
  });

  it("reports the RAM need measured on the simulated board beside the budget, and warns when the budget is below it", async () => {
    const dir = unchangedExample();
    const r = await runBuild([dir]);
    expect(r.code, r.err).toBe(0);
    const line = /RAM run {5}needs (\d+) B measured \(static (\d+) B, heap high-water (\d+) B, stack 0 B; \d+ s on the simulated board, fed by .*trace\.csv\): the (\d+) B budget is ([\d.]+)x it/.exec(r.out);
    expect(line, r.out).not.toBeNull();
    const [need, stat, heap, budget] = [1, 2, 3, 4].map((i) => Number(line![i]));
    expect(need).toBe(stat! + heap!);
    expect(heap).toBeGreaterThan(0);
    expect(budget).toBe(JSON.parse(readFileSync(join(dir, "fwx.json"), "utf8")).ramBudget);
    expect(r.out).not.toContain("below the measured need");
    // A budget between the static data and the need builds (static data fits) but is named as too small.
    const low = await runBuild([dir, "--ram-budget", String(stat! + 16), "--json"]);
    const json = JSON.parse(low.out) as { ok: boolean; ramNeed: { needBytes: number } };
    expect(json.ok).toBe(true);
    expect(json.ramNeed.needBytes).toBe(need);
    const warned = await runBuild([dir, "--ram-budget", String(stat! + 16)]);
    expect(warned.out).toContain("the budget is below the measured need");
    const skipped = await runBuild([dir, "--no-ram-run", "--json"]);
    expect((JSON.parse(skipped.out) as { ramNeed: unknown }).ramNeed).toBeNull();
  }, 60_000);

  it("the RAM budget from the command line overrides fwx.json", async () => {
    const dir = unchangedExample();
    const r = await runBuild([dir, "--ram-budget", "1k"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/budget of 1024 bytes/);
  });
});

describe("single entry files", () => {
  it("builds an entry without a manifest, with no env imports even when it aborts", async () => {
    const dir = join(work, "entry");
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "src", "main.ts"), 'export function fwx_init(): i32 { const a = new Array<i32>(2); return a[5]; }\n');
    const r = await buildModule(join(dir, "src", "main.ts"));
    expect(r.ok).toBe(true);
    expect(r.outFile).toBe(join(dir, "src", "build", "main.wasm"));
    const imports = parseModule(r.bytes!).imports.map((i) => `${i.module}.${i.name}`);
    expect(imports).toEqual(["fwx:core@1.abort"]);
  });

  it("routes aborts, a module's own and the runtime's, as UTF-8 from static memory to fwx:core@1 abort", async () => {
    const dir = join(work, "abort");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.ts"), [
      "const table = new StaticArray<i32>(2);",
      'export function fwx_init(): i32 { abort("sensor table empty ✗"); return 0; }',
      "export function fwx_on_timer(id: u32): void { table[id] = 1; }",
      "",
    ].join("\n"));
    const r = await buildModule(join(dir, "main.ts"));
    expect(r.ok).toBe(true);
    let memory: WebAssembly.Memory | null = null;
    const seen: { message: string; file: string; line: number }[] = [];
    const text = (ptr: number, len: number) => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(memory!.buffer, ptr, len));
    const { instance } = await WebAssembly.instantiate(r.bytes! as Uint8Array<ArrayBuffer>, {
      "fwx:core@1": {
        abort: (mp: number, ml: number, fp: number, fl: number, line: number) => {
          seen.push({ message: text(mp, ml), file: text(fp, fl), line });
          throw new Error("aborted");
        },
      },
    });
    memory = instance.exports.memory as WebAssembly.Memory;
    expect(() => (instance.exports.fwx_init as () => number)()).toThrow("aborted");
    expect(() => (instance.exports.fwx_on_timer as (id: number) => void)(7)).toThrow("aborted");
    // An explicit abort("...") has no position; the runtime's carry a site id as the line, with no
    // file and no message: the debug map names the site (abort-sites.ts).
    expect(seen[0]).toEqual({ message: "sensor table empty ✗", file: "", line: 0 });
    expect(seen[1]!.message).toBe("");
    expect(seen[1]!.file).toBe("");
    expect(r.debugMap!.aborts[String(seen[1]!.line)]).toMatch(/^~lib\/staticarray\.ts:\d+:\d+ Index out of range$/);
  });
});
