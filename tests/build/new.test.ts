// fwx new: the scaffold builds and its specs pass before anyone edits it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildModule } from "../../src/build/build.js";
import { readManifest } from "../../src/build/manifest.js";
import { scaffoldProject, ScaffoldError } from "../../src/build/scaffold.js";
import { command as newCommand } from "../../src/commands/new.js";
import { aspectRunner } from "../../src/commands/test.js";
import { linkInstall } from "./link-install.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const REPO = resolve(".");
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "fwx-new-test-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("fwx new", () => {
  it("scaffolds a project with the given id that depends on this checkout", () => {
    const dir = join(work, "pump-monitor");
    const r = scaffoldProject(dir, { id: "com.acme.pump-monitor" });
    expect(r.files).toEqual(expect.arrayContaining(["fwx.json", "package.json", ".gitignore", "assembly/index.ts", "assembly/__tests__/module.spec.ts", "as-pect.config.js"]));
    expect(readManifest(dir).id).toBe("com.acme.pump-monitor");
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; dependencies: Record<string, string> };
    expect(pkg.name).toBe("pump-monitor");
    expect(pkg.dependencies.fwx).toBe(`file:${REPO}`);
  });

  it("refuses a non-empty directory and a bad id, leaving nothing behind", async () => {
    const dir = join(work, "occupied");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(() => scaffoldProject(dir)).toThrow(ScaffoldError);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
    await expect(newCommand.run([dir])).rejects.toThrow(/not empty/);
    await expect(newCommand.run([join(work, "bad-id"), "--id", "Not An Id"])).rejects.toThrow(/reverse-DNS/);
    expect(existsSync(join(work, "bad-id"))).toBe(false);
    // A long directory name: the id made from it is too long, said about the name, not about an --id never given.
    const long = "cold-room-temperature-and-humidity-monitor-for-the-north-warehouse";
    await expect(newCommand.run([join(work, long)])).rejects.toThrow(`new: the module id "com.example.${long}" (made from the directory name) is ${12 + long.length} characters, more than the 64 a module id may have; give a shorter one with --id`);
    expect(existsSync(join(work, long))).toBe(false);
    await expect(newCommand.run([join(work, "ok"), "--id", `com.acme.${long}`])).rejects.toThrow(`new: --id "com.acme.${long}" is ${9 + long.length} characters, more than the 64 a module id may have; shorten it`);
    // An empty name (an unset shell variable) is named as such, not taken for the working directory.
    await expect(newCommand.run([""])).rejects.toThrow(/^new: the project directory's name is empty/);
  });

  it("builds green without node_modules, and its specs pass", async () => {
    const dir = join(work, "green");
    scaffoldProject(dir);
    const built = await buildModule(dir);
    expect(built.ok).toBe(true);
    expect(built.outFile).toBe(join(dir, "build", "com.example.green.wasm"));

    linkInstall(dir, REPO);
    // The project's as-pect runner, started as `fwx test` (the scaffold's npm test) starts it.
    const run = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, ...aspectRunner(dir), "--config", "as-pect.config.js"], {
      cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, FORCE_COLOR: "0" },
    });
    const output = run.stdout.replace(/\x1b\[[0-9;]*m/g, "");
    expect(run.status, output + run.stderr).toBe(0);
    const counts = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(output);
    expect(counts).not.toBeNull();
    expect(Number(counts![1])).toBe(Number(counts![2]));
    // The scaffold's five specs, including its allocation check (which needs ASC_RTRACE in its as-pect asconfig).
    expect(Number(counts![2])).toBe(5);
  });
});
