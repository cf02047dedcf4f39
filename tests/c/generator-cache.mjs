// Keeps the output of a deterministic TypeScript generator (a corpus a C
// harness checks, written by scripts/run-ts.mjs <entry> <out>) between runs,
// keyed by everything that can change it: Node's version, the entry, the
// bytes of every source file the entry's bundle is made of (esbuild's own
// list, the same bundle run-ts builds) and package-lock.json (the libraries
// it imports). Only for generators that write the same file on every run
// (fixed keys, seeds and clock) and read no file but what they import, such
// as tests/c/pkg/corpus.ts.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build } from "esbuild";

/** Outputs kept per cache directory. */
const KEEP = 4;

const sha = (data) => createHash("sha256").update(data).digest("hex");

/** The key of `entry`'s output: the digest of its bundle's inputs, the lock file and Node. */
export async function generatorKey(root, entry) {
  const r = await build({
    entryPoints: [resolve(entry)], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external",
    write: false, metafile: true, logLevel: "silent", outfile: "out.mjs", absWorkingDir: root,
  });
  const inputs = Object.keys(r.metafile.inputs).sort().map((p) => [p, sha(readFileSync(resolve(root, p)))]);
  const lock = join(root, "package-lock.json");
  return sha(JSON.stringify([process.version, relative(root, resolve(entry)), inputs, existsSync(lock) ? sha(readFileSync(lock)) : null]));
}

/**
 * Writes `out` from the cache when the generator's inputs are unchanged, else runs `generate()`
 * (which must write `out` and resolve like exec) and keeps its output. Resolves with
 * { status, out, err, cached }.
 */
export async function cachedGenerate({ root, cacheDir, entry, out, generate }) {
  let key;
  try {
    key = await generatorKey(root, entry);
  } catch {
    key = null; // the entry does not bundle: let the generator itself report why
  }
  const kept = key && join(cacheDir, key);
  if (kept && existsSync(kept)) {
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(kept, out);
    return { status: 0, out: "", err: "", cached: true };
  }
  rmSync(out, { force: true }); // a generator that fails to write must not leave the last run's output to be kept
  const r = await generate();
  if (r.status === 0 && kept && existsSync(out)) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${kept}.${process.pid}.tmp`;
    copyFileSync(out, tmp);
    renameSync(tmp, kept);
    // Outputs of older inputs: the newest few are kept (a branch switched back and forth).
    const old = readdirSync(cacheDir).filter((f) => /^[0-9a-f]{64}$/.test(f)).map((f) => ({ f, t: statSync(join(cacheDir, f)).mtimeMs })).sort((a, b) => b.t - a.t).slice(KEEP);
    for (const { f } of old) rmSync(join(cacheDir, f), { force: true });
  }
  return { ...r, cached: false };
}
