// Every example builds with `fwx build`'s pipeline into a valid module that
// imports only the fwx host ABI, and asks for no more than the demo board grants.
import { describe, expect, test } from "vitest";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseModule } from "../../src/wasm/reader.js";
import { validateModule } from "../../src/validate/validate.js";
import { capabilityExcess } from "../../src/caps/capabilities.js";
import { defaultBoardPath, loadBoardFile } from "../../src/sim/board.js";
import { abi } from "../../host-abi/spec/index.js";
import { importKey, lowerAbi } from "../../host-abi/gen/lower.js";
import { EXAMPLES_DIR, buildExample } from "./helpers.js";

const LOWERED = lowerAbi(abi);

const EXAMPLES = ["cold-chain-alarm", "modbus-energy-meter", "pump-vibration"];

const LIFECYCLE = new Set(["fwx_init", "fwx_on_timer", "fwx_on_event", "fwx_health", "fwx_deinit", "memory"]);

describe("example projects", () => {
  test("the examples this suite covers exist as projects with fwx.json and a trace", () => {
    const projects = readdirSync(EXAMPLES_DIR).filter((d) => statSync(join(EXAMPLES_DIR, d, "fwx.json"), { throwIfNoEntry: false }));
    for (const name of EXAMPLES) {
      expect(projects).toContain(name);
      expect(statSync(join(EXAMPLES_DIR, name, "trace.csv")).size).toBeGreaterThan(0);
    }
  });

  for (const name of EXAMPLES) {
    describe(name, () => {
      test("builds into a valid module within its RAM budget", async () => {
        const r = await buildExample(name);
        expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        expect(r.stage).toBe("done");
        expect(r.ok).toBe(true);
        const v = validateModule(r.bytes!, { ramBudgetBytes: r.manifest!.ramBudgetBytes });
        expect(v.errors).toEqual([]);
        expect(v.ok).toBe(true);
        expect(v.report.ram.needBytes).toBeLessThanOrEqual(r.manifest!.ramBudgetBytes);
      });

      test("imports only fwx:* host functions and exports only the lifecycle", async () => {
        const r = await buildExample(name);
        const m = parseModule(r.bytes!);
        expect(m.imports.length).toBeGreaterThan(0);
        for (const imp of m.imports) {
          expect(imp.module).toMatch(/^fwx:[a-z0-9]+@1$/);
          expect(LOWERED.functionByImport.has(importKey(imp.module, imp.name)), `${imp.module}.${imp.name} is not an ABI v1 function`).toBe(true);
        }
        const exported = m.exports.map((e) => e.name);
        expect(exported).toContain("fwx_init");
        for (const e of exported) expect(LIFECYCLE.has(e)).toBe(true);
      });

      test("asks only for capabilities the demo board can grant", async () => {
        const r = await buildExample(name);
        const board = loadBoardFile(defaultBoardPath());
        expect(capabilityExcess(r.manifest!.capabilities, board.profile.grantable)).toEqual([]);
      });
    });
  }
});
