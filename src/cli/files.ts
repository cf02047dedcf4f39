// Files named on the command line. Every command reads its inputs and checks
// its outputs through these, so a bad path gets the same kind of message
// everywhere (naming the option and the file, in words, not ENOENT), and an
// output path is checked before any work is done: a long simulation or build
// never ends in "cannot write".
//
// The rule for outputs (docs: README "Errors and exit codes"): the directory
// of an output path you name must exist. fwx creates directories only for
// its own defaults (a project's build/) and a named directory that is itself
// the output (a new project, a --state-dir) inside an existing one, never a
// tree from a path you typed: a typo in a directory is an error.

import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describeFileError } from "../fs/file-error.js";
import { UsageError } from "./command.js";

export { describeFileError };

/** `<command>: <label>` for messages: "run: --trace nope.csv", "validate: build"; either may be empty. */
function where(command: string, label: string): string {
  return [command, label].filter(Boolean).join(": ");
}

/**
 * Reads a file named on the command line; a missing file, a directory or an
 * unreadable one is a UsageError (exit 2) naming `label` (the option and the
 * path, e.g. "--trace nope.csv", or just the path for a positional).
 */
export function readInputFile(command: string, label: string, path: string): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${where(command, label)}: is a directory, expected a file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${where(command, label)}: ${describeFileError(e)}`);
  }
}

/** Like readInputFile, as UTF-8 text. */
export function readInputText(command: string, label: string, path: string): string {
  return readInputFile(command, label, path).toString("utf8");
}

/**
 * Checks, before any work, that `path` can be written as an output file: its
 * directory exists and is writable, and `path` itself is not a directory.
 * Whether an existing file may be replaced is the command's own rule.
 */
export function checkOutputFile(command: string, label: string, path: string): void {
  const at = where(command, label);
  const dir = dirname(resolve(path));
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${at}: directory ${dirname(path)} does not exist (fwx creates no directories for a path you name; create it first)`);
    throw new UsageError(`${at}: directory ${dirname(path)}: ${describeFileError(e)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`${at}: ${dirname(path)} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${at}: directory ${dirname(path)} is not writable`);
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${at}: is a directory, expected a file name`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // Not there yet: the usual case for an output.
  }
}

/** Checks an output directory (a --state-dir): it exists, or its parent does and fwx may create it there. */
export function checkOutputDirectory(command: string, label: string, path: string): void {
  const at = where(command, label);
  try {
    if (!statSync(path).isDirectory()) throw new UsageError(`${at}: is a file, expected a directory`);
    accessSync(path, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new UsageError(`${at}: directory is not writable`);
    if (code !== "ENOENT") throw new UsageError(`${at}: ${describeFileError(e)}`);
    // A new state directory is fine; its parent must exist, as for an output file.
    checkOutputFile(command, label, path);
  }
}
