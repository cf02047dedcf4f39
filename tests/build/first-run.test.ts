// The integrator's first run: `fwx new` prints what to do next, and every
// printed command succeeds, in order, in the new project: install (linked
// from this checkout instead of downloaded; no network), the as-pect specs,
// the type check, the build and a run on the bundled demo board.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkInstall } from "./link-install.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const REPO = resolve(".");
const CLI = join(REPO, "dist", "cli.js");
/** Each printed command gets this long; a hang is then a named failure, not a stuck suite. */
const STEP_TIMEOUT_MS = 120_000;
let work: string;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does)");
  work = mkdtempSync(join(tmpdir(), "fwx-first-run-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * The environment of a shell the integrator types into: no npm_* of this test
 * run, no node_modules/.bin of this checkout on PATH (it holds an old npm of
 * a dependency's), and no network for npm.
 */
function shellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  const path = (process.env.PATH ?? "").split(delimiter).filter((p) => !p.includes(`node_modules${"/"}.bin`)).join(delimiter);
  return { ...env, PATH: path, npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", FORCE_COLOR: "0", NO_COLOR: "1" };
}

describe("fwx new → the printed commands", () => {
  it("every command it prints succeeds in order, ending with a fault-free run on the demo board", () => {
    const created = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, CLI, "new", "thermo"], { cwd: work, encoding: "utf8", timeout: STEP_TIMEOUT_MS });
    expect(created.status, created.stderr).toBe(0);
    const next = created.stdout.split("\nnext:\n")[1];
    expect(next, created.stdout).toBeDefined();
    const steps = next!.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
    // The loop a new integrator meets; if it changes, this test must still run all of it.
    expect(steps).toEqual(["cd thermo", "npm install", "npm test", "npm run typecheck", "npx fwx build", "npx fwx run ."]);

    let cwd = work;
    const outputs: Record<string, string> = {};
    for (const step of steps) {
      if (step.startsWith("cd ")) {
        cwd = resolve(cwd, step.slice(3));
        continue;
      }
      if (step === "npm install") {
        linkInstall(cwd, REPO);
        continue;
      }
      const r = spawnSync("sh", ["-c", step], { cwd, encoding: "utf8", timeout: STEP_TIMEOUT_MS, env: shellEnv() });
      const text = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
      expect(r.error, `${step}: ${r.error?.message}`).toBeUndefined();
      expect(r.status, `${step} exited ${r.status}:\n${text}`).toBe(0);
      outputs[step] = text;
    }

    const counts = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(outputs["npm test"]!);
    expect(counts, outputs["npm test"]).not.toBeNull();
    expect(Number(counts![1])).toBe(Number(counts![2]));
    expect(Number(counts![2])).toBeGreaterThan(0);
    expect(outputs["npm run typecheck"]).not.toMatch(/error TS/);
    expect(existsSync(join(cwd, "build", "com.example.thermo.wasm"))).toBe(true);
    const run = outputs["npx fwx run ."]!;
    expect(run).toMatch(/on board "fwx-demo"/);
    expect(run).toMatch(/thermo +lifecycle +started/);
    expect(run).toMatch(/done at 00:10:00\.000: com\.example\.thermo: stopped, 0 faults, 0 restarts/);
  }, 6 * STEP_TIMEOUT_MS);
});
