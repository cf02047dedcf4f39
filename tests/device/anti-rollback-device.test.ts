// The C device's anti-rollback store outside its state directory
// (fwx_counter_port.h; POSIX: `fwx-device --floor`, default
// <state-dir>.anti-rollback.json, the Node agent's file). Whoever can rewrite
// the state directory puts back a copy saved when v1 was confirmed, after v2
// and v3 were: v1 (below the runnable floor 2, the rollback target kept when
// v3 was confirmed) does not start and the reason names module, sequence,
// floor and file; a signed command captured after the copy was taken is
// refused "replayed". The same scenario as tests/ota/trust.test.ts runs on the
// Node agent. Every process runs under a time limit.

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topicsFor } from "../../src/ota/protocol.js";
import { openCommand } from "../../src/ota/signed-command.js";
import { signRevocationList } from "../../src/pkg/revocation.js";
import { cli, mcuPackage, startDevice, startDeviceSuite, writePackage, type ChildDevice, type DeviceSuite } from "./device-fixtures.js";

let suite: DeviceSuite;
const running: ChildDevice[] = [];

beforeAll(async () => { suite = await startDeviceSuite("c-floor"); }, 240_000);

afterAll(async () => {
  for (const d of running) await d.stop();
  await suite?.broker.close();
  suite?.dir.cleanup();
});

async function start(id: string, stateDir: string, args: string[] = []) {
  const d = startDevice(suite.exe, { deviceId: id, broker: suite.broker.url, stateDir, rootFile: suite.rootFile, trust: suite.trust, args });
  running.push(d);
  await d.online;
  return d;
}

async function spy(topic: string) {
  const c = await mqtt.connectAsync(suite.broker.url, { clientId: `spy-${process.pid}-${Math.random().toString(16).slice(2)}`, clean: true });
  const seen: { topic: string; payload: Buffer }[] = [];
  c.on("message", (t, payload) => seen.push({ topic: t, payload }));
  await c.subscribeAsync(topic, { qos: 1 });
  return { c, seen, close: () => c.endAsync(true) };
}

async function until<T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.concurrent("C device anti-rollback store outside the state directory", () => {
  it("a restored older state directory runs nothing below the floor, says why, and makes no captured command new again", async () => {
    const id = `floor-c-${process.pid}`;
    const stateDir = join(suite.dir.path, id);
    const copy = `${stateDir}.copy`;
    const floorFile = `${stateDir}.anti-rollback.json`;
    const flash = (file: string) => cli(["flash", file, "--device", id, "--broker", suite.broker.url, "--json", "--timeout", "40", "--no-delta", "--cache", join(suite.dir.path, "cache"), ...suite.ops]);
    const v = (n: number) => writePackage(suite.dir.path, `v${n}.fwx`, mcuPackage(suite.trust, { version: `${n}.0.0`, sequence: n }));

    let d = await start(id, stateDir);
    const f1 = await flash(v(1));
    expect(f1.json?.verdict, f1.stdout + f1.stderr).toBe("confirmed");
    await d.stop();
    cpSync(stateDir, copy, { recursive: true });

    d = await start(id, stateDir);
    const cmds = await spy(topicsFor(id).cmd);
    for (const n of [2, 3]) {
      const f = await flash(v(n));
      expect(f.json?.verdict, f.stdout + f.stderr).toBe("confirmed");
    }
    await cmds.close();
    await d.stop();
    const floors = (JSON.parse(readFileSync(floorFile, "utf8")) as { format: number; floors: Record<string, number> });
    expect(floors.format).toBe(1);
    const module = Object.keys(floors.floors).find((k) => k.startsWith("installed:"))!.slice("installed:".length);
    expect(floors.floors).toMatchObject({ [`installed:${module}`]: 3, [`runnable:${module}`]: 2 });
    expect(floors.floors.commands).toBeGreaterThan(0);
    const captured = cmds.seen.map((s) => s.payload).find((p) => openCommand(p)?.body.op === "begin")!;
    expect(captured).toBeDefined();

    rmSync(stateDir, { recursive: true });
    cpSync(copy, stateDir, { recursive: true });
    const events = await spy(topicsFor(id).event);
    d = await start(id, stateDir);
    const reason = await until("the failed event", () => events.seen.map((e) => JSON.parse(e.payload.toString()) as { phase?: string; reason?: string })
      .find((e) => e.phase === "failed")?.reason);
    await events.close();
    expect(reason).toMatch(new RegExp(`slot A holds ${module.replace(/\./g, "\\.")} sequence 1, below the anti-rollback floor 2 kept in file .*\\.anti-rollback\\.json`));

    const body = openCommand(captured)!.body as { from: string; req: string };
    const replies = await spy(topicsFor(id).reply(body.from));
    await replies.c.publishAsync(topicsFor(id).cmd, captured, { qos: 1 });
    const reply = await until("the reply to the replayed begin", () => replies.seen[0]);
    await replies.close();
    expect(JSON.parse(reply.payload.toString())).toMatchObject({ req: body.req, ok: false, code: "replayed" });

    // v1 is refused as a rollback; v3 installs again.
    const again = await flash(v(1));
    expect(again.json?.verdict, again.stdout + again.stderr).toBe("refused");
    expect(JSON.stringify(again.json)).toContain("FWX_PKG_E_ROLLBACK");
    await d.stop();
    rmSync(copy, { recursive: true, force: true });
  }, 180_000);

  it("refuses to start on a kept revocation list older than the serial in the store, and starts with the current one", async () => {
    const id = `floor-rl-${process.pid}`;
    const stateDir = join(suite.dir.path, id);
    const list2 = writePackage(suite.dir.path, "rl-2.fwxrl", signRevocationList({ serial: 2, issuedAt: 1, certificates: [], integratorKeys: [] }, suite.trust.rootKey));
    let d = await start(id, stateDir, ["--revocations", list2]);
    await d.stop();
    const floors = JSON.parse(readFileSync(`${stateDir}.anti-rollback.json`, "utf8")) as { floors: Record<string, number> };
    expect(floors.floors.revocations).toBe(2);
    // The state directory as it was before the list came: no kept list, so serial 0 would un-revoke.
    rmSync(join(stateDir, "revocations.bin"));
    d = startDevice(suite.exe, { deviceId: id, broker: suite.broker.url, stateDir, rootFile: suite.rootFile, trust: suite.trust });
    running.push(d);
    const end = await d.exited;
    expect(end.code).toBe(2);
    expect(d.stderr()).toMatch(/revocations\.bin holds revocation list serial 0, below serial 2 kept in file .*\.anti-rollback\.json; refusing to start/);
    // The current list brings it back.
    d = await start(id, stateDir, ["--revocations", list2]);
    await d.stop();
  }, 60_000);

  it("confirms when the store outside the state cannot be raised, warns, and raises it at the next start", async () => {
    const id = `floor-raise-${process.pid}`;
    const stateDir = join(suite.dir.path, id);
    const floorFile = `${stateDir}.anti-rollback.json`;
    let d = await start(id, stateDir);
    const events = await spy(topicsFor(id).event);
    const logs = await spy(topicsFor(id).log);
    const pkg = writePackage(suite.dir.path, "raise.fwx", mcuPackage(suite.trust, { version: "1.0.0", sequence: 1 }));
    const flashing = cli(["flash", pkg, "--device", id, "--broker", suite.broker.url, "--json", "--timeout", "40", "--no-delta", ...suite.ops]);
    // On trial (the signed begin and its counter are through): from now on every write of the store fails
    // (its temporary file's name is taken by a directory, which even root cannot open for writing).
    await until("the trial", () => events.seen.find((e) => JSON.parse(e.payload.toString()).phase === "trial"));
    mkdirSync(`${floorFile}.tmp`);
    const f = await flashing;
    expect(f.json?.verdict, f.stdout + f.stderr + d.stderr()).toBe("confirmed");
    await until("the warning", () => logs.seen.find((l) => l.payload.toString().includes("cannot raise the anti-rollback floor (counter port)")));
    expect(events.seen.map((e) => JSON.parse(e.payload.toString()).phase)).not.toContain("failed");
    await events.close();
    await logs.close();
    const module = (JSON.parse(f.stdout.trim().split("\n").pop()!) as { module: string }).module;
    expect((JSON.parse(readFileSync(floorFile, "utf8")) as { floors: Record<string, number> }).floors[`installed:${module}`]).toBeUndefined();
    await d.stop();
    rmSync(`${floorFile}.tmp`, { recursive: true });
    d = await start(id, stateDir);
    expect((JSON.parse(readFileSync(floorFile, "utf8")) as { floors: Record<string, number> }).floors).toMatchObject({ [`installed:${module}`]: 1, [`runnable:${module}`]: 1 });
    await d.stop();
  }, 90_000);

  it("keeps its default store beside the state directory however it is spelled (--state-dir . inside it)", async () => {
    const stateDir = join(suite.dir.path, "dot");
    mkdirSync(stateDir, { recursive: true });
    const d = startDevice(suite.exe, { deviceId: "dot", broker: suite.broker.url, stateDir, rootFile: suite.rootFile, trust: suite.trust, cwd: stateDir, stateDirArg: "." });
    running.push(d);
    await d.online;
    await d.stop();
    // Before the fix: "./..anti-rollback.json", inside the state directory it protects against.
    expect(existsSync(join(stateDir, "..anti-rollback.json"))).toBe(false);
    expect(existsSync(`${stateDir}.anti-rollback.json`)).toBe(true);
  }, 30_000);

  it("refuses a --floor inside the state directory", async () => {
    const stateDir = join(suite.dir.path, "inside");
    const d = startDevice(suite.exe, { deviceId: "inside", broker: suite.broker.url, stateDir, rootFile: suite.rootFile, trust: suite.trust, args: ["--floor", join(stateDir, "floors.json")] });
    running.push(d);
    const end = await d.exited;
    expect(end.code).toBe(2);
    expect(d.stderr()).toMatch(/--floor .*floors\.json is inside --state-dir/);
    expect(existsSync(join(stateDir, "floors.json"))).toBe(false);
  }, 30_000);
});
