// Checks the C suites' object cache (object-cache.mjs) before they rely on it:
// an unchanged compile is reused, and each input that can change the object
// misses: an edited header, other arguments, a header added where it is now
// found first, a damaged entry. A failed compile is never kept; a syntax-only
// check is kept as compiles are, without an object; compiles that differ only
// in -D or -I options share an object when they must. Each "run" is
// a new cache on the same directory, as the next `npm test` is.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createObjectCache, parseDepfile } from "./object-cache.mjs";
import { cachedGenerate } from "./generator-cache.mjs";

export async function checkObjectCache({ build, exec, pass, fail }) {
  const dir = join(build, "object-cache-check");
  rmSync(dir, { recursive: true, force: true });
  const inc1 = join(dir, "inc1");
  const inc2 = join(dir, "inc2");
  mkdirSync(inc1, { recursive: true });
  mkdirSync(inc2, { recursive: true });
  const src = join(dir, "main.c");
  writeFileSync(src, '#include <stdio.h>\n#include "value.h"\n#include "other.h"\nint main(void) { printf("%d %d\\n", VALUE, OTHER); return 0; }\n');
  writeFileSync(join(dir, "value.h"), "#define VALUE 1\n");
  writeFileSync(join(inc2, "other.h"), "#define OTHER 10\n");
  const args = ["-std=c99", "-O1", "-I", inc1, "-I", inc2];
  const cacheDir = join(dir, "objects");
  const runOnce = async (a = args) => {
    const cache = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
    const exe = join(dir, "main");
    const r = await cache.build(a, [src], exe);
    const out = r.status === 0 ? (await exec(exe, [])).out.trim() : `build failed: ${r.err}`;
    return { out, hits: cache.stats.hits, misses: cache.stats.misses };
  };
  const expect = (what, got, want) => {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    if (g === w) pass();
    else fail(`object cache: ${what}`, `expected ${w}, got ${g}`);
  };

  expect("a first compile misses", await runOnce(), { out: "1 10", hits: 0, misses: 1 });
  expect("the same compile in the next run is reused", await runOnce(), { out: "1 10", hits: 1, misses: 0 });
  writeFileSync(join(dir, "value.h"), "#define VALUE 2\n");
  expect("an edited header misses and the object has the edit", await runOnce(), { out: "2 10", hits: 0, misses: 1 });
  expect("other arguments miss", await runOnce([...args, "-DUNUSED=1"]), { out: "2 10", hits: 0, misses: 1 });
  writeFileSync(join(inc1, "other.h"), "#define OTHER 20\n");
  expect("a header added in an earlier -I directory (now found first) misses", await runOnce(), { out: "2 20", hits: 0, misses: 1 });
  rmSync(join(inc1, "other.h"));
  expect("removing it again misses too", await runOnce(), { out: "2 10", hits: 0, misses: 1 });
  const cache = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
  const entry = await cache.compile(args, src);
  writeFileSync(join(entry.obj, "..", "entry.json"), "{ damaged");
  expect("a damaged entry misses and is replaced", await runOnce(), { out: "2 10", hits: 0, misses: 1 });
  writeFileSync(src, "int main(void) { return missing; }\n");
  const broken = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
  const b1 = await broken.compile(args, src);
  const b2 = await createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 }).compile(args, src);
  expect("a failed compile fails again and is never kept", [b1.status !== 0, b2.status !== 0, b2.cached, /missing/.test(b2.err)], [true, true, false, true]);
  // compileWith: a -D that no file of the compile names reuses the plain object; one that a header names compiles again.
  const plain = join(dir, "plain.c");
  const named = join(dir, "named.c");
  writeFileSync(plain, '#include <stdio.h>\nint main(void) { printf("plain\\n"); return 0; }\n');
  writeFileSync(join(dir, "variant.h"), "#ifdef VARIANT_ON\n#define WHICH \"variant\"\n#else\n#define WHICH \"base\"\n#endif\n");
  writeFileSync(named, '#include <stdio.h>\n#include "variant.h"\nint main(void) { printf("%s\\n", WHICH); return 0; }\n');
  const variants = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
  const runWith = async (src) => {
    const exe = join(dir, "variant");
    const r = await variants.build(args, [src], exe, { defines: ["-DVARIANT_ON"] });
    return r.status === 0 ? (await exec(exe, [])).out.trim() : `build failed: ${r.err}`;
  };
  expect("compileWith reuses the object when no file names the macro", [await runWith(plain), variants.stats.unaffected, variants.stats.misses], ["plain", 1, 1]);
  expect("compileWith compiles again when a header names the macro, and the object has it", [await runWith(named), variants.stats.unaffected, variants.stats.misses], ["variant", 1, 3]);
  // Any two compiles that differ only in -D options: a -D whose value names a differing macro differs too.
  const through = join(dir, "through.c");
  writeFileSync(through, '#include <stdio.h>\nint main(void) { printf("%d\\n", CHECK_MODE); return 0; }\n');
  const family = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
  const runLevel = async (level) => {
    const exe = join(dir, "through");
    const r = await family.build([...args, "-DCHECK_MODE=CHECK_LEVEL", `-DCHECK_LEVEL=${level}`], [through], exe);
    return r.status === 0 ? (await exec(exe, [])).out.trim() : `build failed: ${r.err}`;
  };
  expect("a -D whose value names a macro that differs is compiled again (the file names only CHECK_MODE)", [await runLevel(1), await runLevel(2), family.stats.unaffected], ["1", "2", 0]);
  // A syntax-only check (-fsyntax-only): no object, its verdict kept; an edited header checks again; a failure is never kept.
  const checked = join(dir, "checked.c");
  writeFileSync(checked, '#include "value.h"\nint f(void);\nint f(void) { return VALUE; }\n');
  const checkOnce = async () => {
    const r = await createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 }).compile([...args, "-Wall", "-Werror", "-fsyntax-only"], checked);
    return [r.status === 0, r.obj, r.cached];
  };
  expect("a syntax-only check has no object, and its verdict is kept", [await checkOnce(), await checkOnce()], [[true, null, false], [true, null, true]]);
  writeFileSync(join(dir, "value.h"), "#define VALUE (1 +)\n");
  expect("an edited header checks again, and a failed check is not kept", [await checkOnce(), await checkOnce()], [[false, null, false], [false, null, false]]);
  // Compiles that differ only in -I directories: one that adds a directory holding nothing the source
  // includes shares the object; one whose added directory shadows a header compiles again, with it; and
  // the shared entry still misses in the next run once a header is added where it would now be found.
  const paths = join(dir, "paths.c");
  writeFileSync(paths, '#include <stdio.h>\n#include "other.h"\nint main(void) { printf("%d\\n", OTHER); return 0; }\n');
  const unrelated = join(dir, "unrelated");
  const shadow = join(dir, "shadow");
  mkdirSync(unrelated);
  mkdirSync(shadow);
  writeFileSync(join(unrelated, "nothing.h"), "#define NOTHING 1\n");
  writeFileSync(join(shadow, "other.h"), "#define OTHER 30\n");
  const base = ["-std=c99", "-O1", "-I", inc2];
  const searchPaths = async (cache, extra) => {
    const exe = join(dir, "paths");
    const r = await cache.build([...base.slice(0, 2), "-I", extra, ...base.slice(2)], [paths], exe);
    return r.status === 0 ? (await exec(exe, [])).out.trim() : `build failed: ${r.err}`;
  };
  const onePath = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
  await onePath.build(base, [paths], join(dir, "paths"));
  expect("another -I directory that holds nothing the source includes shares the object", [await searchPaths(onePath, unrelated), onePath.stats.samePath, onePath.stats.misses], ["10", 1, 1]);
  expect("one that holds a header found first compiles again, with that header", [await searchPaths(onePath, shadow), onePath.stats.samePath, onePath.stats.misses], ["30", 1, 2]);
  writeFileSync(join(unrelated, "other.h"), "#define OTHER 40\n");
  const nextRun = createObjectCache({ root: dir, dir: cacheDir, exec, jobs: 2 });
  expect("the shared object misses in the next run once a header is added to its own -I directory", [await searchPaths(nextRun, unrelated), nextRun.stats.hits], ["40", 0]);
  expect("dependency lists with continuations and escaped spaces are read", parseDepfile("o.o: a.c \\\n /x/b\\ c.h d.h\n"), ["a.c", "/x/b c.h", "d.h"]);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The generator cache (generator-cache.mjs): an unchanged generator's output is reused, and an edit
 * to any file its bundle is made of runs it again.
 */
export async function checkGeneratorCache({ root, build, exec, pass, fail }) {
  const dir = join(build, "generator-cache-check");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, "gen.ts");
  writeFileSync(entry, 'import { writeFileSync } from "node:fs";\nimport { VALUE } from "./part.js";\nwriteFileSync(process.argv[2], `value ${VALUE}\\n`);\n');
  writeFileSync(join(dir, "part.ts"), "export const VALUE: number = 1;\n");
  const out = join(dir, "out.txt");
  const once = async () => {
    const r = await cachedGenerate({ root, cacheDir: join(dir, "kept"), entry, out, generate: () => exec(process.execPath, [join(root, "scripts", "run-ts.mjs"), entry, out]) });
    return [r.status, r.cached, existsSync(out) ? readFileSync(out, "utf8") : "no output"];
  };
  const expect = (what, got, want) => {
    if (JSON.stringify(got) === JSON.stringify(want)) pass();
    else fail(`generator cache: ${what}`, `expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  expect("a first run generates", await once(), [0, false, "value 1\n"]);
  expect("an unchanged generator's output is reused", await once(), [0, true, "value 1\n"]);
  writeFileSync(join(dir, "part.ts"), "export const VALUE: number = 2;\n");
  expect("an edit to a file the generator imports runs it again", await once(), [0, false, "value 2\n"]);
  rmSync(dir, { recursive: true, force: true });
}
