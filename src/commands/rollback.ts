import type { Command } from "../cli/command.js";
import { COMMAND_EXIT_CODES_HELP } from "../ota/cli-support.js";
import { CREDENTIALS_HELP } from "../ota/credentials.js";
import { BROKER_ARGS_HELP } from "../ota/transport.js";
import { runModuleCommand } from "../ota/simple-command.js";

const help = `usage: fwx rollback --device <id> <module> [--broker url] [--ca f --cert f --key f] [--username u --password-file f]
                    [--json] [credentials]
       fwx rollback <device> <module> …   (the same; the device as first argument)

Run a module's previous version again (its other slot).

The other slot holds the package that was confirmed before the current one.
The device re-hashes and re-verifies it, makes it the confirmed slot and
restarts the module from it. The installed sequence number is not lowered:
the rolled-back version runs, but re-flashing an older package is still
refused (anti-rollback applies to new packages, not to the slot switch).
Refused while the module is on trial or the device is installing. The slots
swap: the version rolled back from stays in the other slot, so a second
rollback runs it again (a roll forward); fwx rollback says so after each one.

options:
  --device <id>           the device (or give its id as the first argument)
${BROKER_ARGS_HELP}
  --json                  print the device's event as JSON
  --timeout <s>           give up when the device has not answered for this long (default 10)

${CREDENTIALS_HELP}

${COMMAND_EXIT_CODES_HELP}

example:
  fwx rollback gw-17 com.acme.alarm`;

export const command: Command = {
  name: "rollback",
  summary: "Roll a module back to its previous slot",
  help,
  run: (argv) => runModuleCommand("rollback", argv),
};
