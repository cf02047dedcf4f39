// Names are exact bytes: a leading U+FEFF is part of a name, invalid UTF-8 in
// any name makes the module malformed (with the byte offset), and names the
// host reserves are refused, as the agent refuses them.

import { describe, expect, it } from "vitest";
import { decodeAbiSection, encodeAbiSection } from "../../src/wasm/abi-section.js";
import { I32, op, rawModule, section, str, vec } from "../fixtures/wasm-builder.js";
import { addInit, baseModule, only, validate } from "./helpers.js";

describe("names compared as exact bytes", () => {
  it("an export named \\uFEFFfwx_init is not fwx_init", () => {
    const b = baseModule();
    b.func([], [I32], [op.i32_const, 0], { export: "\uFEFFfwx_init" });
    const r = validate(b.build().bytes);
    expect(r.report.exports).toContain("\uFEFFfwx_init");
    expect(only(r, "missing-init").message).toMatch(/does not export fwx_init/);
  });

  it("a leading U+FEFF stays part of an fwx.abi interface name", () => {
    const payload = encodeAbiSection([{ name: "\uFEFFcore", major: 1, minor: 0 }]);
    expect(decodeAbiSection(payload)[0]!.name).toBe("\uFEFFcore");
  });

  it("invalid UTF-8 in an export, import or custom section name is malformed, at the name's byte", () => {
    const badName = [2, 0xc3, 0x28]; // a two-byte sequence cut short
    const types = section(1, vec([[0x60, 0, 1, I32]]));
    const exportBad = rawModule(types, section(3, vec([[0]])), section(7, vec([[...badName, 0, 0]])), section(10, vec([[4, 0, 0x41, 0, 0x0b]])));
    const importBad = rawModule(types, section(2, vec([[...str("fwx:core@1"), ...badName, 0, 0]])));
    const customBad = rawModule(section(0, [...badName, 1, 2, 3]));
    for (const [bytes, what] of [[exportBad, "export name"], [importBad, "import name"], [customBad, "custom section name"]] as const) {
      const e = only(validate(bytes), "malformed");
      expect(e.message).toContain(`${what} is not valid UTF-8`);
      expect([bytes[e.offset!], bytes[e.offset! + 1]]).toEqual([0xc3, 0x28]);
    }
  });
});

describe("names the host reserves", () => {
  it("refuses exports in the __fwx_ namespace, at the export", () => {
    const b = baseModule();
    addInit(b);
    const f = b.func([I32], [], []);
    b.export("__fwx_fuel_set", 0, f);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "reserved-export");
    expect(e.offset).toBe(layout.exports.get("__fwx_fuel_set"));
    expect(e.message).toMatch(/reserved/);
  });

  it("refuses a module carrying the fwx.fuel section of an instrumented module", () => {
    const b = baseModule();
    addInit(b);
    b.custom("fwx.fuel", [1, 0]);
    const { bytes, layout } = b.build();
    expect(only(validate(bytes), "reserved-section").offset).toBe(layout.sections.get("fwx.fuel"));
  });

  it("refuses a malformed name section: the fuel instrumenter could not read it", () => {
    const b = baseModule();
    addInit(b);
    b.custom("name", [1, 5, 1, 0]); // subsection claims 5 bytes, has 2
    const r = validate(b.build().bytes);
    expect(r.ok).toBe(false);
    expect(only(r, "malformed-name-section").message).toMatch(/name section/);
  });
});
