// Which functions are charged at their call sites instead of at their entry.
// See the top of rewrite.ts for why; this file decides who qualifies.
//
// A function qualifies when every way into it is a direct `call` from a
// function of this module, and the callers can know its cost statically:
//   - the engine and the host cannot call it: it is not exported, not the
//     start function, not in an element segment (call_indirect; passive
//     segments are refused outright); ref.func is refused as a
//     reference-types instruction, so no reference to it can leak;
//   - it has no loops and no size-dependent charge (memory.grow/copy/fill),
//     so its most expensive path has a fixed cost;
//   - it makes no indirect calls, and its direct calls only go to functions
//     that qualify themselves. Those are resolved before it, so the call
//     graph among qualifying functions is acyclic: a recursive cycle always
//     keeps an entry charge in each of its functions and pays on every round.
// Imported functions never qualify as callees: a host function may call back
// into the module, and the callback charges the global, which a caller
// keeping fuel in a local must write back first.

import binaryen from "binaryen";
import { childSlots, getExpressionId, ID, X, type Expr } from "./expressions.js";

/**
 * The dearest cost a function may have and still be charged at its call sites.
 * The saving per call is a few instructions, so it only matters for small
 * callees; a large one moved into its caller's region would be paid up front
 * even on paths that skip the call, making charges needlessly coarse.
 */
export const MAX_CALL_SITE_CHARGE = 256;

export interface CallShape {
  /** Direct call targets (defined or imported functions). */
  callees: Set<string>;
  hasIndirectCall: boolean;
  /** Loops or memory.grow/copy/fill: the fuel must be cached in a local and the cost is not static. */
  needsCachedFuel: boolean;
}

/** One walk over a body: what it calls and whether its cost is static. Throws UnsupportedExpression on refused kinds. */
export function callShape(body: Expr): CallShape {
  const shape: CallShape = { callees: new Set(), hasIndirectCall: false, needsCachedFuel: false };
  const walk = (expr: Expr): void => {
    const id = getExpressionId(expr);
    if (id === ID.Loop || id === ID.MemoryGrow || id === ID.MemoryCopy || id === ID.MemoryFill) {
      shape.needsCachedFuel = true;
    } else if (id === ID.Call) shape.callees.add(X.Call.getTarget(expr));
    else if (id === ID.CallIndirect) shape.hasIndirectCall = true;
    for (const s of childSlots(expr)) walk(s.get());
  };
  walk(body);
  return shape;
}

/** Functions something outside the module's own direct calls can enter: exports, table entries, the start function. */
export function externallyEnteredFunctions(m: binaryen.Module, startFunction: string | null): Set<string> {
  const entered = new Set<string>();
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = binaryen.getExportInfo(m.getExportByIndex(i));
    if (e.kind === binaryen.ExternalFunction) entered.add(e.value);
  }
  for (let i = 0; i < m.getNumElementSegments(); i++) {
    // Passive segments were refused earlier (instrument.ts): binaryen.js cannot list them.
    for (const name of binaryen.getElementSegmentInfo(m.getElementSegmentByIndex(i)).data) entered.add(name);
  }
  if (startFunction !== null) entered.add(startFunction);
  return entered;
}

/**
 * The functions to charge at their call sites, with what each call site pays
 * for the callee's body (on top of the call instruction itself).
 *
 * @param shapes every defined function's shape, by name
 * @param measure the callee's static cost, given the costs of the functions it calls (all already resolved)
 */
export function planCallSiteCharges(
  shapes: ReadonlyMap<string, CallShape>,
  externallyEntered: ReadonlySet<string>,
  measure: (name: string, calleeCosts: ReadonlyMap<string, number>) => number,
): Map<string, number> {
  const pending = new Map<string, CallShape>();
  for (const [name, shape] of shapes) {
    if (!externallyEntered.has(name) && !shape.needsCachedFuel && !shape.hasIndirectCall) pending.set(name, shape);
  }
  const costs = new Map<string, number>();
  // Resolve bottom-up: a function is decided once all its callees are. What is
  // still pending when nothing moves sits on a call cycle and keeps its entry charge.
  for (let progress = true; progress; ) {
    progress = false;
    for (const [name, shape] of pending) {
      const callees = [...shape.callees];
      const rejected = callees.some((c) => !costs.has(c) && !pending.has(c));
      if (!rejected && !callees.every((c) => costs.has(c))) continue;
      pending.delete(name);
      progress = true;
      if (rejected) continue;
      const cost = measure(name, costs);
      if (cost <= MAX_CALL_SITE_CHARGE) costs.set(name, cost);
    }
  }
  return costs;
}
