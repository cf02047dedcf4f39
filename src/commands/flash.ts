import { parseArgs } from "node:util";
import { UsageError, type Command } from "../cli/command.js";
import { readInput } from "../pkg/files.js";
import { checkDevice, EXIT_CODES_HELP, OTA_EXIT, parseSeconds, reportRemoteError } from "../ota/cli-support.js";
import { BadPackage, flash, FlashAborted } from "../ota/flasher.js";
import { PackageCache } from "../ota/package-cache.js";
import { checkOutputDirectory } from "../cli/files.js";
import { progressPrinter } from "../ota/progress.js";
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, loadOperatorAuth } from "../ota/credentials.js";
import { DEFAULT_CHUNK_BYTES } from "../ota/protocol.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";

const help = `usage: fwx flash <package.fwx> --device <id> [--broker mqtt://127.0.0.1:1883]
                 [--ca f --cert f --key f] [--username u --password-file f]
                 [--chunk 1024] [--window 16] [--no-delta] [--cache <dir>]
                 [--timeout <s>] [--preempt] [--json] [credentials]

Send a signed package to a device over the air and wait for its verdict.

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

${CREDENTIALS_HELP}

${EXIT_CODES_HELP}

example:
  fwx flash build/com.acme.alarm-1.3.0.fwx --device gw-17`;

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
      },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one package file");
    const device = checkDevice(values.device);
    const broker = brokerTargetFromArgs(values);
    const chunk = values.chunk === undefined ? DEFAULT_CHUNK_BYTES : Number(values.chunk);
    if (!Number.isInteger(chunk) || chunk < 64 || chunk > 65536) throw new UsageError(`--chunk "${values.chunk}" must be an integer in 64..65536`);
    const window = values.window === undefined ? 16 : Number(values.window);
    if (!Number.isInteger(window) || window < 1 || window > 256) throw new UsageError(`--window "${values.window}" must be an integer in 1..256`);
    const timeout = parseSeconds(values.timeout, "--timeout") ?? 60;
    // A cache named here is checked like every output path (README, "Errors and exit codes"); the default one fwx creates.
    if (values.cache !== undefined) checkOutputDirectory("flash", `--cache ${values.cache}`, values.cache);
    const pkg = new Uint8Array(readInput(positionals[0]!, "package"));
    const auth = loadOperatorAuth(values);
    const json = !!values.json;
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once("SIGINT", onSig);
    try {
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
        process.stdout.write(`${device}: ${r.module} ${r.version} ${r.verdict}${r.code ? ` (${r.code})` : ""}${r.reason ? `: ${r.reason}` : ""}\n  ${how}, ${(r.totalMs / 1000).toFixed(1)} s\n`);
      }
      return r.verdict === "confirmed" ? OTA_EXIT.ok : r.verdict === "refused" ? OTA_EXIT.invalid : OTA_EXIT.deviceFailed;
    } catch (e) {
      if (e instanceof BadPackage) throw new UsageError(e.message);
      if (e instanceof FlashAborted) {
        process.stderr.write("\ninterrupted; run the same command again to resume from the device's last acknowledged byte\n");
        return 130;
      }
      const code = reportRemoteError(e, json, "flash");
      if (code !== null) return code;
      throw e;
    } finally {
      process.off("SIGINT", onSig);
    }
  },
};
