// The debug map of a fuel-instrumented payload (`fwx pack --target mcu`),
// made from the map of the module it was instrumented from. A C device runs
// those bytes and can only report frames in them (wasm3 knows no other), under
// their SHA-256; the Node agent translates its frames back to the original on
// the device instead (src/agent/frame-offsets.ts, the same translation). With
// this map beside the package, `fwx fleet`, `fwx logs` and the console name a
// C device's fault as they name the agent's.

import { FrameOffsets, originalFunction } from "../agent/frame-offsets.js";
import { parseModule } from "../wasm/reader.js";
import { lineIndexAt, sha256Hex, type DebugMap } from "./debug-map.js";

/** What the instrumentation's own functions (fuel and RAM checks) are called in the map. */
export const INSTRUMENTATION_FUNCTION = "(fwx fuel and RAM instrumentation)";

/** The map of `instrumented`, from `map`, the map of `original` (the module it was instrumented from). */
export function instrumentedDebugMap(map: DebugMap, original: Uint8Array, instrumented: Uint8Array): DebugMap {
  if (map.wasmSha256 !== sha256Hex(original)) throw new Error(`the debug map describes module ${map.wasmSha256.slice(0, 12)}…, not the one instrumented`);
  const o = parseModule(original, { decodeCode: false });
  const i = parseModule(instrumented, { decodeCode: false });
  const originalImports = o.functions.filter((f) => f.imported).length;
  const input = {
    original, instrumented, originalImports, originalDefined: o.functions.length - originalImports,
    instrumentedImports: i.functions.filter((f) => f.imported).length,
  };
  const offsets = new FrameOffsets(input);
  const functions = i.functions.map((_, k) => {
    const orig = originalFunction(input, k);
    return orig === null ? INSTRUMENTATION_FUNCTION : (map.functions[orig] ?? `function[${orig}]`);
  });
  const lines: DebugMap["lines"] = [];
  for (const f of i.functions) {
    const orig = originalFunction(input, f.index);
    const body = orig === null ? undefined : o.functions[orig];
    if (f.imported || body?.codeOffset === undefined) continue;
    // Landmarks keep their order, so the original offsets only grow. Each position takes every original
    // entry up to its original offset that an earlier one did not: a lookup that walks back from a position
    // (to the integrator's own line before an inlined library one) finds the same entries, in order.
    let done = lineIndexAt(map, body.codeOffset - 1);
    for (const p of offsets.positions(f.index)) {
      if (p.original === null) continue;
      const upTo = lineIndexAt(map, p.original);
      for (let e = done + 1; e <= upTo; e++) {
        const [at, src, line, column] = map.lines[e]!;
        // Only the original function's own entries: a lookup never runs into the function before it.
        if (at >= body.codeOffset) lines.push([p.at, src, line, column]);
      }
      done = Math.max(done, upTo);
    }
  }
  return { ...map, wasmSha256: sha256Hex(instrumented), functions, lines };
}
