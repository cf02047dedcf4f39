import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseCommandArgs } from "../cli/args.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { buildModule, BuildInputError } from "../build/build.js";
import { formatDiagnostic } from "../build/compile.js";
import { ManifestError, projectAboveHint, readManifest, type ModuleManifest } from "../build/manifest.js";
import { budgetFor, DEFAULT_RAM_MARGIN, DEFAULT_RUN_SECONDS, measureRamNeed } from "../build/ram-need.js";
import { writeFileDurable } from "../fs/durable.js";
import { parseSeconds } from "../ota/cli-support.js";

const HELP = `usage: fwx ram [dir] [--write] [--margin <factor>] [--seconds <time>] [--json]

Measures a module's real RAM need and sets its budget from it. Builds the
project in memory (as fwx build does), runs it on the simulated board fed by
the project's trace.csv, and reports:
  static  data below __heap_base (for C and Rust modules, their stack too)
  heap    the heap's high-water mark above it (AssemblyScript's stub runtime)
  stack   AssemblyScript keeps none in linear memory
  need    static + heap + stack: the highest byte the run used
  budget  need × margin, rounded up to 16 bytes

The device enforces the budget to the byte: memory.grow past it fails and a
load or store past it traps, naming the address and the budget. A run that
misses an input path the field will take can under-measure: keep the trace
representative, or raise the margin.

  dir   a project directory with fwx.json (default: the current directory)

options:
  --write            write the budget into fwx.json's "ramBudget" (an integer
                     byte count; the rest of the file is left as it is)
  --margin <factor>  budget = need × factor (default ${DEFAULT_RAM_MARGIN}; at least 1)
  --seconds <time>   device time to simulate: seconds (600) or with a unit
                     (90s, 10m, 2h), rounded up to whole seconds (default: to
                     the last row of trace.csv, else ${DEFAULT_RUN_SECONDS} s)
  --json             print the figures as JSON
  -h, --help         show this help

exit codes:
  0  measured (and written, with --write)
  1  internal error
  2  bad fwx.json, compile error, invalid module, a fault during the run, or a usage error

examples:
  fwx ram examples/cold-chain-alarm
  fwx ram . --write
  for d in examples/*/; do [ -f $d/fwx.json ] && fwx ram $d --write; done`;

/** fwx.json with "ramBudget" set to `bytes`: the value replaced in place, or the field added before the closing brace. */
export function withRamBudget(text: string, bytes: number, file: string): string {
  const field = /("ramBudget"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/;
  if (field.test(text)) return text.replace(field, (_m, key: string) => `${key}${bytes}`);
  const close = text.lastIndexOf("}");
  if (close < 0) throw new ManifestError(file, "ramBudget", "the file has no closing brace to add the field before");
  const body = text.slice(0, close).replace(/\s*$/, "");
  return `${body},\n  "ramBudget": ${bytes}\n${text.slice(close)}`;
}

function positiveNumber(option: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`ram: --${option} must be a number ≥ ${min}, not "${text}"`);
  return n;
}

export const command: Command = {
  name: "ram",
  summary: "Measure a module's RAM need on the simulator and set its budget from it",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("ram", HELP, {
      args: argv,
      allowPositionals: true,
      options: {
        write: { type: "boolean" },
        margin: { type: "string" },
        seconds: { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 1) throw new UsageError(`ram: expected one project directory, got ${positionals.length}\n\n${HELP}`);
    const margin = positiveNumber("margin", values.margin, 1) ?? DEFAULT_RAM_MARGIN;
    // Named in seconds, so a bare number is seconds; a unit is taken too, as by every such option.
    const secondsOpt = parseSeconds(values.seconds, "--seconds");
    const seconds = secondsOpt === undefined ? undefined : Math.ceil(secondsOpt);
    const dir = resolve(positionals[0] ?? ".");
    const file = join(dir, "fwx.json");
    // A file (an entry .ts, a built .wasm) would otherwise be reported as "<file>/fwx.json: a part of the path is not a directory".
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`ram: ${positionals[0]}: not a project directory: fwx ram measures a project (a directory with fwx.json)`);
    let manifest: ModuleManifest;
    try {
      manifest = readManifest(dir);
    } catch (e) {
      if (e instanceof ManifestError) throw new UsageError(`ram: ${e.message}${existsSync(file) ? "" : projectAboveHint(dir)}`);
      throw e;
    }
    const manifestBudget = manifest.ramBudgetBytes;
    let bytes: Uint8Array;
    try {
      const built = await buildModule(dir, { write: false });
      if (!built.ok || !built.bytes) {
        // Each error with its file:line:column, as fwx build prints it (the code frames left to fwx build).
        const why = built.diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d).split("\n")[0]).join("; ") || built.compileFailure || "the module is not valid (see fwx build)";
        console.error(`fwx: ram: ${relative(process.cwd(), dir) || "."}: the build failed at ${built.stage}: ${why}`);
        return EXIT.invalid;
      }
      bytes = built.bytes;
    } catch (e) {
      if (e instanceof ManifestError || e instanceof BuildInputError) throw new UsageError(`ram: ${e.message}`);
      throw e;
    }
    let need;
    try {
      need = await measureRamNeed(dir, bytes, manifest, seconds === undefined ? {} : { seconds });
    } catch (e) {
      console.error(`fwx: ram: ${(e as Error).message}`);
      return EXIT.invalid;
    }
    const budget = budgetFor(need.needBytes, margin);
    if (values.write) writeFileDurable(file, withRamBudget(readFileSync(file, "utf8"), budget, file));
    if (values.json) {
      console.log(JSON.stringify({ ...need, margin, budgetBytes: budget, manifestBudgetBytes: manifestBudget, written: values.write ?? false }, null, 2));
      return EXIT.ok;
    }
    const shown = relative(process.cwd(), dir) || basename(resolve(dir)); // the project by name, not "."
    const heap = need.heapBytes === null ? "not walked (not AssemblyScript's stub heap)" : `${need.heapBytes} B`;
    console.log(`${shown}: ${need.seconds} s on the simulated board${need.trace ? ` fed by ${relative(process.cwd(), need.trace)}` : " (no trace.csv)"}`);
    console.log(`  static ${need.staticBytes} B, heap high-water ${heap}, stack ${need.stackBytes} B`);
    console.log(`  need   ${need.needBytes} B`);
    console.log(`  budget ${budget} B (need × ${margin}, rounded up to 16 B); fwx.json ${values.write ? `now says ${budget}` : `says ${manifestBudget} (${(manifestBudget / need.needBytes).toFixed(2)}× need; --write sets it)`}`);
    return EXIT.ok;
  },
};
