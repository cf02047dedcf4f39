// `fwx test [--watch]` in a project `fwx new` made: the specs against the
// simulated device, and with --watch again after every save (a failing or
// broken spec is reported and the watch goes on). Every wait is bounded.
// What ends before as-pect starts (fwx new, the refusals) runs in this process
// (tests/support/cli-in-process.ts); what starts as-pect runs the bundled CLI
// as a process, whose runner prints straight to the output it was given.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../ota/fixtures.js";
import { linkInstall } from "../build/link-install.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";
import { runCliInProcess } from "../support/cli-in-process.js";
import { runnerNodeOptions } from "../../src/commands/test.js";

const root = join(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli.js");
const work = tempDir("test-watch");
afterAll(() => work.cleanup());
const fwx = (args: string[], cwd: string) => runCliInProcess(args, { cwd });

describe("fwx test", () => {
  it("needs the project's own as-pect, and says so", async () => {
    expect((await fwx(["new", "bare"], work.path)).status).toBe(0);
    const r = await fwx(["test", "bare"], work.path);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("fwx: test: @as-pect/cli is not installed in bare: run npm install there");
    const none = await fwx(["test", "."], work.path);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("as-pect.config.js: not found");
  });

  it("starts as-pect's runner itself (with the WASI flag), or as-pect's own launcher when the package has no lib/test.js, with fwx's Node options", () => {
    // A stand-in @as-pect/cli in each layout: the runner and the launcher say which ran, and with which Node flags.
    const fake = (name: string, withRunner: boolean) => {
      const project = join(work.path, name);
      const pkg = join(project, "node_modules", "@as-pect", "cli");
      mkdirSync(join(pkg, "lib"), { recursive: true });
      mkdirSync(join(pkg, "bin"), { recursive: true });
      writeFileSync(join(project, "package.json"), `{ "name": "${name}", "private": true }\n`);
      writeFileSync(join(project, "as-pect.config.js"), "export default {};\n");
      writeFileSync(join(pkg, "package.json"), '{ "name": "@as-pect/cli", "main": "lib/index.js" }\n');
      writeFileSync(join(pkg, "lib", "index.js"), "module.exports = {};\n");
      const says = (who: string) => `console.log("${who} ran: " + JSON.stringify(process.execArgv) + " " + process.argv.slice(2).join(" "));\n`;
      writeFileSync(join(pkg, "bin", "asp.js"), says("launcher"));
      if (withRunner) writeFileSync(join(pkg, "lib", "test.js"), says("runner"));
      return spawnSync(process.execPath, [...CHILD_NODE_FLAGS, cli, "test", name], { cwd: work.path, encoding: "utf8", timeout: 60_000 });
    };
    // Each with the Node options fwx was started with (here the tests' own), as child_process.fork passes them on.
    const mine = JSON.stringify(CHILD_NODE_FLAGS).slice(1, -1);
    const direct = fake("layout-runner", true);
    expect(direct.status, direct.stderr).toBe(0);
    expect(direct.stdout).toContain(`runner ran: [${mine},"--experimental-wasi-unstable-preview1"] --config as-pect.config.js --no-logo`);
    const launched = fake("layout-launcher", false);
    expect(launched.status, launched.stderr).toBe(0);
    expect(launched.stdout).toContain(`launcher ran: [${mine}] --config as-pect.config.js --no-logo`);
  });

  it("passes on every Node option of its own but the inspector's, whose port fwx already holds", () => {
    expect(runnerNodeOptions(["--max-old-space-size=4096", "--inspect=9229", "--inspect-port", "9230", "--inspect-brk", "--liftoff-only", "--debug-port=1", "--require", "./hook.cjs"]))
      .toEqual(["--max-old-space-size=4096", "--liftoff-only", "--require", "./hook.cjs"]);
  });

  it("checks fwx.json as fwx build does before the specs: a misspelt field or bad JSON is one line, exit 2", async () => {
    expect((await fwx(["new", "typo"], work.path)).status).toBe(0);
    const project = join(work.path, "typo");
    linkInstall(project, root);
    const file = join(project, "fwx.json");
    const good = readFileSync(file, "utf8");
    // A misspelt field: the mock would grant nothing and every spec would fail on not-permitted.
    writeFileSync(file, good.replace('"capabilities"', '"capabilites"'));
    const typo = await fwx(["test"], project);
    expect(typo.status, typo.stderr).toBe(2);
    expect(typo.stderr.trim()).toBe(`fwx: test: ${file}: capabilites: unknown field (known: $schema, format, id, version, description, entry, capabilities, config, ramBudget)`);
    expect(typo.stdout).toBe("");
    // Not JSON: as-pect's config would throw under binaryen's handler, printing the compiler's minified source.
    writeFileSync(file, '{ "id": "com.example.typo", }');
    const bad = await fwx(["test", "typo"], work.path);
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/^fwx: test: .*fwx\.json: \(file\): not valid JSON: [^\n]*\n$/);
    // No fwx.json, though as-pect.config.js names one: the config says so in one line while as-pect loads it
    // (as-pect's runner prints it, in a process fwx test starts: this one runs the bundled CLI as a process too).
    rmSync(file);
    const none = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, cli, "test"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(none.status, none.stderr).toBe(2);
    expect(none.stderr).toBe("fwx: fwxAspectConfig: manifest fwx.json: no such file\n");
    expect((none.stdout + none.stderr).split("\n").every((l) => l.length < 300)).toBe(true);
  }, 120_000);

  it("runs the specs again after every save, through a failing and a broken spec, until Ctrl-C", async () => {
    expect((await fwx(["new", "probe"], work.path)).status).toBe(0);
    const project = join(work.path, "probe");
    linkInstall(project, root);
    const specDir = join(project, "assembly", "__tests__");
    const spec = join(specDir, readdirSync(specDir).find((f) => f.endsWith(".spec.ts"))!);
    const original = readFileSync(spec, "utf8");

    const proc = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "test", "--watch"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (err += d));
    const plain = () => (out + err).replace(/\x1b\[[0-9;]*m/g, "");
    const ends = () => (err.match(/^watch: specs (passed|failed) \(\d+ ms\); waiting for a save/gm) ?? []);
    const until = async (what: string, cond: () => boolean, ms = 60_000) => {
      for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${plain()}`);
        if (proc.exitCode !== null) throw new Error(`fwx test --watch exited (${proc.exitCode}) waiting for ${what}\n${plain()}`);
      }
    };
    try {
      await until("the first run", () => ends().length === 1);
      expect(ends()[0]).toMatch(/specs passed/);
      expect(plain()).toMatch(/\[Result\]: ✔ Pass!/);

      // A spec that fails: reported, and the watch goes on.
      writeFileSync(spec, original + '\ndescribe("a new case", () => { it("fails on purpose", () => { expect<i32>(1).toBe(2); }); });\n');
      await until("the failing run", () => ends().length === 2);
      expect(ends()[1]).toMatch(/specs failed/);
      expect(err).toMatch(/^watch: .*\.spec\.ts changed: running the specs again$/m);
      expect(plain()).toContain("fails on purpose");

      // A spec that does not compile: also reported, and the watch goes on.
      writeFileSync(spec, original + "\nconst broken: i32 = ;\n");
      await until("the broken run", () => ends().length === 3);
      expect(ends()[2]).toMatch(/specs failed/);

      writeFileSync(spec, original);
      await until("the fixed run", () => ends().length === 4);
      expect(ends()[3]).toMatch(/specs passed/);

      // A manifest that does not read: said in one line, and the watch goes on.
      const manifest = join(project, "fwx.json");
      const good = readFileSync(manifest, "utf8");
      writeFileSync(manifest, good.replace('"capabilities"', '"capabilites"'));
      await until("the bad manifest's run", () => ends().length === 5);
      expect(ends()[4]).toMatch(/specs failed/);
      expect(err).toMatch(/^fwx: test: .*fwx\.json: capabilites: unknown field/m);
      writeFileSync(manifest, good);
      await until("the run after the manifest's fix", () => ends().length === 6);
      expect(ends()[5]).toMatch(/specs passed/);

      // Ctrl-C while a run is under way (not while waiting): the watch ends with 130, not with an error.
      writeFileSync(spec, original + "\n");
      await until("the next run to start", () => (err.match(/changed: running the specs again$/gm) ?? []).length === 6);
    } finally {
      proc.kill("SIGINT");
    }
    const code = await new Promise<number | null>((res) => {
      if (proc.exitCode !== null) return res(proc.exitCode);
      const t = setTimeout(() => res(-1), 10_000);
      proc.on("exit", (c) => { clearTimeout(t); res(c); });
    });
    expect(code).toBe(130);
  }, 240_000);
});
