// rollback, remove and config set: one signed command, one reply the device
// proved (src/ota/signed-command.ts), carrying its install event.

import { parseArgs } from "node:util";
import { UsageError } from "../cli/command.js";
import { ConfigValueError } from "./config-values.js";
import { checkDevice, OTA_EXIT, parseSeconds, printable, reportRemoteError } from "./cli-support.js";
import { CREDENTIAL_OPTIONS, loadOperatorAuth } from "./credentials.js";
import type { InstallEvent } from "./protocol.js";
import { ToolConnection, type OperatorAuth, type SignedRequest } from "./rpc.js";
import { BROKER_ARGS, brokerTargetFromArgs, type BrokerTarget } from "./transport.js";

export async function runDeviceCommand(broker: BrokerTarget, device: string, body: SignedRequest, json: boolean, auth: OperatorAuth, timeoutMs = 10_000): Promise<number> {
  let conn: ToolConnection | null = null;
  try {
    conn = await ToolConnection.open({ brokerUrl: broker.url, connectTimeoutMs: Math.min(timeoutMs, 10_000), ...(broker.security ? { security: broker.security } : {}) });
    const { reply, statement } = await conn.signedRequest(device, body, auth, timeoutMs);
    if (!statement) throw new Error("unreachable: an answer without proof was accepted");
    // The phase printed is the one the device signed, not whatever the reply's JSON says.
    const e = { ...(reply.event as InstallEvent), phase: statement.outcome } as InstallEvent;
    if (json) process.stdout.write(JSON.stringify({ ok: true, event: e }) + "\n");
    else process.stdout.write(`${device}: ${printable(e.module)} ${printable(e.phase)}${e.version ? ` → ${printable(e.version)}` : ""}${e.reason ? ` (${printable(e.reason)})` : ""}\n`);
    if (!json && body.op === "rollback") {
      // A rollback swaps the slots: the version rolled back from is now the other one, and a second
      // rollback runs it again. Said, so nobody rolls forward by accident (the status is the device's claim).
      const s = await conn.status(device, 500);
      const m = s?.modules.find((x) => x.id === body.module);
      const other = m?.confirmed === "A" || m?.confirmed === "B" ? m.slots[m.confirmed === "A" ? "B" : "A"] : null;
      if (other && typeof other.version === "string") process.stdout.write(`note: slot ${m!.confirmed === "A" ? "B" : "A"} still holds ${printable(other.version)}; \`fwx rollback\` again would run it again (roll forward)\n`);
    }
    return OTA_EXIT.ok;
  } catch (e) {
    if (e instanceof ConfigValueError) {
      process.stderr.write(`fwx: ${body.op}: ${e.message}\n`);
      return OTA_EXIT.invalid;
    }
    const code = reportRemoteError(e, json, body.op);
    if (code !== null) return code;
    throw e;
  } finally {
    await conn?.close();
  }
}

/** `fwx rollback` and `fwx remove`: `<device> <module>` (or `--device <id> <module>`) and the broker options, one signed request naming the module. */
export async function runModuleCommand(op: "rollback" | "remove", argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...BROKER_ARGS, json: { type: "boolean" }, device: { type: "string" }, timeout: { type: "string" }, ...CREDENTIAL_OPTIONS } });
  const [device, module] = deviceAndRest(values.device, positionals, 1);
  const timeout = parseSeconds(values.timeout, "--timeout") ?? 10;
  return runDeviceCommand(brokerTargetFromArgs(values), device, { op, module: module[0]! }, !!values.json, loadOperatorAuth(values), timeout * 1000);
}

/**
 * The device of a command: `--device <id>` (as `fwx flash` takes it) or, kept as an alias, the first
 * positional argument. Returns it and the remaining positionals, of which `need` are required.
 */
export function deviceAndRest(flag: string | undefined, positionals: string[], need: number, usage = "<module>"): [string, string[]] {
  const rest = flag === undefined ? positionals.slice(1) : positionals;
  const id = flag ?? positionals[0];
  if (id === undefined) throw new UsageError(`expected --device <id> ${usage}`);
  if (rest.length !== need) throw new UsageError(`expected --device <id> ${usage}`);
  return [checkDevice(id, flag === undefined ? "<device>" : "--device"), rest];
}
