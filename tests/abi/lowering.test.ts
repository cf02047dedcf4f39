// The lowering step is the single source of the wasm-level contract: these
// pin down flat signatures, wasm3 strings, marshalling plans and output
// layouts that the host glue, the SDK and the docs are all printed from.

import { describe, expect, test } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { importKey, lowerAbi, specHash } from "../../host-abi/gen/lower.js";
import { FUNCTIONS } from "../../src/abi/host.generated.js";
import { fn, loweredFn, specCopy } from "./helpers.js";

const lowered = lowerAbi(abi);

describe("flat signatures", () => {
  test.each([
    ["gpio", "write", "fwx:gpio@1", "(i32, i32) -> i32", "i(ii)"],
    ["gpio", "claim", "fwx:gpio@1", "(i32, i32, i32) -> i32", "i(ii*)"],
    ["core", "log", "fwx:core@1", "(i32, i32, i32) -> i32", "i(i*i)"],
    ["core", "abort", "fwx:core@1", "(i32, i32, i32, i32, i32, i32) -> ()", "v(*i*iii)"],
    ["core", "now_ms", "fwx:core@1", "() -> i64", "I()"],
    ["core", "fuel_exhausted", "fwx:core@1", "() -> ()", "v()"],
    ["sensor", "read", "fwx:sensor@1", "(i32, i32, i32) -> i32", "i(i**)"],
    ["pwm", "set_duty", "fwx:pwm@1", "(i32, f32) -> i32", "i(if)"],
    ["spi", "transfer", "fwx:spi@1", "(i32, i32, i32, i32, i32, i32) -> i32", "i(ii*i*i)"],
  ])("%s.%s", (i, name, module, signature, wasm3) => {
    const f = loweredFn(lowered, i, name);
    expect(f.module).toBe(module);
    expect(f.symbol).toBe(`${i}_${name}`);
    expect(f.signature).toBe(signature);
    expect(f.wasm3Signature).toBe(wasm3);
  });

  test("strings and buffers lower to a pointer and a byte length, outputs to trailing pointers", () => {
    expect(loweredFn(lowered, "core", "config_get").flat.params).toEqual([
      { name: "key_ptr", type: "i32", pointer: true },
      { name: "key_len", type: "i32", pointer: false },
      { name: "value_ptr", type: "i32", pointer: true },
      { name: "value_len", type: "i32", pointer: false },
      { name: "value_len_ptr", type: "i32", pointer: true },
    ]);
  });

  test("result kinds", () => {
    expect(loweredFn(lowered, "gpio", "write").resultKind).toBe("status");
    expect(loweredFn(lowered, "core", "abort").resultKind).toBe("never");
    const now = loweredFn(lowered, "core", "now_us");
    expect(now.resultKind).toBe("value");
    expect(now.resultType).toEqual({ kind: "scalar", scalar: "u64" });
    expect(now.flat.results).toEqual(["i64"]);
  });
});

describe("marshalling plans", () => {
  const marshal = (i: string, f: string, p: string) => loweredFn(lowered, i, f).params.find((x) => x.spec.name === p)!;

  test("enum parameters carry their allowed values", () => {
    expect(marshal("gpio", "claim", "mode").marshal).toEqual({ kind: "enum", name: "pin-mode", values: [0, 1, 2, 3, 4] });
    expect(marshal("uart", "open", "stop_bits").marshal).toEqual({ kind: "enum", name: "stop-bits", values: [1, 2] });
  });

  test("flags parameters carry the mask of their declared bits", () => {
    expect(marshal("gpio", "watch", "edges").marshal).toEqual({ kind: "flags", name: "edge", mask: 0b11 });
  });

  test("narrow integers carry their range and are checked; u32 is not", () => {
    const address = marshal("i2c", "write", "address");
    expect(address.marshal).toEqual({ kind: "int", scalar: "u8", wasm: "i32", range: [0, 255] });
    expect(address.checked).toBe(true);
    const bus = marshal("i2c", "write", "bus");
    expect(bus.marshal).toEqual({ kind: "int", scalar: "u32", wasm: "i32", range: null });
    expect(bus.checked).toBe(false);
  });

  test("bool, float, handle, string, buffer and mut-buffer", () => {
    expect(marshal("timer", "start", "periodic").marshal).toEqual({ kind: "bool" });
    expect(marshal("pwm", "set_duty", "duty").marshal).toEqual({ kind: "float", scalar: "f32" });
    expect(marshal("gpio", "write", "handle").marshal).toEqual({ kind: "handle", name: "pin" });
    expect(marshal("telemetry", "publish", "topic").marshal).toEqual({ kind: "string" });
    expect(marshal("telemetry", "publish", "topic").checked).toBe(true);
    expect(marshal("telemetry", "publish", "payload").marshal).toEqual({ kind: "buffer" });
    expect(marshal("telemetry", "publish", "payload").checked).toBe(false);
    expect(marshal("uart", "read", "rx").marshal).toEqual({ kind: "mut-buffer" });
  });
});

describe("outputs", () => {
  test("64-bit values take 8 bytes, everything else 4", () => {
    const read = loweredFn(lowered, "sensor", "read").outputs;
    expect(read.map((o) => [o.spec.name, o.pointer, o.size, o.store])).toEqual([
      ["value", "value_ptr", 8, "f64"],
      ["timestamp_us", "timestamp_us_ptr", 8, "u64"],
    ]);
    const level = loweredFn(lowered, "gpio", "read").outputs[0]!;
    expect([level.size, level.store]).toEqual([4, "u32"]);
    const handle = loweredFn(lowered, "gpio", "claim").outputs[0]!;
    expect([handle.size, handle.store]).toEqual([4, "u32"]);
  });
});

describe("statuses", () => {
  test("status functions list ok first, then their errors in spec order", () => {
    expect(loweredFn(lowered, "gpio", "claim").statuses).toEqual(["ok", "invalid-arg", "not-permitted", "busy", "not-found", "unsupported"]);
    expect(loweredFn(lowered, "gpio", "read").statuses).toEqual(["ok"]);
  });

  test("value and never functions return no status", () => {
    expect(loweredFn(lowered, "core", "now_ms").statuses).toEqual([]);
    expect(loweredFn(lowered, "core", "abort").statuses).toEqual([]);
  });
});

describe("functions", () => {
  test("lists every function of every interface in spec order: the import index the generated glue uses", () => {
    expect(lowered.functions).toEqual(lowered.interfaces.flatMap((i) => i.functions));
    expect(lowered.functions.map((f) => [f.module, f.name, f.iface])).toEqual(FUNCTIONS.map((f) => [f.module, f.name, f.iface]));
  });
});

describe("functionByImport", () => {
  test("finds every function by module and name", () => {
    const all = lowered.interfaces.flatMap((i) => i.functions);
    expect(lowered.functionByImport.size).toBe(all.length);
    for (const f of all) expect(lowered.functionByImport.get(importKey(f.module, f.name))).toBe(f);
    expect(lowered.functionByImport.get(importKey("fwx:gpio@1", "write"))).toBe(loweredFn(lowered, "gpio", "write"));
  });

  test("misses other majors, other modules and unknown names", () => {
    expect(lowered.functionByImport.get(importKey("fwx:gpio@2", "write"))).toBeUndefined();
    expect(lowered.functionByImport.get(importKey("fwx:uart@1", "claim"))).toBeUndefined();
    expect(lowered.functionByImport.get(importKey("env", "abort"))).toBeUndefined();
  });

  test("the module name follows the interface major version", () => {
    const v2 = lowerAbi(specCopy((s) => {
      const gpio = s.interfaces.find((i) => i.name === "gpio")!;
      gpio.version = "2.0.0";
      for (const item of [...gpio.functions, ...gpio.enums!, ...gpio.enums![0]!.cases, ...gpio.flags!, ...gpio.flags![0]!.flags, ...gpio.handles!, ...gpio.events!, ...gpio.capabilities!]) item.since = "2.0.0";
    }));
    expect(v2.functionByImport.has(importKey("fwx:gpio@2", "write"))).toBe(true);
    expect(v2.functionByImport.has(importKey("fwx:gpio@1", "write"))).toBe(false);
  });
});

describe("spec hash", () => {
  test("is stable under key order and changes with any content, docs included", () => {
    const reordered = specCopy((s) => {
      const f = fn(s, "gpio", "write");
      const copy = { ...f };
      for (const k of Object.keys(f)) delete (f as unknown as Record<string, unknown>)[k];
      for (const k of Object.keys(copy).reverse()) (f as unknown as Record<string, unknown>)[k] = (copy as unknown as Record<string, unknown>)[k];
    });
    expect(specHash(reordered)).toBe(lowered.hash);
    expect(specHash(specCopy((s) => { fn(s, "gpio", "write").doc += " "; }))).not.toBe(lowered.hash);
  });
});

describe("check plan: one order for every glue", () => {
  const describeStep = (c: (typeof lowered.functions)[number]["checks"][number]): string => {
    switch (c.step) {
      case "trap": return `trap:${c.check}:${c.check === "out-pointer" ? c.output.spec.name : c.param.spec.name}`;
      case "value": return `${c.onFail}:${c.param.spec.name}`;
      case "capability": return `gate:${c.capability.name}`;
      case "implementation": return `impl:${c.statuses.map((s) => s.code).join(",")}`;
    }
  };

  test("traps (memory, out-pointers, handles), then values, then the capability kind, then the implementation", () => {
    expect(loweredFn(lowered, "uart", "write").checks.map(describeStep)).toEqual([
      "trap:bounds:data", "trap:out-pointer:written", "trap:handle:handle", "impl:busy",
    ]);
    expect(loweredFn(lowered, "kv", "get").checks.map(describeStep)).toEqual([
      "trap:bounds:key", "trap:bounds:value", "trap:out-pointer:value_len", "invalid-arg:key", "gate:kv", "impl:invalid-arg,not-permitted,not-found,no-space",
    ]);
    expect(loweredFn(lowered, "core", "abort").checks.map(describeStep)).toEqual(["trap:bounds:message", "trap:bounds:file", "trap:message", "trap:file"]);
  });

  test("the implementation's statuses: argument rules, grant scope, existence, ability, then state", () => {
    // Spec order of gpio.claim is invalid-arg, not-permitted, busy, not-found, unsupported.
    expect(loweredFn(lowered, "gpio", "claim").checks.map(describeStep)).toEqual([
      "trap:out-pointer:handle", "invalid-arg:mode", "gate:gpio", "impl:invalid-arg,not-permitted,not-found,unsupported,busy",
    ]);
    for (const f of lowered.functions) {
      const impl = f.checks.find((c) => c.step === "implementation");
      if (!impl || impl.step !== "implementation") continue;
      const codes = impl.statuses.map((s) => s.code);
      const at = (code: string) => codes.indexOf(code);
      if (at("not-permitted") >= 0) for (const later of ["not-found", "unsupported", "busy"]) if (at(later) >= 0) expect(at("not-permitted"), `${f.symbol}: not-permitted before ${later}`).toBeLessThan(at(later));
      expect(new Set(codes), f.symbol).toEqual(new Set(f.statuses.filter((s) => s !== "ok")));
    }
  });

  test("a capability gate exactly where the function documents not-permitted", () => {
    for (const f of lowered.functions) {
      expect(f.checks.some((c) => c.step === "capability"), f.symbol).toBe(f.capability !== null && f.statuses.includes("not-permitted"));
    }
  });
});
