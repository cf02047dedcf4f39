import { parseCommandArgs, ramBudgetOption } from "../cli/args.js";
import { readInputFile } from "../cli/files.js";
import { otherFileKind } from "../pkg/file-kind.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { formatValidation, validateModule } from "../validate/validate.js";
import { DEFAULT_DEVICE_CLASS, DEVICE_CLASSES, isDeviceClass } from "../validate/limits.js";

const HELP = `usage: fwx validate <module.wasm> [--json] [--ram-budget <size>] [--device-class mcu|gateway]

Checks any WebAssembly module (AssemblyScript, C, Rust, TinyGo output) against
the fwx host ABI and what wasm3 can run on a device:
  - every import is an fwx host ABI function with the right signature
    (no env.*, WASI, memory, table or global imports);
  - fwx_init is exported, and lifecycle exports have the right signatures;
  - no features wasm3 lacks: SIMD, threads/atomics, memory64, multiple
    memories, exception handling, GC, tail calls, reference types,
    memory.init/data.drop (every function body is decoded; the first
    offending instruction is reported at its byte offset);
  - the fwx.abi section, if present, agrees with the imports and this device;
  - initial memory and static data fit the RAM budget;
  - sizes and counts (module, sections, functions, bodies, locals, globals,
    tables, element and data segments, names) are within the device class's
    limits, and no export or section uses a name reserved for the host.
The verdict is the one the device agent reaches for the same device class.
Then it reports flash size, RAM need and the interfaces used.

options:
  --json               print the full result as JSON (errors, warnings, report)
  --ram-budget <size>  linear-memory budget: bytes (65536), KiB (64k), MiB (1m)
                       or 64 KiB pages (1p); default 64k
  --device-class <c>   mcu or gateway: whose resource limits apply (default gateway)
  -h, --help           show this help

exit codes:
  0  valid
  1  internal error
  2  invalid module (including unreadable or truncated wasm), or a usage error

example:
  fwx validate build/sensor.wasm --ram-budget 32k
  fwx validate build/sensor.wasm --json | jq .report.ram`;

export const command: Command = {
  name: "validate",
  summary: "Check any .wasm against the host ABI and what wasm3 can run",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("validate", HELP, {
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" }, "ram-budget": { type: "string" }, "device-class": { type: "string" } },
    });
    if (positionals.length !== 1) {
      throw new UsageError(`validate: expected exactly one module file, got ${positionals.length}\n\n${HELP}`);
    }
    const file = positionals[0]!;
    const ramBudgetBytes = ramBudgetOption("validate", values["ram-budget"]);
    const deviceClass = values["device-class"] ?? DEFAULT_DEVICE_CLASS;
    if (!isDeviceClass(deviceClass)) throw new UsageError(`validate: --device-class ${deviceClass}: expected one of ${DEVICE_CLASSES.join(", ")}`);
    const bytes = new Uint8Array(readInputFile("validate", file, file));
    // A package, a recording or a key: named as what it is, with the command that reads it.
    const other = values.json ? null : otherFileKind(bytes, "wasm");
    if (other !== null) throw new UsageError(`validate: ${file}: not a WebAssembly module: it is ${other}`);
    const result = validateModule(bytes, { deviceClass, ...(ramBudgetBytes === undefined ? {} : { ramBudgetBytes }) });
    console.log(values.json ? JSON.stringify(result, null, 2) : formatValidation(result, file));
    return result.ok ? EXIT.ok : EXIT.invalid;
  },
};
