// `fwx run <project> --watch`: each save to the project's sources runs the
// module again, rebuilt in the same process; a save that does not compile
// prints the error with file and line and waits for the next one; build
// outputs do not count as changes. Every wait is bounded: a regression is a
// named failure, not a hang.

import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../ota/fixtures.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

// The bundled CLI that `npm test` builds first, as the other CLI tests use it.
const root = join(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli.js");
const work = tempDir("run-watch");
afterAll(() => work.cleanup());

describe("fwx run --watch", () => {
  it("runs again after each save, shows a compile error and keeps watching, and ignores build outputs", async () => {
    const project = join(work.path, "cold-chain");
    cpSync(join(root, "examples", "cold-chain-alarm"), project, { recursive: true });
    const source = join(project, "assembly", "monitor.ts");
    const original = readFileSync(source, "utf8");
    expect(original).toContain('Telemetry.publishJson("cold-chain/reading");');
    const proc = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "run", project, "--watch", "--duration", "1m"], { cwd: work.path, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (err += d));
    const ends = () => (err.match(/^watch: /gm) ?? []).filter((l) => l).length;
    const until = async (what: string, cond: () => boolean, ms = 30_000) => {
      for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 25))) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nstdout:\n${out}\nstderr:\n${err}`);
        if (proc.exitCode !== null) throw new Error(`fwx run --watch exited (${proc.exitCode}) waiting for ${what}\n${err}`);
      }
    };
    try {
      await until("the first run", () => /watch: ran to the end/.test(err));
      expect(out).toContain("cold-chain/reading ");

      // A build output changes first, then the source: the change named is the source's.
      mkdirSync(join(project, "build"), { recursive: true });
      writeFileSync(join(project, "build", "stale.wasm"), "not a module");
      const before = ends();
      writeFileSync(source, original.replace('"cold-chain/reading"', '"cold-chain/edited"'));
      await until("the second run", () => (err.match(/watch: ran to the end/g) ?? []).length === 2);
      expect(err.split("\n").filter((l) => l.includes("changed:"))).toEqual([expect.stringMatching(/monitor\.ts changed: building and running again$/)]);
      expect(ends()).toBeGreaterThan(before);
      expect(out).toContain("cold-chain/edited");

      // A save that does not compile: the error with its file and line, and the watch goes on.
      writeFileSync(source, original.replace('Telemetry.publishJson("cold-chain/reading");', 'Telemetry.publishJson("cold-chain/reading"));'));
      await until("the compile error", () => /watch: did not run/.test(err));
      expect(err).toMatch(/monitor\.ts:\d+:\d+: error AS\d+/);

      writeFileSync(source, original.replace('"cold-chain/reading"', '"cold-chain/fixed"'));
      await until("the run after the fix", () => (err.match(/watch: ran to the end/g) ?? []).length === 3);
      expect(out).toContain("cold-chain/fixed");
    } finally {
      proc.kill("SIGTERM");
    }
  }, 90_000);
});
