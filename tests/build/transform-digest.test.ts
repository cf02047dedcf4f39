// The compile cache names fwx's compiler transforms by their sources
// (src/build/transform-digest.ts): the bundled CLI carries the digest its
// sources give, an edit of any transform changes it, and so a build by the
// bundled CLI and one running from the sources share an entry.

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { digestTransformSources, TRANSFORM_SOURCES } from "../../src/build/transform-digest.js";
import { cliBundle } from "../ota/child-agent.js";
import { tempDir } from "../ota/fixtures.js";
import { runCliInProcess } from "../support/cli-in-process.js";
import { runNode } from "../support/run-cli.js";

const sources = fileURLToPath(new URL("../../src/build/", import.meta.url));
const work = tempDir("transform-digest");
afterAll(() => work.cleanup());

/** Every JavaScript file of a bundle directory, as one text. */
function bundleText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
}

describe("the compiler transforms' digest", () => {
  it("is the same in the bundled CLI as in the sources it was made from", () => {
    const digest = digestTransformSources(sources);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(bundleText(dirname(cliBundle()))).toContain(JSON.stringify(digest));
  });

  it("changes with any of the transforms' sources, and is not taken without all of them", () => {
    const copy = join(work.path, "sources");
    mkdirSync(copy);
    for (const name of TRANSFORM_SOURCES) copyFileSync(join(sources, name), join(copy, name));
    const digest = digestTransformSources(copy);
    expect(digest).toBe(digestTransformSources(sources));
    for (const name of TRANSFORM_SOURCES) {
      const text = readFileSync(join(copy, name), "utf8");
      writeFileSync(join(copy, name), `${text}\n`);
      expect(digestTransformSources(copy), name).not.toBe(digest);
      writeFileSync(join(copy, name), text);
    }
    expect(digestTransformSources(work.path)).toBeNull();
  });

  it("lets a build from the sources use what the bundled CLI compiled", async () => {
    const project = join(work.path, "project");
    mkdirSync(join(project, "assembly"), { recursive: true });
    writeFileSync(join(project, "fwx.json"), JSON.stringify({ id: "com.example.shared", version: "1.0.0" }));
    writeFileSync(join(project, "assembly", "index.ts"), 'import { Log } from "fwx";\nexport function fwx_init(): i32 { Log.info("up"); return 0; }\n');
    const cache = join(work.path, "cache");
    const env = { FWX_CACHE_DIR: cache };
    const bundled = await runNode(cliBundle(), ["build", project, "-o", join(work.path, "a.wasm"), "--no-ram-run"], { cwd: work.path, env });
    expect(bundled.code, bundled.err).toBe(0);
    const entries = readdirSync(join(cache, "asc"));
    expect(entries).toHaveLength(1);
    // A miss would store a second entry under another key.
    const fromSources = await runCliInProcess(["build", project, "-o", join(work.path, "b.wasm"), "--no-ram-run"], { cwd: work.path, env });
    expect(fromSources.status, fromSources.stderr).toBe(0);
    expect(readdirSync(join(cache, "asc"))).toEqual(entries);
    expect(readFileSync(join(work.path, "b.wasm"))).toEqual(readFileSync(join(work.path, "a.wasm")));
  });
});
