import { parseArgs } from "node:util";
import { readInputFile, readInputText } from "../cli/files.js";
import { fileKindOf, otherFileKind } from "../pkg/file-kind.js";
import { DebugMapError, findDebugMap, parseDebugMap, sha256Hex } from "../build/debug-map.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { replayRecording, ReplayInputError } from "../agent/replay.js";
import { ramBudgetOption } from "../cli/args.js";
import { RecordFormatError } from "../agent/record-codec.js";
import { ModuleRefused } from "../agent/prepare.js";

const HELP = `usage: fwx replay <run.fwxrec> <module.wasm> [--module <id>] [--map <file>]
                  [--ram-budget <size>] [--json]

Re-runs a module against a recording made with \`fwx run --record\`: every
callback the module received is delivered again at its recorded device time,
and each host call is answered with the recorded result instead of the board.
Each call's function and arguments (strings and buffer contents, not raw
pointers) are compared with the recording; the first mismatch is reported
with the call index, function, and expected vs actual arguments. Use it to
check that a rebuilt or changed module still behaves the same on a real trace.

options:
  --module <id>   which recorded module to replay (needed when the recording
                  holds several and none has the same binary)
  --map <file>    the module's debug map (from fwx build), to name a fault's
                  function and source line; default: <module>.fwxmap.json
                  beside the module, or one in ./ or ./build, matched by hash
  --ram-budget <size>
                  the RAM budget to run the module under, instead of the
                  recorded one: for a port or rebuild that needs more (a C or
                  Rust module's stack); bytes, KiB (8k), MiB or pages (1p)
  --json          print the result as JSON
  -h, --help      show this help

exit codes:
  0  same behaviour: every call and every callback outcome matched
  1  internal error
  2  invalid input (unreadable recording, module refused)
  3  diverged (first divergence printed)

example:
  fwx run build/alarm.wasm --duration 1h --record run.fwxrec
  fwx replay run.fwxrec build/alarm.wasm`;

export const command: Command = {
  name: "replay",
  summary: "Replay a recorded run against a module and report the first divergence",
  help: HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { module: { type: "string" }, map: { type: "string" }, "ram-budget": { type: "string" }, json: { type: "boolean" } } });
    } catch (e) {
      throw new UsageError(`replay: ${(e as Error).message}\n\n${HELP}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 2) throw new UsageError(`replay: expected a recording and a module, got ${positionals.length} arguments\n\n${HELP}`);
    const [recFile, wasmFile] = positionals as [string, string];
    const ramBudgetBytes = ramBudgetOption("replay", values["ram-budget"]);
    const read = (f: string) => new Uint8Array(readInputFile("replay", f, f));
    const recording = read(recFile);
    const bytes = read(wasmFile);
    // A file of another kind is named as what it is; the two swapped (an easy slip) are said to be.
    const recordingIs = otherFileKind(recording, "recording");
    if (recordingIs !== null) {
      const swapped = fileKindOf(recording) === "wasm" && fileKindOf(bytes) === "recording" ? " (the recording comes first: fwx replay <run.fwxrec> <module.wasm>)" : "";
      throw new UsageError(`replay: ${recFile}: not a recording: it is ${recordingIs}${swapped}`);
    }
    const moduleIs = otherFileKind(bytes, "wasm");
    if (moduleIs !== null) throw new UsageError(`replay: ${wasmFile}: not a WebAssembly module: it is ${moduleIs}`);
    if (values.map !== undefined) {
      try {
        parseDebugMap(readInputText("replay", `--map ${values.map}`, values.map), `--map ${values.map}`);
      } catch (e) {
        if (e instanceof DebugMapError) throw new UsageError(`replay: ${e.message}`);
        throw e;
      }
    }
    const debugMap = findDebugMap(sha256Hex(bytes), { files: values.map !== undefined ? [values.map] : [], near: [wasmFile], dirs: [process.cwd()] });
    let result;
    try {
      result = replayRecording(recording, bytes, values.module, { debugMap, ...(ramBudgetBytes !== undefined ? { ramBudgetBytes } : {}) });
    } catch (e) {
      if (e instanceof RecordFormatError) throw new UsageError(`replay: ${recFile}: ${e.message}`);
      if (e instanceof ModuleRefused) {
        // The recording carries the recorded module's RAM budget; a port or rebuild that needs more (a C or Rust
        // module's stack) is refused under it, and the option that lifts it is this command's, so say which.
        const hint = ramBudgetBytes === undefined && /\[ram-over-budget\]/.test(e.report)
          ? `\n(the recording's RAM budget is the recorded module's; replay a module that needs more with --ram-budget <size>, e.g. --ram-budget 8k)` : "";
        throw new UsageError(`replay: ${wasmFile} refused (${e.step}):\n${e.report}${hint}`);
      }
      if (e instanceof ReplayInputError) throw new UsageError(`replay: ${recFile}: ${e.message}`);
      throw e;
    }
    if (values.json) {
      console.log(JSON.stringify(result));
    } else {
      const binary = result.sameBinary ? "the recorded binary" : "a different binary than recorded";
      if (!result.divergence) {
        console.log(`same: ${result.module} (${binary}) made all ${result.calls} recorded host calls in ${result.callbacks} callbacks, and every callback ended as recorded`);
      } else {
        const d = result.divergence;
        console.log(`diverged: ${result.module} (${binary}) at host call #${d.callIndex}, during ${d.callback}`);
        console.log(`  function: ${d.function}`);
        console.log(`  expected: ${d.expected}`);
        console.log(`  actual:   ${d.actual}`);
        if (d.stack) console.log(d.stack);
        if (d.fault) console.log(d.fault.split("\n").map((l) => `  ${l}`).join("\n"));
      }
    }
    return result.divergence ? 3 : EXIT.ok;
  },
};
