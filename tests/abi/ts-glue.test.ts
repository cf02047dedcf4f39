// The generated TypeScript glue (src/abi/host.generated.ts) driven directly,
// with a recording host: the checks happen before the implementation runs,
// and outputs follow the documented rule.
import { describe, expect, it } from "vitest";
import { createHostImports, Status, type GuestContext, type HostImpl } from "../../src/abi/host.generated.js";

class Trap extends Error {
  constructor(readonly reason: string, detail: string) {
    super(detail);
  }
}

function harness(impl: Partial<{ [K in keyof HostImpl]: Partial<HostImpl[K]> }>) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const calls: string[] = [];
  const failures: string[] = [];
  const owned = new Set(["sensor.sensor:7", "gpio.pin:3"]);
  const ctx: GuestContext = {
    memory,
    owns: (kind, h) => owned.has(`${kind}:${h}`),
    granted: () => true,
    trap: (reason, detail) => { throw new Trap(reason, detail); },
    fail: (_fn, status, detail) => { failures.push(detail); return status; },
    record: () => {},
  };
  const host = new Proxy(impl, {
    get: (target, iface: string) => new Proxy((target as Record<string, object>)[iface] ?? {}, {
      get: (fns, name: string) => (...args: unknown[]) => {
        calls.push(`${iface}.${name}`);
        const fn = (fns as Record<string, (...a: unknown[]) => unknown>)[name];
        if (!fn) throw new Error(`unexpected call ${iface}.${name}`);
        return fn(...args);
      },
    }),
  }) as unknown as HostImpl;
  const imports = createHostImports(host, ctx) as unknown as Record<string, Record<string, (...a: number[]) => number>>;
  return { memory, bytes: new Uint8Array(memory.buffer), view: new DataView(memory.buffer), imports, calls, failures };
}

const catchTrap = (fn: () => unknown): Trap => {
  try {
    fn();
  } catch (e) {
    if (e instanceof Trap) return e;
    throw e;
  }
  throw new Error("expected a trap");
};

describe("generated TypeScript glue", () => {
  it("passes checked, decoded arguments and writes outputs on ok", () => {
    const h = harness({ gpio: { claim: (pin, mode, out) => { out.handle = 3; return pin === 5 && mode === 3 ? Status.ok : Status.other; } } });
    expect(h.imports["fwx:gpio@1"]!.claim!(5, 3, 100)).toBe(Status.ok);
    expect(h.view.getUint32(100, true)).toBe(3);
  });

  it("traps on a pointer/length outside memory, including a length that wraps, before the host runs", () => {
    const h = harness({ core: { log: () => Status.ok } });
    const size = h.memory.buffer.byteLength;
    expect(catchTrap(() => h.imports["fwx:core@1"]!.log!(1, size - 2, 3)).reason).toBe("out-of-bounds");
    expect(catchTrap(() => h.imports["fwx:core@1"]!.log!(1, 16, -1)).reason).toBe("out-of-bounds");
    expect(catchTrap(() => h.imports["fwx:core@1"]!.log!(1, -16, 32)).reason).toBe("out-of-bounds");
    expect(h.calls).toEqual([]);
    // Zero length at the very end and at offset 0 are valid.
    expect(h.imports["fwx:core@1"]!.log!(1, size, 0)).toBe(Status.ok);
    expect(h.imports["fwx:core@1"]!.log!(1, 0, 0)).toBe(Status.ok);
  });

  it("traps on an out-pointer at the end of memory and on a handle the module does not own", () => {
    const h = harness({ gpio: { read: () => Status.ok } });
    const size = h.memory.buffer.byteLength;
    expect(catchTrap(() => h.imports["fwx:gpio@1"]!.read!(3, size - 3)).reason).toBe("out-of-bounds");
    expect(catchTrap(() => h.imports["fwx:gpio@1"]!.read!(4, 0)).reason).toBe("foreign-handle");
    expect(h.imports["fwx:gpio@1"]!.read!(3, size - 4)).toBe(Status.ok);
    expect(h.calls).toEqual(["gpio.read"]);
  });

  it("answers invalid-arg for bad enum, bool, flags, narrow-int and UTF-8 values without calling the host", () => {
    const h = harness({});
    h.bytes.set([0xc3, 0x28], 200); // an invalid UTF-8 sequence
    expect(h.imports["fwx:gpio@1"]!.claim!(5, 9, 100)).toBe(Status.invalidArg);
    expect(h.imports["fwx:gpio@1"]!.write!(3, 2)).toBe(Status.invalidArg);
    expect(h.imports["fwx:gpio@1"]!.watch!(3, 4)).toBe(Status.invalidArg);
    expect(h.imports["fwx:i2c@1"]!.write!(0, 256, 0, 0)).toBe(Status.invalidArg);
    expect(h.imports["fwx:core@1"]!.log!(1, 200, 2)).toBe(Status.invalidArg);
    expect(h.calls).toEqual([]);
    expect(h.failures.join("\n")).toMatch(/mode = 9 is not a pin-mode value/);
    expect(h.failures.join("\n")).toMatch(/not valid UTF-8/);
  });

  it("after a non-ok status writes only the outputs the host set", () => {
    const h = harness({ sensor: { info: (_h, _unit, out) => { out.unitLen = 5; return Status.noSpace; } } });
    h.bytes.fill(0xaa, 300, 324);
    expect(h.imports["fwx:sensor@1"]!.info!(7, 0, 2, 300, 304, 312)).toBe(Status.noSpace);
    expect(h.view.getUint32(300, true)).toBe(5);
    expect([...h.bytes.subarray(304, 320)].every((b) => b === 0xaa)).toBe(true);
  });
});
