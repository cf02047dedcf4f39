import { relative } from "node:path";
import { parseCommandArgs, ramBudgetOption } from "../cli/args.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputFile } from "../cli/files.js";
import { buildModule, BuildInputError, type BuildResult } from "../build/build.js";
import { formatDiagnostic, RUNTIMES, type Runtime } from "../build/compile.js";
import { ManifestError } from "../build/manifest.js";
import { formatValidation } from "../validate/validate.js";
import { measureRamNeed, type RamNeed } from "../build/ram-need.js";

const HELP = `usage: fwx build [dir | entry.ts] [-o out.wasm] [--json] [--ram-budget <size>]
                 [--runtime stub|minimal|incremental] [--debug-names] [--no-ram-run]

Compiles an AssemblyScript module in-process, checks it with the same rules
as \`fwx validate\`, adds the fwx.abi section naming the interfaces it needs,
and writes it atomically (a failed build never replaces a good output).
A project's build is then run on the simulated board (fed by its trace.csv,
as \`fwx ram\` runs it) to report its measured RAM need beside the budget.

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
  --no-ram-run         skip the simulated run that measures the RAM need
                       (static data is still reported)
  --debug-names        keep function names in the module itself (bigger module;
                       not needed for readable crash reports: every build
                       writes <out>.fwxmap.json beside the module, with names
                       and source lines, see docs/debug-maps.md)
  -h, --help           show this help

The compiler's results are cached in ~/.cache/fwx/asc ($XDG_CACHE_HOME/fwx/asc,
or $FWX_CACHE_DIR/asc): a build whose sources, SDK, options and compiler are
all unchanged skips the compile (about 2 s). FWX_BUILD_CACHE=0 turns it off.
The RAM run's module, prepared for running, is kept as fwx run keeps its own
(~/.cache/fwx/prepared; FWX_PREPARE_CACHE=0 turns that off).

exit codes:
  0  built and valid
  1  internal error
  2  compile error, invalid module, bad fwx.json, or a usage error

examples:
  fwx build examples/cold-chain-alarm
  fwx build . -o dist/alarm.wasm --ram-budget 32k
  fwx build assembly/index.ts --json | jq .validation.report.flashBytes`;

function toJson(r: BuildResult, ramNeed: RamNeed | string | null): unknown {
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
    // The measured need (fwx ram's run), the reason it could not be measured, or null when not run.
    ramNeed,
  };
}

/** The need as `fwx ram` measures it, or why it could not be: only a valid project build (with fwx.json) is run. */
async function ramRun(dir: string, r: BuildResult): Promise<RamNeed | string | null> {
  if (!r.ok || !r.manifest || !r.bytes || r.entry.endsWith(".wasm")) return null;
  try {
    return await measureRamNeed(dir, r.bytes, r.manifest);
  } catch (e) {
    return (e as Error).message;
  }
}

function formatRamNeed(need: RamNeed | string, budget: number): string[] {
  if (typeof need === "string") return [`  RAM run     not measured: ${need}`];
  const heap = need.heapBytes === null ? "heap not walked" : `heap high-water ${need.heapBytes} B`;
  const fed = need.trace ? `fed by ${relative(process.cwd(), need.trace) || need.trace}` : "no trace.csv";
  const lines = [`  RAM run     needs ${need.needBytes} B measured (static ${need.staticBytes} B, ${heap}, stack ${need.stackBytes} B; ${need.seconds} s on the simulated board, ${fed}): the ${budget} B budget is ${(budget / need.needBytes).toFixed(2)}x it`];
  if (budget < need.needBytes) lines.push(`  warning     the budget is below the measured need: the module would fault on the device (fwx ram --write sets the budget from the need)`);
  return lines;
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
        "no-ram-run": { type: "boolean" },
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

    const ramNeed = values["no-ram-run"] ? null : await ramRun(positionals[0] ?? ".", result);
    if (values.json) {
      console.log(JSON.stringify(toJson(result, ramNeed), null, 2));
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
    if (ramNeed !== null) for (const line of formatRamNeed(ramNeed, result.validation!.report.ram.budgetBytes)) console.log(line);
    return EXIT.ok;
  },
};
