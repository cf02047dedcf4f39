import { parseArgs } from "node:util";
import { UsageError, type Command } from "../cli/command.js";
import { checkDevice, EXIT_CODES_HELP } from "../ota/cli-support.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { runDeviceCommand } from "../ota/simple-command.js";

const help = `fwx config — set a module's deploy-time configuration on a device, without a new binary

usage: fwx config set <device> <module> key=value [key=value…] [--broker url] [--ca f --cert f --key f] [--username u --password-file f] [--json]

One binary serves many customers: thresholds, periods and labels are config
fields declared in the module's fwx.json (and signed into its manifest).
The device checks each value against the field's type and bounds, stores it
durably and restarts the module, which reads it with core.config_get.

options:
${BROKER_ARGS_HELP}
  --json                  print the device's event as JSON

${EXIT_CODES_HELP}
  (2 also when a key is not a config field of the module or a value is out of range)

example: fwx config set gw-17 com.example.cold-chain-alarm threshold_c=6.5 door_grace_s=90`;

export const command: Command = {
  name: "config",
  summary: "Set a module's deploy-time configuration on a device",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...BROKER_ARGS, json: { type: "boolean" } } });
    const [sub, device, module, ...pairs] = positionals;
    if (sub !== "set") throw new UsageError(`unknown subcommand "${sub ?? ""}" (expected: fwx config set <device> <module> key=value…)`);
    if (!module) throw new UsageError("expected <device> <module> key=value…");
    if (!pairs.length) throw new UsageError("give at least one key=value");
    const set: Record<string, string> = {};
    for (const p of pairs) {
      const eq = p.indexOf("=");
      if (eq <= 0) throw new UsageError(`"${p}" is not key=value`);
      set[p.slice(0, eq)] = p.slice(eq + 1);
    }
    return runDeviceCommand(brokerTargetFromArgs(values), checkDevice(device, "<device>"), { op: "config", module, values: set }, !!values.json);
  },
};
