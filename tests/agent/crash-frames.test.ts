// Crash-report stack frames name the function in the module as given: fuel
// instrumentation adds an import (shifting defined functions by one) and
// helper functions, and the agent's memory cap moves the code section; the
// report undoes all of that, and gives each frame's position in the module
// as given (the instruction that trapped or called), which is what a debug
// map's lines are keyed by.

import { describe, expect, it } from "vitest";
import { formatCrashReport, type CrashReport } from "../../src/agent/faults.js";
import { standaloneInstance } from "./helpers.js";
import { functionInstructions, parseModule } from "../../src/wasm/reader.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { CULPRIT_INDEX, hostile, misbehaveOnTimer } from "../fixtures/hostile/modules.js";

function crash(bytes: Uint8Array, fuel = 100_000n): CrashReport {
  const outcome = standaloneInstance(bytes, { fuel, watchdogMs: 0 }).call("fwx_on_timer", [1]);
  if (outcome.ok) throw new Error("expected a fault");
  return outcome.report;
}

describe("crash-report frames", () => {
  it("map back to the module's own function indices and names when instrumentation added the fuel import", () => {
    const bytes = hostile.unreachable();
    const r = crash(bytes);
    expect(r.frames.map((f) => [f.funcIndex, f.funcName])).toEqual([[CULPRIT_INDEX, "culprit"], [CULPRIT_INDEX - 1, "fwx_on_timer"]]);
    for (const f of r.frames) {
      expect(f.bodyOffset).not.toBeNull();
      expect(f.bodyOffset!).toBeLessThan(f.offset);
    }
    // Positions in the module as given: the culprit's unreachable, and the caller's call to it.
    const m = parseModule(bytes);
    const at = (fn: number, name: string) => functionInstructions(bytes, m, fn).find((i) => i.name === name)!.at;
    expect(r.frames.map((f) => f.moduleOffset)).toEqual([at(CULPRIT_INDEX, "unreachable"), at(CULPRIT_INDEX - 1, "call")]);
    const text = formatCrashReport(r);
    expect(text).toContain(`culprit (function 3) at module byte 0x${at(CULPRIT_INDEX, "unreachable").toString(16)}`);
    // Without a map: where one comes from, and that a module from clang or rustc (fwx build adds none) has none.
    expect(text).toContain("no debug map for this module: fwx build writes <module>.fwxmap.json beside a module it compiles from AssemblyScript (--map <file> names one); a .wasm from clang or rustc has none");
  });

  it("map correctly when the module already imported fuel_exhausted (no shift)", () => {
    const b = new ModuleBuilder();
    const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
    b.import("fwx:core@1", "fuel_exhausted", [], []);
    b.mem(1);
    b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(100), ...op.i32(0), ...op.call(start)], { export: true });
    const culprit = b.nextFuncIndex() + 1;
    b.func("fwx_on_timer", { params: ["i32"], results: [] }, op.call(culprit), { export: true });
    b.func("culprit", { params: [], results: [] }, op.unreachable);
    const r = crash(b.build());
    expect(r.frames.map((f) => [f.funcIndex, f.funcName])).toEqual([[culprit, "culprit"], [culprit - 1, "fwx_on_timer"]]);
  });

  it("give the fuel a trap leaves counted as a floor, and fuel exhaustion's as exact", () => {
    // 1000 turns of a loop, then a trap: the loop's fuel is kept in a local, never written back before the trap.
    const body = [...op.loop([...op.localGet(0), ...op.i32(1), ...op.i32Add, ...op.localTee(0), ...op.i32(1000), ...op.i32Eq, ...op.if_(op.unreachable), ...op.br(0)])];
    const trapped = crash(misbehaveOnTimer(body, { locals: ["i32"] }), 1_000_000n);
    expect(trapped.reason).toBe("unreachable");
    expect(formatCrashReport(trapped)).toMatch(/^ {2}fuel: at least \d+ of 1000000 \(counted up to the last host call\)$/m);
    const spun = crash(hostile.infiniteLoop(), 5_000n);
    expect(formatCrashReport(spun)).toMatch(/^ {2}fuel: 5000 of 5000$/m);
  });

  it("give a Rust module's mangled names as the source spells them", () => {
    // rustc's legacy mangling, kept in the name section of a module built as docs/modules-c-rust.md says.
    const b = new ModuleBuilder();
    const start = b.import("fwx:timer@1", "start", ["i32", "i32", "i32"], ["i32"]);
    b.mem(1);
    b.func("fwx_init", { params: [], results: ["i32"] }, [...op.i32(1), ...op.i32(100), ...op.i32(0), ...op.call(start)], { export: true });
    const culprit = b.nextFuncIndex() + 1;
    b.func("fwx_on_timer", { params: ["i32"], results: [] }, op.call(culprit), { export: true });
    b.func("_ZN4core9panicking18panic_bounds_check17h85ba5634c84ff856E", { params: [], results: [] }, op.unreachable);
    const r = crash(b.build());
    expect(r.frames.map((f) => f.funcName)).toEqual(["core::panicking::panic_bounds_check", "fwx_on_timer"]);
    expect(formatCrashReport(r)).toContain("    core::panicking::panic_bounds_check (function 3) at module byte 0x");
  });

  it("mark the instrumentation's own helper as added code", () => {
    const r = crash(hostile.infiniteLoop(), 5_000n);
    expect(r.reason).toBe("fuel-exhausted");
    expect(r.frames[0]).toMatchObject({ funcIndex: null, funcName: "__fwx_fuel_out" });
    expect(r.frames[1]).toMatchObject({ funcIndex: CULPRIT_INDEX, funcName: "culprit" });
    expect(formatCrashReport(r)).toContain("__fwx_fuel_out (added by fuel instrumentation)");
  });

  it("give no module position for a loop that ran out of fuel, rather than the function's last call or trap", () => {
    // `if (!mem[0]) loop {}; if (mem[0]) call self` (memory is zero): the loop spins; the body's last landmark,
    // the call, is in a branch that never ran. Fuel runs out in the instrumentation's one exit at the end of
    // the function, which no charge point of the module can be told from.
    const zero = [...op.i32(0), ...op.i32Load()];
    const body = [...zero, ...op.i32Eqz, ...op.if_(op.loop(op.br(0))), ...zero, ...op.if_(op.call(CULPRIT_INDEX))];
    const r = crash(misbehaveOnTimer(body), 5_000n);
    expect(r.reason).toBe("fuel-exhausted");
    expect(r.frames[1]).toMatchObject({ funcIndex: CULPRIT_INDEX, funcName: "culprit", moduleOffset: null });
    const text = formatCrashReport(r);
    expect(text).toContain("in culprit: at its entry or at the start of one of its loops (which one ran out of fuel is not recorded)");
    expect(text).not.toMatch(/culprit \(function 3\) at module byte/);
    // The caller's frame keeps its position: the call of culprit.
    expect(r.frames[2]?.moduleOffset).toEqual(expect.any(Number));
  });
});
