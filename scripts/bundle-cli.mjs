#!/usr/bin/env node
// `npm run build`: bundles the fwx CLI into dist/ (dist/cli.js, the module
// preparation worker dist/prepare-worker.js, and their shared chunks under
// dist/chunks/). The tests that run agents as child processes build the same
// bundle from the sources with bundleCli (tests/support/cli-bundle.global.ts), so what
// they run is what dist/ holds.
//
// - ES modules split into chunks: a command loads only its own code (`fwx
//   devices` never loads the AssemblyScript compiler or binaryen).
// - The project's dependencies stay external, resolved from node_modules,
//   except mqtt and its dependencies, which are bundled in: loaded from
//   node_modules they are some 60 CommonJS files, and resolving and compiling
//   those cost about 0.1 CPU-s of every agent and every field command
//   (`fwx devices` from dist/: 0.27-0.34 -> 0.22-0.26 CPU-s). esbuild keeps a bundled
//   require() lazy where mqtt.js calls it lazily, so the transports a
//   connection does not use are still never loaded (src/ota/mqtt-connect.ts).
//   Bundled CommonJS asks for Node's built-in modules with require(), which an
//   ES module has only through createRequire: hence the banner. So mqtt is a
//   development dependency: what dist/ needs of it is inside dist/.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BUNDLED_DEPENDENCIES = new Set(["mqtt"]);

/** Every dependency but those bundled in, as package names esbuild leaves to Node. */
function externalPackages() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter((d) => !BUNDLED_DEPENDENCIES.has(d));
}

/**
 * The digest src/build/transform-digest.ts takes of the compiler transforms' sources, which the compile
 * cache's key names: the bundle carries it, so the CLI and the sources it was made from share entries.
 * tests/build/transform-digest.test.ts checks that both say the same.
 */
function transformSourcesDigest() {
  const hash = createHash("sha256");
  for (const name of ["static-utf8.ts", "static-text.ts", "abort-sites.ts"]) {
    const text = readFileSync(join(root, "src", "build", name));
    hash.update(`${name}\0${text.length}\0`).update(text);
  }
  return hash.digest("hex");
}

/**
 * Bundles src/cli.ts and src/agent/prepare-worker.ts into `outdir` (cli.js, prepare-worker.js, chunks/).
 * Chunks a previous build left there and this one did not write are removed. The directory must be
 * inside the repository (or anywhere the project's node_modules resolve from), as dist/ is.
 * Returns the path of cli.js.
 */
export async function bundleCli({ outdir = join(root, "dist"), sourcemap = true, logLevel = "warning" } = {}) {
  mkdirSync(outdir, { recursive: true });
  // dist/ is ESM by the repository's package.json; a bundle elsewhere (node_modules/.cache) says so itself.
  if (relative(root, outdir).startsWith("node_modules")) writeFileSync(join(outdir, "package.json"), '{ "type": "module" }\n');
  const result = await build({
    entryPoints: { cli: join(root, "src/cli.ts"), "prepare-worker": join(root, "src/agent/prepare-worker.ts") },
    absWorkingDir: root,
    outdir,
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    splitting: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap,
    external: externalPackages(),
    metafile: true,
    define: { FWX_TRANSFORM_SOURCES_DIGEST: JSON.stringify(transformSourcesDigest()) },
    logLevel,
    banner: { js: 'import { createRequire as __fwxCreateRequire } from "node:module"; const require = __fwxCreateRequire(import.meta.url);' },
  });
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(root, f)));
  const chunks = join(outdir, "chunks");
  for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
    if (!written.has(join(chunks, name))) rmSync(join(chunks, name), { force: true });
  }
  return join(outdir, "cli.js");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await bundleCli();
  } catch (e) {
    // esbuild has printed each build error with its file and line (it throws them as `errors`); say anything else.
    if (!Array.isArray(e?.errors)) console.error(`npm run build: ${e?.message ?? String(e)}`);
    process.exitCode = 1;
  }
}
