// Runs `fwx agent` as a child process (bundled once per test file with
// esbuild), so tests can kill it for real and restart it on the same state.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { CUSTOMER, GROUP, type Trust } from "./fixtures.js";

const root = resolve(import.meta.dirname, "../..");

/** Bundles src/cli.ts under node_modules/.cache (ESM resolves mqtt/aedes from the bundle's location). */
export async function bundleCli(): Promise<string> {
  const dir = join(root, "node_modules", ".cache", "fwx-ota-tests");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `fwx-cli-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, "src/cli.ts")], outfile: out, bundle: true, platform: "node", format: "esm",
    target: "node20", packages: "external", logLevel: "error",
  });
  return out;
}

export interface ChildAgent {
  proc: ChildProcess;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  stop(): Promise<void>;
}

export function writeRootKey(dir: string, trust: Trust): string {
  const p = join(dir, "root.pub");
  writeFileSync(p, Buffer.from(trust.rootPub).toString("hex"));
  return p;
}

export function startChildAgent(cli: string, o: { deviceId: string; broker: string; stateDir: string; rootFile: string; crashAt?: string }): ChildAgent {
  const proc = spawn(process.execPath, [cli, "agent", "--device-id", o.deviceId, "--board", join(root, "boards/demo.json"), "--state-dir", o.stateDir,
    "--root", o.rootFile, "--customer", CUSTOMER, "--group", GROUP, "--broker", o.broker, "--health-callbacks", "3", "--health-seconds", "0.3"], {
    cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...(o.crashAt ? { FWX_CRASH_AT: o.crashAt } : { FWX_CRASH_AT: "" }) },
  });
  let err = "";
  proc.stderr!.on("data", (d) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on("exit", (code, signal) => res({ code, signal })));
  return {
    proc, exited, stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}
