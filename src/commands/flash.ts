import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DebugMap } from "../build/debug-map.js";
import { writeFileDurable } from "../fs/durable.js";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { loadCertificate, loadPrivateKey, readInput } from "../pkg/files.js";
import { readPackageUnverified } from "../pkg/index.js";
import { DEVICE_CLASSES, type DeviceClass } from "../pkg/manifest.js";
// The build stack (the AssemblyScript compiler, binaryen, the packer, the watcher) is loaded only when
// a project directory is flashed or --watch is given: flashing a .fwx file, what devices and tests do
// most, then loads about half as much (measured: 0.37 -> 0.20 CPU-s for `fwx flash --help`).
import { checkDevice, EXIT_CODES_HELP, OTA_EXIT, parseSeconds, printable, reportRemoteError } from "../ota/cli-support.js";
import { BadPackage, flash, FlashAborted } from "../ota/flasher.js";
import { PackageCache } from "../ota/package-cache.js";
import { checkOutputDirectory } from "../cli/files.js";
import { progressPrinter } from "../ota/progress.js";
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, loadOperatorAuth } from "../ota/credentials.js";
import { DEFAULT_CHUNK_BYTES } from "../ota/protocol.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { otherFileKind } from "../pkg/file-kind.js";

const help = `usage: fwx flash <package.fwx> --device <id> [--broker mqtt://127.0.0.1:1883]
                 [--ca f --cert f --key f] [--username u --password-file f]
                 [--chunk 1024] [--window 16] [--no-delta] [--cache <dir>]
                 [--timeout <s>] [--preempt] [--json] [credentials]
       fwx flash <project-dir> --integrator-key acme.key --integrator-cert acme.cert
                 [--target gateway|mcu] [--watch] --device <id> [same options]

Send a signed package to a device over the air and wait for its verdict.

Given a project directory, builds and signs it first, as \`fwx pack\` does
(sequence: the current Unix time, or one more than the last flash), and
keeps the build's debug map in <dir>/build/<id>-<version>.flashed.fwxmap.json,
where \`fwx logs\` run in the project finds it to name a fault's lines. With
--watch, does it again after every save to the project's sources (or to the
package file), so the module running on the device follows the editor: a
save that does not build says why and waits for the next one.

Streams the package in CRC-checked chunks through a sliding window; the
device acknowledges only bytes it has fsynced, so an interrupted flash
(broker drop, this tool killed, the device restarted) resumes from the last
acknowledged byte when run again. When the device's confirmed version of
the same module is in the local package cache, a binary delta is sent
instead if it is smaller; the device rebuilds the full package and verifies
its signature as usual. Progress (bytes, rate, ETA) goes to stderr; the
result (confirmed, or reverted/refused and why) to stdout.

The begin is signed with the operator key; the verdict counts only when the
device signed it (under its device certificate from --root) bound to this
flash's begin and this package: forged acks or events on the broker cannot
make this command report success. A package whose certificate does not
cover the device's customer or group is refused before any byte is sent.

options:
  --device <id>           target device
${BROKER_ARGS_HELP}
  --chunk <bytes>         chunk size (default ${DEFAULT_CHUNK_BYTES})
  --window <n>            chunks in flight (default 16)
  --no-delta              always send the full package
  --cache <dir>           package cache for delta bases (default $XDG_CACHE_HOME/fwx/packages)
  --timeout <s>           give up when the device does not answer the begin, the
                          transfer makes no progress, or the device stops answering
                          during the install, for this long (default 60)
  --preempt               replace a transfer the device is still receiving from
                          another tool (default: refused busy until it is idle 15 s)
  --json                  print the result as JSON
  --integrator-key <f>    with a project: the integrator private key that signs it
  --integrator-cert <f>   with a project: the integrator certificate
  --target <class>        with a project: gateway (default) or mcu
  --watch                 flash again after every save, until Ctrl-C

${CREDENTIALS_HELP}

${EXIT_CODES_HELP}

examples:
  fwx flash build/com.acme.alarm-1.3.0.fwx --device gw-17
  fwx flash . --watch --integrator-key keys/acme.key --integrator-cert acme.cert --device gw-17`;

export const command: Command = {
  name: "flash",
  summary: "Flash a package to a device over the air",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        device: { type: "string" }, ...BROKER_ARGS, chunk: { type: "string" }, window: { type: "string" },
        "no-delta": { type: "boolean" }, cache: { type: "string" }, timeout: { type: "string" }, json: { type: "boolean" },
        preempt: { type: "boolean" }, ...CREDENTIAL_OPTIONS,
        "integrator-key": { type: "string" }, "integrator-cert": { type: "string" }, target: { type: "string" }, watch: { type: "boolean" },
      },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one package file or project directory");
    const device = checkDevice(values.device);
    const broker = brokerTargetFromArgs(values);
    const chunk = values.chunk === undefined ? DEFAULT_CHUNK_BYTES : Number(values.chunk);
    if (!Number.isInteger(chunk) || chunk < 64 || chunk > 65536) throw new UsageError(`--chunk "${values.chunk}" must be an integer in 64..65536`);
    const window = values.window === undefined ? 16 : Number(values.window);
    if (!Number.isInteger(window) || window < 1 || window > 256) throw new UsageError(`--window "${values.window}" must be an integer in 1..256`);
    const timeout = parseSeconds(values.timeout, "--timeout") ?? 60;
    // A cache named here is checked like every output path (README, "Errors and exit codes"); the default one fwx creates.
    if (values.cache !== undefined) checkOutputDirectory("flash", `--cache ${values.cache}`, values.cache);
    const input = positionals[0]!;
    const nextPackage = packageSource(input, values);
    const auth = loadOperatorAuth(values);
    const json = !!values.json;
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once("SIGINT", onSig);
    const once = async (): Promise<number> => {
      try {
        const pkg = await nextPackage();
        const r = await flash({
          brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}), device, pkg, chunkBytes: chunk, window,
          cache: new PackageCache(values.cache ?? PackageCache.defaultDir()), delta: !values["no-delta"],
          auth, ...(values.preempt ? { preempt: true } : {}),
          stallTimeoutMs: timeout * 1000, replyTimeoutMs: timeout * 1000, connectTimeoutMs: Math.min(timeout * 1000, 10_000),
          onProgress: progressPrinter(), signal: abort.signal,
        });
        if (json) process.stdout.write(JSON.stringify(r) + "\n");
        else {
          const how = `${r.mode === "delta" ? `delta of ${r.transferBytes} B for a ${r.packageBytes} B package` : `${r.packageBytes} B`}${r.resumedFrom ? `, resumed at byte ${r.resumedFrom}` : ""}`;
          // A device's reason often starts with its code already ("FWX_PKG_E_HASH: payload ..."): say it once.
          const code = r.code && !r.reason?.startsWith(`${r.code}:`) ? ` (${r.code})` : "";
          process.stdout.write(`${device}: ${r.module} ${r.version} ${r.verdict}${printable(code)}${r.reason ? `: ${printable(r.reason)}` : ""}\n  ${how}, ${(r.totalMs / 1000).toFixed(1)} s\n`);
        }
        return r.verdict === "confirmed" ? OTA_EXIT.ok : r.verdict === "refused" ? OTA_EXIT.invalid : OTA_EXIT.deviceFailed;
      } catch (e) {
        if (e instanceof BadPackage) throw new UsageError(`${input}: ${e.message}`);
        if (e instanceof FlashAborted) {
          process.stderr.write("\ninterrupted; run the same command again to resume from the device's last acknowledged byte\n");
          return 130;
        }
        const code = reportRemoteError(e, json, "flash");
        if (code !== null) return code;
        throw e;
      }
    };
    try {
      if (!values.watch) return await once();
      // Watch: build, sign and flash again after every save. The watch starts
      // before each flash, so a save made during one is not lost.
      const { nextChange, watchTargets } = await import("../cli/watch.js");
      const targets = watchTargets([input]);
      for (;;) {
        const changed = nextChange(targets, 60, abort.signal);
        // Ctrl-C during a flash rejects it while nobody awaits it yet: handled here, not as an unhandled rejection.
        changed.catch(() => {});
        let code: number;
        try {
          code = await once();
        } catch (e) {
          // A save that does not build stays broken until the next one: say why and keep watching.
          if (!(e instanceof UsageError)) throw e;
          process.stderr.write(`fwx: flash: ${e.message}\n`);
          code = EXIT.invalid;
        }
        if (code === 130 || abort.signal.aborted) return 130;
        process.stderr.write(`watch: ${code === OTA_EXIT.ok ? "confirmed on the device" : "not confirmed"}; waiting for a save (Ctrl-C to stop)\n`);
        try {
          process.stderr.write(`watch: ${await changed} changed: building, signing and flashing again\n`);
        } catch (e) {
          if (abort.signal.aborted) return 130;
          throw e;
        }
      }
    } finally {
      process.off("SIGINT", onSig);
    }
  },
};

/**
 * Where each flash's package comes from: the .fwx file as it is now, or the
 * project directory built and signed (fwx pack's packProject) with a sequence
 * that grows with every flash, so a device never refuses the next one as a rollback.
 */
function packageSource(input: string, values: { "integrator-key"?: string; "integrator-cert"?: string; target?: string; watch?: boolean }): () => Promise<Uint8Array> {
  let isDir = false;
  try {
    isDir = statSync(input).isDirectory();
  } catch { /* readInput below names the problem */ }
  if (!isDir) {
    for (const o of ["integrator-key", "integrator-cert", "target"] as const) {
      if (values[o] !== undefined) throw new UsageError(`--${o} is for a project directory; ${input} is a package`);
    }
    // Read and checked here, before credentials, the broker or any other work (under --watch, before
    // every flash, where a file that is not a package yet is reported and waited on like a bad save):
    // a file that is not a package is named with what is wrong and where.
    const read = () => {
      const bytes = new Uint8Array(readInput(input, "package"));
      let peek;
      try {
        peek = readPackageUnverified(bytes);
      } catch (e) {
        const other = otherFileKind(bytes, "package");
        throw new UsageError(`${input}: not a package: ${(e as Error).message}${other ? `; it is ${other}` : ""}`);
      }
      if ("error" in peek.manifest) throw new UsageError(`${input}: package manifest is unreadable: ${peek.manifest.error}`);
      return bytes;
    };
    let first: Uint8Array | undefined = values.watch ? undefined : read();
    return async () => {
      const bytes = first ?? read();
      first = undefined;
      return bytes;
    };
  }
  for (const o of ["integrator-key", "integrator-cert"] as const) {
    if (!values[o]) throw new UsageError(`--${o} is required to build and sign the project ${input}`);
  }
  const target = (values.target ?? "gateway") as DeviceClass;
  if (!DEVICE_CLASSES.includes(target)) throw new UsageError(`--target must be one of ${DEVICE_CLASSES.join(", ")}`);
  const integratorKey = loadPrivateKey(values["integrator-key"]!);
  const certificate = loadCertificate(values["integrator-cert"]!).bytes;
  let last = 0;
  return async () => {
    const [{ packProject }, { PackError }, { DEBUG_MAP_SUFFIX }] = await Promise.all([import("../pkg/project.js"), import("../pkg/pack.js"), import("../build/debug-map.js")]);
    const now = Math.floor(Date.now() / 1000);
    const sequence = Math.max(now, last + 1);
    try {
      const packed = await packProject(input, { target, integratorKey, certificate, sequence, now });
      last = sequence;
      if (packed.debugMap) keepDebugMap(input, packed.manifest, packed.debugMap, DEBUG_MAP_SUFFIX);
      return packed.bytes;
    } catch (e) {
      if (e instanceof PackError) throw new UsageError(`${input}: ${e.message}`);
      throw e;
    }
  };
}

/**
 * The debug map of a package built here: a device's crash report names only function indices and
 * module offsets, and `fwx logs` in the project names them through the maps in its build/ directory
 * (matched by the module's SHA-256). Without this, a module flashed straight from its project faulted
 * on the device as `function[14]`: the map existed only in memory. It gets its own name per module
 * version and target, so it never replaces `fwx build`'s map of build/<id>.wasm, and a rollback to an
 * earlier version flashed from here still finds that version's map.
 */
function keepDebugMap(project: string, m: { id: string; version: string; payload: { fuelInstrumented: boolean } }, map: DebugMap, suffix: string): void {
  const dir = join(project, "build");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${m.id}-${m.version}.flashed${m.payload.fuelInstrumented ? ".mcu" : ""}${suffix}`);
  writeFileDurable(file, JSON.stringify(map));
  process.stderr.write(`debug map of the flashed module → ${file} (fwx logs in the project names crash reports with it)\n`);
}
