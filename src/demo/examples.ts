// Where `npm start` finds the example projects: examples/*/fwx.json of the
// fwx checkout this CLI runs from.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function findExamplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "examples");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("examples/ was not found next to this fwx installation (the demo runs from a checkout of the fwx repository)");
}

/** Example project directories, in name order so every run is the same. */
export function listExamples(examplesDir: string): string[] {
  return readdirSync(examplesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, "fwx.json")))
    .map((d) => join(examplesDir, d.name))
    .sort();
}
