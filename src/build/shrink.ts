// The last step of `fwx build` before the fwx.abi section: a binaryen -Oz
// pass over AssemblyScript's -O3s output, then neighbouring data segments
// merged where the zero bytes between them cost less than a segment's own
// framing. Measured on the examples (issue 14), module without fwx.abi:
// cold-chain-alarm 7,056 -> 7,036 B (-Oz) -> 6,983 B (merged), pump-vibration
// 15,903 -> 15,881 -> 15,798 B. Semantics are binaryen's
// optimizer's (no fast-math, traps kept), so behaviour is unchanged; the
// demo's event log is unchanged, and tests/bench/c-ports.test.ts runs the
// shrunk examples beside their C ports.
import binaryen from "binaryen";
import { WASM3_FEATURES } from "../fuel/instrument.js";

/**
 * Zero bytes a merge may absorb: a segment costs a flag byte, an i32.const
 * offset (3-4 bytes at these addresses), an end byte and a size byte, so a
 * gap up to this long is cheaper inside one segment than between two. Measured:
 * 6-8 gives the smallest examples, 10 is already worse.
 */
const MAX_MERGED_GAP = 6;

interface Segment {
  offset: number;
  data: Uint8Array;
}

/** Active segments in address order, neighbours closer than MAX_MERGED_GAP joined (the gap zero-filled, as linear memory starts). */
export function mergeSegments(segments: readonly Segment[]): Segment[] {
  const merged: Segment[] = [];
  for (const s of [...segments].sort((a, b) => a.offset - b.offset)) {
    const last = merged[merged.length - 1];
    const lastEnd = last ? last.offset + last.data.length : 0;
    if (last && s.offset >= lastEnd && s.offset - lastEnd <= MAX_MERGED_GAP) {
      const data = new Uint8Array(s.offset + s.data.length - last.offset);
      data.set(last.data);
      data.set(s.data, s.offset - last.offset);
      last.data = data;
    } else {
      merged.push({ offset: s.offset, data: s.data });
    }
  }
  return merged;
}

/**
 * Returns the smaller module, or `bytes` unchanged when the module is not one
 * this pass handles (passive segments, a non-constant offset, an imported or
 * second memory): those are left for the validator to judge as they are.
 */
export function shrinkModule(bytes: Uint8Array, options: { keepNames: boolean }): Uint8Array {
  const m = binaryen.readBinary(bytes);
  try {
    m.setFeatures(WASM3_FEATURES);
    const savedOptimize = binaryen.getOptimizeLevel();
    const savedShrink = binaryen.getShrinkLevel();
    const savedDebug = binaryen.getDebugInfo();
    try {
      binaryen.setOptimizeLevel(2);
      binaryen.setShrinkLevel(2);
      binaryen.setDebugInfo(options.keepNames);
      m.optimize();
    } finally {
      binaryen.setOptimizeLevel(savedOptimize);
      binaryen.setShrinkLevel(savedShrink);
      binaryen.setDebugInfo(savedDebug);
    }
    const merged = mergedMemory(m);
    if (merged) {
      const { name, initial, max, segments } = merged;
      // -1: no maximum, as AssemblyScript declares it (the host caps growth).
      m.setMemory(initial, max ?? -1, null, segments.map((s) => ({ offset: m.i32.const(s.offset), data: s.data, passive: false })), false, false, name);
    }
    const out = m.emitBinary();
    return out.length < bytes.length ? out : bytes;
  } finally {
    m.dispose();
  }
}

/** The module's one memory with its segments merged, or null when it does not qualify. */
function mergedMemory(m: binaryen.Module): { name: string; initial: number; max: number | undefined; segments: Segment[] } | null {
  // AssemblyScript exports its one memory as "memory"; the export names the internal one.
  const exports = Array.from({ length: m.getNumExports() }, (_, i) => binaryen.getExportInfo(m.getExportByIndex(i)));
  const memories = exports.filter((e) => e.kind === binaryen.ExternalMemory);
  if (memories.length !== 1 || memories[0]!.name !== "memory") return null;
  const name = memories[0]!.value;
  let info: binaryen.MemoryInfo;
  try {
    info = m.getMemoryInfo(name);
  } catch {
    return null;
  }
  if (info.module || info.shared || info.is64) return null;
  const segments: Segment[] = [];
  for (let i = 0; i < m.getNumMemorySegments(); i++) {
    const s = m.getMemorySegmentInfoByIndex(i);
    if (s.passive) return null;
    segments.push({ offset: s.offset, data: new Uint8Array(s.data) });
  }
  return { name, initial: info.initial, max: info.max, segments: mergeSegments(segments) };
}
