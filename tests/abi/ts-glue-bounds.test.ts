// Every pointer and length of every ABI function, driven from the lowered ABI
// (a function added to host-abi/spec is covered without touching this file),
// through the generated TypeScript glue: each out-of-memory region traps with
// "out-of-bounds" before the host implementation runs, and the same call with
// the region just inside memory does not. The TypeScript twin of
// tests/c/test_glue_hostile.c.

import { describe, expect, it } from "vitest";
import type { LoweredFunction } from "../../host-abi/gen/lower.js";
import { createHostImports, Status, type GuestContext, type HostImpl } from "../../src/abi/host.generated.js";
import { hostAbi } from "../../src/validate/abi-checks.js";

class Trap extends Error {
  constructor(readonly reason: string, detail: string) {
    super(detail);
  }
}

const PAGE = 65536;

function harness() {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const calls: string[] = [];
  const ctx: GuestContext = {
    memory,
    owns: () => true,
    granted: () => true,
    trap: (reason, detail) => { throw new Trap(reason, detail); },
    fail: (_fn, status) => status,
    record: () => {},
  };
  // Any implementation: records the call and answers ok (0 for value results).
  const host = new Proxy({}, {
    get: (_t, iface: string) => new Proxy({}, { get: (_f, name: string) => () => { calls.push(`${iface}.${name}`); return Status.ok; } }),
  }) as unknown as HostImpl;
  const imports = createHostImports(host, ctx) as unknown as Record<string, Record<string, (...a: number[]) => number>>;
  return { imports, calls };
}

/** One region a function reads or writes: flat argument indices and its byte size. */
interface Region { what: string; ptr: number; len: number | null; size: number }

/** Arguments every value check accepts, with each buffer and out-pointer in its own valid region. */
function validArgs(f: LoweredFunction): { args: number[]; regions: Region[] } {
  const args: number[] = [];
  const regions: Region[] = [];
  let next = 1024;
  for (const p of f.params) {
    const m = p.marshal;
    if (m.kind === "string" || m.kind === "buffer" || m.kind === "mut-buffer") {
      regions.push({ what: `${p.spec.name} (${m.kind})`, ptr: args.length, len: args.length + 1, size: 8 });
      args.push(next, 8);
      next += 64;
      continue;
    }
    const value = m.kind === "int" ? (m.range ? Math.max(m.range[0], 0) : 0) : m.kind === "enum" ? m.values[0]! : m.kind === "handle" ? 1 : 0;
    for (const flat of p.flat) args.push(flat.type === "i64" ? (BigInt(value) as unknown as number) : value);
  }
  for (const o of f.outputs) {
    regions.push({ what: `out-pointer ${o.spec.name}`, ptr: args.length, len: null, size: o.size });
    args.push(next);
    next += 64;
  }
  return { args, regions };
}

/** [ptr, len] pairs outside a one-page memory for a region of `size` bytes (len null: an out-pointer of that size). */
function outside(r: Region): { label: string; ptr: number; len?: number }[] {
  if (r.len === null) {
    return [
      { label: "one byte short at the end", ptr: PAGE - r.size + 1 },
      { label: "at the end", ptr: PAGE },
      { label: "past the end", ptr: PAGE + 64 },
      { label: "wrapping (-4)", ptr: -4 },
      { label: "wrapping (-1)", ptr: -1 },
    ];
  }
  return [
    { label: "ptr at size-len+1", ptr: PAGE - 16 + 1, len: 16 },
    { label: "one byte at the end", ptr: PAGE, len: 1 },
    { label: "len past the end", ptr: 0, len: PAGE + 1 },
    { label: "len -1 (wraps as u32)", ptr: 16, len: -1 },
    { label: "ptr -16, len 32 (wraps)", ptr: -16, len: 32 },
    { label: "ptr past the end, len 0", ptr: PAGE + 1, len: 0 },
  ];
}

const functions = hostAbi().interfaces.flatMap((i) => i.functions);
const withRegions = functions.filter((f) => validArgs(f).regions.length > 0);

describe("generated TypeScript glue: every pointer and length of every function", () => {
  it("covers the functions that take pointers (kv.set among them)", () => {
    const names = withRegions.map((f) => `${f.iface}.${f.name}`);
    expect(names).toContain("kv.set");
    expect(names).toContain("core.log");
    // Every flat pointer parameter belongs to some region this test drives.
    for (const f of withRegions) {
      const { regions } = validArgs(f);
      expect(regions.length, `${f.iface}.${f.name}`).toBe(f.flat.params.filter((p) => p.pointer).length);
    }
  });

  for (const f of withRegions) {
    const { args, regions } = validArgs(f);
    for (const r of regions) {
      for (const bad of outside(r)) {
        it(`${f.iface}.${f.name}: ${r.what} ${bad.label} traps out-of-bounds before the host runs`, () => {
          const h = harness();
          const a = [...args];
          a[r.ptr] = bad.ptr | 0;
          if (r.len !== null) a[r.len] = bad.len! | 0;
          let trap: Trap | undefined;
          try {
            h.imports[f.module]![f.name]!(...a);
          } catch (e) {
            if (!(e instanceof Trap)) throw e;
            trap = e;
          }
          expect(trap?.reason).toBe("out-of-bounds");
          expect(h.calls).toEqual([]);
        });
      }
      it(`${f.iface}.${f.name}: ${r.what} just inside the end of memory does not trap out-of-bounds`, () => {
        const h = harness();
        const a = [...args];
        a[r.ptr] = PAGE - (r.len === null ? r.size : 16);
        if (r.len !== null) a[r.len] = 16;
        try {
          h.imports[f.module]![f.name]!(...a);
        } catch (e) {
          // core.abort never returns: its host traps by design. Anything but a bounds trap is fine here.
          if (!(e instanceof Trap)) throw e;
          expect(e.reason).not.toBe("out-of-bounds");
        }
      });
    }
  }
});
