// capMemory: a module's memory is rewritten into a host-provided import
// capped at the RAM budget. The exact edge of the budget: initial pages equal
// to it are accepted, one more is refused before anything runs.

import { describe, expect, it } from "vitest";
import { capMemory, MemoryBudgetError, newMemory, PAGE_BYTES } from "../../src/agent/memory-cap.js";
import { misbehaveOnTimer } from "../fixtures/hostile/modules.js";

const withMemory = (initial: number, max?: number) => misbehaveOnTimer([0x01], { mem: [initial, max] });

describe("capMemory at the edge of the budget", () => {
  for (const budget of [1, 2, 4]) {
    it(`a budget of ${budget} pages: ${budget} initial pages are accepted and capped there`, () => {
      const plan = capMemory(withMemory(budget), budget);
      expect(plan.initialPages).toBe(budget);
      expect(plan.maxPages).toBe(budget);
      const memory = newMemory(plan);
      expect(memory.buffer.byteLength).toBe(budget * PAGE_BYTES);
      expect(() => memory.grow(1)).toThrow(RangeError);
      // The rewritten module links against that memory and nothing else.
      const module = new WebAssembly.Module(plan.bytes as Uint8Array<ArrayBuffer>);
      expect(WebAssembly.Module.imports(module).filter((i) => i.kind === "memory")).toEqual([{ module: plan.importModule, name: plan.importName, kind: "memory" }]);
    });

    it(`a budget of ${budget} pages: ${budget + 1} initial pages are refused, naming both`, () => {
      expect(() => capMemory(withMemory(budget + 1), budget)).toThrow(MemoryBudgetError);
      expect(() => capMemory(withMemory(budget + 1), budget)).toThrow(new RegExp(`${budget + 1} initial memory pages.*budget is ${budget} pages`));
    });
  }

  it("a declared maximum above the budget is lowered to the budget; one below it is kept", () => {
    expect(capMemory(withMemory(1, 16), 4).maxPages).toBe(4);
    expect(capMemory(withMemory(1, 2), 4).maxPages).toBe(2);
  });

  it("huge initial sizes are refused, not allocated", () => {
    expect(() => capMemory(withMemory(32768), 1)).toThrow(MemoryBudgetError);
    expect(() => capMemory(withMemory(65536), 16)).toThrow(MemoryBudgetError);
  });
});
