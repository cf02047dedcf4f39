// One `fwx agent` per state directory: a second one on the same --state-dir
// is refused (exit 2) naming the running agent, before it touches the
// directory or the broker; the lock of an agent that is gone (SIGKILL, a
// power cut) is taken over; a stopped agent leaves no lock behind.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { lockStateDir, stateLockPath, StateDirInUse } from "../../src/ota/state-lock.js";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { CUSTOMER, GROUP, makeTrust, tempDir } from "./fixtures.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const cli = resolve(import.meta.dirname, "../..", "dist", "cli.js");
const work = tempDir("state-lock");
afterAll(() => work.cleanup());

/** A process that is alive until killed, to hold a lock in another process's name. */
const sleeper = (): ChildProcess => spawn(process.execPath, [...CHILD_NODE_FLAGS, "-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once("exit", () => r())));

describe("lockStateDir", () => {
  it("refuses a directory another live process holds, takes over a dead one's, and releases its own", async () => {
    const dir = join(work.path, "unit-state");
    const other = sleeper();
    try {
      writeFileSync(stateLockPath(dir), `${other.pid}\n`);
      expect(() => lockStateDir(dir)).toThrow(StateDirInUse);
      expect(() => lockStateDir(dir)).toThrow(`--state-dir ${dir} is in use by another fwx agent (process ${other.pid}; lock ${stateLockPath(dir)})`);
      other.kill("SIGKILL");
      await exited(other);
      const release = lockStateDir(dir);
      expect(readFileSync(stateLockPath(dir), "utf8")).toBe(`${process.pid} ${bootId()} ${startOf(process.pid)}\n`);
      release();
      expect(existsSync(stateLockPath(dir))).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });

  // After a power cut the lock is still on disk, and its process number may name
  // another program on the next boot: that must not keep the agent from starting.
  it("takes over a lock from an earlier boot, or whose process number now names another process", async () => {
    const dir = join(work.path, "reboot-state");
    const other = sleeper();
    try {
      await new Promise((r) => setTimeout(r, 50)); // its /proc entry is complete
      const boot = bootId();
      const start = startOf(other.pid!);
      writeFileSync(stateLockPath(dir), `${other.pid} ${boot} ${start}\n`);
      expect(() => lockStateDir(dir)).toThrow(`(process ${other.pid}; lock ${stateLockPath(dir)})`);
      // The same process number, taken by a process that started at another time.
      writeFileSync(stateLockPath(dir), `${other.pid} ${boot} ${Number(start) + 1}\n`);
      lockStateDir(dir)();
      // The same process number and start, but written during another boot.
      writeFileSync(stateLockPath(dir), `${other.pid} 00000000-0000-0000-0000-000000000000 ${start}\n`);
      lockStateDir(dir)();
      expect(existsSync(stateLockPath(dir))).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });
});

const bootId = () => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
};

describe("fwx agent on a state directory in use", () => {
  let broker: RunningBroker;
  const trust = makeTrust();
  const children: ChildProcess[] = [];
  beforeAll(async () => { broker = await startBroker(); }, 30_000);
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await broker.close();
  });

  const agent = (stateDir: string) => {
    const id = trust.identity("lock-gw");
    const files = join(work.path, "identity");
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, "device.key"), privateKeyPem(id.deviceKey), { mode: 0o600 });
    writeFileSync(join(files, "device.cert"), id.deviceCert);
    writeFileSync(join(files, "root.pub"), Buffer.from(trust.rootPub).toString("hex"));
    const p = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "agent", "--device-id", "lock-gw", "--state-dir", stateDir, "--root", join(files, "root.pub"),
      "--customer", CUSTOMER, "--group", GROUP, "--device-key", join(files, "device.key"), "--device-cert", join(files, "device.cert"), "--broker", broker.url],
    { stdio: ["ignore", "ignore", "pipe"] });
    children.push(p);
    const o = { err: "" };
    p.stderr!.on("data", (d) => (o.err += d));
    const until = async (what: string, cond: () => boolean) => {
      for (const end = Date.now() + 30_000; !cond(); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${o.err}`);
      }
    };
    const code = new Promise<number | null>((r) => p.once("close", (c) => r(c))); // stderr read to the end
    return { p, o, until, code };
  };

  it("refuses the second agent, takes over after the first is killed, and removes its lock when stopped", async () => {
    const stateDir = join(work.path, "state");
    const first = agent(stateDir);
    await first.until("the first agent online", () => /\[agent\] online at /.test(first.o.err));

    const second = agent(stateDir);
    expect(await Promise.race([second.code, new Promise((r) => setTimeout(() => r("still running after 15 s"), 15_000))])).toBe(2);
    expect(second.o.err).toBe(`fwx: agent: --state-dir ${stateDir} is in use by another fwx agent (process ${first.p.pid}; lock ${stateDir}.lock): stop it first, or give this agent its own state directory\n`);
    expect(first.p.exitCode).toBeNull();

    first.p.kill("SIGKILL");
    await first.code;
    const third = agent(stateDir);
    await third.until("the agent after a kill online", () => /\[agent\] online at /.test(third.o.err));
    third.p.kill("SIGTERM");
    expect(await third.code).toBe(0);
    expect(existsSync(`${stateDir}.lock`)).toBe(false);
  }, 90_000);
});
