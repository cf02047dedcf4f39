// fwx build's last size pass (src/build/shrink.ts): segment merging keeps
// every byte at its address, and the pass keeps the module's interface.
import { describe, expect, it } from "vitest";
import { mergeSegments, shrinkModule } from "../../src/build/shrink.js";
import { compileAssemblyScript } from "../../src/build/compile.js";
import { join } from "node:path";
import { SECTION, walkSections } from "../../src/wasm/sections.js";

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
  it("makes a compiled module smaller, leaves its code where it was and initialises memory the same", async () => {
    const dir = join(import.meta.dirname, "../../examples/pump-vibration");
    const compiled = await compileAssemblyScript({ baseDir: dir, entry: "assembly/index.ts", runtime: "stub", debugNames: false });
    const before = compiled.binary!;
    const after = shrinkModule(before);
    expect(after.length).toBeLessThan(before.length);
    // The code section is byte-identical and at the same offset (only the data count before it changed, in place): code offsets and the source map still hold.
    const code = walkSections(before).find((x) => x.id === SECTION.code)!;
    expect(walkSections(after).find((x) => x.id === SECTION.code)).toEqual(code);
    expect(Buffer.compare(after.subarray(code.offset, code.end), before.subarray(code.offset, code.end))).toBe(0);
    // Same imports and exports, and the same memory once instantiated (its start function included).
    const instantiate = (b: Uint8Array) => {
      const m = new WebAssembly.Module(b as Uint8Array<ArrayBuffer>);
      const imports: Record<string, Record<string, () => number>> = {};
      for (const i of WebAssembly.Module.imports(m)) (imports[i.module] ??= {})[i.name] = () => 0;
      const exports = new WebAssembly.Instance(m, imports).exports;
      return { imports: WebAssembly.Module.imports(m), exports: WebAssembly.Module.exports(m), memory: new Uint8Array((exports.memory as WebAssembly.Memory).buffer) };
    };
    const a = instantiate(before);
    const b = instantiate(after);
    expect(b.imports).toEqual(a.imports);
    expect(b.exports).toEqual(a.exports);
    expect(b.memory.length).toBe(a.memory.length);
    expect(Buffer.compare(Buffer.from(b.memory), Buffer.from(a.memory))).toBe(0);
  }, 60_000);

  it("leaves a module without mergeable segments as it is", () => {
    // header, memory section (1 page), data section: two segments 100 bytes apart.
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1, 11, 13, 2, 0, 0x41, 0, 0x0b, 1, 7, 0, 0x41, 100, 0x0b, 1, 8].map((x) => x & 0xff));
    // 100 as a signed LEB needs two bytes (0xe4 0x00); written with one it is -28: not a layout this pass rewrites.
    expect(shrinkModule(bytes)).toBe(bytes);
  });
});
