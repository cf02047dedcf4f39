// The in-process AssemblyScript compile of `fwx build`. Hermetic: the
// project's own asconfig.json is not read (a virtual empty one is), the
// `fwx` package resolves to this package's SDK through a virtual package
// directory served by readFile (so the project's node_modules need not link
// to us), and the output stays in memory until the build decides to write it.

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { walkSections } from "../wasm/sections.js";
import { compileCacheDir, compileKey, lookupCompile, storeCompile, type CachedOutputs, type CompileInputs } from "./compile-cache.js";
import { staticUtf8Transform } from "./static-utf8.js";
import { abortSitesTransform, type AbortSites } from "./abort-sites.js";
import { transformCodeDigest } from "./transform-digest.js";

export type Runtime = "stub" | "minimal" | "incremental";
export const RUNTIMES: readonly Runtime[] = ["stub", "minimal", "incremental"];

export interface Diagnostic {
  severity: "error" | "warning" | "info";
  /** AssemblyScript diagnostic code, e.g. 2304. */
  code: number;
  message: string;
  /** Path as the user should see it (relative to the working directory), when known. */
  file?: string;
  /** 1-based. */
  line?: number;
  column?: number;
  /** The source line the diagnostic points into, for a code frame. */
  sourceLine?: string;
}

export interface CompileResult {
  binary: Uint8Array | null;
  /** asc's source map (v3 JSON; its columns are byte offsets into `binary`) for the debug map. */
  sourceMap?: string;
  /** Every function's name in index order (imports first), from the text output: the binary holds no names without --debug-names. */
  functionNames?: string[];
  diagnostics: Diagnostic[];
  /** The compiler's own failure message when it failed without a diagnostic. */
  failure?: string;
  /** Abort site id -> "file:line:column message" (abort-sites.ts), for the debug map: the module carries only the ids. */
  aborts?: AbortSites;
  /** True when the compiler did not run: every input was the same as for a cached result (compile-cache.ts). */
  fromCache?: boolean;
}

let foundRoot: string | undefined;

/** The directory of this package (holds assembly/ and package.json), found from this file upwards once per process. */
export function packageRoot(): string {
  foundRoot ??= findPackageRoot();
  return foundRoot;
}

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "fwx" && readFileSync(join(dir, "assembly", "index.ts"), "utf8")) return dir;
    } catch {
      // not here; keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the fwx package (with assembly/index.ts) above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

// Never touched on disk: readFile answers for everything below it.
const VIRTUAL_ROOT = resolve("/__fwx_build__");
const VIRTUAL_PACKAGES = join(VIRTUAL_ROOT, "packages");
const VIRTUAL_CONFIG = join(VIRTUAL_ROOT, "asconfig.json");
/** Served inside the project directory, so its internal path has no "..". */
const VIRTUAL_ENTRY_NAME = ".fwx-abort-entry.ts";
/** The abort handler's internal name (file ~lib/fwx/abort.ts, function fwxAbort). */
const ABORT_ALIAS = "abort=~lib/fwx/abort/fwxAbort";

export interface CompileOptions {
  /** Project directory: relative paths in diagnostics are resolved from here. */
  baseDir: string;
  /** Entry file, absolute or relative to baseDir. */
  entry: string;
  runtime: Runtime;
  /** Include a name section (function names for traps and profiles). Costs flash. */
  debugNames?: boolean;
  /** Also produce what the debug map is made from (default true; the code is the same either way). */
  debugMap?: boolean;
  /** Where compile-cache.ts keeps results; null: no cache. Default: compileCacheDir() (FWX_CACHE_DIR, FWX_BUILD_CACHE). */
  cacheDir?: string | null;
}

let ascModule: typeof import("assemblyscript/asc") | null = null;

async function loadAsc(): Promise<typeof import("assemblyscript/asc")> {
  // Loaded on first use: importing the compiler costs about half a second.
  ascModule ??= await import("assemblyscript/asc");
  return ascModule;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The compiler's and its optimizer's versions: part of the cache key, read without loading the compiler. */
let toolVersions: { asc: string; binaryen: string } | null = null;
function compilerVersions(): { asc: string; binaryen: string } {
  if (!toolVersions) {
    const require = createRequire(import.meta.url);
    const ascPackage = require.resolve("assemblyscript/package.json");
    const ascVersion = (require(ascPackage) as { version: string }).version;
    const binaryenVersion = (createRequire(ascPackage)("binaryen/package.json") as { version: string }).version;
    toolVersions = { asc: ascVersion, binaryen: binaryenVersion };
  }
  return toolVersions;
}

export async function compileAssemblyScript(options: CompileOptions): Promise<CompileResult> {
  const sdkDir = join(packageRoot(), "assembly");
  const baseDir = resolve(options.baseDir);
  const sdkPrefix = join(VIRTUAL_PACKAGES, "fwx") + sep;
  const virtualEntry = join(baseDir, VIRTUAL_ENTRY_NAME);

  /** Maps a path the compiler asks for to the file on disk, or a virtual file's contents. */
  const physical = (abs: string): string => (abs.startsWith(sdkPrefix) ? join(sdkDir, abs.slice(sdkPrefix.length)) : abs);
  const sources = new Map<string, string>();
  let binary: Uint8Array | null = null;
  let sourceMap: string | undefined;
  let text: string | undefined;

  /** What the compiler is given for an absolute path it asks for (null: no such file). */
  const readSource = (abs: string): string | null => {
    if (abs === VIRTUAL_CONFIG) return "{}";
    // Loading the abort handler from its own entry keeps it in the program
    // even when the module never imports "fwx".
    if (abs === virtualEntry) return 'import "fwx/abort";\n';
    const file = physical(abs);
    try {
      const text = readFileSync(file, "utf8");
      sources.set(file, text);
      return text;
    } catch {
      return null;
    }
  };
  /** The sources in a directory the compiler lists (null: no such directory). */
  const listSources = (abs: string): string[] | null => {
    try {
      return readdirSync(physical(abs)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
    } catch {
      return null;
    }
  };
  const inputs: CompileInputs = { files: new Map(), listings: new Map() };
  const readFile = (filename: string, dir: string): string | null => {
    const abs = resolve(dir, filename);
    const answer = readSource(abs);
    inputs.files.set(abs, answer);
    return answer;
  };

  const diagnostics: Diagnostic[] = [];
  const argv = [
    relative(baseDir, resolve(baseDir, options.entry)),
    VIRTUAL_ENTRY_NAME,
    "--baseDir", baseDir,
    "--config", VIRTUAL_CONFIG,
    // Absolute: asc resolves a relative --path from the working directory, not from --baseDir, so a
    // relative one missed the SDK when the project was reached through "..", as in ../../x.
    "--path", VIRTUAL_PACKAGES,
    "--use", ABORT_ALIAS,
    "--runtime", options.runtime,
    // Size first: flash is the scarce resource on the devices. Measured on
    // the cold-chain example (stub runtime): -O3s --converge 6921 B,
    // -Oz 7085 B, -O3z 7101 B, -O3 8243 B; the scaffold and a small sensor
    // module rank the same way.
    "-O3s", "--converge", "--noAssert",
    "--outFile", "module.wasm",
    // For the debug map (debug-map.ts): where each byte of code came from,
    // and every function's name. Neither changes the code (the binary is the
    // same but for the sourceMappingURL section, removed below;
    // tests/build/debug-map.test.ts compares), and neither ships.
    ...(options.debugMap === false ? [] : ["--sourceMap", "--textFile", "module.wat"]),
    "--noColors",
    ...(options.debugNames ? ["--debug"] : []),
  ];
  const cacheDir = options.cacheDir === undefined ? compileCacheDir() : options.cacheDir;
  // The transforms are code that changes the output: their sources are part of the key
  // (transform-digest.ts). The working directory is not: diagnostics are kept with absolute paths and
  // shown from it afterwards (compileResult), so a build from another directory is a hit too.
  const key = compileKey({ ...compilerVersions(), argv, baseDir, transforms: transformCodeDigest() });
  const hit = cacheDir ? lookupCompile<Diagnostic>(cacheDir, key, readSource, listSources) : null;
  if (hit) return compileResult(hit, true);

  const asc = await loadAsc();
  // The transform needs the compiler's AST factory: the module asc itself loaded.
  const compiler = await import("assemblyscript");
  const aborts: AbortSites = {};
  const result = await asc.main(argv, {
    transforms: [staticUtf8Transform(compiler) as never, abortSitesTransform(compiler, aborts) as never],
    readFile,
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
      else if (name.endsWith(".wasm.map") && typeof contents === "string") sourceMap = contents;
      else if (name.endsWith(".wat") && typeof contents === "string") text = contents;
    },
    listFiles: (dirname: string, dir: string) => {
      const abs = resolve(dir, dirname);
      const answer = listSources(abs);
      inputs.listings.set(abs, answer);
      return answer;
    },
    stdout: { write: () => true } as never,
    stderr: { write: () => true } as never,
    reportDiagnostic: (d) => {
      const severity = d.category === 3 ? "error" : d.category === 2 ? "warning" : "info";
      const diag: Diagnostic = { severity, code: d.code, message: d.message };
      if (d.range) {
        const internal = d.range.source.normalizedPath;
        // ~lib/fwx/... is the SDK; other ~lib paths are the compiler's standard library.
        const abs = internal.startsWith("~lib/fwx/") ? join(sdkDir, internal.slice("~lib/fwx/".length)) : internal.startsWith("~lib/") ? null : resolve(baseDir, internal);
        if (abs) {
          diag.file = abs;
          const text = sources.get(abs);
          if (text !== undefined) {
            const at = lineColumn(text, d.range.start);
            Object.assign(diag, at, { sourceLine: text.split("\n")[at.line - 1]?.replace(/\r$/, "") ?? "" });
          }
        } else diag.file = internal;
      }
      diagnostics.push(diag);
    },
  });
  const outputs: CachedOutputs<Diagnostic> = {
    binary: result.error ? null : binary,
    ...(sourceMap !== undefined ? { sourceMap } : {}),
    ...(text !== undefined ? { text } : {}),
    aborts,
    diagnostics,
    ...(result.error ? { error: result.error.message } : {}),
  };
  if (cacheDir) storeCompile(cacheDir, key, inputs, outputs);
  return compileResult(outputs, false);
}

/** What fwx makes of the compiler's outputs, the same whether it just ran or its outputs came from the cache. */
function compileResult(outputs: CachedOutputs<Diagnostic>, fromCache: boolean): CompileResult {
  const { binary, sourceMap, text, aborts, error } = outputs;
  // Project files are kept absolute (and so are cached); they are shown from the working directory.
  const diagnostics = outputs.diagnostics.map((d) => (d.file !== undefined && isAbsolute(d.file) ? { ...d, file: relative(process.cwd(), d.file) || d.file } : d));
  const out: CompileResult = { binary: error !== undefined || !binary ? null : withoutSourceMapUrl(binary), diagnostics, fromCache };
  if (out.binary && sourceMap !== undefined) out.sourceMap = sourceMap;
  if (out.binary && text !== undefined) out.functionNames = functionNamesOfText(text);
  if (out.binary) out.aborts = aborts ?? {};
  if (error !== undefined && !diagnostics.some((d) => d.severity === "error")) out.failure = error;
  return out;
}

/** The binary without the sourceMappingURL section asc appends last: the map never ships, so neither does a pointer to it. */
function withoutSourceMapUrl(binary: Uint8Array): Uint8Array {
  const last = walkSections(binary).at(-1);
  return last && last.id === 0 && last.name === "sourceMappingURL" ? binary.slice(0, last.offset) : binary;
}

/**
 * Function names in index order from binaryen's text output, which lists
 * imported functions first, then defined ones, in the binary's order:
 * `(func $name` or, for a name the text format cannot hold bare, `(func $"name"`.
 */
export function functionNamesOfText(text: string): string[] {
  const names: string[] = [];
  const head = /^\s*(?:\(import "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*" )?\(func \$(?:"((?:[^"\\]|\\.)*)"|([^\s()]+))/gm;
  for (const m of text.matchAll(head)) names.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  return names;
}

/** `file:line:col: error AS2304: message`, then the source line and a caret when known. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column}` : ""}: ` : "";
  const head = `${where}${d.severity} AS${d.code}: ${d.message}`;
  if (d.sourceLine === undefined || d.column === undefined) return head;
  const gutter = `${d.line} | `;
  // Tabs stay tabs under the caret so it lines up in any terminal.
  const pad = d.sourceLine.slice(0, d.column - 1).replace(/[^\t]/g, " ");
  return `${head}\n  ${gutter}${d.sourceLine}\n  ${" ".repeat(gutter.length)}${pad}^`;
}
