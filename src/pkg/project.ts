// `fwx pack <project-dir>`: build the project exactly as `fwx build` does,
// then prepare the payload for its device class (instrumented for wasm3 on
// microcontrollers, left as built for the gateway agent, which meters it
// itself), and record where it came from (toolchain versions, source hash).

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { UsageError } from "../cli/command.js";
import { buildModule, BuildInputError } from "../build/build.js";
import { formatDiagnostic } from "../build/compile.js";
import type { KeyObject } from "node:crypto";
import type { Capabilities } from "../caps/capabilities.js";
import { MANIFEST_FILE, ManifestError, readManifest } from "../build/manifest.js";
import { buildPackage, configFields, DEFAULT_FUEL_PER_CALLBACK, DEFAULT_RAM_BYTES } from "./pack.js";
import { deviceForm } from "../build/finish.js";
import type { DebugMap } from "../build/debug-map.js";
import { instrumentedDebugMap } from "../build/debug-map-mcu.js";
import { formatValidation } from "../validate/validate.js";
import { FWX_VERSION } from "../version.js";
import { SOURCE_HASH_BYTES, type BuildProvenance, type DeviceClass } from "./manifest.js";

function assemblyScriptVersion(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url)("assemblyscript/package.json") as { version?: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "build" ? [] : filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

/**
 * SHA-256 over fwx.json, every file under assembly/ and, for a module built
 * by another toolchain, its .wasm entry (the sources fwx sees), each as
 * "<relative path with />\0<length>\0<bytes>", in path order: the same
 * sources give the same hash on any machine. Truncated to 16 bytes: it
 * identifies a source tree; the payload hash is what is verified.
 */
export function sourceHash(projectDir: string, entry?: string): Uint8Array {
  const wasmEntry = entry?.endsWith(".wasm") ? [join(projectDir, entry)] : [];
  const files = [join(projectDir, MANIFEST_FILE), ...filesUnder(join(projectDir, "assembly")), ...wasmEntry]
    .map((f) => ({ f, rel: relative(projectDir, f).split(sep).join("/") }))
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const h = createHash("sha256");
  for (const { f, rel } of files) {
    const data = readFileSync(f);
    h.update(`${rel}\0${data.length}\0`).update(data);
  }
  return new Uint8Array(h.digest().subarray(0, SOURCE_HASH_BYTES));
}

export async function buildProjectPayload(dir: string, target: DeviceClass): Promise<{ payload: Uint8Array; build: BuildProvenance; debugMap: DebugMap | null }> {
  let result;
  try {
    // Validated against the target's limits: an mcu module past them is refused here, before instrumentation.
    result = await buildModule(dir, { write: false, deviceClass: target });
  } catch (e) {
    if (e instanceof BuildInputError || e instanceof ManifestError) throw new UsageError(`pack: ${e.message}`);
    throw e;
  }
  if (!result.ok || !result.bytes) {
    const details = result.stage === "validate" && result.validation && result.bytes
      ? formatValidation(result.validation, dir)
      : [...result.diagnostics.map(formatDiagnostic), ...(result.compileFailure ? [result.compileFailure] : [])].join("\n");
    throw new UsageError(`pack: building ${dir} failed at ${result.stage}:\n${details}`);
  }
  let payload: Uint8Array;
  try {
    payload = deviceForm(result.bytes, target);
  } catch (e) {
    throw new UsageError(`pack: ${dir}: fuel instrumentation for mcu failed: ${(e as Error).message}`);
  }
  const build: BuildProvenance = { fwx: FWX_VERSION, sourceHash: sourceHash(dir, result.manifest?.entry) };
  // Only an AssemblyScript build was made by the compiler whose version this names.
  const as = result.entry.endsWith(".ts") ? assemblyScriptVersion() : undefined;
  if (as) build.assemblyscript = as;
  // The map of the bytes as shipped: an instrumented payload's positions are not the build's.
  const debugMap = !result.debugMap ? null : payload === result.bytes ? result.debugMap : instrumentedDebugMap(result.debugMap, result.bytes, payload);
  return { payload, build, debugMap };
}

export interface ProjectPackageOptions {
  target: DeviceClass;
  integratorKey: KeyObject;
  certificate: Uint8Array;
  sequence: number;
  now: number;
  /** Overrides of what fwx.json says (fwx pack --id, --version, --caps, --ram, --fuel). */
  id?: string;
  version?: string;
  capabilities?: Capabilities;
  ramBytes?: number;
  fuelPerCallback?: number;
}

/**
 * `fwx pack <project-dir>` without the files: builds the project for its
 * target and signs the package its fwx.json describes. Shared by `fwx pack`
 * and `fwx flash <project> --watch`. Throws UsageError (build failure) or
 * PackError (a package a device would refuse).
 */
export async function packProject(dir: string, o: ProjectPackageOptions): Promise<ReturnType<typeof buildPackage> & { payload: Uint8Array; debugMap: DebugMap | null }> {
  let manifest;
  try {
    manifest = readManifest(dir);
  } catch (e) {
    if (e instanceof ManifestError) throw new UsageError(`pack: ${e.message}`);
    throw e;
  }
  const { payload, build, debugMap } = await buildProjectPayload(dir, o.target);
  const packed = buildPackage({
    payload, id: o.id ?? manifest.id, version: o.version ?? manifest.version, sequence: o.sequence, deviceClass: o.target,
    capabilities: o.capabilities ?? manifest.capabilities, config: configFields(manifest.config),
    ramBytes: o.ramBytes ?? manifest.ramBudgetBytes ?? DEFAULT_RAM_BYTES, fuelPerCallback: o.fuelPerCallback ?? DEFAULT_FUEL_PER_CALLBACK,
    build, certificate: o.certificate, integratorKey: o.integratorKey, now: o.now,
  });
  return { ...packed, payload, debugMap };
}
