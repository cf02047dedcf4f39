// rollback, remove and config set: one command, one reply with the install event.

import { parseArgs } from "node:util";
import { UsageError } from "../cli/command.js";
import { ConfigValueError } from "./config-values.js";
import { checkBrokerUrl, checkDevice, OTA_EXIT, reportRemoteError } from "./cli-support.js";
import { DEFAULT_BROKER, type InstallEvent } from "./protocol.js";
import { ToolConnection, type CommandBody } from "./rpc.js";

export async function runDeviceCommand(brokerUrl: string, device: string, body: CommandBody, json: boolean): Promise<number> {
  let conn: ToolConnection | null = null;
  try {
    conn = await ToolConnection.open({ brokerUrl });
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

/** `fwx rollback` and `fwx remove`: `<device> <module> [--broker url] [--json]`, one request naming the module. */
export async function runModuleCommand(op: "rollback" | "remove", argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { broker: { type: "string" }, json: { type: "boolean" } } });
  if (positionals.length !== 2) throw new UsageError("expected <device> <module>");
  return runDeviceCommand(checkBrokerUrl(values.broker ?? DEFAULT_BROKER), checkDevice(positionals[0], "<device>"), { op, module: positionals[1]! }, !!values.json);
}
