// The contract every `fwx` subcommand implements.

/** Exit codes shared by all commands. Commands may add their own above 2 (e.g. 3 = module faulted). */
export const EXIT = { ok: 0, internal: 1, invalid: 2 } as const;

export interface Command {
  name: string;
  /** One line for `fwx --help`. */
  summary: string;
  /** Full help text for `fwx <name> --help`: usage, options, exit codes, an example. */
  help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error the user can fix: printed without a stack trace, exit code 2 unless given. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.invalid) {
    super(message);
    this.name = "UsageError";
  }
}
