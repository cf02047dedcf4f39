#!/usr/bin/env node
import { EXIT } from "./cli/command.js";
import { runCli } from "./cli/main.js";

// Installed before any command loads: binaryen's Emscripten loader adds a
// handler that rethrows, which would print its whole minified source. Ours
// runs first, reports briefly and exits.
process.on("uncaughtException", (err: unknown) => {
  if ((err as NodeJS.ErrnoException)?.code === "EPIPE") process.exit(0);
  console.error(`fwx: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(EXIT.internal);
});

// When the command is done, so is the process: a handle a library left open
// (a server that failed to listen, a client's reconnect timer) must not keep
// it alive. stdout and stderr are flushed first, so piped output is complete.
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
});
