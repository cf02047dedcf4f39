import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { PackageCache } from "../ota/package-cache.js";
import { parseSeconds, untilStopSignal } from "../ota/cli-support.js";
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, loadOperatorAuth } from "../ota/credentials.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { FleetDbError } from "../fleet/db/open.js";
import { ApiListenError, startFleetService } from "../fleet/service.js";
import { LOGS_PER_DEVICE } from "../fleet/store.js";
import { checkOutputDirectory } from "../cli/files.js";

const DEFAULT_DB = "fleet.db";
const DEFAULT_LISTEN = "127.0.0.1:8470";

const help = `usage: fwx fleet [--db fleet.db | --db postgres://user@host/db] [--listen ${DEFAULT_LISTEN}]
                 [--share-group fwx-fleet | --no-share] [--device-timeout <s>] [--cache <dir>]
                 [--broker mqtt://127.0.0.1:1883] [--ca f --cert f --key f]
                 [--username u --password-file f] [--json] [credentials]

Run the fleet service: follow every device through the broker, keep the
fleet database, run staged rollouts, and answer a JSON HTTP API
(docs/fleet.md) that \`fwx rollout\` and a web console use.

It reads every device's retained status and presence, then follows status,
presence, install events and logs through MQTT shared subscriptions
($share/<group>/fwx/v2/+/...), so several instances split the load on a
clustered broker. The database keeps devices (customer, group, board,
online, last seen), installed modules per slot (version, package hash),
verdict history, the last ${LOGS_PER_DEVICE} log lines per device, crash reports
(named by source line through the debug maps \`fwx rollout create\` and
\`fwx rollout map\` upload), and rollouts with their waves and per-device progress.

The database is embedded SQLite by default (a file, no server). A fleet that
outgrows one machine uses PostgreSQL with the same schema: --db postgres://...
Migrations run at start.

Rollouts flash devices with the operator credentials below, through the same
signed commands as \`fwx flash\`. Without credentials the service only follows
the fleet (rollout requests are refused with 503). Run one instance with
credentials per database: it alone starts transfers.

The HTTP API and console have no login of their own: whoever reaches them
can start rollouts with this service's operator key. Keep --listen on
loopback (the default) or behind a reverse proxy that authenticates.

options:
  --db <file|url>         SQLite database file (default ${DEFAULT_DB}; its directory must exist)
                          or postgres:// URL (env FWX_FLEET_DB)
  --listen <host:port>    HTTP API and console address (default ${DEFAULT_LISTEN}; port 0: any
                          free port; no authentication: see above)
  --share-group <name>    shared-subscription group (default fwx-fleet)
  --no-share              plain subscriptions (brokers without $share; one instance only)
  --device-timeout <s>    a device that does not answer, progress or decide for this long
                          counts as timed out in a rollout (default 120)
  --cache <dir>           packages flashed, the bases of deltas (default $XDG_CACHE_HOME/fwx/packages)
  --json                  print {"api": url, "db": where} once ready
${BROKER_ARGS_HELP}

${CREDENTIALS_HELP}

exit codes:
  0  stopped by a signal
  1  internal error, or the HTTP API cannot listen (--listen: the port in use)
  2  bad arguments, or the database cannot be opened or migrated
  4  the broker is unreachable

example:
  fwx fleet --db /var/lib/fwx/fleet.db --broker mqtts://broker.example:8883 \\
            --ca fleet-ca.pem --cert fleet-tools.pem --key fleet-tools.key`;

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`--listen "${text}": expected <host>:<port>, e.g. ${DEFAULT_LISTEN}`);
  return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port };
}

function anyCredentialGiven(values: Record<string, unknown>): boolean {
  return ["operator-key", "operator-cert", "root"].some((k) => values[k] !== undefined) || !!(process.env.FWX_OPERATOR_KEY || process.env.FWX_OPERATOR_CERT || process.env.FWX_ROOT);
}

export const command: Command = {
  name: "fleet",
  summary: "Run the fleet service: device database, staged rollouts, HTTP API",
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, allowPositionals: false,
      options: {
        db: { type: "string" }, listen: { type: "string" }, "share-group": { type: "string" }, "no-share": { type: "boolean" },
        "device-timeout": { type: "string" }, cache: { type: "string" }, json: { type: "boolean" }, ...BROKER_ARGS, ...CREDENTIAL_OPTIONS,
      },
    });
    if (values["no-share"] && values["share-group"] !== undefined) throw new UsageError("--no-share and --share-group exclude each other");
    const shareGroup = values["no-share"] ? null : values["share-group"] ?? "fwx-fleet";
    if (shareGroup !== null && !/^[A-Za-z0-9._-]{1,64}$/.test(shareGroup)) throw new UsageError(`--share-group "${shareGroup}": 1-64 letters, digits, . _ - (it becomes a topic level)`);
    const listen = parseListen(values.listen ?? DEFAULT_LISTEN);
    const broker = brokerTargetFromArgs(values);
    const timeout = parseSeconds(values["device-timeout"], "--device-timeout") ?? 120;
    if (values.cache !== undefined) checkOutputDirectory("fleet", `--cache ${values.cache}`, values.cache);
    let auth = null;
    if (anyCredentialGiven(values)) auth = loadOperatorAuth(values);
    else {
      try {
        auth = loadOperatorAuth(values);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`fwx: fleet: no operator credentials (${e.message}); following the fleet only, rollouts are refused\n`);
      }
    }
    let service;
    try {
      service = await startFleetService({
        db: values.db ?? process.env.FWX_FLEET_DB ?? DEFAULT_DB, brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}),
        shareGroup, host: listen.host, port: listen.port, auth, cacheDir: values.cache ?? PackageCache.defaultDir(), deviceTimeoutMs: timeout * 1000,
        onError: (e, where) => process.stderr.write(`fwx: fleet: ${where}: ${e.message}\n`),
      });
    } catch (e) {
      if (e instanceof FleetDbError) throw new UsageError(e.message);
      // Exit 1, as fwx broker's: src/cli.ts ends the process, whatever the service had opened.
      if (e instanceof ApiListenError) throw new UsageError(`--listen ${e.host}:${e.port}: cannot listen: ${e.why}`, EXIT.internal);
      if (e instanceof Error && /^broker /.test(e.message)) {
        process.stderr.write(`fwx: fleet: ${e.message}\n`);
        return 4;
      }
      throw e;
    }
    if (values.json) process.stdout.write(JSON.stringify({ api: service.url, db: service.db.where, rollouts: !!service.rollouts }) + "\n");
    else process.stdout.write(`[fleet] following ${broker.url}${shareGroup ? ` (shared group ${shareGroup})` : ""}, database ${service.db.where}, API ${service.url}${service.rollouts ? "" : " (no rollouts: no operator credentials)"}\n`);
    await untilStopSignal();
    await service.close();
    return EXIT.ok;
  },
};
