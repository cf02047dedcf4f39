// One set of limits on both sides: for every resource limit of the mcu class,
// a module exactly at the limit and one past it, through `fwx validate
// --device-class mcu` and through the C install check (firmware/
// fwx_module_check.c, fwx_check_limits.h). At the limit neither refuses the
// module for that limit; one past it both do, the validator naming the limit.
// The operand stack and block nesting are counted by rules a naive counter
// gets wrong (unreachable code, block parameters, branches, select, multi-value
// calls), so each rule has its own pair of modules.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODULE_LIMITS, type ModuleLimits } from "../../src/validate/limits.js";
import { validateModule } from "../../src/validate/validate.js";
import { instrumentFuel } from "../../src/fuel/instrument.js";
import { adaptForMcu } from "../../src/fuel/mcu.js";
import { ModuleBuilder, op } from "../fixtures/hostile/builder.js";
import { buildVerdictTool, cDeviceVerdicts, cVerdicts, tsVerdict, type Entry } from "./c-verdict.js";
import { parseModule } from "../../src/wasm/reader.js";
import { moduleWith } from "./limit-modules.js";

let tool: string;
let cleanup = () => {};
beforeAll(() => ({ tool, cleanup } = buildVerdictTool()));
afterAll(() => cleanup());

const I32 = "i32" as const;
const CONST0 = [0x41, 0x00];
const DROP = 0x1a, END = 0x0b, BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, EMPTY = 0x40;
const times = (n: number, bytes: number[]) => new Array<number[]>(Math.max(0, n)).fill(bytes).flat();

// Function indices of the module below: the import first, then fwx_init,
// fwx_on_timer, the culprit and two helpers. Type indices follow the order
// of first use by the functions: T_PASS is (i32) -> (i32).
const PASS_I32 = 4, EIGHT = 5, T_PASS = 3;

/** A module wasm3 runs: fwx_init starts a timer whose callback calls `culprit`, whose body is the case's. */
function timerModule(culprit: number[]): Uint8Array {
  const b = new ModuleBuilder();
  const start = b.import("fwx:timer@1", "start", [I32, I32, I32], [I32]);
  b.mem(1);
  b.func("fwx_init", { params: [], results: [I32] }, [...op.i32(1), ...op.i32(100), ...op.i32(0), ...op.call(start)], { export: true });
  b.func("fwx_on_timer", { params: [I32], results: [] }, op.call(3), { export: true });
  b.func("culprit", { params: [], results: [] }, culprit);
  b.func("pass_i32", { params: [I32], results: [I32] }, [0x20, 0x00]);
  b.func("eight", { params: [], results: new Array(8).fill(I32) }, times(8, CONST0));
  return b.build();
}

/** Culprit bodies that need exactly `n` operand-stack values (n ≥ 16). */
const OPERAND_CASES: Record<string, (n: number) => number[]> = {
  "n constants, then n drops": (n) => [...times(n, CONST0), ...times(n, [DROP])],
  // Multi-value: each call pushes eight results.
  "calls returning 8 values": (n) => [...times(Math.floor(n / 8), [0x10, EIGHT]), ...times(n % 8, CONST0), ...times(n, [DROP])],
  // A call pops its parameter before it pushes its result.
  "a call that takes one and gives one": (n) => [...times(n, CONST0), 0x10, PASS_I32, ...times(n, [DROP])],
  // The block's parameter leaves the stack and comes back inside it: n-1, then one more inside.
  "a block with a parameter": (n) => [...times(n - 1, CONST0), BLOCK, T_PASS, ...CONST0, 0x6a, END, ...times(n - 1, [DROP])],
  // After unreachable the height drops to the block's entry: the 100 values before it do not count.
  "after unreachable": (n) => [...times(100, CONST0), 0x00, ...times(n, CONST0), ...times(n, [DROP])],
  "after br, inside a block": (n) => [BLOCK, EMPTY, ...times(100, CONST0), 0x0c, 0x00, ...times(n, CONST0), ...times(n, [DROP]), END],
  "after br_table, inside a block": (n) => [BLOCK, EMPTY, ...times(100, CONST0), 0x0e, 0x01, 0x00, 0x00, ...times(n, CONST0), ...times(n, [DROP]), END],
  "after return": (n) => [...times(100, CONST0), 0x0f, ...times(n, CONST0), ...times(n, [DROP])],
  // select takes three and gives one: fifty of them at the top never go past n.
  "select, fifty times at the top": (n) => [...times(n - 2, CONST0), ...times(50, [...CONST0, ...CONST0, 0x1b]), ...times(n - 2, [DROP])],
  // Each arm of an if starts again from the if's entry height.
  "if/else arms with a result": (n) => [...times(n - 1, CONST0), ...CONST0, IF, 0x7f, ...CONST0, ELSE, ...CONST0, END, ...times(n, [DROP])],
  // br_if pops its condition and the carried value, then pushes the value back.
  "br_if carrying a value": (n) => [BLOCK, 0x7f, ...times(n - 1, CONST0), ...CONST0, 0x0d, 0x00, ...times(n - 2, [DROP]), END, DROP],
};

/** Culprit bodies with exactly `n` blocks open at once. */
const DEPTH_CASES: Record<string, (n: number) => number[]> = {
  "nested blocks": (n) => [...times(n, [BLOCK, EMPTY]), ...times(n, [END])],
  "nested loops": (n) => [...times(n, [LOOP, EMPTY]), ...times(n, [END])],
  "nested ifs with else arms": (n) => [...times(n, [...CONST0, IF, EMPTY]), ...times(n, [ELSE, END])],
  "nested blocks around unreachable": (n) => [...times(n, [BLOCK, EMPTY]), 0x00, ...times(n, [END])],
  // Nesting that closes and opens again: only the deepest point counts.
  "two nests in a row": (n) => [...times(n - 1, [BLOCK, EMPTY]), ...times(n - 1, [END]), ...times(n, [LOOP, EMPTY]), ...times(n, [END])],
};

const DEVICE_FORM_PREFIX = "after fuel instrumentation";

/** Entries whose validator verdict is not "C accepts it as written and in its device form"; each named. */
function deliverable(entries: readonly Entry[]): string[] {
  const raw = cVerdicts(tool, entries);
  const device = cDeviceVerdicts(tool, entries);
  return entries.flatMap((e, i) => {
    const c = raw[i]!.accepted && device[i]!.accepted;
    const ts = tsVerdict(e.bytes);
    return ts.ok === c ? [] : [`${e.name}: validate ${ts.ok ? "accepts" : `refuses (${ts.errors.map((x) => x.message).join("; ")})`}, C ${raw[i]!.error} as written, ${device[i]!.error} in the device form`];
  });
}

/** The validator's errors for `limit` on the module as written (not on its device form). */
function limitErrors(bytes: Uint8Array, limit: keyof ModuleLimits) {
  return tsVerdict(bytes).errors.filter((e) => e.code === "limit-exceeded" && e.message.includes(`limit "${limit}"`) && !e.message.startsWith(DEVICE_FORM_PREFIX));
}

/**
 * On the module as written, at the limit: not refused for it by either (a
 * module with a 256 KiB section is past the module size limit too, and C
 * names no limit, so then C may say "limit" as long as the validator names
 * another); one past: refused by both for the limit. And, both times, the
 * validator accepts exactly what the C check accepts as written and in the
 * device form `fwx pack` makes of it (pack refuses what validate refuses).
 */
function agreeAtAndPast(limit: keyof ModuleLimits, at: Entry, past: Entry, cLimitError = "limit") {
  const [cAt, cPast] = cVerdicts(tool, [at, past]);
  expect(limitErrors(at.bytes, limit)).toEqual([]);
  const otherLimit = tsVerdict(at.bytes).errors.some((e) => e.code === "limit-exceeded" && !e.message.startsWith(DEVICE_FORM_PREFIX));
  if (!otherLimit) expect(cAt!.error).not.toBe(cLimitError);
  const errors = limitErrors(past.bytes, limit);
  expect(errors).toHaveLength(1);
  expect(cPast).toMatchObject({ accepted: false, error: cLimitError });
  expect(deliverable([at, past])).toEqual([]);
  return { error: errors[0]!, cPast: cPast!, cAt: cAt! };
}

describe("every mcu limit: the same verdict in fwx validate and the C install check", () => {
  const limits = Object.keys(MODULE_LIMITS.mcu) as (keyof ModuleLimits)[];
  it.each(limits)("%s: at the limit and one past it", (limit) => {
    const max = MODULE_LIMITS.mcu[limit];
    // Imports past the limit have their own C error code.
    const { error } = agreeAtAndPast(limit, { name: `${limit}=${max}`, bytes: moduleWith(limit, max) },
      { name: `${limit}=${max + 1}`, bytes: moduleWith(limit, max + 1) }, limit === "imports" ? "too-many-imports" : "limit");
    expect(error.message).toContain(`${max + 1} exceeds the mcu limit of ${max}`);
  });

  const max = MODULE_LIMITS.mcu.operandStack;
  it.each(Object.entries(OPERAND_CASES))("operandStack, %s", (_, body) => {
    const at = timerModule(body(max));
    const past = timerModule(body(max + 1));
    const { error, cPast, cAt } = agreeAtAndPast("operandStack", { name: "at", bytes: at }, { name: "past", bytes: past });
    // At the limit the module as written is good through and through.
    expect(tsVerdict(at).errors.filter((e) => !e.message.startsWith(DEVICE_FORM_PREFIX))).toEqual([]);
    expect(cAt).toMatchObject({ accepted: true, error: "ok" });
    // Both stop at the same instruction; the error names the function and the value.
    expect(error.offset).toBe(cPast.offset);
    expect(error.location).toBe('function 3 "culprit"');
    expect(error.message).toBe(`operand stack (values): ${max + 1} exceeds the mcu limit of ${max} (limit "operandStack")`);
  });

  const depth = MODULE_LIMITS.mcu.blockDepth;
  it.each(Object.entries(DEPTH_CASES))("blockDepth, %s", (_, body) => {
    const at = timerModule(body(depth));
    const past = timerModule(body(depth + 1));
    const { error, cPast, cAt } = agreeAtAndPast("blockDepth", { name: "at", bytes: at }, { name: "past", bytes: past });
    expect(tsVerdict(at).errors.filter((e) => !e.message.startsWith(DEVICE_FORM_PREFIX))).toEqual([]);
    expect(cAt).toMatchObject({ accepted: true, error: "ok" });
    expect(error.offset).toBe(cPast.offset);
    expect(error.location).toBe('function 3 "culprit"');
    expect(error.message).toBe(`nested blocks: ${depth + 1} exceeds the mcu limit of ${depth} (limit "blockDepth")`);
  });

  // The C check sees the device form: what `fwx pack --target mcu` makes of
  // the module, which can be bigger than the module as written. The validator
  // checks that form too, so its verdict is the device's, and says so.
  it("the device form: the instrumenter's growth is refused by both, naming the developer's function", () => {
    const cases = [
      // binaryen keeps values left on the stack in locals: 1024 values, 1023 locals, plus the RAM checks' scratch local.
      { body: OPERAND_CASES["n constants, then n drops"]!(max), says: `locals per function: ${max} exceeds the mcu limit of ${MODULE_LIMITS.mcu.localsPerFunction}` },
      // The fuel check's exit block wraps each loop once more.
      { body: DEPTH_CASES["nested loops"]!(depth), says: `nested blocks: ${depth + 1} exceeds the mcu limit of ${depth}` },
    ];
    for (const c of cases) {
      const m = timerModule(c.body);
      const [device] = cDeviceVerdicts(tool, [{ name: "m", bytes: m }]);
      expect(device).toMatchObject({ deviceForm: true, accepted: false, error: "limit" });
      const errors = tsVerdict(m).errors;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: "limit-exceeded", location: 'function 3 "culprit"', funcIndex: 3 });
      expect(errors[0]!.message).toMatch(new RegExp(`^after fuel instrumentation for wasm3 \\(the form a device installs\\): ${c.says.replace(/[()]/g, "\\$&")}`));
      expect(errors[0]!.offset).toBe(parseModule(m).functions[3]!.bodyOffset);
      // A gateway meters the module itself and has no such check.
      expect(validateGateway(m)).toEqual([]);
    }
  });

  it("the device form of every module at the limits gets the validator's verdict from the device", () => {
    // Block parameters are left out: binaryen 116 cannot read them at all
    // ("control flow inputs are not supported yet"), whatever their size.
    const meterable = Object.entries(OPERAND_CASES).filter(([name]) => name !== "a block with a parameter");
    expect(meterable).toHaveLength(Object.keys(OPERAND_CASES).length - 1);
    const bodies = [
      ...meterable.map(([, body]) => body(max)),
      ...Object.values(DEPTH_CASES).map((body) => body(depth)),
      [...times(depth, [BLOCK, EMPTY]), ...OPERAND_CASES["n constants, then n drops"]!(max), ...times(depth, [END])],
    ];
    const entries = bodies.map((body, i) => ({ name: `case ${i}`, bytes: timerModule(body) }));
    const device = cDeviceVerdicts(tool, entries);
    expect(device.every((d) => d.deviceForm)).toBe(true);
    expect(deliverable(entries)).toEqual([]);
    // Both ways: some fit on the device, some grow past a limit there.
    expect(device.filter((d) => d.accepted).length).toBeGreaterThan(2);
    expect(device.filter((d) => !d.accepted).length).toBeGreaterThan(2);
  });

  it("a gateway module at its limits can be metered, and one past them is refused", () => {
    const gw = MODULE_LIMITS.gateway;
    const worst = (blocks: number, values: number) => timerModule([...times(blocks, [BLOCK, EMPTY]), ...OPERAND_CASES["n constants, then n drops"]!(values), ...times(blocks, [END])]);
    expect(validateGateway(worst(gw.blockDepth, gw.operandStack))).toEqual([]);
    expect(() => instrumentFuel(worst(gw.blockDepth, gw.operandStack))).not.toThrow();
    expect(validateGateway(worst(gw.blockDepth + 1, gw.operandStack + 1)).map((e) => e.message)).toEqual([
      `nested blocks: ${gw.blockDepth + 1} exceeds the gateway limit of ${gw.blockDepth} (limit "blockDepth")`,
      `operand stack (values): ${gw.operandStack + 1} exceeds the gateway limit of ${gw.operandStack} (limit "operandStack")`,
    ]);
  });
});

const validateGateway = (bytes: Uint8Array) => validateModule(bytes, { deviceClass: "gateway" }).errors;
