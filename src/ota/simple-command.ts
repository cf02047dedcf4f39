// rollback, remove and config set: one command, one reply with the install event.

import { parseArgs } from "node:util";
import { UsageError } from "../cli/command.js";
import { ConfigValueError } from "./config-values.js";
import { checkDevice, OTA_EXIT, reportRemoteError } from "./cli-support.js";
import type { InstallEvent } from "./protocol.js";
import { ToolConnection, type CommandBody } from "./rpc.js";
import { BROKER_ARGS, brokerTargetFromArgs, type BrokerTarget } from "./transport.js";

export async function runDeviceCommand(broker: BrokerTarget, device: string, body: CommandBody, json: boolean): Promise<number> {
  let conn: ToolConnection | null = null;
  try {
    conn = await ToolConnection.open({ brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}) });
    const r = await conn.request(device, body, 10_000);
    const e = r.event as InstallEvent;
    if (json) process.stdout.write(JSON.stringify({ ok: true, event: e }) + "\n");
    else process.stdout.write(`${device}: ${e.module} ${e.phase}${e.version ? ` → ${e.version}` : ""}${e.reason ? ` (${e.reason})` : ""}\n`);
    return OTA_EXIT.ok;
  } catch (e) {
    if (e instanceof ConfigValueError) {
      process.stderr.write(`error: ${e.message}\n`);
      return OTA_EXIT.invalid;
    }
    const code = reportRemoteError(e, json);
    if (code !== null) return code;
    throw e;
  } finally {
    await conn?.close();
  }
}

/** `fwx rollback` and `fwx remove`: `<device> <module> [broker options] [--json]`, one request naming the module. */
export async function runModuleCommand(op: "rollback" | "remove", argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...BROKER_ARGS, json: { type: "boolean" } } });
  if (positionals.length !== 2) throw new UsageError("expected <device> <module>");
  return runDeviceCommand(brokerTargetFromArgs(values), checkDevice(positionals[0], "<device>"), { op, module: positionals[1]! }, !!values.json);
}
