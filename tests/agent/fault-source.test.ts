// Faults name the integrator's own file and line, not the library code the
// compiler inlined: `fwx run` of a project (built with names) and of a release
// build without names, whose source map fwx build keeps beside it and never
// in the module. A map from another build is not used. Child processes run
// under a time limit.

import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../ota/fixtures.js";

const root = join(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli.js");
const work = tempDir("fault-source");
afterAll(() => work.cleanup());

const fwx = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work.path, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout, err: r.stderr };
};

let project: string;
let line: number;

beforeAll(() => {
  project = join(work.path, "probe");
  expect(fwx("new", "probe").status).toBe(0);
  // A helper the compiler inlines, writing past the end of a typed array on the fifth sample.
  const index = join(project, "assembly", "index.ts");
  const source = readFileSync(index, "utf8")
    .replace("export function fwx_on_timer(id: u32): void {", "const history = new Float64Array(4);\nlet count = 0;\n\nfunction remember(v: f64): void {\n  history[count] = v;\n  count++;\n}\n\nexport function fwx_on_timer(id: u32): void {")
    .replace("  if (s.read() != Status.Ok) return;", "  if (s.read() != Status.Ok) return;\n  remember(s.value);");
  expect(source).toContain("remember(s.value);");
  writeFileSync(index, source);
  line = source.split("\n").findIndex((l) => l.includes("history[count] = v;")) + 1;
  expect(line).toBeGreaterThan(0);
}, 60_000);

describe("a fault's source line", () => {
  it("is the integrator's line on the simulator, though the check that failed is the standard library's", () => {
    const r = fwx("run", project, "--duration", "6s");
    expect(r.status, r.err).toBe(3);
    expect(r.out).toContain(`fault      abort: Index out of range at ~lib/typedarray.ts:`);
    expect(r.out).toContain(`(from assembly/index.ts:${line}:3)`);
    expect(r.out).toMatch(new RegExp(`^ +at assembly/index\\.ts:${line}:3 \\(in assembly/index/fwx_on_timer\\)$`, "m"));
  });

  it("is found for a release build without names, from the map fwx build keeps beside it, and not from a stale map", () => {
    const built = fwx("build", project);
    expect(built.status, built.err).toBe(0);
    const wasm = join(project, "build", "com.example.probe.wasm");
    const map = JSON.parse(readFileSync(`${wasm}.map`, "utf8")) as { sources: string[]; x_fwx_module_sha256: string };
    expect(map.sources).toContain("assembly/index.ts");
    const mod = new WebAssembly.Module(readFileSync(wasm));
    // Nothing of the map is in the module: no pointer to it, no names.
    expect(WebAssembly.Module.customSections(mod, "sourceMappingURL")).toHaveLength(0);
    expect(WebAssembly.Module.customSections(mod, "name")).toHaveLength(0);

    const r = fwx("run", wasm, "--duration", "6s");
    expect(r.status, r.err).toBe(3);
    expect(r.out).toContain(`(from assembly/index.ts:${line}:3)`);
    expect(r.out).toMatch(new RegExp(`^ +at assembly/index\\.ts:${line}:3$`, "m"));
    expect(r.out).toMatch(/function\[\d+\] \(function \d+\) at \+0x[0-9a-f]+ into its body/);

    // The same module beside a map of another build: no line rather than a wrong one.
    const other = join(work.path, "other.wasm");
    cpSync(wasm, other);
    writeFileSync(`${other}.map`, JSON.stringify({ ...map, x_fwx_module_sha256: "0".repeat(64) }));
    const stale = fwx("run", other, "--duration", "6s");
    expect(stale.status).toBe(3);
    expect(stale.out).toContain("fault      abort: Index out of range");
    expect(stale.out).not.toContain("assembly/index.ts");
  });
});
