import { parseArgs } from "node:util";
import { UsageError, type Command } from "../cli/command.js";
import { checkDevice, READ_EXIT_CODES_HELP, OTA_EXIT, parseSeconds, printable, reportRemoteError, untilStopSignal } from "../ota/cli-support.js";
import { parseJson, topicsFor } from "../ota/protocol.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { ToolConnection } from "../ota/rpc.js";
import { formatFrames, parseFrameRefs, withAbortSite } from "../agent/faults.js";
import { DebugMapError, findDebugMap, parseDebugMap, type DebugMap } from "../build/debug-map.js";
import { readInputText } from "../cli/files.js";

const help = `usage: fwx logs --device <id> [--module <id>] [--lines N] [--follow] [--map f.fwxmap.json]
                 [--broker url] [--ca f --cert f --key f] [--username u --password-file f] [--json]
       fwx logs <device> …   (the same; the device as the argument)

Show a device's recent module logs, faults and lifecycle events.

Asks the device for the lines it keeps (the last 500), then with --follow
keeps printing new ones as the device publishes them (Ctrl-C to stop).
Reading logs is not signed: the device publishes its log lines on its log
topic anyway, so who may read them is the broker's read ACL (see
docs/fleet-brokers.md), not a key.

options:
  --device <id>           the device (or give its id as the first argument)
  --module <id>           only this module's lines
  --lines <n>             how many recent lines (default 100)
  --follow, -f            keep printing new lines
  --map <file>            a debug map (from fwx build: <module>.fwxmap.json) to name a
                          fault's functions and source lines (repeatable); without it
                          the maps in ./ and ./build are tried. A map is used only for
                          the exact module it was built with (matched by its SHA-256)
${BROKER_ARGS_HELP}
  --timeout <s>           give up when the device has not answered for this long (default 5)
  --json                  one JSON object per line

${READ_EXIT_CODES_HELP}

example:
  fwx logs gw-17 --module com.acme.alarm --follow`;

type Line = { ts: number; tUs?: number; module: string; kind: string; [k: string]: unknown };

/** A device's log line as text; a fault with its stack, named through the module's debug map when one is found. */
function format(l: Line, mapFor: (sha256: unknown) => DebugMap | null): string {
  const detail = l.kind === "log" ? `${String(l.level)}: ${String(l.message)}`
    : l.kind === "fault" ? `FAULT ${String(l.reason)} in ${String(l.callback)}: ${l.reason === "abort" ? withAbortSite(String(l.detail), mapFor(l.wasmSha256)) : String(l.detail)}`
    : l.kind === "lifecycle" ? String(l.summary ?? l.state)
    : JSON.stringify(Object.fromEntries(Object.entries(l).filter(([k]) => !["ts", "tUs", "module", "kind"].includes(k))));
  // Lines come off the broker: a time that is none prints as "?", and no text reaches the terminal unescaped
  // (a module's log message or abort text can carry escape sequences).
  const at = new Date(typeof l.ts === "number" ? l.ts : NaN);
  const head = `${Number.isFinite(at.getTime()) ? at.toISOString() : "?"} ${printable(l.module)} ${printable(l.kind)} ${printable(detail)}`;
  const frames = l.kind === "fault" ? parseFrameRefs(l.frames) : [];
  return frames.length ? [head, ...formatFrames(frames, mapFor(l.wasmSha256)).map(printable)].join("\n") : head;
}

export const command: Command = {
  name: "logs",
  summary: "Show or follow a device's logs",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { device: { type: "string" }, timeout: { type: "string" }, module: { type: "string" }, lines: { type: "string" }, follow: { type: "boolean", short: "f" }, map: { type: "string", multiple: true }, ...BROKER_ARGS, json: { type: "boolean" } },
    });
    if (positionals.length !== (values.device === undefined ? 1 : 0)) throw new UsageError("expected --device <id> (or the device id as the one argument)");
    const device = checkDevice(values.device ?? positionals[0], values.device === undefined ? "<device>" : "--device");
    const limit = values.lines === undefined ? 100 : Number(values.lines);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--lines "${values.lines}" must be a positive integer`);
    // Before connecting: a bad value is refused before any work (README, "Errors and exit codes").
    const timeoutMs = (parseSeconds(values.timeout, "--timeout") ?? 5) * 1000;
    const json = !!values.json;
    const mapFiles = values.map ?? [];
    for (const f of mapFiles) {
      try {
        parseDebugMap(readInputText("logs", `--map ${f}`, f), `--map ${f}`);
      } catch (e) {
        if (e instanceof DebugMapError) throw new UsageError(`logs: ${e.message}`);
        throw e;
      }
    }
    const maps = new Map<string, DebugMap | null>();
    const mapFor = (sha256: unknown): DebugMap | null => {
      if (typeof sha256 !== "string") return null;
      if (!maps.has(sha256)) maps.set(sha256, findDebugMap(sha256, { files: mapFiles, dirs: [process.cwd()] }));
      return maps.get(sha256)!;
    };
    const print = (l: Line) => {
      if (typeof l !== "object" || l === null || Array.isArray(l)) return; // not a log line
      process.stdout.write((json ? JSON.stringify(l) : format(l, mapFor)) + "\n");
    };
    let conn: ToolConnection | null = null;
    try {
      const broker = brokerTargetFromArgs(values);
      conn = await ToolConnection.open({ brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}) });
      const topics = topicsFor(device);
      const live: Line[] = [];
      let backlogDone = false;
      if (values.follow) {
        conn.onMessage((topic, payload) => {
          if (topic !== topics.log) return;
          try {
            const l = parseJson<Line>(payload, "log");
            if (values.module && l.module !== values.module) return;
            if (backlogDone) print(l);
            else live.push(l);
          } catch { /* not a log line */ }
        });
        await conn.subscribe([topics.log], 0);
      }
      const r = await conn.request(device, { op: "logs", limit, ...(values.module ? { module: values.module } : {}) }, timeoutMs);
      const lines = Array.isArray(r.lines) ? (r.lines as Line[]) : [];
      for (const l of lines) print(l);
      if (!values.follow) return OTA_EXIT.ok;
      const lastTs = lines.length ? Number(lines[lines.length - 1]?.ts) || 0 : 0;
      for (const l of live) if (l.ts > lastTs) print(l);
      backlogDone = true;
      await untilStopSignal();
      return OTA_EXIT.ok;
    } catch (e) {
      const code = reportRemoteError(e, json, "logs");
      if (code !== null) return code;
      throw e;
    } finally {
      await conn?.close();
    }
  },
};
