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

import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MockHost } from "./mock-host.js";
import { manifestGrants } from "./grants.js";

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
 * What the mock takes from an fwx.json: the config defaults it serves when a
 * spec set no value, and the capabilities it grants (grants.js).
 */
export function manifestSettings(file) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`fwxAspectConfig: manifest ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  }
  return { configDefaults: manifestConfigDefaults(file), grants: manifestGrants(manifest) };
}

/**
 * manifestSettings for the config's own manifest, read while as-pect loads the
 * config. An error thrown there reaches binaryen's uncaught-exception handler
 * (as-pect has loaded the compiler by then), which prints its own minified
 * source, hundreds of kilobytes on one line, before the message: say it in one
 * line and end the run instead (exit 2, as fwx test's usage errors).
 */
function manifestOrExit(file) {
  try {
    return manifestSettings(file);
  } catch (e) {
    process.stderr.write(`fwx: ${e.message}\n`);
    process.exit(2);
  }
}

/**
 * The spec file a spec binary was compiled from. as-pect does not tell the
 * instantiate hook, but the binary's name section does: AssemblyScript names
 * each file's top-level code "start:<path without .ts>", and the spec
 * asconfig compiles with debug names.
 */
export function specPathOf(binary) {
  const module = new WebAssembly.Module(binary);
  for (const section of WebAssembly.Module.customSections(module, "name")) {
    for (const name of functionNames(new Uint8Array(section))) {
      if (name.startsWith("start:") && name.endsWith(".spec")) return `${name.slice("start:".length)}.ts`;
    }
  }
  return null;
}

/** The function names of a name section's subsection 1 (the wasm spec's appendix, "name-sec"). */
function* functionNames(bytes) {
  let at = 0;
  const leb = () => {
    let value = 0, shift = 0, b;
    do {
      if (at >= bytes.length) throw new Error("fwxAspectConfig: truncated name section");
      b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return value;
  };
  const text = new TextDecoder();
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        leb();
        const len = leb();
        yield text.decode(bytes.subarray(at, at + len));
        at += len;
      }
    }
    at = end;
  }
}

/** The fwx.json nearest above a spec file (searching up to the working directory), or null. */
export function nearestManifest(specPath, root = process.cwd()) {
  let dir = resolve(root, dirname(specPath));
  const top = resolve(root);
  for (;;) {
    if (existsSync(join(dir, "fwx.json"))) return join(dir, "fwx.json");
    if (dir === top || dirname(dir) === dir) return null;
    dir = dirname(dir);
  }
}

/**
 * The as-pect config object. `entries` are spec globs (relative to the
 * working directory, or absolute). `manifest` is the project's fwx.json:
 * the mock serves its config defaults after every Mock.reset() and refuses
 * calls outside its capabilities with not-permitted, as a device does.
 * `manifest: "nearest"` takes, for each spec, the fwx.json nearest above it
 * (a repository with several projects); a spec with none above it gets every
 * grant. `onHost(host)` sees each spec file's MockHost after instantiation.
 */
export function fwxAspectConfig({ entries, include = [], disclude = [/node_modules/], manifest, onHost } = {}) {
  if (!Array.isArray(entries) || entries.length === 0) throw new Error("fwxAspectConfig: entries must list at least one spec glob");
  ensurePackageLink();
  const fixed = manifest && manifest !== "nearest" ? manifestOrExit(manifest) : null;
  const settingsFor = (binary) => {
    if (fixed) return fixed;
    if (manifest !== "nearest") return { configDefaults: {}, grants: null };
    const spec = specPathOf(binary);
    if (spec === null) throw new Error('fwxAspectConfig: manifest "nearest": the spec binary has no debug names to find its file by (set "debug": true in the as-pect asconfig)');
    const file = nearestManifest(spec);
    return file ? manifestSettings(file) : { configDefaults: {}, grants: null };
  };
  return {
    entries,
    include,
    disclude,
    outputBinary: false,
    async instantiate(memory, createImports, instantiate, binary) {
      const host = new MockHost(settingsFor(binary));
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
