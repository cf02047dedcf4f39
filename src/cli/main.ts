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

/**
 * `--duration -5m` → `--duration=-5m`. node:util's parser refuses an option
 * value that starts with a dash as "ambiguous"; joined, the value reaches the
 * command, whose own check then says what is wrong with it ("must be
 * positive"). Only values that look like negative numbers are joined: a
 * following option stays an option.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (/^--[a-z][\w-]*$/i.test(a) && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * node:util's parser ends an unknown option's message with advice about positionals that starts with a
 * '-' ("To specify a positional argument …, as in '-- "--x"), whose quotes do not even pair up. The user
 * mistyped an option: the message names it, and the help (shown or pointed to) lists the real ones.
 */
export function withoutPositionalAdvice(message: string): string {
  return message.replace(/\. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "[^\n]*?"(?=\n|$)/g, "");
}

/** "fwx: <command>: …" for every error; messages that already start with the command ("keys gen: …") keep it. */
function withCommand(name: string | undefined, message: string): string {
  if (!name || message.startsWith(`${name}:`) || message.startsWith(`${name} `)) return message;
  return `${name}: ${message}`;
}

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rawRest] = argv;
  const rest = joinNegativeValues(rawRest);
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    return name ? EXIT.ok : EXIT.invalid;
  }
  if (name === "--version" || name === "-v") {
    console.log(FWX_VERSION);
    return EXIT.ok;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    console.error(`fwx: unknown command "${name}"\n\n${overview()}`);
    return EXIT.invalid;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return EXIT.ok;
  }
  // No argument of any command may be empty; one (often an unset shell variable) would otherwise be taken
  // for the working directory (fwx build "", fwx ram "") or reported as ": no such file or directory".
  const empty = rawRest.indexOf("");
  if (empty >= 0) {
    const after = empty > 0 && rawRest[empty - 1]!.startsWith("-") ? ` (the value of ${rawRest[empty - 1]})` : "";
    throw new UsageError(`${name}: argument ${empty + 1} is empty${after}: an unset shell variable? run "fwx ${name} --help" for usage`);
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
      const name = argv[0] !== undefined && Object.hasOwn(commands, argv[0]) ? argv[0] : undefined;
      console.error(`fwx: ${withCommand(name, withoutPositionalAdvice(err.message))}`);
      return err.exitCode;
    }
    console.error(`fwx: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.internal;
  }
}
