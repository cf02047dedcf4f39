// The compile cache (src/build/compile-cache.ts) may hand back a result only
// when the compiler would have produced the same one: every file it read and
// every directory it listed must read the same. Each kind of change below must
// be a miss, and a hit must equal a fresh compile in everything fwx uses.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { compileAssemblyScript, type CompileResult } from "../../src/build/compile.js";
import { compileCacheDir } from "../../src/build/compile-cache.js";
import { tempDir } from "../ota/fixtures.js";

function project(): { dir: string; cache: string; cleanup(): void } {
  const t = tempDir("compile-cache");
  const dir = join(t.path, "project");
  mkdirSync(join(dir, "assembly", "lib"), { recursive: true });
  writeFileSync(join(dir, "assembly", "index.ts"), 'import { answer } from "./lib";\nexport function fwx_init(): i32 { return answer(); }\n');
  writeFileSync(join(dir, "assembly", "lib", "index.ts"), "export function answer(): i32 { return 41; }\n");
  return { dir, cache: join(t.path, "cache"), cleanup: t.cleanup };
}

const compile = (dir: string, cache: string | null): Promise<CompileResult> =>
  compileAssemblyScript({ baseDir: dir, entry: "assembly/index.ts", runtime: "stub", cacheDir: cache });

/** What fwx uses of a result, without the flag that says where it came from. */
const used = (r: CompileResult) => ({ binary: r.binary && Buffer.from(r.binary).toString("hex"), sourceMap: r.sourceMap, functionNames: r.functionNames, diagnostics: r.diagnostics, failure: r.failure });

describe("the compile cache", () => {
  it("gives back the same result for unchanged sources without running the compiler", async () => {
    const p = project();
    try {
      const first = await compile(p.dir, p.cache);
      expect(first.fromCache).toBe(false);
      expect(first.binary).not.toBeNull();
      const second = await compile(p.dir, p.cache);
      expect(second.fromCache).toBe(true);
      expect(used(second)).toEqual(used(first));
      expect(used(second)).toEqual(used(await compile(p.dir, null)));
    } finally {
      p.cleanup();
    }
  }, 60_000);

  it("misses when an imported file changes, and when a file appears where the compiler looked and found none", async () => {
    const p = project();
    try {
      const original = await compile(p.dir, p.cache);
      writeFileSync(join(p.dir, "assembly", "lib", "index.ts"), "export function answer(): i32 { return 42; }\n");
      const edited = await compile(p.dir, p.cache);
      expect(edited.fromCache).toBe(false);
      expect(used(edited)).not.toEqual(used(original));
      expect(used(edited)).toEqual(used(await compile(p.dir, null)));
      // "./lib" resolves to lib.ts before lib/index.ts: the compiler asked for lib.ts and was told there is none.
      writeFileSync(join(p.dir, "assembly", "lib.ts"), "export function answer(): i32 { return 43; }\n");
      const shadowed = await compile(p.dir, p.cache);
      expect(shadowed.fromCache).toBe(false);
      expect(used(shadowed)).toEqual(used(await compile(p.dir, null)));
      expect(used(shadowed)).not.toEqual(used(edited));
    } finally {
      p.cleanup();
    }
  }, 60_000);

  it("keeps compile errors with their diagnostics, and recompiles when the error is fixed", async () => {
    const p = project();
    try {
      writeFileSync(join(p.dir, "assembly", "lib", "index.ts"), "export function answer(): i32 { return nope; }\n");
      const broken = await compile(p.dir, p.cache);
      expect(broken.binary).toBeNull();
      expect(broken.diagnostics.some((d) => d.severity === "error" && d.line === 1)).toBe(true);
      const again = await compile(p.dir, p.cache);
      expect(again.fromCache).toBe(true);
      expect(used(again)).toEqual(used(broken));
      writeFileSync(join(p.dir, "assembly", "lib", "index.ts"), "export function answer(): i32 { return 1; }\n");
      const fixed = await compile(p.dir, p.cache);
      expect(fixed.fromCache).toBe(false);
      expect(fixed.binary).not.toBeNull();
    } finally {
      p.cleanup();
    }
  }, 60_000);

  it("hits from another working directory, and shows diagnostics from the one it runs in", async () => {
    const p = project();
    const before = process.cwd();
    try {
      writeFileSync(join(p.dir, "assembly", "lib", "index.ts"), "export function answer(): i32 { return nope; }\n");
      process.chdir(p.dir);
      const here = await compile(p.dir, p.cache);
      expect(here.fromCache).toBe(false);
      expect(here.diagnostics.find((d) => d.severity === "error")?.file).toBe(join("assembly", "lib", "index.ts"));
      process.chdir(join(p.dir, "assembly"));
      const below = await compile(p.dir, p.cache);
      expect(below.fromCache).toBe(true);
      expect(below.diagnostics.find((d) => d.severity === "error")?.file).toBe(join("lib", "index.ts"));
    } finally {
      process.chdir(before);
      p.cleanup();
    }
  }, 60_000);

  it("treats a damaged entry as a miss, and writes nothing when turned off", async () => {
    const p = project();
    try {
      await compile(p.dir, p.cache);
      for (const f of readdirSync(p.cache)) writeFileSync(join(p.cache, f), gzipSync('{"format":1,"files":[["/x",'));
      const r = await compile(p.dir, p.cache);
      expect(r.fromCache).toBe(false);
      expect(r.binary).not.toBeNull();
      expect((await compile(p.dir, p.cache)).fromCache).toBe(true);
      for (const f of readdirSync(p.cache)) writeFileSync(join(p.cache, f), "not gzip at all");
      expect((await compile(p.dir, p.cache)).fromCache).toBe(false);

      rmSync(p.cache, { recursive: true, force: true });
      await compile(p.dir, null);
      expect(existsSync(p.cache)).toBe(false);
      expect(compileCacheDir({ FWX_BUILD_CACHE: "0" })).toBeNull();
      expect(compileCacheDir({ FWX_CACHE_DIR: "/c" })).toBe("/c/asc");
      expect(compileCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/fwx/asc");
    } finally {
      p.cleanup();
    }
  }, 60_000);
});
