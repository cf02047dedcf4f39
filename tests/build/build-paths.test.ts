// `fwx build` finds the SDK wherever the project is, relative to the working
// directory. asc resolves its --path from the working directory, not from
// --baseDir: a project reached through "..", deeper than the directory fwx
// runs in, used to fail with "File '~lib/fwx/abort.ts' not found". The build is
// runCli in this process, in that working directory (tests/support/cli-in-process.ts).

import { cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../ota/fixtures.js";
import { runCliInProcess } from "../support/cli-in-process.js";

const root = join(import.meta.dirname, "..", "..");

describe("fwx build from another directory", () => {
  it("builds a project reached through ../.. from a deeper working directory", async () => {
    const t = tempDir("build-paths");
    try {
      const project = join(t.path, "thermo");
      cpSync(join(root, "examples", "cold-chain-alarm"), project, { recursive: true, filter: (p) => !p.includes(`${join("cold-chain-alarm", "build")}`) });
      const deep = join(t.path, "a", "b", "c");
      mkdirSync(deep, { recursive: true });
      const r = await runCliInProcess(["build", join("..", "..", "..", "thermo"), "-o", join("..", "..", "..", "out.wasm")], { cwd: deep, env: { FWX_BUILD_CACHE: "0" } });
      expect(r.stderr).not.toContain("not found");
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(t.path, "out.wasm"))).toBe(true);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
