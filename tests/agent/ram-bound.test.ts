// The RAM budget to the byte (issue 14): a module with a sub-page budget gets
// a whole 64 KiB page from the engine, so the fuel instrumentation's checks
// (src/fuel/ram-bound.ts) refuse every load and store past the budget, and the
// fault names the address and the budget. memory.grow past it fails.
import { describe, expect, it } from "vitest";
import { testAgent, spec, seconds } from "./helpers.js";
import { misbehaveOnTimer } from "../fixtures/hostile/modules.js";
import { op } from "../fixtures/hostile/builder.js";

const BUDGET = 6144;

async function runOnTimer(body: number[], ramBudgetBytes = BUDGET) {
  const agent = testAgent({ watchdogMs: 0, restart: { backoffBaseMs: 60_000 } });
  await agent.addModule(spec("m", misbehaveOnTimer(body), { fuel: 200_000n, ramBudgetBytes }));
  return agent.run(seconds(1));
}

/** Stores `value` as an i32 at `at` (+ the store's static offset). */
const store32 = (at: number, offset = 0) => [...op.i32(at), ...op.i32(0x5a5a5a5a), ...op.i32Store(offset)];

describe("RAM budget below a page", () => {
  it("a store ending exactly at the budget runs", async () => {
    const summary = await runOnTimer(store32(BUDGET - 4));
    expect(summary.faults).toEqual([]);
  });

  it("a store one byte past the budget traps as memory-limit, naming the address and the budget", async () => {
    const summary = await runOnTimer(store32(BUDGET - 3));
    expect(summary.faults.map((f) => f.reason)).toEqual(["memory-limit"]);
    expect(summary.faults[0]!.detail).toBe(`a load or store ending at address ${BUDGET} (0x${BUDGET.toString(16)}) reached past the RAM budget of ${BUDGET} bytes`);
    expect(summary.faults[0]!.frames[0]!.funcName).toBe("culprit");
  });

  it("the static offset counts: address + offset + size is checked, and the fault names the address reached", async () => {
    const summary = await runOnTimer(store32(BUDGET - 8, 8));
    expect(summary.faults.map((f) => f.reason)).toEqual(["memory-limit"]);
    expect(summary.faults[0]!.detail).toContain(`ending at address ${BUDGET + 3} `);
    // What a C compiler makes of *(int *)120000 = 1: a store at pointer 0 with offset 120000, not "address 0".
    const far = await runOnTimer(store32(0, 120000), 100000);
    expect(far.faults[0]!.detail).toBe("a load or store ending at address 120003 (0x1d4c3) reached outside the 65536-byte memory (RAM budget 100000 bytes)");
  });

  it("a load past the budget traps too", async () => {
    const summary = await runOnTimer([...op.i32(BUDGET), ...op.i32Load(), ...op.drop]);
    expect(summary.faults.map((f) => f.reason)).toEqual(["memory-limit"]);
  });

  it("an address that wraps past 2^32 with its offset is refused as out of bounds, not wrapped", async () => {
    const summary = await runOnTimer(store32(-4, 8));
    expect(summary.faults.map((f) => f.reason)).toEqual(["out-of-bounds"]);
    expect(summary.faults[0]!.detail).toBe(`a load or store ending at address ${2 ** 32 + 7} (0x100000007) reached outside the 65536-byte memory (RAM budget ${BUDGET} bytes)`);
    expect(summary.faults[0]!.frames[0]!.funcName).toBe("culprit");
  });

  it("memory.fill and memory.copy are checked over their whole range", async () => {
    const fill = [...op.i32(BUDGET - 16), ...op.i32(7), ...op.i32(17), 0xfc, 0x0b, 0x00];
    const copy = [...op.i32(0), ...op.i32(BUDGET - 16), ...op.i32(17), 0xfc, 0x0a, 0x00, 0x00];
    for (const body of [fill, copy]) {
      const summary = await runOnTimer(body);
      expect(summary.faults.map((f) => f.reason)).toEqual(["memory-limit"]);
      expect(summary.faults[0]!.detail).toContain(`ending at address ${BUDGET} `);
      expect(summary.faults[0]!.frames[0]!.funcName).toBe("culprit");
    }
    expect((await runOnTimer([...op.i32(BUDGET - 16), ...op.i32(7), ...op.i32(16), 0xfc, 0x0b, 0x00])).faults).toEqual([]);
  });

  it("memory.grow past the budget returns -1", async () => {
    // grow(1); if the result is not -1, trap (unreachable, not memory-limit).
    const summary = await runOnTimer([...op.i32(1), ...op.memoryGrow, ...op.i32(-1), 0x47 /* i32.ne */, 0x04, 0x40, ...op.unreachable, 0x0b]);
    expect(summary.faults).toEqual([]);
  });

  it("a whole-page budget leaves the page usable to its last byte", async () => {
    const summary = await runOnTimer(store32(65536 - 4), 65536);
    expect(summary.faults).toEqual([]);
  });
});

describe("RAM budget of whole pages", () => {
  it("a store past it is the engine's out-of-bounds trap, with no address, as docs/module-manifest.md says", async () => {
    const summary = await runOnTimer(store32(65536 - 3), 65536);
    expect(summary.faults.map((f) => f.reason)).toEqual(["out-of-bounds"]);
    expect(summary.faults[0]!.detail).not.toMatch(/address/);
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync("docs/module-manifest.md", "utf8").replace(/\s+/g, " ");
    expect(doc).toContain("at a whole number of pages the engine's own bounds check traps, an `out-of-bounds` fault that names no address");
  });

  it("is left to the memory's maximum: no per-access checks are added", async () => {
    const { prepareModule } = await import("../../src/agent/prepare.js");
    const bytes = misbehaveOnTimer(store32(0));
    const paged = prepareModule(bytes, { moduleId: "m", source: "m", ramBudgetBytes: 65536 });
    const sub = prepareModule(bytes, { moduleId: "m", source: "m", ramBudgetBytes: BUDGET });
    expect(paged.exports.has("__fwx_ram_fault")).toBe(false);
    expect(sub.exports.has("__fwx_ram_fault")).toBe(true);
  });
});
