import { describe, expect, it } from "vitest";
import { encodeAbiSection } from "../../src/wasm/abi-section.js";
import type { LoweredFunction } from "../../host-abi/gen/lower.js";
import { interfacesOf } from "../../src/validate/abi-checks.js";
import { requiredInterfaces } from "../../src/validate/validate.js";
import { I32, I64, WasmBuilder, op, s32 } from "../fixtures/wasm-builder.js";
import { addInit, baseModule, only, validate } from "./helpers.js";

describe("imports", () => {
  it("accepts ABI functions with the right signatures and reports the interfaces", () => {
    const b = baseModule();
    b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
    b.importFunc("fwx:gpio@1", "write", [I32, I32], [I32]);
    b.importFunc("fwx:core@1", "now_ms", [], [I64]);
    addInit(b);
    const { bytes } = b.build();
    const result = validate(bytes);
    expect(result.errors).toEqual([]);
    expect(result.report.interfaces).toEqual([
      { name: "core", major: 1, minor: 0 },
      { name: "gpio", major: 1, minor: 0 },
    ]);
    expect(result.report.imports[0]).toEqual({ module: "fwx:core@1", name: "log", signature: "(i32, i32, i32) -> i32" });
    expect(requiredInterfaces(bytes)).toEqual(result.report.interfaces);
  });

  it("rejects an import outside the ABI, naming it and its offset", () => {
    const b = baseModule();
    b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
    b.importFunc("fwx:core@1", "now_ms", [], [I64]);
    b.importFunc("env", "system", [I32], [I32]);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "import-not-in-abi");
    expect(e.offset).toBe(layout.imports[2]);
    expect(e.importName).toBe("env.system");
    expect(e.funcIndex).toBe(2);
    expect(e.location).toBe('import 2 "env.system"');
    expect(e.message).toMatch(/not part of the fwx host ABI/);
  });

  it("explains env.abort: fwx build routes abort to fwx:core@1", () => {
    const b = baseModule();
    b.importFunc("env", "abort", [I32, I32, I32, I32], []);
    addInit(b);
    const e = only(validate(b.build().bytes), "import-not-in-abi");
    expect(e.importName).toBe("env.abort");
    expect(e.message).toContain("build with fwx build, which routes abort to fwx:core@1");
  });

  it("reports a wrong signature with expected and found", () => {
    const b = baseModule();
    b.importFunc("fwx:gpio@1", "write", [I32], [I32]);
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "import-signature");
    expect(e.offset).toBe(layout.imports[0]);
    expect(e.importName).toBe("fwx:gpio@1.write");
    expect(e.message).toContain("the ABI defines gpio_write as (i32, i32) -> i32");
    expect(e.message).toContain("imports it as (i32) -> i32");
  });

  it("names the interfaces offered for an unknown interface major", () => {
    const b = baseModule();
    b.importFunc("fwx:gpio@2", "write", [I32, I32], [I32]);
    addInit(b);
    const e = only(validate(b.build().bytes), "import-not-in-abi");
    expect(e.message).toContain("this device offers fwx:gpio@1");
  });

  it("lists the functions of an interface for an unknown function name", () => {
    const b = baseModule();
    b.importFunc("fwx:gpio@1", "toggle", [I32], [I32]);
    addInit(b);
    const e = only(validate(b.build().bytes), "import-not-in-abi");
    expect(e.message).toMatch(/fwx:gpio@1 has: .*write/);
  });

  it.each([
    ["memory", [0x02, 0x00, 1], /a module defines and exports its own memory/],
    ["table", [0x01, 0x70, 0x00, 1], /no table imports/],
    ["global", [0x03, I32, 0], /no global imports/],
  ])("rejects a %s import", (kind, desc, why) => {
    const b = new WasmBuilder();
    b.importRaw("env", kind, desc);
    if (kind !== "memory") { b.memory(1); b.export("memory", 2, 0); }
    addInit(b);
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "import-kind");
    expect(e.offset).toBe(layout.imports[0]);
    expect(e.importName).toBe(`env.${kind}`);
    expect(e.message).toMatch(why);
  });

  it("requires a memory when ABI functions take pointers", () => {
    const b = new WasmBuilder();
    b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
    addInit(b);
    only(validate(b.build().bytes), "no-memory");
  });
});

describe("lifecycle exports", () => {
  it("requires fwx_init", () => {
    const b = baseModule();
    b.func([], [I32], [op.i32_const, 0], { export: "start_here" });
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "missing-init");
    expect(e.offset).toBe(layout.sections.get(7));
    expect(e.message).toContain("fwx_init");
    expect(e.message).toContain("() -> i32");
  });

  it("checks fwx_init's signature", () => {
    const b = baseModule();
    b.func([I32], [], [], { export: "fwx_init" });
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "export-signature");
    expect(e.offset).toBe(layout.exports.get("fwx_init"));
    expect(e.message).toContain("the host calls fwx_init as () -> i32, the module exports (i32) -> ()");
  });

  it("checks optional lifecycle exports' signatures", () => {
    const b = baseModule();
    addInit(b);
    b.func([], [I32], [op.i32_const, 0], { export: "fwx_on_timer" });
    b.func([I32, I32, I32], [], [], { export: "fwx_on_event" });
    const { bytes, layout } = b.build();
    const e = only(validate(bytes), "export-signature");
    expect(e.offset).toBe(layout.exports.get("fwx_on_timer"));
    expect(e.message).toContain("(i32) -> ()");
  });

  it("requires fwx_on_timer when the module starts timers", () => {
    const b = baseModule();
    b.importFunc("fwx:timer@1", "start", [I32, I32, I32], [I32]);
    addInit(b);
    only(validate(b.build().bytes), "missing-timer-callback");
  });

  it("refuses __fwx_* exports (the host's fuel metering adds them) and warns about unknown fwx_* exports", () => {
    const b = baseModule();
    b.importFunc("fwx:core@1", "fuel_exhausted", [], []);
    addInit(b);
    const fuel = b.global(I64, true, [op.i64_const, 0]);
    b.func([I64], [], [op.local_get, 0, op.global_set, fuel], { export: "__fwx_fuel_set" });
    b.func([], [I64], [op.global_get, fuel], { export: "__fwx_fuel_get" });
    b.func([], [], [], { export: "fwx_on_tick" });
    const result = validate(b.build().bytes);
    expect(result.errors.map((e) => [e.code, e.location])).toEqual([["reserved-export", 'export "__fwx_fuel_set"'], ["reserved-export", 'export "__fwx_fuel_get"']]);
    expect(result.warnings.map((w) => w.code)).toEqual(["unknown-lifecycle-export"]);
    expect(result.warnings[0]!.message).toContain("fwx_on_tick");
  });
});

describe("lifecycle exports spelled another way", () => {
  it("warns that the host never calls fwxOnTimer, onTimer or FWX_ON_TIMER, naming the export it calls", () => {
    const b = baseModule();
    addInit(b);
    for (const name of ["fwxOnTimer", "onTimer", "FWX_ON_TIMER"]) b.func([I32], [], [], { export: name });
    b.func([], [I32], [op.i32_const, 0], { export: "helper" });
    const result = validate(b.build().bytes);
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => [w.code, w.location])).toEqual([
      ["unknown-lifecycle-export", 'export "fwxOnTimer"'], ["unknown-lifecycle-export", 'export "onTimer"'], ["unknown-lifecycle-export", 'export "FWX_ON_TIMER"'],
    ]);
    for (const w of result.warnings) expect(w.message).toContain("did you mean fwx_on_timer?");
  });
});

describe("the fwx.abi section", () => {
  function withSection(reqs: { name: string; major: number; minor: number }[] | number[]) {
    const b = baseModule();
    b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
    b.importFunc("fwx:gpio@1", "write", [I32, I32], [I32]);
    addInit(b);
    b.custom("fwx.abi", typeof reqs[0] === "number" ? (reqs as number[]) : encodeAbiSection(reqs as { name: string; major: number; minor: number }[]));
    return b.build();
  }

  it("accepts a section that matches the imports", () => {
    const { bytes } = withSection([{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }]);
    expect(validate(bytes).errors).toEqual([]);
  });

  it("rejects an import whose interface the section does not list, naming both", () => {
    const { bytes, layout } = withSection([{ name: "core", major: 1, minor: 0 }]);
    const e = only(validate(bytes), "abi-section-missing-interface");
    expect(e.offset).toBe(layout.imports[1]);
    expect(e.importName).toBe("fwx:gpio@1.write");
    expect(e.message).toContain("gpio@1.0");
    expect(e.message).toContain("fwx.abi section does not list");
  });

  it("rejects a section claiming an interface newer than this device offers", () => {
    const { bytes } = withSection([{ name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 7 }]);
    const e = only(validate(bytes), "abi-section-unsupported");
    expect(e.message).toContain("requires gpio@1.7, but this device offers gpio@1.0");
  });

  it("rejects a section naming an interface this device does not have", () => {
    const { bytes } = withSection([{ name: "can", major: 1, minor: 0 }, { name: "core", major: 1, minor: 0 }, { name: "gpio", major: 1, minor: 0 }]);
    const e = only(validate(bytes), "abi-section-unsupported");
    expect(e.message).toContain('no "can" interface');
  });

  it("reports a malformed section at its byte", () => {
    const { bytes, layout } = withSection([9, 0]);
    const e = only(validate(bytes), "abi-section-malformed");
    // custom section: id, size, name (1 + 7 bytes), then the payload.
    expect(e.offset).toBe(layout.sections.get("fwx.abi")! + 2 + 8);
    expect(e.message).toContain("unknown format version 9");
  });
});

describe("requiredInterfaces", () => {
  it("reads the fwx:* imports and ignores foreign ones", () => {
    const b = baseModule();
    b.importFunc("env", "abort", [I32, I32, I32, I32], []);
    b.importFunc("fwx:kv@1", "get", [I32, I32, I32, I32, I32], [I32]);
    b.importFunc("fwx:kv@1", "set", [I32, I32, I32, I32], [I32]);
    addInit(b);
    expect(requiredInterfaces(b.build().bytes)).toEqual([{ name: "kv", major: 1, minor: 0 }]);
  });

  it("takes the minor version from the newest `since` among the imported functions", () => {
    // Every v1 function is 1.0.0, so the rule is exercised on stand-in functions.
    const fn = (iface: string, since: string) => ({ iface, spec: { since } }) as unknown as LoweredFunction;
    expect(interfacesOf([fn("gpio", "1.0.0"), fn("core", "1.0.0"), fn("gpio", "1.2.0"), fn("gpio", "1.1.0")])).toEqual([
      { name: "core", major: 1, minor: 0 },
      { name: "gpio", major: 1, minor: 2 },
    ]);
  });

  it("throws a WasmParseError with the offset for unreadable input", () => {
    expect(() => requiredInterfaces(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 9]))).toThrow(/byte 0x9: type section size 9 runs past the end/);
  });
});
