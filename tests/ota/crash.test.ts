// Power-loss safety: the agent is killed (SIGKILL via FWX_CRASH_AT) at every
// crash point of an install, restarted on the same state directory, and must
// run a verified module: the old confirmed one, or the new one on trial or
// confirmed; never a half-written or unverified payload, never nothing.
// The agent that is killed is `fwx agent` in a child process. The one that
// restarts is the agent `fwx agent` runs (startSimDevice), started in this
// process: all it knows of the crash is the files it finds, and it needs no
// process of its own (20 fewer Node processes, each loading the CLI and the
// instrumenter again).

import { cpSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../src/ota/broker.js";
import { CRASH_POINTS, type CrashPoint } from "../../src/ota/crash.js";
import { flash, FlashAborted } from "../../src/ota/flasher.js";
import { LinkSimulator } from "../../src/ota/link-sim.js";
import { DeviceUnreachable, ToolConnection } from "../../src/ota/rpc.js";
import { sha256Hex, type DeviceState } from "../../src/ota/state-store.js";
import type { DeviceStatus } from "../../src/ota/protocol.js";
import { cliBundle, startAgentInProcess, startChildAgent, writeRootKey } from "./child-agent.js";
import { MODULE, makePackage, makeTrust, tempDir, tickerWasm } from "./fixtures.js";

const REVERT_POINTS = new Set<CrashPoint>(["revert-decided", "revert-state:temp-written", "revert-state:renamed", "reverted"]);

describe("power loss during an install (agent in a child process)", () => {
  let broker: RunningBroker;
  let cli: string;
  /** One tool connection for every status request of the file. */
  let tool: ToolConnection;
  const trust = makeTrust();
  const work = tempDir("crash");
  const rootFile = writeRootKey(work.path, trust);
  const v1 = makePackage(trust, { version: "1.0.0", sequence: 1, wasm: tickerWasm({ padding: 3000 }) });
  const v2 = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ padding: 3000, message: "tock" }) });
  const v2bad = makePackage(trust, { version: "2.0.0", sequence: 2, wasm: tickerWasm({ padding: 3000, behaviour: "fault-on-timer" }) });
  const baseState = join(work.path, "base-state");

  beforeAll(async () => {
    broker = await startBroker();
    cli = cliBundle();
    tool = await ToolConnection.open({ brokerUrl: broker.url });
    // One device with v1 confirmed, copied for every crash point.
    const agent = startChildAgent(cli, { deviceId: "crash-base", broker: broker.url, stateDir: baseState, rootFile, trust });
    try {
      await agent.online;
      const r = await flash({ brokerUrl: broker.url, device: "crash-base", pkg: v1, cache: null, auth: trust.auth, connectTimeoutMs: 20_000, replyTimeoutMs: 20_000 });
      expect(r.verdict).toBe("confirmed");
    } finally {
      await agent.stop();
    }
  }, 60_000);
  afterAll(async () => {
    await tool.close();
    await broker.close();
    work.cleanup();
  });

  /** The device's own report; callers wait for the agent's readiness first, so the first request is answered. */
  async function statusOf(device: string): Promise<DeviceStatus> {
    return (await tool.request(device, { op: "status" }, 20_000)).status as DeviceStatus;
  }

  /** The invariant, from the device's own report and from its files. */
  function assertVerifiedModuleRuns(status: DeviceStatus, stateDir: string, point: string): void {
    const m = status.modules.find((x) => x.id === MODULE);
    expect(m, `${point}: module missing after restart`).toBeDefined();
    expect(["confirmed", "trial"], `${point}: module state ${m!.state}`).toContain(m!.state);
    if (m!.version === "1.0.0") expect(m!.state).toBe("confirmed");
    else expect(m!.version).toBe("2.0.0");
    const doc = JSON.parse(readFileSync(join(stateDir, "device.json"), "utf8")) as DeviceState;
    const rec = doc.modules[MODULE]!;
    const slot = m!.active!;
    const bytes = readFileSync(join(stateDir, "slots", MODULE, `${slot}.fwx`));
    expect(sha256Hex(bytes), `${point}: running slot ${slot} does not hold what device.json records`).toBe(rec.slots[slot]!.sha256);
    expect(sha256Hex(bytes)).toBe(sha256Hex(m!.version === "1.0.0" ? v1 : REVERT_POINTS.has(point as CrashPoint) ? v2bad : v2));
  }

  async function crashAt(point: string): Promise<void> {
    const device = `crash-${point.replace(/[^a-z0-9]/g, "-")}`;
    const stateDir = join(work.path, device);
    cpSync(baseState, stateDir, { recursive: true });
    const bad = REVERT_POINTS.has(point.split("#")[0] as CrashPoint);
    const pkg = bad ? v2bad : v2;
    const first = startChildAgent(cli, { deviceId: device, broker: broker.url, stateDir, rootFile, trust, crashAt: point });
    const abort = new AbortController();
    void first.exited.then(() => abort.abort());
    try {
      // Every crash point lies in an install, after the agent is online: waiting for its own signal
      // (rather than a presence timeout) keeps a slow start on a loaded machine from failing the case.
      await first.online;
      const r = await flash({ brokerUrl: broker.url, device, pkg, cache: null, auth: trust.auth, signal: abort.signal, connectTimeoutMs: 20_000, replyTimeoutMs: 20_000 });
      throw new Error(`${point}: the agent did not crash (verdict ${r.verdict})`);
    } catch (e) {
      // Killed mid-transfer (aborted) or while answering a command (no answer).
      if (!(e instanceof FlashAborted) && !(e instanceof DeviceUnreachable)) throw e;
    }
    const exit = await first.exited;
    expect(exit.signal, `${point}: ${first.stderr()}`).toBe("SIGKILL");
    // The restart: what `fwx agent` runs for the first one's arguments.
    const second = await startAgentInProcess({ deviceId: device, broker: broker.url, stateDir, trust });
    try {
      assertVerifiedModuleRuns(await statusOf(device), stateDir, point);
      // The same flash, run again, finishes the job from wherever the device got to.
      const r = await flash({ brokerUrl: broker.url, device, pkg, cache: null, auth: trust.auth, connectTimeoutMs: 20_000, replyTimeoutMs: 20_000 });
      expect(r.verdict, `${point}: ${r.reason}`).toBe(bad ? "reverted" : "confirmed");
      const after = (await statusOf(device)).modules.find((x) => x.id === MODULE)!;
      expect(after.version).toBe(bad ? "1.0.0" : "2.0.0");
      expect(after.state).toBe("confirmed");
    } finally {
      await second.stop();
    }
  }

  it("resumes after the agent process is killed mid-transfer, without resending acknowledged bytes", async () => {
    const device = "kill-mid-transfer";
    const stateDir = join(work.path, device);
    cpSync(baseState, stateDir, { recursive: true });
    const link = await new LinkSimulator({ host: broker.host, port: broker.port }, { bandwidthBps: 160_000 }).start();
    const big = makePackage(trust, { version: "3.0.0", sequence: 3, wasm: tickerWasm({ padding: 30_000 }) });
    let agent = startChildAgent(cli, { deviceId: device, broker: link.url, stateDir, rootFile, trust });
    let killedAt = -1;
    try {
      const r = await flash({
        brokerUrl: broker.url, device, pkg: big, cache: null, auth: trust.auth, connectTimeoutMs: 20_000, replyTimeoutMs: 20_000,
        onProgress: (p) => {
          if (killedAt < 0 && p.phase === "transferring" && p.acked > big.length * 0.3) {
            killedAt = p.acked;
            agent.proc.kill("SIGKILL");
            void agent.exited.then(() => { agent = startChildAgent(cli, { deviceId: device, broker: link.url, stateDir, rootFile, trust }); });
          }
        },
      });
      expect(killedAt).toBeGreaterThan(0);
      expect(r.verdict).toBe("confirmed");
      expect(r.resumes.length).toBeGreaterThan(0);
      // The device resumed from what it had acknowledged (and fsynced) before it died.
      expect(r.resumes[0]).toBeGreaterThanOrEqual(killedAt);
      expect(r.sentBytes).toBeLessThanOrEqual(big.length + r.resumes.length * 16 * 1024 + r.gapResends * 1024);
      const after = (await statusOf(device)).modules.find((x) => x.id === MODULE)!;
      expect(after).toMatchObject({ version: "3.0.0", state: "confirmed" });
    } finally {
      await agent.stop();
      await link.close();
    }
  }, 60_000);

  const points = CRASH_POINTS.map((p) => (p === "chunk-written" ? "chunk-written#3" : p));
  it.concurrent.each(points)("crash at %s, restart: a verified module runs, and flashing again completes", async (point) => {
    await crashAt(point);
  }, 60_000);
});
