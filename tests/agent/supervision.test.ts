// Linking, capabilities, claims, restarts, crash reports, memory caps.

import { describe, expect, it } from "vitest";
import { testAgent, spec, seconds } from "./helpers.js";
import { callOnInit, hostile, misbehaveOnTimer, tickerModule, I32 } from "../fixtures/hostile/modules.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { ModuleRefused } from "../../src/agent/prepare.js";
import { Status } from "../../src/abi/host.generated.js";
import { formatCrashReport } from "../../src/agent/faults.js";

const RET_I32 = { params: [], results: [I32] };

async function refusal(f: () => Promise<void>): Promise<ModuleRefused> {
  try {
    await f();
  } catch (e) {
    if (e instanceof ModuleRefused) return e;
    throw e;
  }
  throw new Error("module was not refused");
}

describe("linking", () => {
  it("refuses unknown imports and wrong signatures with one line per import", async () => {
    const b = new ModuleBuilder();
    b.import("fwx:gpio@1", "write", [I32], [I32]); // ABI: (i32, i32) -> i32
    b.import("fwx:gpio@1", "toggle", [I32], [I32]);
    b.import("fwx:gpio@2", "claim", [I32, I32, I32], [I32]);
    b.import("env", "seed", [], ["f64" as never]);
    b.mem(1);
    b.func("fwx_init", RET_I32, op.i32(0), { export: true });
    const e = await refusal(() => testAgent().addModule(spec("bad", b.build())));
    expect(e.step).toBe("link");
    expect(e.problems).toEqual([
      "fwx:gpio@1.write: expected (i32, i32) -> i32, found (i32) -> i32",
      'fwx:gpio@1.toggle: expected one of claim, read, write, watch, release, found unknown function "toggle" in gpio@1.0',
      "fwx:gpio@2.claim: expected gpio@1, found gpio@2 (major version not offered)",
      'env.seed: expected an import module named fwx:<interface>@<major>, found unknown import module "env"',
    ]);
    expect(e.report).toContain("this device offers: core@1.0, timer@1.0, sensor@1.0, gpio@1.0");
    expect(e.report).toMatch(/fwx:gpio@1\.write \(byte 0x[0-9a-f]+\)/);
  });
});

describe("capabilities", () => {
  it("refuses a start when the board cannot grant a request, listing every excess", async () => {
    const agent = testAgent();
    const e = await refusal(() => agent.addModule(spec("greedy", tickerModule(), { requested: { timers: 1, gpio: [{ pin: 5, modes: ["output-open-drain"] }, { pin: 9, modes: ["output"] }], sensors: ["boiler"] } })));
    expect(e.step).toBe("capabilities");
    expect(e.problems).toEqual(["sensor boiler", "gpio pin 5 mode output-open-drain", "gpio pin 9 mode output"]);
  });

  it("answers not-permitted for a call outside the grant, and the module keeps running", async () => {
    // fwx_init: claim pin 5 (granted: only pin 6) and kv.set (no kv grant); log both statuses as digits
    const m = callOnInit([
      { module: "fwx:gpio@1", name: "claim", params: [I32, I32, I32], results: [I32] },
      { module: "fwx:kv@1", name: "set", params: [I32, I32, I32, I32], results: [I32] },
      { module: "fwx:core@1", name: "log", params: [I32, I32, I32], results: [I32] },
    ], ([claim, set, log]) => [
      ...op.i32(32), ...op.i32(5), ...op.i32(3), ...op.i32(200), ...op.call(claim!), ...op.i32(48), ...op.i32Add, ...op.i32Store8(),
      ...op.i32(33), ...op.i32(16), ...op.i32(3), ...op.i32(16), ...op.i32(1), ...op.call(set!), ...op.i32(48), ...op.i32Add, ...op.i32Store8(),
      ...op.i32(1), ...op.i32(32), ...op.i32(2), ...op.call(log!), ...op.drop,
    ], [[16, "key"], [32, "??"]]);
    const agent = testAgent();
    await agent.addModule(spec("limited", m, { requested: { gpio: [{ pin: 6, modes: ["output"] }] } }));
    const summary = await agent.run(seconds(1));
    expect(agent.log.events.find((e) => e.kind === "log")!.message).toBe(`${Status.notPermitted}${Status.notPermitted}`);
    expect(summary.faults).toEqual([]);
    expect(agent.log.events.filter((e) => e.kind === "lifecycle").map((e) => e.summary)).toEqual(["started", "stopped (end of run)"]);
  });
});

describe("exclusive claims", () => {
  it("a pin held by one module is busy for another until the first one stops", async () => {
    const claimer = (id: string) => callOnInit([
      { module: "fwx:gpio@1", name: "claim", params: [I32, I32, I32], results: [I32] },
      { module: "fwx:core@1", name: "log", params: [I32, I32, I32], results: [I32] },
    ], ([claim, log]) => [
      // log(info, "claim=<status digit>")
      ...op.i32(22), ...op.i32(5), ...op.i32(3), ...op.i32(200), ...op.call(claim!), ...op.i32(48), ...op.i32Add, ...op.i32Store8(),
      ...op.i32(1), ...op.i32(16), ...op.i32(7), ...op.call(log!), ...op.drop,
    ], [[16, `claim=?${id}`]]);
    const agent = testAgent();
    const caps = { gpio: [{ pin: 5, modes: ["output"] }] };
    await agent.addModule(spec("first", claimer("a"), { requested: caps }));
    await agent.addModule(spec("second", claimer("b"), { requested: caps }));
    await agent.run(seconds(1));
    const logs = agent.log.events.filter((e) => e.kind === "log").map((e) => `${e.module}:${String(e.message)}`);
    expect(logs).toEqual([`first:claim=${Status.ok}`, `second:claim=${Status.busy}`]);
    expect(agent.claims.owner("gpio:5")).toBeUndefined(); // released when the run ended
  });
});

describe("restart policy", () => {
  it("restarts with exponential backoff, then quarantines", async () => {
    const agent = testAgent({ restart: { backoffBaseMs: 1000, backoffFactor: 2, quarantineAfter: 4, windowMs: 60_000 } });
    await agent.addModule(spec("crashy", hostile.unreachable()));
    await agent.addModule(spec("good", tickerModule(10_000)));
    const summary = await agent.run(seconds(60));
    const faultsAt = summary.faults.map((f) => Number(f.tUs) / 1e6);
    // fault 100 ms after each start; restarts after 1, 2, 4 s
    expect(faultsAt).toEqual([0.1, 1.2, 3.3, 7.4]);
    const crashy = summary.modules.find((m) => m.id === "crashy")!;
    expect(crashy).toMatchObject({ state: "quarantined", faults: 4, restarts: 3 });
    expect(summary.modules.find((m) => m.id === "good")!.state).toBe("stopped");
    expect(agent.log.events.filter((e) => e.module === "good" && e.kind === "log")).toHaveLength(6);
  });
});

describe("crash reports", () => {
  it("name the wasm function and list the last host calls with arguments", async () => {
    const b = new ModuleBuilder();
    const start = b.import("fwx:timer@1", "start", [I32, I32, I32], [I32]);
    const now = b.import("fwx:core@1", "now_us", [], ["i64"]);
    b.mem(1);
    b.func("fwx_init", RET_I32, [...op.i32(7), ...op.i32(250), ...op.i32(0), ...op.call(start)], { export: true });
    const check = b.nextFuncIndex() + 1;
    b.func("fwx_on_timer", { params: [I32], results: [] }, [...op.call(check)], { export: true });
    b.func("check_reading", { params: [], results: [] }, [...op.call(now), ...op.drop, ...op.call(now), ...op.drop, ...op.unreachable]);
    const agent = testAgent();
    await agent.addModule(spec("reporter", b.build()));
    const { faults } = await agent.run(seconds(1));
    const r = faults[0]!;
    expect(r.reason).toBe("unreachable");
    expect(r.callback).toBe("fwx_on_timer(7)");
    expect(r.frames[0]!.funcName).toBe("check_reading");
    expect(r.lastCalls).toEqual([
      // A status by its name beside the number; a value (now_us) as it is.
      { fn: "timer.start", args: { id: "7", period_ms: "250", periodic: "0" }, result: "ok (0)" },
      { fn: "core.now_us", args: {}, result: "250000" },
      { fn: "core.now_us", args: {}, result: "250000" },
    ]);
    expect(r.fuelUsed).toBeGreaterThan(0);
    expect(r.memoryHighWaterBytes).toBe(65536);
    const text = formatCrashReport(r);
    expect(text).toContain("check_reading (function");
    expect(text).toContain("timer.start(id=7, period_ms=250, periodic=0) → ok (0)");
  });
});

describe("memory cap", () => {
  it("memory.grow past the RAM budget returns -1 and the module carries on", async () => {
    // grows by 1 page three times with a 2-page budget; logs the results as digits
    const b = new ModuleBuilder();
    const log = b.import("fwx:core@1", "log", [I32, I32, I32], [I32]);
    b.mem(1).dataAt(16, "...");
    const grow = (at: number) => [...op.i32(at), ...op.i32(1), ...op.memoryGrow, ...op.i32(48), ...op.i32Add, ...op.i32Store8()];
    b.func("fwx_init", RET_I32, [...grow(16), ...grow(17), ...grow(18), ...op.i32(1), ...op.i32(16), ...op.i32(3), ...op.call(log), ...op.drop, ...op.i32(0)], { export: true });
    const agent = testAgent();
    await agent.addModule(spec("grower", b.build(), { ramBudgetBytes: 2 * 65536 }));
    const summary = await agent.run(seconds(1));
    // 1 → 2 pages succeeds (old size 1 → "1"); the next two fail (-1 → "/")
    expect(agent.log.events.find((e) => e.kind === "log")!.message).toBe("1//");
    expect(summary.faults).toEqual([]);
    expect(summary.modules[0]!.memoryHighWaterBytes).toBe(2 * 65536);
  });

  it("refuses a module whose initial memory exceeds the budget", async () => {
    const e = await refusal(() => testAgent().addModule(spec("fat", misbehaveOnTimer(op.nop, { mem: [3] }), { ramBudgetBytes: 2 * 65536 })));
    expect(["memory", "validation"]).toContain(e.step);
    expect(e.report).toMatch(/3 .*pages|budget/);
  });
});


describe("run summary", () => {
  // On its timer (100 ms after fwx_init) the culprit grows memory by one page, then traps.
  const growThenTrap = () => misbehaveOnTimer([...op.i32(1), ...op.memoryGrow, ...op.drop, ...op.unreachable], { mem: [1, 4] });

  it("totals fuel over every callback of the run, faulted ones and restarts included", async () => {
    let observed = 0n;
    const agent = testAgent({
      observer: {
        delivery: () => {},
        outcome: (_i, o) => { observed += BigInt(o.ok ? o.fuelUsed ?? 0n : o.report.fuelUsed ?? 0); },
      },
      restart: { backoffBaseMs: 1000 },
    });
    await agent.addModule(spec("grower", growThenTrap(), { ramBudgetBytes: 4 * 65536 }));
    // init, fault at 0.1 s; restart at 1.1 s, init, fault at 1.2 s
    const summary = await agent.run(seconds(1.5));
    const m = summary.modules[0]!;
    expect(m.restarts).toBe(1);
    expect(m.faults).toBe(2);
    expect(observed).toBeGreaterThan(0n);
    expect(m.fuelUsedTotal).toBe(Number(observed));
    expect(m.fuelUsedTotal).toBeGreaterThan(m.fuelUsedLast ?? 0);
  });

  it("keeps the memory high-water of an instance that was restarted", async () => {
    const agent = testAgent({ restart: { backoffBaseMs: 1000 } });
    await agent.addModule(spec("grower", growThenTrap(), { ramBudgetBytes: 4 * 65536 }));
    // Ends after the restart's fwx_init (1.1 s), before its timer grows the new instance.
    const summary = await agent.run(seconds(1.15));
    expect(summary.modules[0]!.restarts).toBe(1);
    expect(summary.modules[0]!.memoryHighWaterBytes).toBe(2 * 65536);
  });

  it("refuses a fuel budget the i64 fuel counter cannot hold", async () => {
    const e = await refusal(() => testAgent().addModule(spec("greedy", tickerModule(), { fuel: 1n << 63n })));
    expect(e.step).toBe("manifest");
    expect(e.report).toMatch(/greedy\.wasm: fuel per callback 9223372036854775808 is outside 1\.\.9223372036854775807/);
    await expect(testAgent().addModule(spec("ok", tickerModule(), { fuel: (1n << 63n) - 1n }))).resolves.toBeUndefined();
  });
});

describe("host call results in crash reports", () => {
  it("name a status beside its number, leave values as they are, and say when a number is no status", async () => {
    const { describeResult } = await import("../../src/agent/faults.js");
    const { FUNCTIONS } = await import("../../src/abi/host.generated.js");
    const find = FUNCTIONS.findIndex((f) => f.iface === "sensor" && f.name === "find");
    const nowUs = FUNCTIONS.findIndex((f) => f.iface === "core" && f.name === "now_us");
    expect(describeResult(find, 5)).toBe("not-found (5)");
    expect(describeResult(find, 0)).toBe("ok (0)");
    expect(describeResult(find, 99)).toBe("99 (not a status of the ABI)");
    expect(describeResult(nowUs, 250000n)).toBe("250000");
  });
});
