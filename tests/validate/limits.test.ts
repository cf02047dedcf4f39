// Resource limits per device class (src/validate/limits.ts): every limit is
// accepted at its value and refused one past it, with an error that names the
// limit, the value and the byte offset. A 10-million-entry table and a
// 100,000-function module are refused from their section headers, before
// anything walks them.

import { describe, expect, it } from "vitest";
import { validateModule } from "../../src/validate/validate.js";
import { MODULE_LIMITS, type DeviceClass, type ModuleLimits } from "../../src/validate/limits.js";
import { HEADER } from "../fixtures/wasm-builder.js";
import { moduleWith, TYPE_V_I32 } from "./limit-modules.js";

// On the module as written. For mcu the validator also checks the device form
// (fuel-instrumented, which adds exports, a global, functions, locals and
// code: limits-agreement.test.ts covers that against the C check).
const limitErrors = (bytes: Uint8Array, deviceClass: DeviceClass) =>
  validateModule(bytes, { deviceClass }).errors.filter((e) => e.code === "limit-exceeded" && !e.message.startsWith("after fuel instrumentation"));

describe("resource limits per device class", () => {
  const limits = Object.keys(MODULE_LIMITS.mcu) as (keyof ModuleLimits)[];
  for (const limit of limits) {
    it(`${limit}: the mcu limit is accepted, one more is refused naming the limit, the value and the offset`, () => {
      const max = MODULE_LIMITS.mcu[limit];
      const at = moduleWith(limit, max);
      expect(limitErrors(at, "mcu").filter((e) => e.message.includes(`limit "${limit}"`))).toEqual([]);
      const past = moduleWith(limit, max + 1);
      const errors = limitErrors(past, "mcu").filter((e) => e.message.includes(`limit "${limit}"`));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toContain(`${max + 1} exceeds the mcu limit of ${max}`);
      expect(errors[0]!.offset).toBeGreaterThanOrEqual(0);
      expect(errors[0]!.offset).toBeLessThan(past.length);
      // A gateway takes what a microcontroller cannot, except the operand
      // stack, where both stop where the fuel instrumenter does (limits.ts).
      if (limit === "operandStack") expect(MODULE_LIMITS.gateway[limit]).toBe(max);
      else expect(limitErrors(past, "gateway").filter((e) => e.message.includes(`limit "${limit}"`))).toEqual([]);
    });
  }

  it("refuses a 10-million-entry table at the table's byte, without compiling it", () => {
    const bytes = moduleWith("tableEntries", 10_000_000);
    const r = validateModule(bytes, { deviceClass: "gateway" });
    expect(r.ok).toBe(false);
    const e = r.errors.find((x) => x.code === "limit-exceeded")!;
    expect(e.message).toBe('table entries: 10000000 exceeds the gateway limit of 65536 (limit "tableEntries")');
    // The table entry's reftype byte: header, type section, function section, table section id/size/count.
    const tableSection = HEADER.length + 2 + TYPE_V_I32.length + 1 + 4;
    expect(e.offset).toBe(tableSection + 3);
    expect(r.errors.some((x) => x.code === "invalid-module")).toBe(false);
  });

  it("refuses 100,000 functions from the function section's count, before any body is read", () => {
    const bytes = moduleWith("functions", 100_000);
    const r = validateModule(bytes, { deviceClass: "gateway" });
    // Only the count's error: nothing after the section headers was looked at.
    expect(r.errors.map((e) => e.code)).toEqual(["limit-exceeded"]);
    expect(r.errors[0]!.message).toBe('functions: 100000 exceeds the gateway limit of 10000 (limit "functions")');
  });

  it("the default class is the gateway's", () => {
    const bytes = moduleWith("functions", MODULE_LIMITS.mcu.functions + 1);
    expect(validateModule(bytes).errors.filter((e) => e.code === "limit-exceeded")).toEqual([]);
  });
});
