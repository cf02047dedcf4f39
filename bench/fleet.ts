// Fleet rollout figures: a rollout of the cold-chain example to N simulated
// gateways (the real agent, fwx fleet-sim's code) through a real Mosquitto,
// from `create` to the last verdict, with the fleet service on the embedded
// database; the MQTT messages per device the broker delivered to the
// devices and the service meanwhile (counted by a subscriber to fwx/v2/#,
// which sees each message once); and how the time grows from the smallest
// to the largest N. FWX_BENCH_FLEET=100,1000 sets the sizes,
// FWX_BENCH_FLEET_CONCURRENT the rollout's --max-concurrent (default 25: at
// 100 transfers under way, 300 agents in one process on 2 cores missed the
// 120 s verdict timeout on a few devices). The simulated devices run in
// FWX_BENCH_FLEET_PROCS child processes (`fwx fleet-sim --shard i/k`,
// default 2, one per core) beside the service in this one: with all agents
// and the service on one event loop, the service's work waited behind the
// agents' and the devices resent chunks that timed out.
// FWX_BENCH_FLEET_PROCS=0 runs them in this process as before, to compare.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { startFleetService } from "../src/fleet/service.js";
import { startFleetSim } from "../src/fleet/sim.js";
import { parseMaxFailures, parseWaves } from "../src/fleet/rollout-plan.js";
import { provisionOperator } from "../src/ota/provision.js";
import { mosquittoBinary, mosquittoBroker } from "../tests/ota/brokers.js";
import { examplePackages } from "./ota.js";
import type { BenchRow } from "./row.js";

const root = join(import.meta.dirname, "..");

/** `fwx fleet-sim --shard i/k` for each of `procs` shards, resolved once every device of every shard is online. */
async function simProcesses(n: number, procs: number, brokerUrl: string, rootKeyFile: string, dir: string): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  try {
    await Promise.all(Array.from({ length: procs }, (_, i) => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, "scripts", "run-ts.mjs"), join(root, "src", "cli.ts"), "fleet-sim", "--count", String(n),
        "--shard", `${i + 1}/${procs}`, "--root-key", rootKeyFile, "--state-dir", dir, "--customer", "bench", "--group", "line-1,line-2",
        "--speed", "60", "--broker", brokerUrl, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      let out = "", err = "";
      child.stdout!.on("data", (d: Buffer) => { out += d; if (out.includes("\n")) resolve(); });
      child.stderr!.on("data", (d: Buffer) => { err += d; });
      child.once("exit", (code) => reject(new Error(`fleet-sim shard ${i + 1}/${procs} exited with ${code} before its devices were online: ${err.trim()}`)));
    })));
  } catch (e) {
    await stopAll(children);
    throw e;
  }
  return children;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => c.exitCode !== null || c.signalCode !== null ? undefined : new Promise<void>((r) => {
    c.once("exit", () => r());
    c.kill("SIGTERM");
  })));
}

async function rolloutTo(n: number, pkgs: Awaited<ReturnType<typeof examplePackages>>, bin: string): Promise<{ seconds: number; messagesPerDevice: number }> {
  const dir = mkdtempSync(join(tmpdir(), "fwx-bench-fleet-"));
  const broker = await mosquittoBroker(bin, dir);
  mkdirSync(join(dir, "devices"));
  const rootKeyFile = join(dir, "root.key");
  writeFileSync(rootKeyFile, pkgs.rootPub.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const procs = Math.min(n, Number(process.env.FWX_BENCH_FLEET_PROCS ?? 2));
  const inProcess = procs === 0 ? await startFleetSim({ count: n, brokerUrl: broker.url, rootKey: pkgs.rootPub.privateKey, dir: join(dir, "devices"), customers: ["bench"], groups: ["line-1", "line-2"], speed: 60 }) : null;
  const sims = procs === 0 ? [] : await simProcesses(n, procs, broker.url, rootKeyFile, join(dir, "devices"));
  const auth = { operator: provisionOperator(pkgs.rootPub.privateKey, { customers: ["bench"] }), rootPublicKey: pkgs.rootPub.publicKey };
  const svc = await startFleetService({ db: join(dir, "fleet.db"), brokerUrl: broker.url, shareGroup: "fwx-fleet", port: 0, auth, cacheDir: null, tickMs: 100 });
  const spy = mqtt.connect(broker.url, { clientId: "bench-spy" });
  try {
    await new Promise((r) => spy.once("connect", r));
    while ((await svc.store.deviceIds({ online: true })).length < n) await new Promise((r) => setTimeout(r, 100));
    let messages = 0;
    spy.on("message", () => messages++);
    await spy.subscribeAsync("fwx/v2/#", { qos: 0 });
    messages = 0; // retained status and presence are not the rollout's
    const t0 = performance.now();
    const r = await svc.rollouts!.create({ package: pkgs.v1, target: { customer: "bench" }, waves: parseWaves("1,5%,25%,100%"), maxFailures: parseMaxFailures("2%"), maxConcurrent: Number(process.env.FWX_BENCH_FLEET_CONCURRENT ?? 25) });
    for (;;) {
      const v = (await svc.rollouts!.get(r.id))!;
      if (v.state === "done") break;
      if (v.state !== "running") throw new Error(`rollout to ${n} devices ${v.state}: ${v.haltReason}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    return { seconds: (performance.now() - t0) / 1000, messagesPerDevice: messages / n };
  } finally {
    await spy.endAsync();
    await svc.close();
    await stopAll(sims);
    await inProcess?.stop();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFleet(): Promise<BenchRow[]> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error("mosquitto is not available");
  const sizes = (process.env.FWX_BENCH_FLEET ?? "100,1000").split(",").map(Number);
  const pkgs = await examplePackages();
  const rows: BenchRow[] = [];
  const times: number[] = [];
  for (const n of sizes) {
    const m = await rolloutTo(n, pkgs, bin);
    times.push(m.seconds);
    rows.push(n === 1000
      ? { name: `rollout to ${n} devices, create to last verdict`, value: m.seconds, unit: "s", goal: "≤ 60 s", met: m.seconds <= 60 }
      : { name: `rollout to ${n} devices, create to last verdict`, value: m.seconds, unit: "s" });
    rows.push({ name: `broker messages per device (${n} devices)`, value: m.messagesPerDevice, unit: "messages" });
  }
  if (sizes.length > 1) rows.push({ name: `time ${sizes.at(-1)} devices / time ${sizes[0]} devices`, value: times.at(-1)! / times[0]!, unit: `x (devices x${sizes.at(-1)! / sizes[0]!})` });
  return rows;
}
