import { relative } from "node:path";
import { parseCommandArgs } from "../cli/args.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputDirectory } from "../cli/files.js";
import { scaffoldProject, ScaffoldError } from "../build/scaffold.js";

const HELP = `usage: fwx new <dir> [--id <module id>] [--fwx <dependency>]

Scaffolds an integrator project that builds, type-checks, tests green and runs
on the bundled demo board immediately:
  assembly/index.ts                 a small working module (ambient sensor → output + telemetry)
  assembly/__tests__/module.spec.ts as-pect specs against fwx's simulated device
  fwx.json                          module id, version, capabilities, config defaults
                                    (its $schema lets editors complete and check it)
  package.json                      depends on fwx; npm test runs the specs,
                                    npm run typecheck runs tsc
  assembly/tsconfig.json            editor settings: resolves fwx, fwx/testing and
                                    the as-pect globals
  asconfig.json, as-pect.config.js, as-pect.asconfig.json, README.md, .gitignore

<dir> must not exist or be empty; its parent directory must exist.

options:
  --id <id>          reverse-DNS module id (default com.example.<dir name>)
  --fwx <spec>       package.json dependency for fwx (default: file:<this fwx>
                     when run from a checkout, otherwise ^<this version>)
  -h, --help         show this help

exit codes:
  0  project created
  1  internal error
  2  <dir> is not empty, a bad --id, or a usage error

example:
  fwx new pump-monitor --id com.acme.pump-monitor
  cd pump-monitor && npm install && npm test && npx fwx run .`;

/** What to run in the new project; tests/build/first-run.test.ts runs exactly these lines. */
function nextSteps(dir: string, id: string): string[] {
  return [
    `cd ${/^[\w./-]+$/.test(dir) ? dir : JSON.stringify(dir)}`,
    "npm install",
    "npm test            # as-pect specs against the simulated device",
    "npm run typecheck   # tsc: what your editor sees",
    `npx fwx build       # → build/${id}.wasm`,
    "npx fwx run .       # 10 minutes on the simulated demo board",
  ];
}

export const command: Command = {
  name: "new",
  summary: "Scaffold an integrator project that builds and tests green",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("new", HELP, {
      args: argv, allowPositionals: true, options: { id: { type: "string" }, fwx: { type: "string" } },
    });
    if (positionals.length !== 1) throw new UsageError(`new: expected exactly one target directory, got ${positionals.length}\n\n${HELP}`);
    const target = positionals[0]!;
    // An empty name (`fwx new "$NAME"` with NAME unset) would be the working directory, refused as "  is not empty".
    if (!target.trim()) throw new UsageError("new: the project directory's name is empty: give one, e.g. fwx new pump-monitor (or . for an empty working directory)");
    // An empty spec in package.json is "any version": npm would fetch whatever the registry calls fwx.
    if (values.fwx !== undefined && !values.fwx.trim()) throw new UsageError("new: --fwx is empty: give a dependency spec (file:../fwx, ^0.1.0, a git URL) or leave it out");
    // The project directory may be new, but not a tree: its parent must exist (README, "Errors and exit codes").
    checkOutputDirectory("new", target, target);
    let result;
    try {
      result = scaffoldProject(target, {
        ...(values.id !== undefined ? { id: values.id } : {}),
        ...(values.fwx !== undefined ? { fwxDependency: values.fwx } : {}),
      });
    } catch (e) {
      if (e instanceof ScaffoldError) throw new UsageError(`new: ${e.message}`);
      throw e;
    }
    const shown = relative(process.cwd(), result.dir) || ".";
    console.log(`created ${result.id} in ${shown} (fwx dependency: ${result.fwxDependency})`);
    for (const f of result.files) console.log(`  ${f}`);
    console.log(`\nnext:\n${nextSteps(shown, result.id).map((l) => `  ${l}`).join("\n")}`);
    return EXIT.ok;
  },
};
