import { relative } from "node:path";
import { parseCommandArgs, ramBudgetOption } from "../cli/args.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputFile } from "../cli/files.js";
import { buildModule, BuildInputError, type BuildResult } from "../build/build.js";
import { formatDiagnostic, RUNTIMES, type Runtime } from "../build/compile.js";
import { ManifestError } from "../build/manifest.js";
import { formatValidation } from "../validate/validate.js";

const HELP = `usage: fwx build [dir | entry.ts] [-o out.wasm] [--json] [--ram-budget <size>]
                 [--runtime stub|minimal|incremental] [--debug-names]

Compiles an AssemblyScript module in-process, checks it with the same rules
as \`fwx validate\`, adds the fwx.abi section naming the interfaces it needs,
and writes it atomically (a failed build never replaces a good output).

  dir        a project directory with fwx.json (default: the current directory);
             the entry, module id and RAM budget come from the manifest
             (see docs/module-manifest.md)
  entry.ts   a single entry file, built without a manifest

\`import { ... } from "fwx"\` resolves to the SDK of this fwx, whether or not
the project's node_modules contains it. AssemblyScript's abort() is routed to
the host (fwx:core@1 abort), so the module imports nothing from \`env\`.

options:
  -o, --out <file>     output path; its directory must exist (default
                       <dir>/build/<module id>.wasm, created as needed)
  --json               print the result as JSON: ok, stage, output, diagnostics,
                       validation (errors, warnings, report)
  --ram-budget <size>  linear-memory budget, overriding fwx.json: bytes (65536),
                       KiB (48k), MiB (1m) or 64 KiB pages (1p)
  --runtime <name>     AssemblyScript runtime: stub (default; allocates, never
                       frees: for modules that allocate at init), minimal
                       (TLSF + GC the host may trigger), incremental (full GC)
  --debug-names        keep function names in the module itself (bigger module;
                       not needed for readable crash reports: every build
                       writes <out>.fwxmap.json beside the module, with names
                       and source lines, see docs/debug-maps.md)
  -h, --help           show this help

The compiler's results are cached in ~/.cache/fwx/asc ($XDG_CACHE_HOME/fwx/asc,
or $FWX_CACHE_DIR/asc): a build whose sources, SDK, options and compiler are
all unchanged skips the compile (about 2 s). FWX_BUILD_CACHE=0 turns it off.

exit codes:
  0  built and valid
  1  internal error
  2  compile error, invalid module, bad fwx.json, or a usage error

examples:
  fwx build examples/cold-chain-alarm
  fwx build . -o dist/alarm.wasm --ram-budget 32k
  fwx build assembly/index.ts --json | jq .validation.report.flashBytes`;

function toJson(r: BuildResult): unknown {
  return {
    ok: r.ok,
    stage: r.stage,
    module: r.manifest ? { id: r.manifest.id, version: r.manifest.version } : null,
    entry: r.entry,
    runtime: r.runtime,
    output: r.outFile,
    debugMap: r.debugMapFile,
    diagnostics: r.diagnostics,
    ...(r.compileFailure ? { compileFailure: r.compileFailure } : {}),
    validation: r.validation,
  };
}

export const command: Command = {
  name: "build",
  summary: "Compile an AssemblyScript module, validate it and report its size and RAM",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("build", HELP, {
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: "string", short: "o" },
        json: { type: "boolean" },
        "ram-budget": { type: "string" },
        runtime: { type: "string" },
        "debug-names": { type: "boolean" },
      },
    });
    if (positionals.length > 1) throw new UsageError(`build: expected one project directory or entry file, got ${positionals.length}\n\n${HELP}`);
    const runtime = values.runtime ?? "stub";
    if (!(RUNTIMES as readonly string[]).includes(runtime)) throw new UsageError(`build: --runtime must be one of ${RUNTIMES.join(", ")}, not "${runtime}"`);
    const ramBudgetBytes = ramBudgetOption("build", values["ram-budget"]);
    // Before compiling: a bad output path must not cost a build.
    if (values.out !== undefined) checkOutputFile("build", `-o ${values.out}`, values.out);

    let result: BuildResult;
    try {
      result = await buildModule(positionals[0] ?? ".", {
        runtime: runtime as Runtime,
        debugNames: values["debug-names"] ?? false,
        ...(values.out !== undefined ? { out: values.out } : {}),
        ...(ramBudgetBytes !== undefined ? { ramBudgetBytes } : {}),
      });
    } catch (e) {
      if (e instanceof ManifestError || e instanceof BuildInputError) {
        if (values.json) {
          console.log(JSON.stringify({ ok: false, stage: "manifest", error: e.message }, null, 2));
          return EXIT.invalid;
        }
        throw new UsageError(`build: ${e.message}`);
      }
      throw e;
    }

    if (values.json) {
      console.log(JSON.stringify(toJson(result), null, 2));
      return result.ok ? EXIT.ok : EXIT.invalid;
    }
    for (const d of result.diagnostics) (d.severity === "error" ? console.error : console.warn)(formatDiagnostic(d));
    if (result.stage === "compile") {
      const errors = result.diagnostics.filter((d) => d.severity === "error").length;
      console.error(`fwx: build: compilation failed${errors ? ` with ${errors} error${errors === 1 ? "" : "s"}` : `: ${result.compileFailure ?? "unknown compiler failure"}`}; ${relative(process.cwd(), result.outPath)} left unchanged`);
      return EXIT.invalid;
    }
    const shown = relative(process.cwd(), result.outPath) || result.outPath;
    const report = formatValidation(result.validation!, shown);
    if (!result.ok) {
      console.error(report);
      console.error(`fwx: build: the module is not valid; ${shown} left unchanged`);
      return EXIT.invalid;
    }
    const label = result.manifest ? `${result.manifest.id}@${result.manifest.version}` : relative(process.cwd(), result.entry);
    const how = result.entry.endsWith(".wasm") ? `from ${relative(process.cwd(), result.entry) || result.entry}` : `runtime ${result.runtime}`;
    console.log(`built ${label} (${how}) → ${shown}`);
    // Beside the module, never in it: crash reports name functions and lines through it (docs/debug-maps.md).
    if (result.debugMapFile) console.log(`debug map (names and source lines for crash reports; not shipped) → ${relative(process.cwd(), result.debugMapFile) || result.debugMapFile}`);
    console.log(report);
    return EXIT.ok;
  },
};
