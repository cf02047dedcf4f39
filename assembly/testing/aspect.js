// as-pect configuration for fwx modules: instantiates every spec binary
// against the generated host mock, and makes `import ... from "fwx"` resolve
// to this package's SDK.
//
//   // as-pect.config.js
//   import { fwxAspectConfig } from "fwx/assembly/testing/aspect.js";
//   export default fwxAspectConfig({ entries: ["assembly/__tests__/**/*.spec.ts"] });
//
// The as-pect asconfig must list "./node_modules/.cache/fwx-as" in
// options.path, and `"use": ["ASC_RTRACE=1"]` for Mock.allocations() (the
// scaffold from `fwx new` has both).

import { lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MockHost } from "./mock-host.js";

/** The SDK directory (this package's assembly/). */
export const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the package link lives, relative to the project (as-pect's working directory). */
export const PACKAGE_PATH = "node_modules/.cache/fwx-as";

/**
 * AssemblyScript 0.27 resolves a package import "fwx" only as
 * `<dir>/fwx/index.ts` in node_modules or an options.path directory, while
 * the SDK lives in this package's assembly/ folder. A link named `fwx` to
 * that folder, under a path directory, bridges the two for as-pect, whose
 * compiler host reads the real file system.
 */
export function ensurePackageLink(projectDir = process.cwd()) {
  const dir = join(projectDir, PACKAGE_PATH);
  const link = join(dir, "fwx");
  mkdirSync(dir, { recursive: true });
  try {
    if (lstatSync(link).isSymbolicLink() && resolve(dir, readlinkSync(link)) === SDK_DIR) return link;
    rmSync(link, { recursive: true, force: true });
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  try {
    symlinkSync(SDK_DIR, link, "dir");
  } catch (e) {
    // Another as-pect run created it between our check and now.
    if (e.code !== "EEXIST") throw e;
  }
  return link;
}

/**
 * The config defaults of an fwx.json as the text core.config_get returns, so
 * the mock serves them like the device agent does when a device has no value.
 */
export function manifestConfigDefaults(file) {
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  const defaults = {};
  for (const [key, entry] of Object.entries(manifest.config ?? {})) {
    if (entry && entry.default !== undefined) defaults[key] = String(entry.default);
  }
  return defaults;
}

/**
 * The as-pect config object. `entries` are spec globs (relative to the
 * working directory, or absolute). `manifest` is the project's fwx.json:
 * its config defaults are served by the mock after every Mock.reset().
 * `onHost(host)` sees each spec file's MockHost after instantiation.
 */
export function fwxAspectConfig({ entries, include = [], disclude = [/node_modules/], manifest, onHost } = {}) {
  if (!Array.isArray(entries) || entries.length === 0) throw new Error("fwxAspectConfig: entries must list at least one spec glob");
  ensurePackageLink();
  const configDefaults = manifest ? manifestConfigDefaults(manifest) : {};
  return {
    entries,
    include,
    disclude,
    outputBinary: false,
    async instantiate(memory, createImports, instantiate, binary) {
      const host = new MockHost({ configDefaults });
      // Compiled here (and handed on as a module) to see whether the spec
      // binary reports its allocations: only with ASC_RTRACE does the runtime
      // import rtrace.onalloc.
      const module = await WebAssembly.compile(binary);
      const imports = createImports({ env: { memory }, ...host.imports() });
      const traced = WebAssembly.Module.imports(module).some((i) => i.module === "rtrace" && i.name === "onalloc");
      if (traced) host.traceAllocations(imports);
      const result = await instantiate(module, imports);
      host.attach(result.exports.memory ?? memory, result.exports);
      if (onHost) onHost(host);
      return result;
    },
  };
}
