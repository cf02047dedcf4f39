import { parseArgs } from "node:util";
import { UsageError, type Command } from "../cli/command.js";
import { startBroker } from "../ota/broker.js";
import { untilStopSignal } from "../ota/cli-support.js";

const help = `fwx broker — run the embedded MQTT broker (aedes) for a bench, a demo or a small site

usage: fwx broker [--port 1883] [--host 127.0.0.1] [--json]

Runs until interrupted (Ctrl-C / SIGTERM). Devices (\`fwx agent\`) and tools
(\`fwx flash\`, \`fwx devices\`, …) connect to it; retained device status and
presence live in its memory only. Fleets use a clustered broker instead
(docs/fleet-brokers.md).

options:
  --port <n>      TCP port (default 1883; 0 picks a free one and prints it)
  --host <addr>   address to listen on (default 127.0.0.1: loopback only)
  --json          print {"url": ...} once listening

exit codes: 0 stopped by a signal, 2 bad arguments, 1 could not listen (port in use, …)

example: fwx broker --port 1883`;

export const command: Command = {
  name: "broker",
  summary: "Run the embedded MQTT broker",
  help,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { port: { type: "string" }, host: { type: "string" }, json: { type: "boolean" } }, allowPositionals: false });
    const port = values.port === undefined ? 1883 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${values.port}" is not a TCP port`);
    const host = values.host ?? "127.0.0.1";
    let broker;
    try {
      broker = await startBroker({ port, host });
    } catch (e) {
      process.stderr.write(`error: cannot listen on ${host}:${port}: ${(e as Error).message}\n`);
      return 1;
    }
    if (values.json) process.stdout.write(JSON.stringify({ url: broker.url, host: broker.host, port: broker.port }) + "\n");
    else process.stderr.write(`fwx broker listening on ${broker.url} (Ctrl-C to stop)\n`);
    await untilStopSignal();
    await broker.close();
    return 0;
  },
};
