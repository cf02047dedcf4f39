import type { Command } from "../cli/command.js";
import { COMMAND_EXIT_CODES_HELP } from "../ota/cli-support.js";
import { CREDENTIALS_HELP } from "../ota/credentials.js";
import { BROKER_ARGS_HELP } from "../ota/transport.js";
import { runModuleCommand } from "../ota/simple-command.js";

const help = `usage: fwx remove --device <id> <module> [--broker url] [--ca f --cert f --key f] [--username u --password-file f]
                  [--json] [credentials]
       fwx remove <device> <module> …   (the same; the device as first argument)

Stop a module and delete it from a device.

Stops the module (fwx_deinit runs if exported), deletes both slots and its
config values. The module's anti-rollback floor (its highest confirmed
sequence) is kept: a later install must not be older than what was removed.
Its key-value store (kv/<module>.json) is kept, so a later
install of the same module id finds its data again. Refused while the
module is on trial or the device is installing.

options:
  --device <id>           the device (or give its id as the first argument)
${BROKER_ARGS_HELP}
  --json                  print the device's event as JSON
  --timeout <s>           give up when the device has not answered for this long (default 10)

${CREDENTIALS_HELP}

${COMMAND_EXIT_CODES_HELP}

example:
  fwx remove gw-17 com.acme.alarm`;

export const command: Command = {
  name: "remove",
  summary: "Remove a module from a device",
  help,
  run: (argv) => runModuleCommand("remove", argv),
};
