// Runs `fwx agent` as a child process (the run's CLI bundle), so tests can
// kill it for real and restart it on the same state; or, for tests about what
// the agent does rather than its process, the agent it runs, in this process.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { inject } from "vitest";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { startSimDevice } from "../../src/ota/sim-device.js";
import { healthFromFlags } from "../../src/commands/agent.js";
import type { DeviceAgent } from "../../src/ota/device-agent.js";
import type { Board } from "../../src/sim/board.js";
import { CUSTOMER, GROUP, type Trust } from "./fixtures.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = resolve(import.meta.dirname, "../..");

/**
 * The CLI bundled from the sources as `npm run build` bundles it into dist/ (scripts/bundle-cli.mjs),
 * once per run by tests/support/cli-bundle.global.ts, under node_modules/.cache so that ESM resolves
 * aedes and binaryen from the bundle's location: the tests run the agent from the sources they test,
 * whether or not dist/ is fresh. A child agent then loads only what `fwx agent` needs, and finds the
 * module preparation worker beside its chunks.
 */
export function cliBundle(): string {
  return inject("cliBundle");
}

export interface ChildAgent {
  proc: ChildProcess;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves when the agent says it is online (subscribed, presence and status acknowledged by the
   * broker): a command sent after this is received at once. Rejects if the process ends first.
   */
  online: Promise<void>;
  stderr(): string;
  stop(): Promise<void>;
}

export function writeRootKey(dir: string, trust: Trust): string {
  const p = join(dir, "root.pub");
  writeFileSync(p, Buffer.from(trust.rootPub).toString("hex"));
  return p;
}

/** The agent's readiness line on stderr (src/ota/device-agent.ts, printed by `fwx agent`). */
const ONLINE = /^\[agent\] online at /m;

/** The device's key and certificate files, beside (never inside) its state directory. */
function identityFiles(trust: Trust, deviceId: string, stateDir: string): { key: string; cert: string } {
  const dir = `${stateDir}.identity`;
  mkdirSync(dir, { recursive: true });
  const id = trust.identity(deviceId);
  const key = join(dir, "device.key");
  const cert = join(dir, "device.cert");
  writeFileSync(key, privateKeyPem(id.deviceKey), { mode: 0o600 });
  writeFileSync(cert, id.deviceCert);
  return { key, cert };
}

/**
 * The tests' agents' health window (3 callbacks of a 40 ms ticker and 0.1 s without a fault): trials decide
 * in about 0.1 s, so each install costs little wall time even on a loaded machine.
 */
const HEALTH_CALLBACKS = 3;
const HEALTH_SECONDS = 0.1;

export function startChildAgent(cli: string, o: { deviceId: string; broker: string; stateDir: string; rootFile: string; trust: Trust; crashAt?: string; healthSeconds?: number; board?: string; extraArgs?: string[] }): ChildAgent {
  const id = identityFiles(o.trust, o.deviceId, o.stateDir);
  const proc = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "agent", "--device-id", o.deviceId, "--board", o.board ?? join(root, "boards/demo.json"), "--state-dir", o.stateDir,
    "--root", o.rootFile, "--device-key", id.key, "--device-cert", id.cert, "--customer", CUSTOMER, "--group", GROUP, "--broker", o.broker,
    "--health-callbacks", String(HEALTH_CALLBACKS), "--health-seconds", String(o.healthSeconds ?? HEALTH_SECONDS), ...(o.extraArgs ?? [])], {
    cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, FWX_CRASH_AT: o.crashAt ?? "" },
  });
  let err = "";
  // "close", not "exit": the process has ended AND its stderr is read to the end, so stderr() is whole.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on("close", (code, signal) => res({ code, signal })));
  let isOnline = false;
  const online = new Promise<void>((res, rej) => {
    proc.stderr!.on("data", (d) => {
      err += d;
      if (!isOnline && ONLINE.test(err)) {
        isOnline = true;
        res();
      }
    });
    void exited.then((e) => rej(new Error(`agent ${o.deviceId} ended (${e.signal ?? `exit ${e.code}`}) before it was online: ${err}`)));
  });
  // Callers that never wait for `online` (an agent expected to crash) must not see an unhandled rejection.
  online.catch(() => {});
  return {
    proc, exited, online, stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The agent startChildAgent's process would run (what `fwx agent` makes of the same flags, src/commands/agent.ts:
 * the health window above through healthFromFlags, the demo board, the default floor file beside the state
 * directory), started in this process, online: for a test about what the agent does, not about its process.
 */
export function startAgentInProcess(o: { deviceId: string; broker: string; stateDir: string; trust: Trust }): Promise<DeviceAgent<Board>> {
  return startSimDevice({
    deviceId: o.deviceId, brokerUrl: o.broker, stateDir: o.stateDir, rootPublicKey: o.trust.rootPub, ...o.trust.identity(o.deviceId), customer: CUSTOMER, group: GROUP,
    health: healthFromFlags(HEALTH_CALLBACKS, HEALTH_SECONDS),
  });
}
