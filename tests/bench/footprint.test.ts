// The footprint bench's bookkeeping (bench/footprint.ts), checked without a
// cross compiler: every C file of the runtime is counted in exactly one part
// (a file the bench silently left out once went unmeasured), and the linker
// map reader attributes each kept input section to its owner.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readMap, runtimeParts } from "../../bench/footprint.js";

const root = resolve(import.meta.dirname, "..", "..");
const dirs = ["firmware", "firmware/runtime", "firmware/runtime/device"].map((d) => join(root, d));

describe("footprint parts", () => {
  it("count every .c under firmware/ (ports aside) in exactly one part", () => {
    const counted = runtimeParts().flatMap((p) => p.sources);
    const all = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".c")).map((f) => join(d, f)));
    expect([...counted].sort()).toEqual([...all].sort());
    expect(new Set(counted).size).toBe(counted.length);
    for (const f of ["fwx_command.c", "fwx_statement.c", "fwx_cbor_write.c"])
      expect(counted.some((s) => s.endsWith(`/runtime/${f}`)), f).toBe(true);
  });
});

describe("linker map reader", () => {
  const map = [
    "Discarded input sections",
    " .text.unused   0x00000000       0x40 /b/fwx_a.o",
    "",
    "Linker script and memory map",
    "",
    ".text           0x00008000      0x200",
    " .text.main     0x00008000       0x10 /b/image_main.o",
    " .text.fwx_a    0x00008010       0x30 /b/fwx_a.o",
    " .text.a_function_with_a_long_name",
    "                0x00008040       0x24 /b/fwx_b.o",
    " *fill*         0x00008064        0x4 ",
    " .text          0x00008068       0x20 /usr/lib/gcc/arm-none-eabi/12.2.1/thumb/v7e-m/nofp/libgcc.a(_udivmoddi4.o)",
    ".rodata         0x00008100       0x40",
    " .rodata.str1.1 0x00008100       0x18 /b/fwx_a.o",
    " .rodata.x      0x00008118        0x8 /b/ports_stub.o",
    ".data           0x20000000        0x8",
    " .data.v        0x20000000        0x8 /b/fwx_b.o",
    ".bss            0x20000008      0x100",
    " .bss.big       0x20000008      0x100 /b/fwx_a.o",
    ".debug_info     0x00000000     0x1000",
    " .debug_info    0x00000000     0x1000 /b/fwx_a.o",
  ].join("\n");
  const owner = (f: string) =>
    f.includes("image_main") || f.includes("ports_stub") ? undefined : /\/lib(gcc|c_nano)\.a\(/.test(f) ? "libraries" : f.endsWith("fwx_a.o") ? "A" : f.endsWith("fwx_b.o") ? "B" : undefined;

  it("sums flash and RAM per owner, after the discarded sections, without stubs, fill or debug info", () => {
    const r = readMap(map, owner);
    expect(r.perPart).toEqual({ A: 0x30 + 0x18, B: 0x24 + 0x8, libraries: 0x20 });
    expect(r.flash).toBe(0x30 + 0x18 + 0x24 + 0x8 + 0x20);
    expect(r.libraries).toBe(0x20);
    expect(r.ram).toBe(0x8 + 0x100);
  });
});
