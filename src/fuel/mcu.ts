// What a fuel-instrumented module needs on top of the fuel counter to run
// under the C device runtime on wasm3 (firmware/runtime/fwx_supervisor.c).
// Applied by `fwx pack --target mcu` after instrumentFuel:
//
// * The start section becomes the export __fwx_start. wasm3 runs a start
//   function implicitly (v0.5.0 inside m3_FindFunction, newer versions on the
//   first m3_Call*), i.e. before the host has set a budget, so it was metered
//   by the instrumenter's built-in instantiate fuel and its trap came back
//   from an unrelated call. Exported, the host calls it explicitly, after
//   linking, under its own budget, before fwx_init.
// * Every memory.grow becomes a call to a checked grow that returns -1 when
//   the memory would pass a page limit the host sets with
//   __fwx_mem_limit_set(pages) (default: no limit). wasm3's memoryLimit only
//   caps the allocation while memory.grow still reports success, so a module
//   believed it had memory it could not use; now its allocator sees the
//   refusal, as it would on a host with a capped WebAssembly.Memory.
//
// Both exports are in the reserved __fwx_ namespace, which instrumentFuel
// already refuses in its input.

import binaryen from "binaryen";
import { childSlots, getExpressionId, ID, X, type Expr } from "./expressions.js";
import { FuelError } from "./errors.js";
import { WASM3_FEATURES } from "./instrument.js";
import { listCustomSections, readStartFunctionIndex } from "./section.js";
import { SECTION, walkSections } from "../wasm/sections.js";
import { globalGet, globalSet } from "./binaryen-globals.js";

export const START_EXPORT = "__fwx_start";
export const MEM_LIMIT_EXPORT = "__fwx_mem_limit_set";
/** The limit before the host sets one: the whole 32-bit address space. */
const NO_LIMIT_PAGES = 65536;


export interface McuAdaptation {
  bytes: Uint8Array;
  /** Whether a start function was moved to __fwx_start. */
  startExported: boolean;
  /** memory.grow instructions rewritten into the checked grow. */
  growsChecked: number;
}

/** Adapts the output of instrumentFuel for the C device runtime (see the file comment). */
export function adaptForMcu(instrumented: Uint8Array): McuAdaptation {
  const sections = walkSections(instrumented);
  const startIndex = readStartFunctionIndex(instrumented, sections);
  const keepNames = listCustomSections(instrumented, sections).some((s) => s.name === "name");
  const m = binaryen.readBinary(instrumented);
  try {
    m.setFeatures(WASM3_FEATURES);
    for (let i = 0; i < m.getNumExports(); i++) {
      const name = binaryen.getExportInfo(m.getExportByIndex(i)).name;
      if (name === START_EXPORT || name === MEM_LIMIT_EXPORT) throw new FuelError("already-instrumented", `input already exports "${name}"`);
    }
    const defined: binaryen.FunctionRef[] = [];
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const ref = m.getFunctionByIndex(i);
      if (!binaryen.getFunctionInfo(ref).module) defined.push(ref);
    }
    const startName = startIndex === null ? null : binaryen.getFunctionInfo(m.getFunctionByIndex(startIndex)).name;
    const growsChecked = addCheckedGrow(m, defined);
    if (startName !== null) m.addFunctionExport(startName, START_EXPORT);
    if (!m.validate()) throw new FuelError("internal", "the mcu-adapted module failed binaryen validation (a bug in src/fuel/mcu.ts)");
    const previous = binaryen.getDebugInfo();
    let out: Uint8Array;
    try {
      binaryen.setDebugInfo(keepNames);
      out = m.emitBinary();
    } finally {
      binaryen.setDebugInfo(previous);
    }
    return { bytes: startName === null ? out : withoutSection(out, SECTION.start), startExported: startName !== null, growsChecked };
  } finally {
    m.dispose();
  }
}

function freshName(m: binaryen.Module, base: string): string {
  let name = base;
  for (let n = 1; m.getFunction(name) !== 0 || m.getGlobal(name) !== 0; n++) name = `${base}_${n}`;
  return name;
}

/** Adds the limit global, its setter export and the checked grow; rewrites every memory.grow. Returns how many. */
function addCheckedGrow(m: binaryen.Module, defined: readonly binaryen.FunctionRef[]): number {
  const i32 = binaryen.i32;
  const limit = freshName(m, "__fwx_mem_limit");
  m.addGlobal(limit, i32, true, m.i32.const(NO_LIMIT_PAGES));
  const setter = freshName(m, MEM_LIMIT_EXPORT);
  m.addFunction(setter, i32, binaryen.none, [], globalSet(m, limit, m.local.get(0, i32)));
  m.addFunctionExport(setter, MEM_LIMIT_EXPORT);
  if (!m.hasMemory()) return 0;
  const grow = freshName(m, "__fwx_grow");
  const size = () => m.memory.size();
  const lim = () => globalGet(m, limit, i32);
  // size > limit (an initial memory above it) or delta > limit - size: refuse, as a capped memory does.
  m.addFunction(grow, i32, i32, [], m.if(
    m.i32.or(m.i32.gt_u(size(), lim()), m.i32.gt_u(m.local.get(0, i32), m.i32.sub(lim(), size()))),
    m.i32.const(-1),
    m.memory.grow(m.local.get(0, i32)),
  ));
  let count = 0;
  const rewrite = (expr: Expr): Expr => {
    for (const slot of childSlots(expr)) slot.set(rewrite(slot.get()));
    if (getExpressionId(expr) !== ID.MemoryGrow) return expr;
    count++;
    return m.call(grow, [childSlots(expr)[0]!.get()], i32);
  };
  for (const f of defined) X.Function.setBody(f, rewrite(X.Function.getBody(f)));
  return count;
}

/** The module without its section of id `id` (a known section appears at most once). */
function withoutSection(bytes: Uint8Array, id: number): Uint8Array {
  const s = walkSections(bytes).find((x) => x.id === id);
  if (!s) return bytes;
  const out = new Uint8Array(bytes.length - (s.end - s.offset));
  out.set(bytes.subarray(0, s.offset), 0);
  out.set(bytes.subarray(s.end), s.offset);
  return out;
}
