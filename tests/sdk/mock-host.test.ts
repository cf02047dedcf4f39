// The as-pect host mock enforces the host's contract: traps for bad memory
// and foreign handles, invalid-arg for bad values, forced statuses, records.
import { beforeEach, describe, expect, it } from "vitest";
import { MockHost, MockTrap, STATUS } from "../../assembly/testing/mock-host.js";

type Fn = (...args: (number | bigint)[]) => number;

let host: MockHost;
let memory: WebAssembly.Memory;
const fn = (module: string, name: string): Fn => host.imports()[module]![name] as unknown as Fn;
const bytes = () => new Uint8Array(memory.buffer);
const u32At = (ptr: number) => new DataView(memory.buffer).getUint32(ptr, true);
const putString = (ptr: number, s: string) => {
  const b = new TextEncoder().encode(s);
  bytes().set(b, ptr);
  return b.length;
};

beforeEach(() => {
  host = new MockHost({ configDefaults: { threshold_c: "8" } });
  memory = new WebAssembly.Memory({ initial: 1 });
  host.attach(memory);
});

describe("contract checks", () => {
  it("claims a pin, stores the handle through the out-pointer and drives it", () => {
    expect(fn("fwx:gpio@1", "claim")(5, 3, 16)).toBe(STATUS.ok);
    const handle = u32At(16);
    expect(handle).toBeGreaterThan(0);
    expect(fn("fwx:gpio@1", "write")(handle, 1)).toBe(STATUS.ok);
    expect(host.sim.pins.get(5)!.level).toBe(true);
    expect(host.callCount("gpio.write")).toBe(1);
  });

  it("traps on a handle the module does not own", () => {
    expect(() => fn("fwx:gpio@1", "write")(99, 1)).toThrow(MockTrap);
  });

  it("traps on an out-pointer past the end of memory, compared unsigned", () => {
    expect(() => fn("fwx:gpio@1", "claim")(5, 3, 65534)).toThrow(/outside linear memory/);
    expect(() => fn("fwx:gpio@1", "claim")(5, 3, -4)).toThrow(MockTrap);
  });

  it("traps on a string whose length runs past memory", () => {
    expect(() => fn("fwx:core@1", "log")(1, 65000, 1000)).toThrow(/message/);
  });

  it("answers invalid-arg for an unknown enum value, a non-0/1 bool and stray flag bits", () => {
    expect(fn("fwx:gpio@1", "claim")(5, 9, 0)).toBe(STATUS["invalid-arg"]);
    fn("fwx:gpio@1", "claim")(4, 1, 0);
    const input = u32At(0);
    expect(fn("fwx:gpio@1", "watch")(input, 4)).toBe(STATUS["invalid-arg"]);
    fn("fwx:gpio@1", "claim")(5, 3, 0);
    expect(fn("fwx:gpio@1", "write")(u32At(0), 2)).toBe(STATUS["invalid-arg"]);
  });

  it("answers invalid-arg for a string that is not UTF-8", () => {
    bytes().set([0xc3, 0x28], 100);
    expect(fn("fwx:sensor@1", "find")(100, 2, 0)).toBe(STATUS["invalid-arg"]);
  });
});

describe("simulated device", () => {
  it("serves config defaults after reset, with no-space reporting the size needed", () => {
    const keyLen = putString(0, "threshold_c");
    expect(fn("fwx:core@1", "config_get")(0, keyLen, 100, 16, 200)).toBe(STATUS.ok);
    expect(u32At(200)).toBe(1);
    expect(bytes()[100]).toBe("8".charCodeAt(0));
    host.sim.config.set("threshold_c", "12.5");
    expect(fn("fwx:core@1", "config_get")(0, keyLen, 100, 2, 200)).toBe(STATUS["no-space"]);
    expect(u32At(200)).toBe(4);
    host.reset();
    expect(host.sim.config.get("threshold_c")).toBe("8");
  });

  it("reads a named sensor as f64 with the virtual clock's timestamp", () => {
    host.sim.sensors.set("cold_room", { value: 9.5, unit: "°C", min: -40, max: 60, fault: 0, handle: 0 });
    host.sim.nowUs = 1234n;
    const n = putString(0, "cold_room");
    expect(fn("fwx:sensor@1", "find")(0, n, 16)).toBe(STATUS.ok);
    expect(fn("fwx:sensor@1", "read")(u32At(16), 24, 32)).toBe(STATUS.ok);
    const view = new DataView(memory.buffer);
    expect(view.getFloat64(24, true)).toBe(9.5);
    expect(view.getBigUint64(32, true)).toBe(1234n);
  });

  it("fails the next call with a forced status, once", () => {
    host.failNext("gpio.claim", STATUS.busy!);
    expect(fn("fwx:gpio@1", "claim")(5, 3, 0)).toBe(STATUS.busy);
    expect(fn("fwx:gpio@1", "claim")(5, 3, 0)).toBe(STATUS.ok);
    expect(() => host.failNext("gpio.nope", 1)).toThrow(/unknown ABI function/);
  });

  it("delivers timer expiries in time order, periodic ones repeatedly", () => {
    fn("fwx:timer@1", "start")(1, 100, 1);
    fn("fwx:timer@1", "start")(2, 250, 0);
    const fired: number[] = [];
    for (let id = host.sim.stepTimers(500_000n); id >= 0; id = host.sim.stepTimers(500_000n)) fired.push(id);
    expect(fired).toEqual([1, 1, 2, 1, 1, 1]);
    expect(host.sim.nowUs).toBe(500_000n);
  });

  it("records an abort and traps", () => {
    const m = putString(0, "boom");
    const f = putString(16, "a.ts");
    expect(() => fn("fwx:core@1", "abort")(0, m, 16, f, 3, 7)).toThrow(MockTrap);
    expect(host.sim.aborts).toEqual([{ message: "boom", file: "a.ts", line: 3, column: 7 }]);
  });
});

describe("uart line settings", () => {
  it("records baud, parity and stop bits of each open, kept after close for the spec to check", () => {
    expect(fn("fwx:uart@1", "open")(1, 19200, 1, 2, 16)).toBe(STATUS.ok);
    const handle = u32At(16);
    expect(host.sim.ports.get(1)).toMatchObject({ open: handle, baud: 19200, parity: 1, stopBits: 2 });
    const control = host.imports()["fwx:mock"]!;
    const call = (name: string, ...args: number[]) => (control[name] as unknown as (...a: number[]) => number)(...args);
    expect(call("uart_handle", 1)).toBe(handle);
    expect(call("uart_baud", 1)).toBe(19200);
    expect(fn("fwx:uart@1", "close")(handle)).toBe(STATUS.ok);
    expect(call("uart_handle", 1)).toBe(0);
    expect(call("uart_parity", 1)).toBe(1);
    expect(call("uart_stop_bits", 1)).toBe(2);
    expect(call("uart_baud", 7)).toBe(0);
    expect(call("uart_parity", 7)).toBe(-1);
  });

  it("keeps bytes queued before the module opens the port", () => {
    bytes().set([1, 2, 3], 100);
    const control = host.imports()["fwx:mock"]!;
    expect((control.uart_receive as unknown as (...a: number[]) => number)(4, 100, 3)).toBe(3);
    expect(fn("fwx:uart@1", "open")(4, 9600, 0, 1, 16)).toBe(STATUS.ok);
    expect(fn("fwx:uart@1", "read")(u32At(16), 200, 8, 20)).toBe(STATUS.ok);
    expect(u32At(20)).toBe(3);
    expect([...bytes().subarray(200, 203)]).toEqual([1, 2, 3]);
  });
});

describe("scripted I2C reads", () => {
  const readAt = (reg: number, n: number): number[] => {
    bytes()[300] = reg;
    expect(fn("fwx:i2c@1", "write_read")(1, 0x53, 300, 1, 310, n)).toBe(STATUS.ok);
    return [...bytes().subarray(310, 310 + n)];
  };

  it("takes one queued entry per transaction covering the register, wrapping round the register file", () => {
    host.sim.addI2cDevice(1, 0x53, new Uint8Array(8));
    host.sim.queueI2cReads(1, 0x53, 0, Uint8Array.from([0xa1, 0xa2, 0xb1, 0xb2]), 2);
    // A burst from register 7 wraps to 0 and 1: it covers the queued register.
    expect(readAt(7, 3)).toEqual([0, 0xa1, 0xa2]);
    expect(readAt(0, 2)).toEqual([0xb1, 0xb2]);
    // Empty: the last entry stays.
    expect(readAt(0, 2)).toEqual([0xb1, 0xb2]);
    expect(readAt(2, 2)).toEqual([0, 0]);
  });

  it("refuses entries that do not fit the register file or are not whole", () => {
    host.sim.addI2cDevice(1, 0x53, new Uint8Array(8));
    expect(() => host.sim.queueI2cReads(1, 0x53, 7, new Uint8Array(2), 2)).toThrow(/do not fit the device's 8 registers/);
    expect(() => host.sim.queueI2cReads(1, 0x53, 0, new Uint8Array(3), 2)).toThrow(/not whole 2-byte entries/);
    expect(() => host.sim.queueI2cReads(1, 0x54, 0, new Uint8Array(2), 2)).toThrow(/no I2C device at bus 1 address 0x54/);
  });
});

describe("allocation tracking", () => {
  it("counts through the runtime's rtrace hook and still calls the runner's", () => {
    const seen: number[] = [];
    const imports: Record<string, Record<string, unknown>> = { rtrace: { onalloc: (block: number) => seen.push(block) } };
    host.traceAllocations(imports);
    const onalloc = imports.rtrace!.onalloc as (block: number) => void;
    onalloc(64);
    onalloc(128);
    expect(host.allocations).toBe(2);
    expect(seen).toEqual([64, 128]);
    host.reset();
    expect(host.allocations).toBe(2);
  });

  it("Mock.allocations() traps with the fix when the spec binary was built without ASC_RTRACE", () => {
    const control = host.imports()["fwx:mock"]!;
    expect(() => (control.allocations as () => number)()).toThrow(/ASC_RTRACE=1/);
  });
});
