#!/usr/bin/env node
import { EXIT, UsageError } from "./cli/command.js";
import { commands } from "./cli/registry.js";
import { FWX_VERSION } from "./version.js";

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

async function main(argv: string[]): Promise<number> {
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
  return command.run(rest);
}

// Installed before any command loads: binaryen's Emscripten loader adds a
// handler that rethrows, which would print its whole minified source. Ours
// runs first, reports briefly and exits.
process.on("uncaughtException", (err: unknown) => {
  if ((err as NodeJS.ErrnoException)?.code === "EPIPE") process.exit(0);
  console.error(`fwx: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(EXIT.internal);
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`fwx: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      console.error(`fwx: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = EXIT.internal;
    }
  },
);
