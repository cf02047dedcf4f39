import { parseArgs } from "node:util";
import { UsageError, type Command } from "../cli/command.js";
import { COMMAND_EXIT_CODES_HELP, parseSeconds } from "../ota/cli-support.js";
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, loadOperatorAuth } from "../ota/credentials.js";
import { deviceAndRest, runDeviceCommand } from "../ota/simple-command.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";

const help = `usage: fwx config set --device <id> <module> key=value [key=value…] [--broker url] [--ca f --cert f --key f] [--username u --password-file f]
                      [--json] [credentials]
       fwx config set <device> <module> key=value…   (the same; the device as first argument)

Set a module's deploy-time configuration on a device, without a new binary.

One binary serves many customers: thresholds, periods and labels are config
fields declared in the module's fwx.json (and signed into its manifest).
The device checks each value against the field's type and bounds, stores it
durably and restarts the module, which reads it with core.config_get.

options:
  --device <id>           the device (or give its id as the first argument)
${BROKER_ARGS_HELP}
  --json                  print the device's event as JSON
  --timeout <s>           give up when the device has not answered for this long (default 10)

${CREDENTIALS_HELP}

${COMMAND_EXIT_CODES_HELP}
  (2 also when a key is not a config field of the module or a value is out of range)

example:
  fwx config set gw-17 com.example.cold-chain-alarm threshold_c=6.5 door_grace_s=90`;

export const command: Command = {
  name: "config",
  summary: "Set a module's deploy-time configuration on a device",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...BROKER_ARGS, json: { type: "boolean" }, device: { type: "string" }, timeout: { type: "string" }, ...CREDENTIAL_OPTIONS } });
    const [sub, ...args] = positionals;
    if (sub !== "set") throw new UsageError(`unknown subcommand "${sub ?? ""}" (expected: fwx config set --device <id> <module> key=value…)`);
    const [device, rest] = deviceAndRest(values.device, args, Math.max(1, args.length - (values.device === undefined ? 1 : 0)), "<module> key=value…");
    const [module, ...pairs] = rest;
    if (!module) throw new UsageError("expected --device <id> <module> key=value…");
    if (!pairs.length) throw new UsageError("give at least one key=value");
    const set: Record<string, string> = {};
    for (const p of pairs) {
      const eq = p.indexOf("=");
      if (eq <= 0) throw new UsageError(`"${p}" is not key=value`);
      set[p.slice(0, eq)] = p.slice(eq + 1);
    }
    return runDeviceCommand(brokerTargetFromArgs(values), device, { op: "config", module, values: set }, !!values.json, loadOperatorAuth(values), (parseSeconds(values.timeout, "--timeout") ?? 10) * 1000);
  },
};
