import { relative } from "node:path";
import { parseCommandArgs } from "../cli/args.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { scaffoldProject, ScaffoldError } from "../build/scaffold.js";

const HELP = `usage: fwx new <dir> [--id <module id>] [--fwx <dependency>]

Scaffolds an integrator project that builds and tests green immediately:
  assembly/index.ts                 a small working module (sensor → output + telemetry)
  assembly/__tests__/module.spec.ts as-pect specs against fwx's simulated device
  fwx.json                          module id, version, capabilities, config defaults
  package.json                      depends on fwx; npm test runs the specs
  assembly/tsconfig.json            editor settings for AssemblyScript sources
  asconfig.json, as-pect.config.js, as-pect.asconfig.json, README.md, .gitignore

<dir> must not exist or be empty.

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
  cd pump-monitor && npm install && npm test && npx fwx build`;

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
    console.log(`\nnext:\n  cd ${shown}\n  npm install\n  npm test          # as-pect specs against the simulated device\n  npx fwx build     # → build/${result.id}.wasm`);
    return EXIT.ok;
  },
};
