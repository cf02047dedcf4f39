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
import { MANIFEST_FILE } from "../build/manifest.js";
import { instrumentFuel } from "../fuel/instrument.js";
import { adaptForMcu } from "../fuel/mcu.js";
import { formatValidation, requiredInterfaces } from "../validate/validate.js";
import { ABI_SECTION_NAME, encodeAbiSection } from "../wasm/abi-section.js";
import { appendCustomSection } from "../wasm/reader.js";
import { FWX_VERSION } from "../version.js";
import { SOURCE_HASH_BYTES, type DeviceClass, type Manifest } from "./manifest.js";

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
 * SHA-256 over fwx.json and every file under assembly/, each as
 * "<relative path with />\0<length>\0<bytes>", in path order: the same
 * sources give the same hash on any machine. Truncated to 16 bytes: it
 * identifies a source tree; the payload hash is what is verified.
 */
export function sourceHash(projectDir: string): Uint8Array {
  const files = [join(projectDir, MANIFEST_FILE), ...filesUnder(join(projectDir, "assembly"))]
    .map((f) => ({ f, rel: relative(projectDir, f).split(sep).join("/") }))
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const h = createHash("sha256");
  for (const { f, rel } of files) {
    const data = readFileSync(f);
    h.update(`${rel}\0${data.length}\0`).update(data);
  }
  return new Uint8Array(h.digest().subarray(0, SOURCE_HASH_BYTES));
}

export async function buildProjectPayload(dir: string, target: DeviceClass): Promise<{ payload: Uint8Array; build: Manifest["build"] }> {
  let result;
  try {
    // Validated against the target's limits: an mcu module past them is refused here, before instrumentation.
    result = await buildModule(dir, { write: false, deviceClass: target });
  } catch (e) {
    if (e instanceof BuildInputError) throw new UsageError(`pack: ${e.message}`);
    throw e;
  }
  if (!result.ok || !result.bytes) {
    const details = result.stage === "validate" && result.validation && result.bytes
      ? formatValidation(result.validation, dir)
      : [...result.diagnostics.map(formatDiagnostic), ...(result.compileFailure ? [result.compileFailure] : [])].join("\n");
    throw new UsageError(`pack: building ${dir} failed at ${result.stage}:\n${details}`);
  }
  let payload = result.bytes;
  if (target === "mcu") {
    try {
      payload = instrumentFuel(payload).bytes;
      // Start function as __fwx_start and a checked memory.grow: what the C device runtime needs on wasm3.
      payload = adaptForMcu(payload).bytes;
      // The counter imports fwx:core@1 fuel_exhausted: the interface list must say so, or a device would link a module that needs more than it declared.
      payload = appendCustomSection(payload, ABI_SECTION_NAME, encodeAbiSection(requiredInterfaces(payload)));
    } catch (e) {
      throw new UsageError(`pack: ${dir}: fuel instrumentation for mcu failed: ${(e as Error).message}`);
    }
  }
  const build: Manifest["build"] = { fwx: FWX_VERSION, sourceHash: sourceHash(dir) };
  const as = assemblyScriptVersion();
  if (as) build.assemblyscript = as;
  return { payload, build };
}
