import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { checkOutputDirectory } from "../cli/files.js";
import { loadPrivateKey } from "../pkg/files.js";
import { parseSpeedFactor, untilStopSignal } from "../ota/cli-support.js";
import { BROKER_ARGS, BROKER_ARGS_HELP, brokerTargetFromArgs } from "../ota/transport.js";
import { startFleetSim } from "../fleet/sim.js";
import { BoardProfileError } from "../sim/errors.js";

const help = `usage: fwx fleet-sim --count N --root-key <root.key> [--fail-fraction F] [--seed S]
                     [--customer c[,c…]] [--group g[,g…]] [--board <profile.json>]…
                     [--prefix sim-] [--state-dir <dir>] [--speed 60] [--shard i/k]
                     [--broker mqtt://127.0.0.1:1883] [--ca f --cert f --key f] [--json]

Run N simulated gateways in one process until interrupted: each is the real
device agent on the simulated board, with its own state directory, MQTT
connection (client id = device id), board and device certificate, which
fwx fleet-sim issues from the product root key as a factory would.

--fail-fraction makes that share of the devices fail every trial: their
agents run with a health policy no module can meet, so the real install
state machine reverts each update and reports "reverted" (which devices is
fixed by --seed). Use it to watch a rollout halt.

options:
  --count <n>             number of gateways (1..100000)
  --root-key <file>       product root private key (fwx keys gen): signs each device's certificate
  --fail-fraction <f>     share of devices (0..1) whose trials always revert (default 0)
  --seed <n>              which devices fail (default 1)
  --customer <list>       customers, assigned round-robin (default acme)
  --group <list>          device groups, assigned round-robin (default line-1)
  --board <file>          board profile; repeat to mix boards round-robin (default: the demo board)
  --prefix <p>            device ids <p>1… numbered with as many digits as --count has
                          (--count 200: sim-001 … sim-200; default sim-)
  --state-dir <dir>       parent of the devices' state directories (created inside an
                          existing directory; default: a new temporary directory)
  --speed <x>             device clock speed-up (default 60: a 10 s health window takes ~0.2 s)
  --shard <i>/<k>         run only part i (1..k) of the --count devices (every k-th), so
                          k processes (one per core) share a fleet; ids, groups and failing devices
                          are those of the whole fleet
  --json                  print [{id, customer, group, failsTrials}] once every device is online
${BROKER_ARGS_HELP}

exit codes:
  0  stopped by a signal
  1  internal error
  2  bad arguments
  4  the broker is unreachable

example:
  fwx fleet-sim --count 200 --fail-fraction 0.05 --root-key root.key --customer acme-foods --group cold-store-3`;

const list = (v: string | undefined, dflt: string) => (v ?? dflt).split(",").map((s) => s.trim()).filter(Boolean);

export const command: Command = {
  name: "fleet-sim",
  summary: "Run N simulated gateways in one process (tests, benches, demos)",
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, allowPositionals: false,
      options: {
        count: { type: "string" }, "root-key": { type: "string" }, "fail-fraction": { type: "string" }, seed: { type: "string" },
        customer: { type: "string" }, group: { type: "string" }, board: { type: "string", multiple: true }, prefix: { type: "string" },
        "state-dir": { type: "string" }, speed: { type: "string" }, shard: { type: "string" }, json: { type: "boolean" }, ...BROKER_ARGS,
      },
    });
    const count = Number(values.count);
    if (values.count === undefined) throw new UsageError("--count is required");
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new UsageError(`--count "${values.count}" must be an integer in 1..100000`);
    if (!values["root-key"]) throw new UsageError("--root-key is required: the product root private key signs each simulated device's certificate");
    const failFraction = values["fail-fraction"] === undefined ? 0 : Number(values["fail-fraction"]);
    if (!(failFraction >= 0 && failFraction <= 1)) throw new UsageError(`--fail-fraction "${values["fail-fraction"]}" must be a number in 0..1`);
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed "${values.seed}" must be an integer`);
    const speed = parseSpeedFactor(values.speed, "--speed") ?? 60;
    const prefix = values.prefix ?? "sim-";
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,50}$/.test(prefix)) throw new UsageError(`--prefix "${prefix}": device ids are letters, digits, . _ - and start with a letter or digit`);
    let shard: { index: number; of: number } | undefined;
    if (values.shard !== undefined) {
      const m = /^(\d+)\/(\d+)$/.exec(values.shard);
      const i = Number(m?.[1]), k = Number(m?.[2]);
      if (!m || k < 1 || i < 1 || i > k || k > count) throw new UsageError(`--shard "${values.shard}" must be i/k with 1 ≤ i ≤ k ≤ --count`);
      shard = { index: i - 1, of: k };
    }
    if (values["state-dir"] !== undefined) checkOutputDirectory("fleet-sim", `--state-dir ${values["state-dir"]}`, values["state-dir"]);
    const rootKey = loadPrivateKey(values["root-key"]);
    const broker = brokerTargetFromArgs(values);
    const dir = values["state-dir"] ?? mkdtempSync(join(tmpdir(), "fwx-fleet-sim-"));
    let sim;
    try {
      sim = await startFleetSim({
        count, brokerUrl: broker.url, ...(broker.security ? { security: broker.security } : {}), rootKey, dir, prefix,
        customers: list(values.customer, "acme"), groups: list(values.group, "line-1"), ...(values.board ? { boards: values.board } : {}),
        failFraction, seed, speed, ...(shard ? { shard } : {}),
      });
    } catch (e) {
      if (e instanceof BoardProfileError) throw new UsageError(`--board: ${e.message}`);
      if (e instanceof Error && /connect|ECONNREFUSED|broker/i.test(e.message)) {
        process.stderr.write(`fwx: fleet-sim: ${e.message}\n`);
        return 4;
      }
      throw e;
    }
    const rows = sim.devices.map((d) => ({ id: d.id, customer: d.customer, group: d.group, failsTrials: d.failsTrials }));
    if (values.json) process.stdout.write(JSON.stringify(rows) + "\n");
    else process.stdout.write(`[fleet-sim] ${rows.length} gateways online at ${broker.url} (${rows.filter((r) => r.failsTrials).length} fail every trial), state in ${dir}\n`);
    await untilStopSignal();
    await sim.stop();
    return EXIT.ok;
  },
};
