// `fwx build` finds the SDK wherever the project is, relative to the working
// directory. asc resolves its --path from the working directory, not from
// --baseDir: a project reached through "..", deeper than the directory fwx
// runs in, used to fail with "File '~lib/fwx/abort.ts' not found".

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../ota/fixtures.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "cli.js");

describe("fwx build from another directory", () => {
  it("builds a project reached through ../.. from a deeper working directory", () => {
    const t = tempDir("build-paths");
    try {
      const project = join(t.path, "thermo");
      cpSync(join(root, "examples", "cold-chain-alarm"), project, { recursive: true, filter: (p) => !p.includes(`${join("cold-chain-alarm", "build")}`) });
      const deep = join(t.path, "a", "b", "c");
      mkdirSync(deep, { recursive: true });
      const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, cli, "build", join("..", "..", "..", "thermo"), "-o", join("..", "..", "..", "out.wasm")], { cwd: deep, encoding: "utf8", timeout: 60_000, env: { ...process.env, FWX_BUILD_CACHE: "0" } });
      expect(r.stderr).not.toContain("not found");
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(t.path, "out.wasm"))).toBe(true);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
