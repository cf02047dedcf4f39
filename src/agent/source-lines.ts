// Faults mapped back to the integrator's own source line.
//
// The engine reports positions in the fuel-instrumented module, while the
// compiler's source map (kept beside the build, never in the payload) speaks
// of the module as built. Instrumentation adds code but keeps every call of
// the module, in order, in the same function (src/fuel/instrument.ts), so a
// position is carried over by its call: the k-th original call of a function
// in the instrumented code is the k-th call of that function as built. A
// caller's frame stands on its call, exactly; an innermost frame that traps
// elsewhere (a division by zero, a memory access) is placed at the next call
// and marked approximate.
//
// AssemblyScript inlines its standard library, so the position a call maps
// to is often inside ~lib (a typed array's bounds check). The integrator's
// line is then the last mapping before it, in the same function, that is in
// their own files: the statement that led into the library code.

import { decode } from "@jridgewell/sourcemap-codec";
import type { ParsedModule } from "../wasm/reader.js";
import type { WasmLocation } from "./faults.js";

/** Plain data (it crosses from the preparation worker): see buildLineTable. */
export interface LineTable {
  files: string[];
  /** Source-map segments as [module offset, file index, line (0-based), column (0-based)], by offset. */
  segments: [number, number, number, number][];
  /** Per defined function, in order: where its body's code starts as built, and the offsets of its calls as built and in the code the engine runs. */
  functions: { start: number; built: number[]; running: number[] }[];
}

export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** The function (original index) whose code it is in, and its name when the module has one. */
  funcIndex: number;
  funcName: string | null;
  /** The fault was not at a call: the line is that of the next call in the same function. */
  approximate: boolean;
}

const isLibrary = (file: string) => file.startsWith("~lib/");

/**
 * The table for one module: `built` and `running` parsed with `calls`, the
 * running module's body offsets shifted by `shift` (memory capping moves the
 * code section), and the compiler's source map as JSON text. Calls the
 * instrumentation added (its own helpers, an import it added) are left out.
 */
export function buildLineTable(built: ParsedModule, running: ParsedModule, shift: number, sourceMap: string): LineTable | null {
  let map: { sources?: string[]; mappings?: string };
  try {
    map = JSON.parse(sourceMap) as typeof map;
  } catch {
    return null;
  }
  if (!Array.isArray(map.sources) || typeof map.mappings !== "string") return null;
  // Wasm source maps have one generated line: a segment's column is its byte offset in the module.
  const segments = (decode(map.mappings)[0] ?? [])
    .filter((s): s is [number, number, number, number] => s.length >= 4)
    .map((s) => [s[0], s[1], s[2], s[3]] as [number, number, number, number])
    .sort((a, b) => a[0] - b[0]);
  const builtImports = built.functions.filter((f) => f.imported).length;
  const runningImports = running.functions.filter((f) => f.imported).length;
  const builtDefined = built.functions.length - builtImports;
  // A callee of the running module that is one of the module's own functions or imports, as an index of the built module.
  const importKey = (m: ParsedModule) => new Map(m.imports.filter((i) => i.funcIndex !== undefined).map((i) => [i.funcIndex!, `${i.module}\0${i.name}`]));
  const runningImportNames = importKey(running);
  const builtImportNames = new Set(importKey(built).values());
  const original = (callee: number | null): boolean => {
    if (callee === null) return true;
    // An import the instrumentation added (fuel_exhausted) is not one of the module's calls.
    if (callee < runningImports) return builtImportNames.has(runningImportNames.get(callee) ?? "");
    return callee - runningImports < builtDefined;
  };
  const functions = built.functions.filter((f) => !f.imported).map((f, d) => {
    const r = running.functions[runningImports + d];
    return {
      start: f.codeOffset ?? 0,
      built: (f.calls ?? []).map((c) => c.at),
      running: (r?.calls ?? []).filter((c) => original(c.callee)).map((c) => c.at + shift),
    };
  });
  return { files: map.sources, segments, functions };
}

/** The last segment at or before `offset` (binary search), as an index; -1 when none. */
function segmentAt(t: LineTable, offset: number): number {
  let lo = 0, hi = t.segments.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.segments[mid]![0] <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The integrator's line a fault came from: the innermost frame whose
 * position maps to their own files (walking back over inlined library code
 * within the frame's function). Null when no frame does (a fault inside the
 * library with no user code on the stack, or no source map).
 */
export function sourceOfFault(frames: readonly WasmLocation[], t: LineTable, originalImports: number): SourcePosition | null {
  for (const frame of frames) {
    if (frame.funcIndex === null) continue;
    const fn = t.functions[frame.funcIndex - originalImports];
    if (!fn) continue;
    let k = fn.running.indexOf(frame.offset);
    const approximate = k < 0;
    if (approximate) k = fn.running.findIndex((at) => at > frame.offset);
    const at = fn.built[k];
    if (k < 0 || at === undefined || fn.running.length !== fn.built.length) continue;
    for (let i = segmentAt(t, at); i >= 0 && t.segments[i]![0] >= fn.start; i--) {
      const [, file, line, column] = t.segments[i]!;
      const name = t.files[file];
      if (name === undefined || isLibrary(name)) continue;
      return { file: name, line: line + 1, column: column + 1, funcIndex: frame.funcIndex, funcName: frame.funcName, approximate };
    }
  }
  return null;
}
