// The heap walk behind the measured RAM need (src/build/ram-need.ts: fwx ram and the bench).
import { describe, expect, it } from "vitest";
import { stubHeapTop } from "../../src/build/ram-need.js";

/** A memory laid out as AssemblyScript's stub runtime leaves it: u32 payload size, payload, next block. */
function stubMemory(heapBase: number, payloads: number[], size = 4096): Uint8Array {
  const mem = new Uint8Array(size);
  const view = new DataView(mem.buffer);
  let block = ((heapBase + 4 + 15) & ~15) - 4;
  for (const p of payloads) {
    view.setUint32(block, p, true);
    mem.fill(0xab, block + 4, block + 4 + p);
    block += 4 + p;
  }
  return mem;
}

describe("stubHeapTop", () => {
  it("ends after the last block, counting its payload even when the payload is zeros", () => {
    const mem = stubMemory(1000, [12, 28, 60]);
    // First block at ((1000+19)&~15)-4 = 1004; ends at 1004 + 16 + 32 + 64.
    expect(stubHeapTop(mem, 1000)).toBe(1004 + 16 + 32 + 64);
    mem.fill(0, 1004 + 16 + 32 + 4, 1004 + 16 + 32 + 64);
    expect(stubHeapTop(mem, 1000)).toBe(1004 + 16 + 32 + 64);
  });

  it("is the aligned heap start when nothing was allocated", () => {
    expect(stubHeapTop(stubMemory(4697, [], 8192), 4697)).toBe(((4697 + 19) & ~15) - 4);
  });

  it("stops at the end of memory on a size that runs past it", () => {
    expect(stubHeapTop(stubMemory(100, [1 << 20], 4096), 100)).toBe(4096);
  });
});
