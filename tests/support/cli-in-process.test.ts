// The in-process CLI runner the tests use (cli-in-process.ts): a command's
// output and exit code are its own, concurrent calls keep theirs apart, a
// working directory and variables given to a call are the command's and are
// put back after it, and a command over its time limit fails by name.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FWX_VERSION } from "../../src/version.js";
import { tickerModule } from "../fixtures/hostile/modules.js";
import { runCliInProcess } from "./cli-in-process.js";

const dir = mkdtempSync(join(tmpdir(), "fwx-cli-in-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A field command that needs operator credentials and finds none: it names where it looked, before any connection. */
const withoutCredentials = ["remove", "gw-1", "com.acme.x", "--broker", "mqtt://127.0.0.1:9"];

describe("runCliInProcess", () => {
  it("returns the command's exit code and what it printed, and nothing printed outside a call", async () => {
    const ok = await runCliInProcess(["--version"]);
    expect(ok).toEqual({ status: 0, stdout: `${FWX_VERSION}\n`, stderr: "" });
    const bad = await runCliInProcess(["no-such-command"]);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^fwx: unknown command "no-such-command"/);
  });

  it("keeps the output of concurrent calls apart", async () => {
    const [a, b] = await Promise.all([runCliInProcess(["--version"]), runCliInProcess(["no-such-command"])]);
    expect(a.stdout).toBe(`${FWX_VERSION}\n`);
    expect(a.stderr).toBe("");
    expect(b.stdout).toBe("");
    expect(b.stderr).toMatch(/^fwx: unknown command/);
  });

  it("runs a call in its working directory and with its variables, and puts both back", async () => {
    const cwd = process.cwd();
    const before = process.env.XDG_CONFIG_HOME;
    const config = join(dir, "config");
    const r = await runCliInProcess(["keys", "gen", "--out", "k"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, "k.key"))).toBe(true);
    const env = await runCliInProcess(withoutCredentials, { env: { XDG_CONFIG_HOME: config, FWX_OPERATOR_KEY: undefined } });
    expect(env.status).toBe(2);
    expect(env.stderr).toContain(`put it at ${join(config, "fwx", "operator.key")}`);
    expect(process.cwd()).toBe(cwd);
    expect(process.env.XDG_CONFIG_HOME).toBe(before);
  });

  it("fails a call over its time limit by name", async () => {
    // A second of device time on the wall clock: the call goes on after the limit, and ends by itself.
    const module = join(dir, "tick.wasm");
    writeFileSync(module, tickerModule(100));
    const args = ["run", module, "--grant", "timers:1", "--duration", "1s", "--speed", "1x"];
    await expect(runCliInProcess(args, { timeoutMs: 200 })).rejects.toThrow(`fwx ${args.join(" ")} did not finish within 200 ms`);
    await new Promise((r) => setTimeout(r, 1500));
  });
});
