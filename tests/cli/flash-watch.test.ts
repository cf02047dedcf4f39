// `fwx flash <project> --watch`: every save rebuilds, signs and flashes the
// project to a running `fwx agent` over the air, as an integrator iterates on
// a device; a save that does not build says why and the watch goes on.
// Every wait is bounded, so a regression is a named failure, not a hang.

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { tempDir } from "../ota/fixtures.js";
import { runCliInProcessAsNode } from "../support/cli-in-process.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const repo = resolve(import.meta.dirname, "../..");
const work = tempDir("flash-watch");
const f = (...p: string[]) => join(work.path, ...p);

/** The setup's commands (keys, certificates, the project): runCli in this process (tests/support/cli-in-process.ts). */
const run = (args: string[], timeoutMs = 60_000) => runCliInProcessAsNode(args, { cwd: work.path, timeoutMs });

/** Follows a long-running child's output; `until` waits for a condition on it, within a time limit. */
function follow(p: ChildProcess, what: string) {
  const o = { out: "", err: "" };
  p.stdout!.on("data", (d) => (o.out += d));
  p.stderr!.on("data", (d) => (o.err += d));
  const until = async (label: string, cond: () => boolean, ms = 60_000) => {
    for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) throw new Error(`${what}: timed out waiting for ${label}\nstdout:\n${o.out}\nstderr:\n${o.err}`);
      if (p.exitCode !== null) throw new Error(`${what} exited (${p.exitCode}) waiting for ${label}\nstdout:\n${o.out}\nstderr:\n${o.err}`);
    }
  };
  return Object.assign(o, { until });
}

describe("fwx flash <project> --watch", () => {
  let broker: RunningBroker;
  // The bundled CLI that `npm test` builds first (the agent finds its prepare worker beside it).
  const cli = join(repo, "dist", "cli.js");
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    broker = await startBroker();
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await broker.close();
    work.cleanup();
  });

  it("flashes on start and after every save, says why a broken save was not flashed, and stops on Ctrl-C", async () => {
    for (const name of ["root", "acme", "ops", "gw"]) expect((await run(["keys", "gen", "--out", f(name)])).code).toBe(0);
    writeFileSync(f("caps.json"), JSON.stringify({ timers: 1, sensors: ["ambient"], gpio: [{ pin: 5, modes: ["output"] }], telemetry: ["status"] }));
    const certs = [
      ["cert", "issue", "--root-key", f("root.key"), "--integrator-pub", f("acme.pub"), "--id", "acme", "--module-prefix", "com.example.", "--caps", f("caps.json"), "--customers", "plant-a", "--valid-days", "30", "-o", f("acme.cert")],
      ["cert", "operator", "--root-key", f("root.key"), "--operator-pub", f("ops.pub"), "--id", "ops", "--operations", "*", "--customers", "plant-a", "-o", f("ops.opcert")],
      ["cert", "device", "--root-key", f("root.key"), "--device-pub", f("gw.pub"), "--device-id", "bench-gw", "--customer", "plant-a", "--group", "lab", "-o", f("gw.devcert")],
    ];
    for (const c of certs) {
      const r = await run(c);
      expect(r.code, r.err).toBe(0);
    }
    const made = await run(["new", "sensor"]);
    expect(made.code, made.err).toBe(0);
    const source = f("sensor", "assembly", "index.ts");

    const agent = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "agent", "--device-id", "bench-gw", "--board", join(repo, "boards", "demo.json"), "--state-dir", f("state"),
      "--root", f("root.pub"), "--customer", "plant-a", "--group", "lab", "--broker", broker.url, "--device-key", f("gw.key"), "--device-cert", f("gw.devcert"),
      "--floor", f("floors.json"), "--health-callbacks", "2", "--health-seconds", "0.1"], { cwd: work.path, stdio: ["ignore", "pipe", "pipe"] });
    children.push(agent);
    const a = follow(agent, "fwx agent");
    await a.until("the agent online", () => /\[agent\] online at /.test(a.err), 30_000);

    const watcher = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "flash", f("sensor"), "--watch", "--integrator-key", f("acme.key"), "--integrator-cert", f("acme.cert"),
      "--device", "bench-gw", "--broker", broker.url, "--cache", f("cache"), "--timeout", "20",
      "--operator-key", f("ops.key"), "--operator-cert", f("ops.opcert"), "--root", f("root.pub")], { cwd: work.path, stdio: ["ignore", "pipe", "pipe"] });
    children.push(watcher);
    const w = follow(watcher, "fwx flash --watch");
    const confirmed = () => (w.out.match(/^bench-gw: com\.example\.sensor 0\.1\.0 confirmed/gm) ?? []).length;
    const waits = () => (w.err.match(/^watch: .*waiting for a save/gm) ?? []).length;

    await w.until("the first flash confirmed", () => confirmed() === 1 && waits() === 1, 90_000);
    expect(w.err).toMatch(/^watch: confirmed on the device; waiting for a save \(Ctrl-C to stop\)$/m);

    // A one-line change: rebuilt, signed with a higher sequence, sent as a delta against the confirmed package.
    const original = readFileSync(source, "utf8");
    expect(original).toContain('Json.begin().num("temp_c", s.value, 1)');
    writeFileSync(source, original.replace('Json.begin().num("temp_c", s.value, 1)', 'Json.begin().num("temp_c", s.value, 2)'));
    await w.until("the edited module confirmed", () => confirmed() === 2 && waits() === 2, 90_000);
    expect(w.err).toMatch(/^watch: .*assembly\/index\.ts changed: building, signing and flashing again$/m);
    expect(w.out.split(/^bench-gw: /m).pop()).toMatch(/^com\.example\.sensor 0\.1\.0 confirmed[^\n]*\n {2}delta of \d+ B for a \d+ B package/);

    // A save that does not compile: the error with file and line, nothing sent, and the watch goes on.
    const before = a.err.length;
    writeFileSync(source, original.replace("return 1;", "return 1 +;"));
    await w.until("the compile error reported", () => waits() === 3, 60_000);
    expect(w.err).toMatch(/fwx: flash: pack: building .*sensor failed at compile:\n.*assembly\/index\.ts:\d+:\d+: error AS\d+/);
    expect(a.err.slice(before)).not.toMatch(/\[install\]/);
    expect(confirmed()).toBe(2);

    writeFileSync(source, original);
    await w.until("the fixed module confirmed", () => confirmed() === 3 && waits() === 4, 90_000);

    watcher.kill("SIGINT");
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => res(-1), 10_000);
      watcher.on("exit", (c) => { clearTimeout(t); res(c); });
    });
    expect(code).toBe(130);
  }, 240_000);

  it("watching a package file that is not a package yet: says which file and what is wrong, and waits for a save", async () => {
    for (const name of ["root2", "ops2"]) expect((await run(["keys", "gen", "--out", f(name)])).code).toBe(0);
    const op = await run(["cert", "operator", "--root-key", f("root2.key"), "--operator-pub", f("ops2.pub"), "--id", "ops", "--operations", "*", "--customers", "plant-a", "-o", f("ops2.opcert")]);
    expect(op.code, op.err).toBe(0);
    writeFileSync(f("half.fwx"), "not yet");
    const watcher = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "flash", f("half.fwx"), "--watch", "--device", "bench-gw", "--broker", broker.url, "--timeout", "5",
      "--operator-key", f("ops2.key"), "--operator-cert", f("ops2.opcert"), "--root", f("root2.pub")], { cwd: work.path, stdio: ["ignore", "pipe", "pipe"] });
    children.push(watcher);
    const w = follow(watcher, "fwx flash half.fwx --watch");
    await w.until("the bad file reported and the watch waiting", () => /^watch: .*waiting for a save/m.test(w.err), 30_000);
    expect(w.err).toMatch(/^fwx: flash: .*half\.fwx: not a package: FWX_PKG_E_/m);
    watcher.kill("SIGINT");
  }, 60_000);
});
