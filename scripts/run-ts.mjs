#!/usr/bin/env node
// Runs a TypeScript entry point of this repository (generators, benchmarks)
// without a build step: esbuild bundles it to a cache file, then it is
// imported with the remaining arguments in process.argv.
import { build } from "esbuild";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entry = process.argv[2];
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs <entry.ts> [args...]");
  process.exit(2);
}
const cacheDir = join(root, "node_modules", ".cache", "fwx-run-ts");
mkdirSync(cacheDir, { recursive: true });
const out = join(cacheDir, createHash("sha256").update(resolve(entry)).digest("hex").slice(0, 16) + ".mjs");
// Several processes may run the same entry at once (parallel tests, two
// shells): each bundles to its own file and renames it into place, so none
// ever imports a bundle another one is halfway through writing.
const temp = `${out}.${process.pid}.tmp.mjs`;
try {
  await build({
    entryPoints: [resolve(entry)],
    outfile: temp,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "error",
    // Bundled code keeps the entry's view of its own location.
    define: { "import.meta.dirname": JSON.stringify(dirname(resolve(entry))) },
  });
  renameSync(temp, out);
} finally {
  rmSync(temp, { force: true });
}
process.argv.splice(1, 2, resolve(entry));
await import(pathToFileURL(out).href);
