import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { readInputFile } from "../cli/files.js";
import { PasswordFile, PasswordFileError } from "../ota/broker-access.js";
import { startBroker, type BrokerOptions } from "../ota/broker.js";
import { untilStopSignal } from "../ota/cli-support.js";

const help = `usage: fwx broker [--port 1883] [--host 127.0.0.1] [--json]
                  [--tls-cert server.pem --tls-key server.key [--client-ca ca.pem]]
                  [--password-file passwd] [--acl --tool <identity>…]

Run the embedded MQTT broker (aedes) for a bench, a demo or a small site.

Runs until interrupted (Ctrl-C / SIGTERM). Devices (\`fwx agent\`) and tools
(\`fwx flash\`, \`fwx devices\`, …) connect to it; retained device status and
presence live in its memory only. Fleets use a clustered broker instead
(docs/fleet-brokers.md).

With --tls-cert/--tls-key it speaks MQTT over TLS only (mqtts://). With
--client-ca every client must present a certificate signed by that CA; its
CN is the client's identity (a device's CN is its device id). With
--password-file clients may log in with a username and password instead
(the file is Mosquitto's: create it with mosquitto_passwd). --acl enforces
the per-device topic ACL: device <d> may subscribe only fwx/v2/<d>/cmd and
/chunk and publish only its own status, presence, event, log, ack, reply and
telemetry topics; the identities named with --tool may use all of fwx/v2/#.

options:
  --port <n>              TCP port (default 1883, 8883 with TLS; 0 picks a free one and prints it)
  --host <addr>           address to listen on (default 127.0.0.1: loopback only)
  --tls-cert <file>       PEM server certificate (its chain first)
  --tls-key <file>        PEM private key of --tls-cert
  --client-ca <file>      PEM CA that client certificates must chain to
  --password-file <file>  username/password logins (mosquitto_passwd format)
  --acl                   enforce the per-device topic ACL (every client must authenticate)
  --tool <identity>       an identity (certificate CN or username) with access to all of fwx/v2/#; repeatable
  --json                  print {"url": ...} once listening

exit codes:
  0  stopped by a signal
  1  could not listen (port in use, …)
  2  bad arguments

examples:
  fwx broker --port 1883
  fwx broker --tls-cert broker.pem --tls-key broker.key --client-ca fleet-ca.pem --acl --tool fleet-tools`;

function readPem(option: string, path: string | undefined): Buffer | undefined {
  return path === undefined ? undefined : readInputFile("broker", `${option} ${path}`, path);
}

export const command: Command = {
  name: "broker",
  summary: "Run the embedded MQTT broker",
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, allowPositionals: false,
      options: {
        port: { type: "string" }, host: { type: "string" }, json: { type: "boolean" },
        "tls-cert": { type: "string" }, "tls-key": { type: "string" }, "client-ca": { type: "string" },
        "password-file": { type: "string" }, acl: { type: "boolean" }, tool: { type: "string", multiple: true },
      },
    });
    const cert = readPem("--tls-cert", values["tls-cert"]);
    const key = readPem("--tls-key", values["tls-key"]);
    const clientCa = readPem("--client-ca", values["client-ca"]);
    if (!!cert !== !!key) throw new UsageError("--tls-cert and --tls-key go together");
    if (clientCa && !cert) throw new UsageError("--client-ca needs --tls-cert and --tls-key (client certificates are a TLS feature)");
    if (values.tool?.length && !values.acl) throw new UsageError("--tool only means something with --acl");
    if (values.acl && !clientCa && !values["password-file"]) throw new UsageError("--acl needs identities: --client-ca (certificates) and/or --password-file");
    const port = values.port === undefined ? (cert ? 8883 : 1883) : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${values.port}" is not a TCP port`);
    const host = values.host ?? "127.0.0.1";
    const opts: BrokerOptions = { port, host };
    if (cert && key) opts.tls = { cert, key, ...(clientCa ? { clientCa } : {}) };
    if (values["password-file"]) {
      try {
        opts.passwords = PasswordFile.load(values["password-file"]);
      } catch (e) {
        throw new UsageError(e instanceof PasswordFileError ? e.message : `--password-file ${values["password-file"]}: ${(e as Error).message}`);
      }
    }
    if (values.acl) opts.acl = { tools: new Set(values.tool ?? []) };
    let broker;
    try {
      broker = await startBroker(opts);
    } catch (e) {
      // Exit 1 as the help says; src/cli.ts ends the process, whatever the failed server left open.
      const err = e as NodeJS.ErrnoException;
      const why = err.code === "EADDRINUSE" ? "the port is in use" : err.code === "EACCES" ? "permission denied (ports below 1024 need privileges)" : err.code === "EADDRNOTAVAIL" ? "no such local address" : err.message;
      throw new UsageError(`broker: cannot listen on ${host}:${port}: ${why}`, EXIT.internal);
    }
    if (values.json) process.stdout.write(JSON.stringify({ url: broker.url, host: broker.host, port: broker.port }) + "\n");
    else process.stderr.write(`fwx broker listening on ${broker.url}${opts.acl ? " (per-device ACL)" : ""} (Ctrl-C to stop)\n`);
    await untilStopSignal();
    await broker.close();
    return 0;
  },
};
