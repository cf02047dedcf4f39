// vitest global setup: the one CLI bundle of a run. Tests that start `fwx
// agent` or the field commands as child processes run src/cli.ts bundled as
// `npm run build` bundles it (tests/ota/child-agent.ts says why). Bundled once
// here, not once per test file: the files of a run test the same sources. In
// watch mode it is bundled again before every rerun, so an edit is tested.

import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { bundleCli } from "../../scripts/bundle-cli.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    /** The bundled CLI's cli.js (tests/ota/child-agent.ts, cliBundle()). */
    cliBundle: string;
  }
}

const root = resolve(import.meta.dirname, "../..");

export default async function setup(project: TestProject): Promise<() => void> {
  // Under node_modules, so that ESM resolves the external dependencies (aedes, binaryen) from the
  // bundle's location; named by this process, so that runs side by side do not share one.
  const outdir = join(root, "node_modules", ".cache", "fwx-ota-tests", `fwx-cli-${process.pid}`);
  const bundle = async () => project.provide("cliBundle", await bundleCli({ outdir, sourcemap: false, logLevel: "error" }));
  await bundle();
  project.onTestsRerun(bundle);
  return () => rmSync(outdir, { recursive: true, force: true });
}
