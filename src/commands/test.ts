// `fwx test [dir] [--watch]`: the project's as-pect specs against the host
// mock, as `npm test` runs them in a scaffolded project, and with --watch
// again after every save. Each run is a fresh as-pect process: the specs'
// config (as-pect.config.js) reads fwx.json's grants and defaults when it is
// loaded, so an edited manifest must be read again, and a spec that exits
// the process takes nothing of the watch with it.

import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { MANIFEST_FILE, ManifestError, projectAboveHint, readManifest } from "../build/manifest.js";
import { nextChange, watchTargets } from "../cli/watch.js";

const CONFIG = "as-pect.config.js";

const help = `usage: fwx test [project-dir] [--watch]

Run the project's AssemblyScript specs (assembly/__tests__/*.spec.ts, as
${CONFIG} lists them) against the simulated device of fwx/testing: the
manifest's config defaults are served and its capabilities enforced, so a
call outside them returns not-permitted as on a device. The same run as
\`npm test\` in a project \`fwx new\` made. as-pect runs in a Node process of
its own, with the Node options fwx was started with (the inspector's aside).

options:
  --watch      run the specs again after every save to the project's sources,
               manifest or config, until Ctrl-C; a run that fails or does not
               compile is reported and the watch goes on
  -h, --help   show this help

exit codes:
  0  every spec passed
  1  a spec failed or did not compile
  2  not a project with ${CONFIG}, a bad fwx.json, or no as-pect installed
  130  --watch ended with Ctrl-C

example:
  fwx test . --watch`;

/**
 * The as-pect test runner the project installed (its devDependency). Only the
 * project's own will do: its config imports fwx/testing from the project's
 * node_modules too.
 *
 * It is lib/test.js, which as-pect's `asp` command (bin/asp.js) starts in a
 * second Node process with --enable-source-maps and
 * --experimental-wasi-unstable-preview1. fwx starts it directly with the one
 * flag it needs: one process fewer per run, and no source maps, which
 * only map as-pect's own JavaScript frames (a spec's report reads the same)
 * and cost about 0.25 CPU-s of each run (measured on a scaffolded project:
 * 2.2 -> 2.0 CPU-s). An as-pect laid out otherwise (another major version)
 * runs through its own launcher, as `asp` would. Returns Node's arguments
 * before the runner's own.
 */
export function aspectRunner(projectDir: string, shown = projectDir): string[] {
  let entry: string;
  try {
    // The package exports only its entry, lib/index.js; the runner is beside it, the launcher in bin/.
    entry = createRequire(join(projectDir, "package.json")).resolve("@as-pect/cli");
  } catch {
    throw new UsageError(`test: @as-pect/cli is not installed in ${shown}: run npm install there (a project fwx new made lists it)`);
  }
  const runner = join(dirname(entry), "test.js");
  // The flag as-pect's launcher passes: a config with `wasi` runs the specs under Node's WASI.
  if (existsSync(runner)) return ["--experimental-wasi-unstable-preview1", runner];
  return [join(dirname(dirname(entry)), "bin", "asp.js")];
}

/**
 * The project's fwx.json, checked as fwx build checks it before the specs run: the mock takes its grants
 * and config defaults from it, and would otherwise run with a misspelt field silently ignored (every call
 * refused) or fail inside as-pect's config with a JSON error buried under the compiler's source.
 */
function checkManifest(projectDir: string): void {
  if (!existsSync(join(projectDir, MANIFEST_FILE))) return;
  try {
    readManifest(projectDir);
  } catch (e) {
    if (e instanceof ManifestError) throw new UsageError(`test: ${e.message}`);
    throw e;
  }
}

/**
 * The Node options fwx itself was started with, for the runner (as child_process.fork passes them on):
 * `node --max-old-space-size=4096 node_modules/.bin/fwx test` gives the compiles in the runner that
 * heap. Not the inspector's: the runner would try to listen on the port fwx already holds.
 */
export function runnerNodeOptions(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (/^--(inspect|debug)/.test(a)) {
      // "--inspect-port 9230": the value is an argument of its own.
      if (/^--(inspect|debug)-port$/.test(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** One as-pect run in the project directory, its output passed through; resolves with its exit code. */
function runSpecs(runner: string[], projectDir: string, signal: AbortSignal): Promise<number> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [...runnerNodeOptions(), ...runner, "--config", CONFIG, "--no-logo"], { cwd: projectDir, stdio: ["ignore", "inherit", "inherit"] });
    const stop = () => p.kill("SIGINT");
    signal.addEventListener("abort", stop, { once: true });
    p.on("error", rej);
    p.on("exit", (code, sig) => {
      signal.removeEventListener("abort", stop);
      res(code ?? (sig ? 130 : 1));
    });
  });
}

export const command: Command = {
  name: "test",
  summary: "Run a project's AssemblyScript specs against the simulated device",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { watch: { type: "boolean" } } });
    if (positionals.length > 1) throw new UsageError("test: give at most one project directory");
    const dir = resolve(positionals[0] ?? ".");
    const shown = relative(process.cwd(), dir) || ".";
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch { /* reported below */ }
    if (!isDir) throw new UsageError(`test: ${shown}: not a project directory`);
    if (!existsSync(join(dir, CONFIG))) throw new UsageError(`test: ${join(shown, CONFIG)}: not found: fwx test runs a project's as-pect specs (fwx new makes one)${existsSync(join(dir, MANIFEST_FILE)) ? "" : projectAboveHint(dir)}`);
    const runner = aspectRunner(dir, shown);
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once("SIGINT", onSig);
    try {
      if (!values.watch) {
        checkManifest(dir);
        const code = await runSpecs(runner, dir, abort.signal);
        // 2: the config refused its manifest before any spec ran (assembly/testing/aspect.js), and said why.
        return code === 0 ? EXIT.ok : code === EXIT.invalid ? EXIT.invalid : 1;
      }
      const targets = watchTargets([dir]);
      for (;;) {
        // The watch starts before the run, so a save made during one is not lost.
        const changed = nextChange(targets, 60, abort.signal);
        // Ctrl-C during a run rejects it while nobody awaits it yet: handled here, not as an unhandled rejection.
        changed.catch(() => {});
        const t0 = performance.now();
        let code: number;
        try {
          checkManifest(dir);
          code = await runSpecs(runner, dir, abort.signal);
        } catch (e) {
          // A manifest that does not read stays so until the next save: say why and keep watching.
          if (!(e instanceof UsageError)) throw e;
          process.stderr.write(`fwx: ${e.message}\n`);
          code = EXIT.invalid;
        }
        if (abort.signal.aborted) return 130;
        process.stderr.write(`watch: specs ${code === 0 ? "passed" : "failed"} (${Math.round(performance.now() - t0)} ms); waiting for a save (Ctrl-C to stop)\n`);
        try {
          process.stderr.write(`watch: ${await changed} changed: running the specs again\n`);
        } catch (e) {
          if (abort.signal.aborted) return 130;
          throw e;
        }
      }
    } finally {
      process.off("SIGINT", onSig);
    }
  },
};
