import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { provenanceSidecar, sidecarPath } from "../pkg/provenance.js";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputFile, describeFileError } from "../cli/files.js";
import type { Capabilities } from "../caps/capabilities.js";
import { MANIFEST_FILE, ManifestError, projectAboveHint, readManifest, type ModuleManifest } from "../build/manifest.js";
import { FWX_VERSION } from "../version.js";
import { writeFileDurable } from "../fs/durable.js";
import { loadCapabilities, loadCertificate, loadPrivateKey, parseUint, readInput } from "../pkg/files.js";
import { DEVICE_CLASSES, type DeviceClass } from "../pkg/manifest.js";
import { DEFAULT_FUEL_PER_CALLBACK, DEFAULT_RAM_BYTES, PackError, buildPackage, configFields } from "../pkg/pack.js";
import { packProject } from "../pkg/project.js";
import { DEBUG_MAP_SUFFIX, findDebugMap, sha256Hex, type DebugMap } from "../build/debug-map.js";
import { instrumentedDebugMap } from "../build/debug-map-mcu.js";
import { deviceForm, isFuelInstrumented, withAbiSection } from "../build/finish.js";
import { formatValidation, validateModule } from "../validate/validate.js";

const help = `usage: fwx pack <module.wasm | project-dir> --key acme.key --cert acme.cert -o out.fwx
                [--seq N] [--id ID] [--version V] [--caps caps.json]
                [--project DIR] [--target mcu|gateway] [--ram BYTES] [--fuel N]

Build a signed .fwx package.

Given a project directory, builds it (as \`fwx build\` does) and reads
<dir>/fwx.json for id, version, capabilities, config schema and RAM budget.
Given a .wasm (from fwx build, clang, rustc or any other toolchain), packs
it as built, after adding an fwx.abi section read from its imports when it
has none, checking it as a device would, and instrumenting it for fuel with
--target mcu; id and version then come from --id/--version or from --project
<dir>'s fwx.json. The payload's fwx.abi section gives the required
interfaces, its fwx.fuel section whether it is fuel-instrumented.

Before signing, the package is checked against the certificate: the module id
must be under its prefix, the capabilities within it, and it must be valid now.

The build's debug map (names and source lines, never shipped) goes beside
the package as <out>.fwxmap.json, or <out>.mcu.fwxmap.json for a payload
instrumented here, whose positions it is translated to: a device's crash
report names the module it ran by SHA-256, and only that map names its frames
(\`fwx rollout create\` uploads it to the fleet service).

options:
  --key <file>        integrator private key (fwx keys gen)
  --cert <file>       integrator certificate issued by the product root (fwx cert issue)
  -o, --out <file>    output package (written atomically); the build provenance
                      (fwx and compiler versions, source hash), which no device
                      reads, goes beside it in <file>.build.json
  --seq <n>           anti-rollback sequence number, must grow with every release
                      (default: the current Unix time in seconds)
  --id, --version     module id and semantic version (override fwx.json)
  --caps <file>       requested capabilities JSON (overrides fwx.json)
  --project <dir>     read fwx.json from this directory when packing a .wasm
  --target <class>    mcu (wasm3: the payload is fuel-instrumented) or gateway (the
                      agent meters it itself: the payload is left as built).
                      A project or an uninstrumented .wasm packs for gateway
                      unless --target mcu; an instrumented .wasm for mcu.
  --ram <bytes>       RAM budget (default: fwx.json ramBudget, else ${DEFAULT_RAM_BYTES})
  --fuel <n>          fuel per callback (default ${DEFAULT_FUEL_PER_CALLBACK})

exit codes:
  0  written
  1  internal error
  2  bad arguments or a package a device would refuse

example:
  fwx pack examples/cold-chain-alarm --key keys/acme.key --cert acme.cert --seq 12 -o cold-chain.fwx`;

function readProject(dir: string): ModuleManifest {
  try {
    return readManifest(dir);
  } catch (e) {
    if (e instanceof ManifestError) throw new UsageError(`pack: ${e.message}${existsSync(join(dir, MANIFEST_FILE)) ? "" : projectAboveHint(dir)}`);
    throw e;
  }
}

/**
 * A .wasm from any toolchain, ready to sign: given its fwx.abi section when it
 * has none, validated as a device would, and instrumented when packed for
 * mcu. Its own metering decides the default target.
 */
function finishWasm(input: string, requestedTarget: DeviceClass | undefined, ramBudgetBytes: number | undefined): { payload: Uint8Array; target: DeviceClass; original: Uint8Array } {
  const raw = new Uint8Array(readInput(input, "module"));
  let payload: Uint8Array;
  let instrumented: boolean;
  try {
    payload = withAbiSection(raw);
    instrumented = isFuelInstrumented(payload);
  } catch (e) {
    throw new UsageError(`pack: ${input}: not a readable wasm module: ${(e as Error).message}`);
  }
  const target = requestedTarget ?? (instrumented ? "mcu" : "gateway");
  if (instrumented) return { payload, target, original: payload };
  const options = { deviceClass: target, ...(ramBudgetBytes === undefined ? {} : { ramBudgetBytes }) };
  // The file as given first: its problems are named at its own byte offsets, and none is
  // about the fwx.abi section added here (which lists its imports by name, even one
  // imported with the wrong signature). Then the payload as shipped, section included.
  let validation = validateModule(raw, options);
  if (validation.ok && payload !== raw) validation = validateModule(payload, options);
  if (!validation.ok) throw new UsageError(`pack: ${input} is not a module a device would accept:\n${formatValidation(validation, input)}`);
  try {
    return { payload: deviceForm(payload, target), target, original: payload };
  } catch (e) {
    throw new UsageError(`pack: ${input}: fuel instrumentation for mcu failed: ${(e as Error).message}`);
  }
}

export const command: Command = {
  name: "pack",
  summary: "Build a signed .fwx package",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        key: { type: "string" }, cert: { type: "string" }, out: { type: "string", short: "o" }, seq: { type: "string" },
        id: { type: "string" }, version: { type: "string" }, caps: { type: "string" }, project: { type: "string" },
        target: { type: "string" }, ram: { type: "string" }, fuel: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError("pack: give exactly one module (.wasm file or project directory)");
    for (const opt of ["key", "cert", "out"] as const) if (!values[opt]) throw new UsageError(`pack: --${opt} is required`);
    // Before building and signing: a bad output path must not cost the work.
    checkOutputFile("pack", `-o ${values.out}`, values.out!);
    const input = positionals[0]!;
    const requestedTarget = values.target as DeviceClass | undefined;
    if (requestedTarget !== undefined && !DEVICE_CLASSES.includes(requestedTarget)) throw new UsageError(`pack: --target must be one of ${DEVICE_CLASSES.join(", ")}`);

    let isDir: boolean;
    try {
      isDir = statSync(input).isDirectory();
    } catch (e) {
      throw new UsageError(`pack: ${input}: ${describeFileError(e)}`);
    }
    if (isDir && values.project) throw new UsageError("pack: --project is for .wasm inputs; a directory is its own project");
    const projectDir = isDir ? input : values.project;
    const project = projectDir ? readProject(projectDir) : undefined;

    const ramOption = parseUint(values.ram, "--ram", 0xffffffff);
    const fuelOption = parseUint(values.fuel, "--fuel");
    const capsOption: Capabilities | undefined = values.caps ? loadCapabilities(values.caps) : undefined;
    const now = Math.floor(Date.now() / 1000);
    const sequence = parseUint(values.seq, "--seq") ?? now;
    const key = loadPrivateKey(values.key!);
    // Read as a certificate here, so a wrong file is named by its path (and by what it is), not by the module.
    const certificate = loadCertificate(values.cert!).bytes;

    let result: ReturnType<typeof buildPackage>;
    let payload: Uint8Array;
    /** The debug map of the payload as shipped, when the build's map is at hand. */
    let debugMap: DebugMap | null = null;
    try {
      if (isDir) {
        ({ payload, debugMap, ...result } = await packProject(input, {
          target: requestedTarget ?? "gateway", integratorKey: key, certificate, sequence, now,
          ...(values.id ? { id: values.id } : {}), ...(values.version ? { version: values.version } : {}),
          ...(capsOption ? { capabilities: capsOption } : {}), ...(ramOption !== undefined ? { ramBytes: ramOption } : {}),
          ...(fuelOption !== undefined ? { fuelPerCallback: fuelOption } : {}),
        }));
      } else {
        const finished = finishWasm(input, requestedTarget, ramOption ?? project?.ramBudgetBytes);
        payload = finished.payload;
        const built = findDebugMap(sha256Hex(finished.original), { near: [input], dirs: [dirname(input)] });
        debugMap = !built || finished.original === payload ? built : instrumentedDebugMap(built, finished.original, payload);
        const id = values.id ?? project?.id;
        const version = values.version ?? project?.version;
        if (!id) throw new UsageError("pack: no module id: give --id or --project <dir with fwx.json>");
        if (!version) throw new UsageError("pack: no version: give --version or --project <dir with fwx.json>");
        result = buildPackage({
          payload, id, version, sequence, deviceClass: finished.target, capabilities: capsOption ?? project?.capabilities ?? {},
          config: configFields(project?.config ?? {}),
          ramBytes: ramOption ?? project?.ramBudgetBytes ?? DEFAULT_RAM_BYTES,
          fuelPerCallback: fuelOption ?? DEFAULT_FUEL_PER_CALLBACK,
          build: { fwx: FWX_VERSION }, certificate, integratorKey: key, now,
        });
      }
    } catch (e) {
      if (e instanceof PackError) throw new UsageError(`pack: ${input}: ${e.message}`);
      throw e;
    }
    writeFileDurable(values.out!, result.bytes);
    // Provenance beside the package (no device reads it, so it is not signed into it).
    writeFileDurable(sidecarPath(values.out!), provenanceSidecar(result.build, result.manifest.payload.sha256));
    // The debug map too, never in it: `fwx rollout create` uploads it, `fwx logs` finds it, and a device's crash
    // report (its payload's SHA-256 and frames) is named through it. An instrumented payload's map gets its own
    // name: the build's map of the same stem describes other bytes.
    const mcuMap = debugMap !== null && result.manifest.payload.fuelInstrumented;
    const mapFile = values.out!.replace(/\.fwx$/i, "") + (mcuMap ? ".mcu" : "") + DEBUG_MAP_SUFFIX;
    if (debugMap) writeFileDurable(mapFile, JSON.stringify(debugMap));
    const m = result.manifest;
    const overhead = result.bytes.length - payload.length;
    console.log(`wrote ${values.out}: ${m.id} ${m.version} sequence ${m.sequence}, target ${m.deviceClass}${m.payload.fuelInstrumented ? " (fuel-instrumented)" : ""}, signed with certificate of ${values.cert}`);
    console.log(`  payload ${payload.length} bytes + package overhead ${overhead} bytes = ${result.bytes.length} bytes`);
    console.log(`  interfaces ${m.interfaces.map((i) => `${i.name}@${i.major}.${i.minor}`).join(", ") || "(none)"}`);
    console.log(debugMap ? `  debug map ${mapFile}${mcuMap ? " (of the instrumented payload)" : ""}` : "  no debug map (none found beside the module): crash reports give module positions only");
    return EXIT.ok;
  },
};
