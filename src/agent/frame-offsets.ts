// Where a fault happened in the module as shipped, from where the engine
// says it happened in the instrumented module it ran. Fuel instrumentation
// (src/fuel/) re-emits every body with its own instructions added (counter
// arithmetic, checks, calls to its helpers) but keeps the module's own
// instructions in order. So the k-th call to function F (or the k-th
// i32.load, unreachable, ...) in the instrumented body is the k-th one in the
// original body: the original offset of the instruction that faulted is
// found by counting, per kind, the instructions that can fault or call.
// Computed only when a fault is reported.

import { decodeU32 } from "../wasm/leb128.js";
import { functionInstructions, parseModule, type InstructionAt, type ParsedModule } from "../wasm/reader.js";

/** Instructions that can be a frame's position: a call site, or an instruction that can trap. */
const LANDMARK = /^(call|call_indirect|return_call|return_call_indirect|unreachable|memory\.(grow|copy|fill|init)|table\.|.*(load|store|div|rem|trunc).*)$/;

export interface OffsetMapInput {
  original: Uint8Array;
  instrumented: Uint8Array;
  originalImports: number;
  originalDefined: number;
  instrumentedImports: number;
}

/** The function index, in the original module, of an instrumented module's function index; null for the instrumentation's own. */
function originalFunction(input: OffsetMapInput, index: number): number | null {
  if (index < input.originalImports) return index;
  const defined = index - input.instrumentedImports;
  return defined >= 0 && defined < input.originalDefined ? input.originalImports + defined : null;
}

/** Kind of a landmark, the callee included for calls; null when the instruction is the instrumentation's own. */
function keyOf(bytes: Uint8Array, ins: InstructionAt, callee: (i: number) => number | null): string | null {
  if (ins.name === "call" || ins.name === "return_call") {
    const target = callee(decodeU32(bytes, ins.at + 1)[0]);
    return target === null ? null : `${ins.name} ${target}`;
  }
  return ins.name;
}

export class FrameOffsets {
  private parsed: { original: ParsedModule; instrumented: ParsedModule } | null = null;

  constructor(private readonly input: OffsetMapInput) {}

  /** Offset in the original module of the instruction at `offset` of instrumented function `index`; null when it cannot be told. */
  originalOffset(index: number, offset: number): number | null {
    const orig = originalFunction(this.input, index);
    if (orig === null || orig < this.input.originalImports) return null;
    this.parsed ??= {
      original: parseModule(this.input.original, { decodeCode: false }),
      instrumented: parseModule(this.input.instrumented, { decodeCode: false }),
    };
    const after = functionInstructions(this.input.instrumented, this.parsed.instrumented, index);
    const before = functionInstructions(this.input.original, this.parsed.original, orig);
    // The landmark at or before the position: a frame's position is its call
    // or trapping instruction, which is a landmark of the module's own unless
    // the instrumentation's code was running.
    let key: string | null = null;
    let ordinal = 0;
    const seen = new Map<string, number>();
    for (const ins of after) {
      if (ins.at > offset) break;
      if (!LANDMARK.test(ins.name)) continue;
      const k = keyOf(this.input.instrumented, ins, (i) => originalFunction(this.input, i));
      if (k === null) continue;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      key = k;
      ordinal = n;
    }
    if (key === null) return before[0]?.at ?? null;
    let n = 0;
    for (const ins of before) {
      if (!LANDMARK.test(ins.name) || keyOf(this.input.original, ins, (i) => i) !== key) continue;
      if (++n === ordinal) return ins.at;
    }
    return null;
  }

  /** The code range of original function `funcIndex` (for keeping line lookups inside it). */
  body(funcIndex: number): { from: number; to: number } | null {
    this.parsed ??= {
      original: parseModule(this.input.original, { decodeCode: false }),
      instrumented: parseModule(this.input.instrumented, { decodeCode: false }),
    };
    const f = this.parsed.original.functions[funcIndex];
    return f?.codeOffset !== undefined && f.bodyEnd !== undefined ? { from: f.codeOffset, to: f.bodyEnd } : null;
  }
}
