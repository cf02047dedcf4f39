// Resource limits per device class (src/validate/limits.ts): every limit is
// accepted at its value and refused one past it, with an error that names the
// limit, the value and the byte offset. A 10-million-entry table and a
// 100,000-function module are refused from their section headers, before
// anything walks them.

import { describe, expect, it } from "vitest";
import { validateModule } from "../../src/validate/validate.js";
import { MODULE_LIMITS, type DeviceClass, type ModuleLimits } from "../../src/validate/limits.js";
import { HEADER, I32, rawModule, section, str, u32, vec } from "../fixtures/wasm-builder.js";

const TYPE_V_I32 = [0x60, 0, 1, I32]; // () -> i32
const TYPE_V = [0x60, 0, 0];
const END = 0x0b;
const activeAt0 = (payload: number[]) => [0x00, 0x41, 0x00, END, ...payload];

/** `n` of something in an otherwise small module; `kind` picks the section that holds them. */
function moduleWith(limit: keyof ModuleLimits, n: number): Uint8Array {
  const types = section(1, vec([TYPE_V_I32]));
  const fn = section(3, vec([[0]]));
  const mem = section(5, vec([[0x00, 1]]));
  const code = (bodies: number[][]) => section(10, vec(bodies.map((b) => [...u32(b.length), ...b])));
  const init = [0, 0x41, 0, END];
  const exp = (extra: number[][] = []) => section(7, vec([[...str("fwx_init"), 0, 0], [...str("memory"), 2, 0], ...extra]));
  const custom = (name: string, size: number) => section(0, [...str(name), ...new Array(size).fill(0)]);
  switch (limit) {
    case "types": return rawModule(section(1, vec([TYPE_V_I32, ...Array.from({ length: n - 1 }, () => TYPE_V)])), fn, mem, exp(), code([init]));
    case "imports": return rawModule(section(1, vec([TYPE_V_I32, TYPE_V])), section(2, vec(Array.from({ length: n }, (_, i) => [...str("env"), ...str(`f${i}`), 0, 1]))), fn, mem, exp(), code([init]));
    case "functions": return rawModule(types, section(3, vec(Array.from({ length: n }, () => [0]))), mem, exp(), code(Array.from({ length: n }, () => init)));
    case "globals": return rawModule(types, fn, mem, section(6, vec(Array.from({ length: n }, () => [I32, 0, 0x41, 0, END]))), exp(), code([init]));
    case "exports": return rawModule(types, fn, mem, exp(Array.from({ length: n - 2 }, (_, i) => [...str(`e${i}`), 0, 0])), code([init]));
    case "tableEntries": return rawModule(types, fn, section(4, vec([[0x70, 0x00, ...u32(n)]])), mem, exp(), code([init]));
    case "elementSegments": return rawModule(types, fn, section(4, vec([[0x70, 0x00, 1]])), mem, exp(), section(9, vec(Array.from({ length: n }, () => activeAt0([0])))), code([init]));
    case "elementEntries": return rawModule(types, fn, section(4, vec([[0x70, 0x00, 1]])), mem, exp(), section(9, vec([activeAt0(vec(Array.from({ length: n }, () => [0])))])), code([init]));
    case "dataSegments": return rawModule(types, fn, mem, exp(), code([init]), section(11, vec(Array.from({ length: n }, () => activeAt0([0])))));
    case "bodyBytes": return rawModule(types, fn, mem, exp(), code([[0, ...new Array(n - 4).fill(0x01), 0x41, 0, END]]));
    case "localsPerFunction": return rawModule(types, fn, mem, exp(), code([[1, ...u32(n), I32, 0x41, 0, END]]));
    case "nameSectionBytes": return rawModule(types, fn, mem, exp(), code([init]), custom("name", n));
    case "sectionBytes": return rawModule(types, fn, mem, exp(), code([init]), custom("blob", n));
    case "moduleBytes": {
      const base = rawModule(types, fn, mem, exp(), code([init]));
      // A custom section fills the module up to exactly n bytes.
      const rest = n - base.length;
      const sizeLen = u32(rest).length;
      let payload = rest - 1 - sizeLen;
      if (u32(payload).length !== sizeLen) payload -= 1;
      return Uint8Array.from([...base, ...section(0, [...str("pad"), ...new Array(payload - 4).fill(0)])].slice(0, n));
    }
  }
}

const limitErrors = (bytes: Uint8Array, deviceClass: DeviceClass) => validateModule(bytes, { deviceClass }).errors.filter((e) => e.code === "limit-exceeded");

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
      // A gateway takes what a microcontroller cannot.
      expect(limitErrors(past, "gateway").filter((e) => e.message.includes(`limit "${limit}"`))).toEqual([]);
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
