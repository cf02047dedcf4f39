// `buildModule`: project directory (or entry file) → validated .wasm with its
// fwx.abi section, written atomically. Used by `fwx build` and by every
// command that accepts a project directory (demo, pack, run). The entry is
// AssemblyScript, compiled here, or a .wasm another toolchain built (C, Rust):
// that one is read as it is, then finished and validated the same way.

import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { shrinkModule } from "./shrink.js";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { WasmParseError } from "../wasm/reader.js";
import { SECTION, walkSections } from "../wasm/sections.js";
import { validateModule, type ValidationIssue, type ValidationResult } from "../validate/validate.js";
import type { DeviceClass } from "../validate/limits.js";
import { writeFileDurable } from "../fs/durable.js";
import { compileAssemblyScript, type CompileResult, type Diagnostic, type Runtime } from "./compile.js";
import { createDebugMap, debugMapPath, type DebugMap } from "./debug-map.js";
import { withAbiSection } from "./finish.js";
import { MANIFEST_FILE, ManifestError, projectAboveHint, readManifest, type ModuleManifest } from "./manifest.js";

export interface BuildOptions {
  /** Output path; default `<project>/build/<module id>.wasm` (or `<entry dir>/build/<name>.wasm`). */
  out?: string;
  /** Overrides the manifest's ramBudget. */
  ramBudgetBytes?: number;
  /** Default "stub": the module's heap never frees, which suits init-time allocation and costs least. */
  runtime?: Runtime;
  /** Keep the result in memory only (demo/run use the bytes directly). */
  write?: boolean;
  /** Keep function names in the binary. */
  debugNames?: boolean;
  /** Whose resource limits the module is validated against (default: the gateway's). */
  deviceClass?: DeviceClass;
}

export interface BuildResult {
  ok: boolean;
  /** Where it stopped: "compile" and "validate" failures are the integrator's to fix. */
  stage: "compile" | "validate" | "done";
  projectDir: string;
  entry: string;
  manifest: ModuleManifest | null;
  runtime: Runtime;
  /** Final bytes (with the fwx.abi section) when compilation succeeded, even if validation failed. */
  bytes: Uint8Array | null;
  /** Written output path (only when ok and writing). */
  outFile: string | null;
  /** Names and source lines of `bytes` (debug-map.ts); written beside the output as `<name>.fwxmap.json`, never into it. */
  debugMap: DebugMap | null;
  /** Where the debug map was written (only when ok and writing). */
  debugMapFile: string | null;
  /** Where the output goes (or would go). */
  outPath: string;
  diagnostics: Diagnostic[];
  /** Set when compilation failed without a diagnostic (rare: a compiler crash). */
  compileFailure?: string;
  validation: ValidationResult | null;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves the build target: a project directory with fwx.json, or a single entry file. */
function locate(target: string): { projectDir: string; entry: string; manifest: ModuleManifest | null } {
  const abs = resolve(target);
  try {
    statSync(abs);
  } catch {
    throw new BuildInputError(`${target}: no such file or directory`);
  }
  if (isDirectory(abs)) {
    // A ManifestError, as for an unreadable fwx.json: every caller (build, run, pack, demo) reports those already.
    if (!existsSync(join(abs, MANIFEST_FILE))) {
      throw new ManifestError(join(target, MANIFEST_FILE), "(file)", `not found: a project directory needs one (\`fwx new <dir>\` makes one), or name an AssemblyScript .ts entry file${projectAboveHint(abs)}`);
    }
    const manifest = readManifest(abs);
    const entry = join(abs, manifest.entry);
    // A missing AssemblyScript entry is the manifest's to name (the compiler would say only "File not found");
    // a missing .wasm entry has its own advice (readToolchainOutput): build it with its toolchain first.
    if (extname(entry) === ".ts" && !existsSync(entry)) {
      throw new ManifestError(join(abs, MANIFEST_FILE), "entry", `${manifest.entry}: no such file in the project`);
    }
    return { projectDir: abs, entry, manifest };
  }
  if (extname(abs) !== ".ts") throw new BuildInputError(`${target}: not a project directory (with fwx.json) or an AssemblyScript .ts entry file (a .wasm from another toolchain is built through the project whose fwx.json names it as its entry)`);
  return { projectDir: dirname(abs), entry: abs, manifest: null };
}

/** A build target that does not exist or is not buildable: the user's mistake, not a compile error. */
export class BuildInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildInputError";
  }
}

/** A .wasm entry as its toolchain left it: the "compile" stage of a C or Rust module. */
function readToolchainOutput(projectDir: string, entry: string): CompileResult {
  const shown = relative(process.cwd(), entry) || entry;
  try {
    return { binary: new Uint8Array(readFileSync(entry)), diagnostics: [] };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT"
      ? `not found: build the module with its own toolchain first (for example \`make -C ${relative(process.cwd(), projectDir) || "."}\`), then run fwx again`
      : code === "EISDIR" ? "is a directory, not a .wasm module" : (e as Error).message;
    return { binary: null, diagnostics: [], failure: `${shown}: ${why}` };
  }
}

/**
 * A module from another toolchain must say where its heap starts: LLVM puts
 * .bss and the stack where the data segments do not show them, so without
 * __heap_base its RAM need would be understated (docs/modules-c-rust.md).
 */
function requireHeapBase(validation: ValidationResult, bytes: Uint8Array): void {
  if (validation.report.ram.measuredFrom === "heap-base") return;
  // Where the export would go: the export section (as a missing fwx_init is reported), else the module's end.
  let exports: { offset: number; location: string } = { offset: bytes.length, location: "end of module" };
  try {
    const section = walkSections(bytes).find((s) => s.id === SECTION.export);
    if (section) exports = { offset: section.offset, location: "export section" };
  } catch { /* an unreadable module has its own errors */ }
  const issue: ValidationIssue = {
    code: "heap-base-missing", ...exports,
    message: "a module built by another toolchain must export __heap_base, so that its .bss, stack and static data are counted against the RAM budget: link with -Wl,--export=__heap_base (clang; Rust cdylibs export it by default)",
  };
  validation.errors.push(issue);
  validation.ok = false;
}

export async function buildModule(target: string, options: BuildOptions = {}): Promise<BuildResult> {
  const { projectDir, entry, manifest } = locate(target);
  const runtime = options.runtime ?? "stub";
  const name = manifest ? manifest.id : basename(entry, ".ts");
  const outPath = resolve(options.out ?? join(projectDir, "build", `${name}.wasm`));
  const base: Omit<BuildResult, "ok" | "stage"> = {
    projectDir, entry, manifest, runtime, bytes: null, outFile: null, outPath, diagnostics: [], validation: null, debugMap: null, debugMapFile: null,
  };

  const foreign = extname(entry) === ".wasm";
  const compiled = foreign
    ? readToolchainOutput(projectDir, entry)
    : await compileAssemblyScript({ baseDir: projectDir, entry: relative(projectDir, entry), runtime, debugNames: options.debugNames ?? false });
  base.diagnostics = compiled.diagnostics;
  if (!compiled.binary) {
    return { ...base, ok: false, stage: "compile", ...(compiled.failure ? { compileFailure: compiled.failure } : {}) };
  }

  // The section goes in before validation: the validator checks that it
  // matches the imports, exactly as a device will.
  let bytes = compiled.binary;
  // Rewrites only the data section and the data count in place: the code,
  // and with it the offsets of a source map, stays where it is.
  bytes = shrinkModule(bytes);
  try {
    bytes = withAbiSection(bytes);
  } catch (e) {
    // Unreadable compiler output: let the validator describe it precisely.
    if (!(e instanceof WasmParseError)) throw e;
  }
  const ramBudgetBytes = options.ramBudgetBytes ?? manifest?.ramBudgetBytes;
  const validation = validateModule(bytes, {
    ...(ramBudgetBytes === undefined ? {} : { ramBudgetBytes }),
    ...(options.deviceClass ? { deviceClass: options.deviceClass } : {}),
  });
  if (foreign) requireHeapBase(validation, bytes);
  base.bytes = bytes;
  base.validation = validation;
  if (compiled.sourceMap !== undefined && compiled.functionNames) {
    // The fwx.abi section was appended after the code, so code offsets are the compiler's.
    base.debugMap = createDebugMap(bytes, compiled.sourceMap, compiled.functionNames, manifest ? { id: manifest.id, version: manifest.version } : null, compiled.aborts ?? {});
  }
  if (!validation.ok) return { ...base, ok: false, stage: "validate" };

  if (options.write ?? true) {
    // Only the default build/ directory is created: a path the caller named must have its directory (README, "Errors and exit codes").
    if (options.out === undefined) mkdirSync(dirname(outPath), { recursive: true });
    writeFileDurable(outPath, bytes);
    base.outFile = outPath;
    if (base.debugMap) {
      const mapPath = debugMapPath(outPath);
      writeFileDurable(mapPath, JSON.stringify(base.debugMap));
      base.debugMapFile = mapPath;
    }
  }
  return { ...base, ok: true, stage: "done" };
}
