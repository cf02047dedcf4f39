// A fault is named for its cause, not for whichever check happened to run
// first: a bulk-memory instruction outside memory is `out-of-bounds` however
// long its length (the length used to be charged in fuel before the bounds
// check), and a callback that ends after a refused memory.grow is
// `memory-limit` whatever the shape (memory declared at its cap, a declared
// maximum under the budget, one huge request). A module merely sitting at its
// cap that spins is `fuel-exhausted`. The agent's watchdog is on (5 s), so a
// regression ends as a named `watchdog` fault instead of a hung run.

import { describe, expect, it } from "vitest";
import { testAgent, spec, seconds } from "./helpers.js";
import { misbehaveOnTimer, tickerModule } from "../fixtures/hostile/modules.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";

const PAGE = 65536;
const memoryFill = [0xfc, 0x0b, 0x00];
const memoryCopy = [0xfc, 0x0a, 0x00, 0x00];

async function faultsOf(bad: Uint8Array, opts: { fuel?: bigint; ramBudgetBytes?: number } = {}) {
  const agent = testAgent({ watchdogMs: 5000, restart: { backoffBaseMs: 60_000 } });
  await agent.addModule(spec("good", tickerModule(500)));
  await agent.addModule(spec("bad", bad, { fuel: opts.fuel ?? 200_000n, ...(opts.ramBudgetBytes ? { ramBudgetBytes: opts.ramBudgetBytes } : {}) }));
  const summary = await agent.run(seconds(1.2));
  const ticks = agent.log.events.filter((e) => e.module === "good" && e.kind === "log").length;
  expect(ticks, "the neighbour keeps running").toBe(2);
  return summary.faults;
}

const spin = op.loop(op.br(0));

describe("bulk memory outside memory is out-of-bounds, whatever its length", () => {
  const cases: [string, number[]][] = [
    ["memory.fill of 4 GiB - 1", [...op.i32(0), ...op.i32(0), ...op.i32(-1), ...memoryFill]],
    ["memory.copy of 4 GiB - 1", [...op.i32(0), ...op.i32(0), ...op.i32(-1), ...memoryCopy]],
    ["memory.fill of 1 GiB from the end of memory", [...op.i32(PAGE - 1), ...op.i32(7), ...op.i32(1 << 30), ...memoryFill]],
    ["memory.copy reading past the end", [...op.i32(0), ...op.i32(PAGE - 2), ...op.i32(1 << 20), ...memoryCopy]],
    ["memory.copy writing past the end", [...op.i32(PAGE - 2), ...op.i32(0), ...op.i32(1 << 20), ...memoryCopy]],
  ];
  for (const [name, body] of cases) {
    it(name, async () => {
      // fwx_init's timer.start costs about 2,000; every length here would cost far more than the rest.
      const faults = await faultsOf(misbehaveOnTimer(body), { fuel: 10_000n });
      expect(faults.map((f) => f.reason)).toEqual(["out-of-bounds"]);
      expect(faults[0]!.frames[0]!.funcName).toBe("culprit");
    });
  }

  it("an in-bounds copy still pays per byte moved", async () => {
    // 256 KiB / 64 = 4096 fuel, over a budget of 3000 that fwx_init (about 2000) stays inside.
    const faults = await faultsOf(misbehaveOnTimer([...op.i32(0), ...op.i32(0), ...op.i32(4 * PAGE), ...memoryFill], { mem: [4] }), { fuel: 3000n, ramBudgetBytes: 4 * PAGE });
    expect(faults.map((f) => f.reason)).toEqual(["fuel-exhausted"]);
  });
});

describe("a host call with a length outside memory is out-of-bounds, however dear its bytes would be", () => {
  it("kv.set with a 4 GiB value", async () => {
    const b = new ModuleBuilder();
    const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
    const set = b.import("fwx:kv@1", "set", ["i32", "i32", "i32", "i32"], ["i32"]);
    b.mem(1).dataAt(16, "k");
    b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(100), ...op.i32(0), ...op.call(start)], { export: true });
    b.func("fwx_on_timer", { params: ["i32"], results: [] }, [...op.i32(16), ...op.i32(1), ...op.i32(0), ...op.i32(-1), ...op.call(set), ...op.drop], { export: true });
    const faults = await faultsOf(b.build(), { fuel: 100_000n });
    expect(faults.map((f) => f.reason)).toEqual(["out-of-bounds"]);
    expect(faults[0]!.detail).toMatch(/kv\.set: value/);
  });
});

describe("a callback that ends after a refused grow is memory-limit, in every shape", () => {
  const bomb = op.loop([...op.i32(1), ...op.memoryGrow, ...op.drop, ...op.br(0)]);
  const shapes: [string, Uint8Array, number][] = [
    ["a bomb whose initial memory equals the budget", misbehaveOnTimer(bomb, { mem: [4] }), 4],
    ["a bomb whose declared maximum (= initial) is under the budget", misbehaveOnTimer(bomb, { mem: [1, 1] }), 4],
    ["a bomb in a module with a declared maximum above its initial size", misbehaveOnTimer(bomb, { mem: [1, 2] }), 4],
    ["one request for 65535 pages, then a spin", misbehaveOnTimer([...op.i32(65535), ...op.memoryGrow, ...op.drop, ...spin]), 4],
    ["one request for 4 GiB of pages (-1), then a spin", misbehaveOnTimer([...op.i32(-1), ...op.memoryGrow, ...op.drop, ...spin]), 4],
    ["at the cap from the start, a refused grow then unreachable (an allocator's shape)", misbehaveOnTimer([...op.i32(1), ...op.memoryGrow, ...op.drop, ...op.unreachable], { mem: [2] }), 2],
  ];
  for (const [name, bytes, budgetPages] of shapes) {
    it(name, async () => {
      const faults = await faultsOf(bytes, { ramBudgetBytes: budgetPages * PAGE });
      expect(faults.map((f) => f.reason)).toEqual(["memory-limit"]);
      expect(faults[0]!.detail).toMatch(/memory reached its cap of \d+ pages/);
    });
  }

  it("a module at its cap that never grows, and spins, is fuel-exhausted", async () => {
    const faults = await faultsOf(misbehaveOnTimer(spin, { mem: [4] }), { ramBudgetBytes: 4 * PAGE });
    expect(faults.map((f) => f.reason)).toEqual(["fuel-exhausted"]);
  });

  it("a module that grew to its cap in an earlier callback, then spins, is fuel-exhausted", async () => {
    const b = new ModuleBuilder();
    const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
    b.mem(1);
    b.func("fwx_init", { params: [], results: ["i32"] }, [
      ...op.i32(1), ...op.memoryGrow, ...op.drop,
      ...op.i32(1), ...op.i32(100), ...op.i32(0), ...op.call(start),
    ], { export: true });
    b.func("fwx_on_timer", { params: ["i32"], results: [] }, spin, { export: true });
    const faults = await faultsOf(b.build(), { ramBudgetBytes: 2 * PAGE });
    expect(faults.map((f) => f.reason)).toEqual(["fuel-exhausted"]);
  });

  it("a successful grow still pays per page added", async () => {
    // 3 pages × 1024 fuel is over a 3000 budget that fwx_init (about 2000) stays inside; the grow itself succeeds.
    const faults = await faultsOf(misbehaveOnTimer([...op.i32(3), ...op.memoryGrow, ...op.drop]), { fuel: 3000n, ramBudgetBytes: 8 * PAGE });
    expect(faults.map((f) => f.reason)).toEqual(["fuel-exhausted"]);
    expect(faults[0]!.memoryPages).toBe(4);
  });
});
