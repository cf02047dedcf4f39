// A module flooding host calls ends as `fuel-exhausted` on every machine:
// host calls cost fuel by what they do (host-abi lowering, src/fuel), so the
// default budget runs out well inside the default watchdog even when the CPU
// is busy. The floods run in a child process under a time limit, while busy
// child processes load every core; the watchdog must never be what ends them.

import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHILD_TIME_LIMIT_MS = 120_000;

function burnCpu(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, [...CHILD_NODE_FLAGS, "-e", "for (;;) {}"], { stdio: "ignore" }));
}

/** Runs the floods in a child; once it is loaded and waiting, `onReady` loads the CPU and the floods start. */
function runChild(onReady: () => Promise<void>): Promise<{ status: number | null; out: string; err: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts/run-ts.mjs"), join(root, "tests/agent/host-call-flood.child.ts"), "--wait"], { cwd: root });
    let out = "", err = "", timedOut = false, started = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!started && out.includes("ready\n")) {
        started = true;
        void onReady().then(() => child.stdin.end("go\n"));
      }
    });
    child.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, CHILD_TIME_LIMIT_MS);
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, out, err, timedOut }); });
  });
}

describe("host-call floods under a loaded CPU", () => {
  const burners: ChildProcess[] = [];
  afterAll(() => { for (const b of burners) b.kill("SIGKILL"); });

  it("every flood ends as fuel-exhausted with its whole budget used, never as watchdog", async () => {
    // One more busy process than there are cores, so the flood shares its core;
    // they run only while the floods do (a few seconds), then they are killed.
    const r = await runChild(async () => {
      burners.push(...burnCpu(availableParallelism() + 1));
      await new Promise((settle) => setTimeout(settle, 300)); // let them start spinning
    });
    for (const b of burners.splice(0)) b.kill("SIGKILL");
    expect(r.timedOut, `the child did not finish within ${CHILD_TIME_LIMIT_MS} ms`).toBe(false);
    expect(r.status, r.err).toBe(0);
    const floods = JSON.parse(r.out.trim().split("\n").pop()!) as { name: string; reasons: string[]; fuelUsed: number; ms: number }[];
    expect(floods.length).toBe(5);
    for (const f of floods) {
      expect({ flood: f.name, reasons: f.reasons }).toEqual({ flood: f.name, reasons: ["fuel-exhausted"] });
      expect(f.fuelUsed, f.name).toBe(10_000_000);
    }
  }, CHILD_TIME_LIMIT_MS + 10_000);
});
