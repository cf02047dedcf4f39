// The fleet through the CLI, as a release manager runs it: `fwx fleet-sim`
// with a share of devices that fail every trial, `fwx fleet` following them
// on Mosquitto, `fwx rollout create` and `fwx rollout status --wait` seeing
// the rollout halt on its first wave; `--approve` asking before every wave,
// the debug map beside the package uploaded, `fwx rollout map`. The daemons are
// processes of the bundled CLI, stopped by their PID; the rollout commands run
// in this process (runCli: tests/support/cli-in-process.ts). Each runs under a
// time limit.

import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failingIndexes } from "../../src/fleet/sim.js";
import { privateKeyPem, publicKeyPem } from "../../src/pkg/keys.js";
import { cliBundle } from "../ota/child-agent.js";
import { mosquittoBinary, mosquittoBroker, type TestBroker } from "../ota/brokers.js";
import { CUSTOMER, GROUP, makePackage, makeTrust, tempDir, tickerWasm } from "../ota/fixtures.js";
import { DEBUG_MAP_FORMAT, DEBUG_MAP_VERSION } from "../../src/build/debug-map.js";
import { createHash } from "node:crypto";
import { runCliInProcessAsNode } from "../support/cli-in-process.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const repo = resolve(import.meta.dirname, "../..");

const run = (args: string[], timeoutMs = 60_000) => runCliInProcessAsNode(args, { cwd: repo, timeoutMs });

/** Starts a long-running fwx command; resolves with its first stdout line (its --json readiness line). */
function daemon(cli: string, args: string[], children: ChildProcess[], timeoutMs = 60_000): Promise<string> {
  const p = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  children.push(p);
  let out = "", err = "";
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`fwx ${args[0]} not ready within ${timeoutMs} ms: ${err}`)), timeoutMs);
    p.stderr.on("data", (d) => (err += d));
    p.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) { clearTimeout(t); res(out.split("\n")[0]!); }
    });
    p.on("close", (code) => { clearTimeout(t); rej(new Error(`fwx ${args[0]} exited ${code}: ${err}`)); });
  });
}

async function stopChild(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once("exit", r));
  process.kill(p.pid!, "SIGTERM");
  const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
  await gone;
  clearTimeout(t);
}

const bin = mosquittoBinary();
if (!bin) throw new Error("mosquitto is not available (scripts/ensure-mosquitto.mjs could not install it)");

describe("fwx fleet, fleet-sim and rollout", { timeout: 240_000 }, () => {
  const trust = makeTrust();
  const work = tempDir("fleet-cli");
  const f = (name: string) => join(work.path, name);
  const children: ChildProcess[] = [];
  let broker: TestBroker;
  let cli: string;
  beforeAll(async () => {
    broker = await mosquittoBroker(bin, work.path);
    cli = cliBundle();
    writeFileSync(f("root.key"), privateKeyPem(trust.rootKey), { mode: 0o600 });
    writeFileSync(f("root.pub"), publicKeyPem(trust.rootPub));
    writeFileSync(f("ops.key"), privateKeyPem(trust.auth.operator.key), { mode: 0o600 });
    writeFileSync(f("ops.opcert"), trust.auth.operator.cert);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    await broker?.close();
    work.cleanup();
  });

  it("halts a rollout whose first wave lands on a device that fails its trial; the next, created --approve with its debug map, waits before each wave", async () => {
    // A seed that makes the first of 4 devices the failing one (which ones fail is fixed by the seed).
    const seed = [...Array(100).keys()].find((s) => failingIndexes(4, 0.25, s).has(0))!;
    const devices = JSON.parse(await daemon(cli, ["fleet-sim", "--count", "4", "--fail-fraction", "0.25", "--seed", String(seed), "--root-key", f("root.key"),
      "--customer", CUSTOMER, "--group", GROUP, "--state-dir", f("sims"), "--broker", broker.url, "--json"], children)) as { id: string; failsTrials: boolean }[];
    expect(devices.map((d) => [d.id, d.failsTrials])).toEqual([["sim-1", true], ["sim-2", false], ["sim-3", false], ["sim-4", false]]);

    const ready = JSON.parse(await daemon(cli, ["fleet", "--db", f("fleet.db"), "--listen", "127.0.0.1:0", "--broker", broker.url, "--json",
      "--operator-key", f("ops.key"), "--operator-cert", f("ops.opcert"), "--root", f("root.pub"), "--cache", work.path], children)) as { api: string; rollouts: boolean };
    expect(ready.rollouts).toBe(true);
    for (let i = 0; ; i++) {
      const list = (await (await fetch(`${ready.api}/api/devices?online=true`)).json()) as unknown[];
      if (list.length === 4) break;
      if (i > 200) throw new Error(`the fleet service knows ${list.length} of 4 devices`);
      await new Promise((r) => setTimeout(r, 100));
    }

    writeFileSync(f("v1.fwx"), makePackage(trust, { version: "1.0.0", sequence: 1 }));
    const bad = await run(["rollout", "create", f("v1.fwx"), "--fleet", ready.api, "--target", "group=nope"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/selects no device/);
    const created = await run(["rollout", "create", f("v1.fwx"), "--fleet", ready.api, "--target", `customer=${CUSTOMER}`, "--waves", "1,100%", "--max-failures", "0", "--json"]);
    expect(created.code, created.err).toBe(0);
    const id = (JSON.parse(created.out) as { id: string }).id;
    const status = await run(["rollout", "status", id, "--wait", "--fleet", ready.api]);
    expect(status.code, status.err).toBe(3);
    expect(status.out).toMatch(new RegExp(`^${id}  com\\.acme\\.ticker 1\\.0\\.0  HALTED  4 devices`));
    expect(status.out).toMatch(/halted: wave 1 of 2: 1 of 1 devices failed.*sim-1 reverted/);
    expect(status.out).toMatch(/wave 2  \[\.{20}\] 0\/3  pending/);
    const resume = await run(["rollout", "resume", id, "--fleet", ready.api]);
    expect(resume.code).toBe(2);
    expect(resume.err).toMatch(/cannot resume rollout .*: it is halted/);

    // The next version, with the debug map fwx build left beside it; --approve alone: before every wave.
    writeFileSync(f("v2.fwx"), makePackage(trust, { version: "2.0.0", sequence: 2 }));
    const sha = createHash("sha256").update(tickerWasm()).digest("hex");
    const map = { format: DEBUG_MAP_FORMAT, version: DEBUG_MAP_VERSION, module: { id: "com.acme.ticker", version: "2.0.0" }, wasmSha256: sha, functions: ["log", "start", "fwx_init", "fwx_on_timer"], sources: [], lines: [], aborts: {} };
    writeFileSync(f("v2.fwxmap.json"), JSON.stringify(map));
    const unknownMode = await run(["rollout", "create", f("v2.fwx"), "--fleet", ready.api, "--target", "devices=sim-2+sim-3", "--approve=sometimes"]);
    expect([unknownMode.code, unknownMode.err]).toEqual([2, expect.stringMatching(/--approve "sometimes": expected every or first/)]);
    writeFileSync(f("other.fwxmap.json"), JSON.stringify({ ...map, wasmSha256: "ab".repeat(32) }));
    const wrongMap = await run(["rollout", "create", f("v2.fwx"), "--fleet", ready.api, "--target", "devices=sim-2+sim-3", "--map", f("other.fwxmap.json")]);
    expect(wrongMap.code).toBe(2);
    expect(wrongMap.err).toMatch(/--map .*other\.fwxmap\.json describes module abababababab…, not this package's/);
    const staged = await run(["rollout", "create", f("v2.fwx"), "--approve", "--fleet", ready.api, "--target", "devices=sim-2+sim-3", "--waves", "1,100%"]);
    expect(staged.code, staged.err).toBe(0);
    expect(staged.out).toContain(`debug map ${sha.slice(0, 12)} uploaded: crash reports name source lines`);
    expect(staged.out).toMatch(/waiting for approval of wave 1 \(fwx rollout resume (ro-[0-9a-f]{8}); --approve every\)/);
    const v2 = /^created (ro-[0-9a-f]{8})/.exec(staged.out)![1]!;
    expect(((await (await fetch(`${ready.api}/api/debug-maps`)).json()) as { wasmSha256: string }[]).map((m) => m.wasmSha256)).toEqual([sha]);
    expect((await run(["rollout", "resume", v2, "--fleet", ready.api])).code).toBe(0);
    // Wave 1 (sim-2) confirms; wave 2 waits for a second approval (polled through the API: a CLI process per poll is slow under load).
    for (let i = 0; ; i++) {
      const v = (await (await fetch(`${ready.api}/api/rollouts/${v2}`)).json()) as { state: string; awaitingWave: number | null };
      if (v.state === "awaiting-approval" && v.awaitingWave === 1) break;
      if (!["running", "awaiting-approval"].includes(v.state) || i > 600) throw new Error(`wave 2 never waited for approval: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const st = await run(["rollout", "status", v2, "--fleet", ready.api]);
    expect(st.out).toContain("waiting for approval of wave 2");
    expect(st.out).toMatch(/wave 1  \[#{20}\] 1\/1  succeeded/);
    expect(st.out).toMatch(/wave 2  \[\.{20}\] 0\/1  pending/);
    expect((await run(["rollout", "resume", v2, "--fleet", ready.api])).code).toBe(0);
    const done = await run(["rollout", "status", v2, "--wait", "--fleet", ready.api]);
    expect(done.code, done.out).toBe(0);
    expect(done.out).toMatch(/DONE  2 devices/);

    // A map on its own; a file that is not one is named.
    writeFileSync(f("junk.fwxmap.json"), "{}");
    const junk = await run(["rollout", "map", f("junk.fwxmap.json"), "--fleet", ready.api]);
    expect(junk.code).toBe(2);
    expect(junk.err).toMatch(/junk\.fwxmap\.json: not an fwx debug map/);
    const added = await run(["rollout", "map", f("other.fwxmap.json"), "--fleet", ready.api]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(/other\.fwxmap\.json: debug map of com\.acme\.ticker 2\.0\.0 \(abababababab\) uploaded/);
  });
});
