// Argument parsing shared by subcommands, so every command reports a bad
// option the same way: as a UsageError (exit 2) naming the command and
// followed by its help.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseRamBudget } from "../validate/ram.js";
import { UsageError } from "./command.js";

/** `parseArgs` for a subcommand: an unknown option or a missing value is a UsageError that shows `help`. */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, help: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}\n\n${help}`);
  }
}

/** The value of `--ram-budget` in bytes, or undefined when the option was not given. */
export function ramBudgetOption(command: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseRamBudget(text);
  } catch (e) {
    throw new UsageError(`${command}: --ram-budget: ${(e as Error).message}`);
  }
}
