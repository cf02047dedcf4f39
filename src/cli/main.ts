// `fwx <command> [options]`: dispatch to a subcommand and turn what it throws
// into a message and an exit code. Kept apart from src/cli.ts (which only
// wires it to the process) so the dispatch itself can be tested.

import { EXIT, UsageError } from "./command.js";
import { commands } from "./registry.js";
import { FWX_VERSION } from "../version.js";

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    `fwx ${FWX_VERSION} — sandboxed WebAssembly modules for industrial IoT firmware`,
    "",
    "usage: fwx <command> [options]     fwx <command> --help for details",
    "",
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

/** node:util parseArgs rejects unknown options and missing values with these codes. */
function isArgumentError(e: unknown): e is Error {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return e instanceof Error && typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    return name ? EXIT.ok : EXIT.invalid;
  }
  if (name === "--version" || name === "-v") {
    console.log(FWX_VERSION);
    return EXIT.ok;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`fwx: unknown command "${name}"\n\n${overview()}`);
    return EXIT.invalid;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // A mistyped option is the user's mistake whichever command parsed it.
    if (isArgumentError(e)) throw new UsageError(`${name}: ${e.message}\nrun "fwx ${name} --help" for usage`);
    throw e;
  }
}

/** Runs one fwx invocation; resolves to its exit code and never rejects. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`fwx: ${err.message}`);
      return err.exitCode;
    }
    console.error(`fwx: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.internal;
  }
}
