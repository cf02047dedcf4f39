// `fwx validate` and the agent's preparation (what `fwx run` and the device
// agent do before running a module) give the same verdict, per device class,
// for every module here: each is accepted by both or refused by both.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { command as validateCommand } from "../../src/commands/validate.js";
import { ModuleRefused } from "../../src/agent/prepare.js";
import { prepareOffThread } from "../../src/agent/prepare-pool.js";
import { MODULE_LIMITS, type DeviceClass } from "../../src/validate/limits.js";
import { I32, WasmBuilder, op } from "../fixtures/wasm-builder.js";
import { tickerModule } from "../fixtures/hostile/modules.js";
import { validateProfile } from "../../src/sim/profile-validate.js";
import { spec, testAgent, testBoard } from "./helpers.js";

function base(extend: (b: WasmBuilder) => void = () => {}, initName = "fwx_init"): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  b.export("memory", 2, 0);
  b.func([], [I32], [op.i32_const, 0], { export: initName });
  extend(b);
  return b.build().bytes;
}

/** name → [module, accepted on mcu, accepted on a gateway] */
const CASES: Record<string, [Uint8Array, boolean, boolean]> = {
  "a ticker": [tickerModule(), true, true],
  "a minimal module": [base(), true, true],
  "an export named \\uFEFFfwx_init": [base(() => {}, "\uFEFFfwx_init"), false, false],
  "a reserved __fwx_ export": [base((b) => b.export("__fwx_fuel_get", 0, 0)), false, false],
  "an fwx.fuel section": [base((b) => b.custom("fwx.fuel", [1, 0])), false, false],
  "a malformed name subsection": [base((b) => b.custom("name", [1, 5, 1, 0])), false, false],
  "a well-formed name section": [base((b) => b.custom("name", [1, 7, 1, 0, 4, ...new TextEncoder().encode("init")])), true, true],
  "an import outside the ABI": [(() => { const b = new WasmBuilder(); b.importFunc("env", "system", [], []); b.memory(1); b.export("memory", 2, 0); b.func([], [I32], [op.i32_const, 0], { export: "fwx_init" }); return b.build().bytes; })(), false, false],
  "code the engine rejects": [base((b) => b.func([], [I32], [op.i32_add])), false, false],
  "a table past the mcu limit": [base((b) => b.table(MODULE_LIMITS.mcu.tableEntries + 1)), false, true],
  "globals past the mcu limit": [base((b) => { for (let i = 0; i <= MODULE_LIMITS.mcu.globals; i++) b.global(I32, false, [op.i32_const, 0]); }), false, true],
  "a table past the gateway limit": [base((b) => b.table(MODULE_LIMITS.gateway.tableEntries + 1)), false, false],
};

const dir = mkdtempSync(join(tmpdir(), "fwx-verdict-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function validateAccepts(bytes: Uint8Array, deviceClass: DeviceClass): Promise<boolean> {
  const file = join(dir, "m.wasm");
  writeFileSync(file, bytes);
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return (await validateCommand.run([file, "--device-class", deviceClass])) === 0;
  } finally {
    log.mockRestore();
  }
}

async function prepareAccepts(bytes: Uint8Array, deviceClass: DeviceClass): Promise<boolean> {
  try {
    await prepareOffThread(bytes, { moduleId: "m", source: "m.wasm", ramBudgetBytes: 65536, deviceClass });
    return true;
  } catch (e) {
    if (e instanceof ModuleRefused) return false;
    throw e;
  }
}

describe("one verdict: fwx validate and the agent's preparation", () => {
  for (const deviceClass of ["mcu", "gateway"] as const) {
    it(`agree on every module for ${deviceClass === "mcu" ? "a microcontroller" : "a gateway"}`, async () => {
      const verdicts: Record<string, { validate: boolean; prepare: boolean; expected: boolean }> = {};
      for (const [name, [bytes, mcu, gateway]] of Object.entries(CASES)) {
        verdicts[name] = { validate: await validateAccepts(bytes, deviceClass), prepare: await prepareAccepts(bytes, deviceClass), expected: deviceClass === "mcu" ? mcu : gateway };
      }
      const disagreements = Object.entries(verdicts).filter(([, v]) => v.validate !== v.prepare || v.validate !== v.expected);
      expect(disagreements).toEqual([]);
    });
  }
});

describe("the board profile decides the class", () => {
  const minimal = { name: "b", seed: 1, grantable: {} };

  it("a profile is a gateway unless it says otherwise; mcu takes the mcu column; overrides apply; a bad class is refused", () => {
    expect(validateProfile(minimal, "b.json").profile).toMatchObject({ deviceClass: "gateway", moduleLimits: MODULE_LIMITS.gateway });
    expect(validateProfile({ ...minimal, deviceClass: "mcu" }, "b.json").profile.moduleLimits).toEqual(MODULE_LIMITS.mcu);
    const custom = validateProfile({ ...minimal, deviceClass: "mcu", moduleLimits: { tableEntries: 16 } }, "b.json").profile.moduleLimits;
    expect(custom).toEqual({ ...MODULE_LIMITS.mcu, tableEntries: 16 });
    expect(() => validateProfile({ ...minimal, deviceClass: "pc" }, "b.json")).toThrow(/deviceClass: must be one of mcu, gateway/);
    expect(() => validateProfile({ ...minimal, moduleLimits: { tables: 1 } }, "b.json")).toThrow(/moduleLimits\.tables: unknown field/);
  });

  it("the agent applies its board's class: an mcu board refuses what a gateway board runs", async () => {
    const bytes = CASES["a table past the mcu limit"]![0];
    const board = (deviceClass: DeviceClass) => ({ ...testBoard(), profile: { ...testBoard().profile, deviceClass, moduleLimits: MODULE_LIMITS[deviceClass] } });
    await expect(testAgent({ board: board("gateway") }).addModule(spec("t", bytes))).resolves.toBeUndefined();
    const e = await testAgent({ board: board("mcu") }).addModule(spec("t", bytes)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleRefused);
    expect((e as ModuleRefused).report).toMatch(/1025 exceeds the mcu limit of 1024 \(limit "tableEntries"\)/);
  });
});
