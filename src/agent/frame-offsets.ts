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
export function originalFunction(input: Pick<OffsetMapInput, "originalImports" | "originalDefined" | "instrumentedImports">, index: number): number | null {
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

/** An instruction of an instrumented function and the offset in the original module it stands for. */
export interface TranslatedPosition {
  at: number;
  original: number | null;
}

export class FrameOffsets {
  private parsed: { original: ParsedModule; instrumented: ParsedModule } | null = null;
  private readonly tables = new Map<number, TranslatedPosition[]>();

  constructor(private readonly input: OffsetMapInput) {}

  private modules() {
    return this.parsed ??= {
      original: parseModule(this.input.original, { decodeCode: false }),
      instrumented: parseModule(this.input.instrumented, { decodeCode: false }),
    };
  }

  /**
   * Every instruction of instrumented function `index`, in order, with the original offset of a frame
   * position there (null for the instrumentation's own functions, and where it cannot be told). One pass
   * over both bodies; kept per function.
   */
  positions(index: number): TranslatedPosition[] {
    return this.table(index).slice(1);
  }

  /** positions(index) after an entry at -1 for a position before the first instruction (the function's first original one). */
  private table(index: number): TranslatedPosition[] {
    const cached = this.tables.get(index);
    if (cached) return cached;
    const orig = originalFunction(this.input, index);
    const table: TranslatedPosition[] = [];
    if (orig !== null && orig >= this.input.originalImports) {
      const { original, instrumented } = this.modules();
      const after = functionInstructions(this.input.instrumented, instrumented, index);
      const before = functionInstructions(this.input.original, original, orig);
      // The original offsets of each kind of landmark, in order.
      const originals = new Map<string, number[]>();
      for (const ins of before) {
        if (!LANDMARK.test(ins.name)) continue;
        const k = keyOf(this.input.original, ins, (i) => i);
        if (k !== null) originals.set(k, [...(originals.get(k) ?? []), ins.at]);
      }
      // A position is its call or trapping instruction, which is a landmark of the module's own unless the
      // instrumentation's code was running: the landmark at or before it stands for it.
      let current: number | null = before[0]?.at ?? null;
      table.push({ at: -1, original: current });
      const seen = new Map<string, number>();
      for (const ins of after) {
        if (LANDMARK.test(ins.name)) {
          const k = keyOf(this.input.instrumented, ins, (i) => originalFunction(this.input, i));
          if (k !== null) {
            const n = (seen.get(k) ?? 0) + 1;
            seen.set(k, n);
            current = originals.get(k)?.[n - 1] ?? null;
          }
        }
        table.push({ at: ins.at, original: current });
      }
      // A function with loops ends in the instrumentation's one exhaustion exit (src/fuel/rewrite.ts: the
      // charge at its entry, at every loop's start and after a sized call all branch there): `call` of its
      // own helper, `unreachable`, then only `end`s. Which charge ran out is not recorded, so a frame there
      // has no position in the module: the landmark before it (the body's last) would name an unrelated line.
      const k = after.length - 1 - [...after].reverse().findIndex((x) => x.name !== "end");
      const exit = k - 1;
      if (k >= 1 && k < after.length && after[k]!.name === "unreachable" && after[exit]!.name === "call"
        && keyOf(this.input.instrumented, after[exit]!, (i) => originalFunction(this.input, i)) === null) {
        for (let j = exit + 1; j < table.length; j++) table[j]!.original = null;
      }
    }
    this.tables.set(index, table);
    return table;
  }

  /** Offset in the original module of the instruction at `offset` of instrumented function `index`; null when it cannot be told. */
  originalOffset(index: number, offset: number): number | null {
    let found: number | null = null;
    for (const p of this.table(index)) {
      if (p.at > offset) break;
      found = p.original;
    }
    return found;
  }

  /** The code range of original function `funcIndex` (for keeping line lookups inside it). */
  body(funcIndex: number): { from: number; to: number } | null {
    const f = this.modules().original.functions[funcIndex];
    return f?.codeOffset !== undefined && f.bodyEnd !== undefined ? { from: f.codeOffset, to: f.bodyEnd } : null;
  }
}
