// Issue 14: the aborts the compiler makes carry a site id, not the source
// file's name and a literal message (src/build/abort-sites.ts); the debug map
// beside the build names each site, and a crash report prints it from there.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildModule } from "../../src/build/build.js";
import { compileAssemblyScript } from "../../src/build/compile.js";
import type { DebugMap } from "../../src/build/debug-map.js";
import { formatCrashReport, withAbortSite } from "../../src/agent/faults.js";
import { tempDir } from "../ota/fixtures.js";

const work = tempDir("abort-sites");
afterAll(() => work.cleanup());

const SOURCE = [
  'let count: i32 = 0;',
  'export function fwx_init(): i32 { return 0; }',
  'export function fwx_on_timer(id: u32): void {',
  '  count++;',
  '  if (id == 1) throw new Error("literal reason");',
  '  if (id == 2) throw new Error("count " + count.toString());',
  '}',
  "",
].join("\n");

async function run(id: number): Promise<{ build: Awaited<ReturnType<typeof buildModule>>; seen: { message: string; file: string; line: number; column: number } }> {
  const dir = join(work.path, `m${id}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.ts"), SOURCE);
  const build = await buildModule(join(dir, "main.ts"), { write: false });
  expect(build.ok, JSON.stringify(build.diagnostics)).toBe(true);
  let memory: WebAssembly.Memory | null = null;
  let seen: { message: string; file: string; line: number; column: number } | null = null;
  const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(memory!.buffer, ptr, len));
  const { instance } = await WebAssembly.instantiate(build.bytes! as Uint8Array<ArrayBuffer>, {
    "fwx:core@1": {
      abort: (mp: number, ml: number, fp: number, fl: number, line: number, column: number) => {
        seen = { message: text(mp, ml), file: text(fp, fl), line, column };
        throw new Error("aborted");
      },
    },
  });
  memory = instance.exports.memory as WebAssembly.Memory;
  expect(() => (instance.exports.fwx_on_timer as (id: number) => void)(id)).toThrow("aborted");
  return { build, seen: seen! };
}

describe("abort sites", () => {
  it("a throw with a literal message passes only its site id; the message and position are in the debug map, not the module", async () => {
    const { build, seen } = await run(1);
    expect(seen).toEqual({ message: "", file: "", line: expect.any(Number), column: 0 });
    expect(build.debugMap!.aborts[String(seen.line)]).toBe("main.ts:5:16 literal reason");
    const latin1 = new TextDecoder("latin1").decode(build.bytes!).replace(/\0/g, "");
    expect(latin1).not.toContain("literal reason");
    expect(latin1).not.toContain("main.ts");
  });

  it("a message computed at run time still reaches the host, with the site id for its position", async () => {
    const { build, seen } = await run(2);
    expect(seen.message).toBe("count 1");
    expect(seen.file).toBe("");
    expect(build.debugMap!.aborts[String(seen.line)]).toBe("main.ts:6:16");
  });

  it("a result from the compile cache keeps its abort sites", async () => {
    const dir = join(work.path, "cached");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.ts"), SOURCE);
    const options = { baseDir: dir, entry: "main.ts", runtime: "stub" as const, cacheDir: join(work.path, "cache") };
    const first = await compileAssemblyScript(options);
    const second = await compileAssemblyScript(options);
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(Object.values(first.aborts!)).toContain("main.ts:5:16 literal reason");
    expect(second.aborts).toEqual(first.aborts);
  });

  it("a crash report names the site from the map, and says the id without one", () => {
    const map = { aborts: { "3": "~lib/typedarray.ts:167:45 Index out of range", "4": "main.ts:6:16" } } as unknown as DebugMap;
    expect(withAbortSite("at abort site 3", map)).toBe("Index out of range at ~lib/typedarray.ts:167:45 (abort site 3)");
    expect(withAbortSite("count 1 at abort site 4", map)).toBe("count 1 at main.ts:6:16 (abort site 4)");
    expect(withAbortSite("at abort site 9", map)).toBe("at abort site 9");
    expect(withAbortSite("at abort site 3", null)).toBe("at abort site 3");
    const report = { module: "m", reason: "abort", detail: "at abort site 3", callback: "fwx_on_timer(1)", tUs: 0n, frames: [], lastCalls: [], fuelUsed: null } as never;
    expect(formatCrashReport(report, map).split("\n")[0]).toBe("fault in m: abort — Index out of range at ~lib/typedarray.ts:167:45 (abort site 3)");
  });

  it("leaves another compile in the same process as the compiler makes it (as-pect, a plain asc run)", async () => {
    await run(1); // the wrappers are installed by now
    const asc = await import("assemblyscript/asc");
    let binary: Uint8Array | null = null;
    const r = await asc.main(["main.ts", "--outFile", "main.wasm", "--runtime", "stub", "-O3s", "--noAssert"], {
      readFile: (name: string) => (name === "main.ts" ? SOURCE : null),
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
      },
      listFiles: () => [],
      stdout: { write: () => true } as never,
      stderr: { write: () => true } as never,
    });
    expect(r.error).toBeNull();
    // UTF-16 in the data section, at either byte alignment in the file.
    const utf16 = [0, 1].map((at) => new TextDecoder("utf-16le").decode(binary!.subarray(at))).join("\n");
    expect(utf16).toContain("literal reason");
    expect(utf16).toContain("main.ts");
  });
});
