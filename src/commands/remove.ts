import type { Command } from "../cli/command.js";
import { EXIT_CODES_HELP } from "../ota/cli-support.js";
import { BROKER_ARGS_HELP } from "../ota/transport.js";
import { runModuleCommand } from "../ota/simple-command.js";

const help = `fwx remove — stop a module and delete it from a device

usage: fwx remove <device> <module> [--broker url] [--ca f --cert f --key f] [--username u --password-file f] [--json]

Stops the module (fwx_deinit runs if exported), deletes both slots and its
config values. Its key-value store (kv/<module>.json) is kept, so a later
install of the same module id finds its data again. Refused while the
module is on trial or the device is installing.

options:
${BROKER_ARGS_HELP}
  --json                  print the device's event as JSON

${EXIT_CODES_HELP}

example: fwx remove gw-17 com.acme.alarm`;

export const command: Command = {
  name: "remove",
  summary: "Remove a module from a device",
  help,
  run: (argv) => runModuleCommand("remove", argv),
};
