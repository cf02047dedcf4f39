// fwx build's last size pass (src/build/shrink.ts): segment merging keeps
// every byte at its address, and the pass keeps the module's interface.
import { describe, expect, it } from "vitest";
import { mergeSegments, shrinkModule } from "../../src/build/shrink.js";
import { compileAssemblyScript } from "../../src/build/compile.js";
import { join } from "node:path";
import binaryen from "binaryen";

/** Linear memory as the segments initialise it. */
function image(segments: { offset: number; data: Uint8Array }[], size = 64): Uint8Array {
  const mem = new Uint8Array(size);
  for (const s of segments) mem.set(s.data, s.offset);
  return mem;
}

describe("mergeSegments", () => {
  const seg = (offset: number, ...bytes: number[]) => ({ offset, data: Uint8Array.from(bytes) });

  it("joins neighbours up to 6 zero bytes apart and keeps the memory image", () => {
    const input = [seg(20, 7, 8), seg(0, 1, 2), seg(8, 3), seg(2, 4)];
    const merged = mergeSegments(input);
    expect(merged.map((s) => [s.offset, s.data.length])).toEqual([[0, 9], [20, 2]]);
    expect(image(merged)).toEqual(image(input));
  });

  it("keeps segments 7 or more bytes apart separate", () => {
    expect(mergeSegments([seg(0, 1), seg(8, 2)]).length).toBe(2);
    expect(mergeSegments([seg(0, 1), seg(7, 2)]).length).toBe(1);
  });
});

describe("shrinkModule", () => {
  it("makes a compiled module smaller and keeps its imports, exports and unbounded memory", async () => {
    const dir = join(import.meta.dirname, "../../examples/cold-chain-alarm");
    const compiled = await compileAssemblyScript({ baseDir: dir, entry: "assembly/index.ts", runtime: "stub", debugNames: false });
    const before = compiled.binary!;
    const after = shrinkModule(before, { keepNames: false });
    expect(after.length).toBeLessThan(before.length);
    const describe = (b: Uint8Array) => {
      const m = new WebAssembly.Module(b as Uint8Array<ArrayBuffer>);
      return { imports: WebAssembly.Module.imports(m), exports: WebAssembly.Module.exports(m) };
    };
    expect(describe(after)).toEqual(describe(before));
    // No maximum was declared; the pass must not add one (the host caps growth).
    const memory = (b: Uint8Array) => {
      const m = binaryen.readBinary(b);
      try {
        const exported = binaryen.getExportInfo(m.getExportByIndex(WebAssembly.Module.exports(new WebAssembly.Module(b as Uint8Array<ArrayBuffer>)).findIndex((e) => e.name === "memory")));
        const { initial, max } = m.getMemoryInfo(exported.value);
        return { initial, max };
      } finally {
        m.dispose();
      }
    };
    expect(memory(before).max).toBeUndefined();
    expect(memory(after)).toEqual(memory(before));
  }, 60_000);
});
