// The peripheral boundary holds: the agent's hosts reach hardware only through
// src/hal/, and src/hal/ depends on neither the agent nor the simulator.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

/** Every module specifier a TypeScript file imports or re-exports, statically or dynamically. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]!);
  return found;
}

/** Files under `dir` (relative to the repository) whose relative imports land under one of `forbidden`. */
function crossings(dir: string, forbidden: string[]): { file: string; imports: string[]; bad: string[] } {
  const imports: string[] = [];
  const bad: string[] = [];
  for (const name of readdirSync(join(root, dir), { recursive: true }) as string[]) {
    if (!name.endsWith(".ts")) continue;
    const file = join(root, dir, name);
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = relative(root, resolve(dirname(file), spec));
      imports.push(target);
      if (forbidden.some((f) => target === f || target.startsWith(f + "/"))) bad.push(`${relative(root, file)} imports ${spec}`);
    }
  }
  return { file: dir, imports, bad };
}

describe("the peripheral boundary", () => {
  it("finds imports written in every form (so an empty result below means something)", () => {
    expect(importsOf(`import type { A } from "../../sim/board.js";\nimport { b,\n c } from '../x.js';\nexport { d } from "./d.js";\nimport "./side.js";\nconst m = await import("../../sim/bus.js");`))
      .toEqual(["../../sim/board.js", "../x.js", "./d.js", "./side.js", "../../sim/bus.js"]);
  });

  it("src/agent/host imports nothing from src/sim, and reaches peripherals through src/hal", () => {
    const r = crossings("src/agent/host", ["src/sim"]);
    expect(r.bad).toEqual([]);
    expect(r.imports.some((t) => t.startsWith("src/hal/"))).toBe(true);
  });

  it("src/hal depends on neither the agent nor the simulator", () => {
    const r = crossings("src/hal", ["src/sim", "src/agent", "src/ota", "src/commands"]);
    expect(r.bad).toEqual([]);
  });
});
