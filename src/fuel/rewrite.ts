// Rewrites one function body so that it pays fuel. The model:
//
// * A *region* is the code that runs from a charge point until the next one
//   without passing a loop header: the function entry and every loop body
//   are regions. A region is charged once, on entry, with its whole static
//   cost (an `if` counts its more expensive arm). Every back-edge re-enters a
//   loop body, so each iteration pays at least once: a call-free infinite
//   loop cannot escape, and recursion pays at every function entry.
// * In *cached* mode (functions with loops or size-dependent charges) the
//   remaining fuel lives in a local, which engines keep in a register. It is
//   written back to the global before every call (the callee charges the
//   global) and re-read after, and written back before every return and at the
//   end of the body. Functions without loops charge the global once at entry
//   and never touch it again (*global* mode): they need no write-backs.
// * Small loop-free functions that only the module's own direct calls can
//   reach (*caller-charged* mode; call-site.ts decides which) have no charge
//   of their own: each call site adds the callee's static cost to the
//   caller's region, so such a call cannot change the fuel and a cached-mode
//   caller needs no write-back or reload around it. On the path through the
//   call the total is what the callee's entry charge would have been; an `if`
//   arm holding such a call just weighs more when the dearer arm is picked.
//   Why: `fwx build` optimises for size (-O3s), at which binaryen leaves
//   accessors such as StaticArray#__uset un-inlined, and the pump example's
//   FFT paid more for a write-back, reload and entry check per call than for
//   the accessor itself. Why not inline those callees with binaryen instead:
//   that would meter different code from what the developer built and tested
//   (sizes on flash, function indices in crash reports, a second optimiser
//   run); charging at the call site leaves every instruction as compiled and
//   only moves where the fuel is subtracted.
// * Host calls (imports the ABI prices, host-calls.ts) add the function's
//   base fuel to the region like any instruction, and, when the function
//   takes strings or buffers, charge perByte × the lengths actually passed
//   right after the call returns. After, not before: the glue's bounds check
//   runs first, so a 4 GiB length traps as out-of-bounds instead of
//   exhausting fuel, and the work done before the charge is bounded by the
//   memory size.
// * memory.copy / memory.fill charge in proportion to their size operand
//   after the instruction, for the same reason: the engine's bounds check
//   decides first (a 4 GiB fill is out-of-bounds, not fuel-exhausted), and
//   what ran is bounded by the memory size, which the RAM budget caps.
// * memory.grow charges per page actually added, after the instruction; a
//   refused grow (result -1) costs nothing beyond the instruction and sets
//   the grow-refused flag instead, which __fwx_fuel_set clears and
//   __fwx_grow_refused reads. The host then names a callback that ended
//   after a refused grow `memory-limit`, whatever the memory's initial size
//   was, rather than the fuel exhaustion or trap it ended with.
// * Running out: a cached-mode charge branches (br_if) out of a block wrapped
//   around the whole body, behind which sits the only call to the out-of-fuel
//   helper; global-mode charges call the helper directly. The helper zeroes the
//   counter and calls fwx:core@1 fuel_exhausted, which traps.
// * A trap inside the module (unreachable, out-of-bounds access, a throwing
//   import) skips the write-back: the fuel read after a faulted callback is
//   what was written back last, not an exact figure.

import binaryen from "binaryen";
import { BULK_BYTES_SHIFT, COST_MODEL, GROW_PAGE_SHIFT } from "./cost-model.js";
import type { HostCallFuel } from "./host-calls.js";
import { childSlots, getExpressionId, getExpressionType, ID, isWasm3Type, kindName, TYPE, typeName, UnsupportedExpression, X, type ChildSlot, type Expr } from "./expressions.js";
import { globalGet, globalSet } from "./binaryen-globals.js";

export type FunctionMode = "cached" | "global" | "caller-charged";

export interface FuelSymbols {
  /** Internal name of the i64 global holding the remaining fuel. */
  global: string;
  /** Internal name of the () -> () helper that zeroes the fuel and calls fwx:core@1 fuel_exhausted. */
  outOfFuel: string;
  /** Internal name of the i32 global set to 1 when a memory.grow is refused. */
  growRefused: string;
}

export interface RewriteCounters {
  loops: number;
  chargePoints: number;
  dynamicChargePoints: number;
  callsWrapped: number;
  /** Calls to caller-charged functions: paid in the caller's region, no write-back needed. */
  callsChargedAtSite: number;
  spilledOperands: number;
  /** Sum of the constant charges over all charge points (the static cost of the module's code). */
  staticCost: number;
  /** Calls to priced host functions; those with a per-byte charge are also dynamic charge points. */
  hostCalls: number;
}

/** Label of the block around a cached-mode body; branching out of it means "out of fuel". */
const EXHAUSTED_LABEL = "__fwx_out_of_fuel";

function i64Const(m: binaryen.Module, value: number): Expr {
  return m.i64.const(value >>> 0, Math.floor(value / 2 ** 32));
}

export class FunctionRewriter {
  private regionCost = 0;
  /** Count of visited constructs that change the fuel (calls, loops, dynamic charges). */
  private touches = 0;
  private readonly extraVars: binaryen.Type[] = [];
  private readonly resultTemps = new Map<binaryen.Type, number>();
  private fuelLocal = -1;

  constructor(
    private readonly m: binaryen.Module,
    private readonly sym: FuelSymbols,
    private readonly mode: FunctionMode,
    private readonly firstFreeLocal: number,
    private readonly counters: RewriteCounters,
    /** Caller-charged functions and what a call site pays for each one's body. */
    private readonly callSiteCosts: ReadonlyMap<string, number>,
    /** Imported host functions by internal name, with what a call costs. */
    private readonly hostCallCosts: ReadonlyMap<string, HostCallFuel> = new Map(),
  ) {}

  /**
   * Returns the instrumented body, the locals to append to the function, and
   * the static cost of its entry region (what a caller-charged function's
   * call sites pay for it).
   */
  rewrite(body: Expr): { body: Expr; extraVars: binaryen.Type[]; entryCost: number } {
    const m = this.m;
    if (this.mode === "cached") this.fuelLocal = this.newLocal(TYPE.i64);
    const newBody = this.visit(body);
    const entryCost = Math.max(COST_MODEL.loopIterationMinimum, this.regionCost);
    if (this.mode === "caller-charged") {
      // call-site.ts only lets through bodies whose every call is itself caller-charged.
      if (this.touches !== 0) throw new Error("fuel instrumentation: a caller-charged function changes the fuel (instrumenter bug)");
      return { body: newBody, extraVars: [], entryCost };
    }
    this.counters.chargePoints++;
    this.counters.staticCost += entryCost;
    let result: Expr;
    if (this.mode === "global") {
      result = m.block(null, [this.charge(i64Const(m, entryCost)), newBody], TYPE.auto);
    } else {
      const fl = this.fuelLocal;
      const entry = [
        m.local.set(fl, m.i64.sub(globalGet(m, this.sym.global, TYPE.i64), i64Const(m, entryCost))),
        m.br(EXHAUSTED_LABEL, m.i64.lt_s(m.local.get(fl, TYPE.i64), i64Const(m, 0))),
      ];
      // Falling out of the exhaustion block means "out of fuel", so the normal end returns explicitly.
      const type = getExpressionType(newBody);
      let normal: Expr[];
      if (type === TYPE.unreachable) normal = [newBody];
      else if (type === TYPE.none) normal = [newBody, this.writeBack(), m.return()];
      else {
        const t = this.resultTemp(type);
        normal = [m.local.set(t, newBody), this.writeBack(), m.return(m.local.get(t, type))];
      }
      result = m.block(null, [
        m.block(EXHAUSTED_LABEL, [...entry, ...normal], TYPE.none),
        m.call(this.sym.outOfFuel, [], TYPE.none),
        m.unreachable(),
      ], TYPE.unreachable);
    }
    return { body: result, extraVars: this.extraVars, entryCost };
  }

  private newLocal(type: binaryen.Type): number {
    this.extraVars.push(type);
    return this.firstFreeLocal + this.extraVars.length - 1;
  }

  /** A temp for a value that is stored and read back with nothing fuel-related in between, so one per type suffices. */
  private resultTemp(type: binaryen.Type): number {
    let t = this.resultTemps.get(type);
    if (t === undefined) {
      t = this.newLocal(type);
      this.resultTemps.set(type, t);
    }
    return t;
  }

  private writeBack(): Expr {
    return globalSet(this.m, this.sym.global, this.m.local.get(this.fuelLocal, TYPE.i64));
  }

  private reload(): Expr {
    return this.m.local.set(this.fuelLocal, globalGet(this.m, this.sym.global, TYPE.i64));
  }

  /**
   * Subtracts `amount` (an i64 expression without side effects) and leaves for
   * the out-of-fuel path when the fuel goes negative. In cached mode that is a
   * br_if to a block around the whole body rather than a call: a loop whose
   * only call sits on a cold path still counts as "contains a call" for V8,
   * which then neither unrolls nor peels it (the FFT kernel ran 1.35x with a
   * call there, 1.15x with the branch).
   */
  private charge(amount: Expr): Expr {
    const m = this.m;
    if (this.mode === "cached") {
      const fl = this.fuelLocal;
      return m.br(EXHAUSTED_LABEL, m.i64.lt_s(m.local.tee(fl, m.i64.sub(m.local.get(fl, TYPE.i64), amount), TYPE.i64), i64Const(m, 0)));
    }
    const g = this.sym.global;
    return m.block(null, [
      globalSet(m, g, m.i64.sub(globalGet(m, g, TYPE.i64), amount)),
      m.if(m.i64.lt_s(globalGet(m, g, TYPE.i64), i64Const(m, 0)), m.call(this.sym.outOfFuel, [], TYPE.none)),
    ], TYPE.none);
  }

  private visit(expr: Expr): Expr {
    const type = getExpressionType(expr);
    if (!isWasm3Type(type)) {
      throw new UnsupportedExpression(kindName(expr), `${kindName(expr)} has ${typeName(type)}, a type wasm3 does not run`);
    }
    const id = getExpressionId(expr);
    if (id === ID.If) return this.visitIf(expr);
    if (id === ID.Loop) return this.visitLoop(expr);
    const slots = childSlots(expr);
    const touchesBefore = this.touches;
    for (const s of slots) s.set(this.visit(s.get()));
    const operandsTouchFuel = this.touches !== touchesBefore;
    switch (id) {
      case ID.Block:
      case ID.Nop:
      case ID.TupleMake:
      case ID.TupleExtract:
        return expr;
      case ID.Call: {
        const hostCost = this.hostCallCosts.get(X.Call.getTarget(expr));
        if (hostCost) return this.hostCall(expr, slots, operandsTouchFuel, hostCost);
        const calleeCost = this.callSiteCosts.get(X.Call.getTarget(expr));
        if (calleeCost === undefined) {
          this.regionCost += COST_MODEL.call;
          this.touches++;
          return this.wrapCall(expr, slots, operandsTouchFuel);
        }
        this.regionCost += COST_MODEL.call + calleeCost;
        this.counters.callsChargedAtSite++;
        return expr;
      }
      case ID.CallIndirect:
        this.regionCost += COST_MODEL.call;
        this.touches++;
        return this.wrapCall(expr, slots, operandsTouchFuel);
      case ID.Return:
        this.regionCost += COST_MODEL.instruction;
        return this.wrapReturn(expr, slots, operandsTouchFuel);
      case ID.MemoryGrow:
        this.regionCost += COST_MODEL.instruction;
        this.touches++;
        return this.chargeGrow(expr, slots);
      case ID.MemoryCopy:
      case ID.MemoryFill:
        this.regionCost += COST_MODEL.instruction;
        this.touches++;
        return this.chargeBulkAfter(expr, slots);
      default:
        this.regionCost += COST_MODEL.instruction;
        return expr;
    }
  }

  private visitIf(expr: Expr): Expr {
    X.If.setCondition(expr, this.visit(X.If.getCondition(expr)));
    const base = this.regionCost;
    X.If.setIfTrue(expr, this.visit(X.If.getIfTrue(expr)));
    const trueCost = this.regionCost - base;
    this.regionCost = base;
    let falseCost = 0;
    const ifFalse = X.If.getIfFalse(expr);
    if (ifFalse) {
      X.If.setIfFalse(expr, this.visit(ifFalse));
      falseCost = this.regionCost - base;
    }
    // Only one arm runs: charging the dearer one keeps the charge an upper bound without a charge point per arm.
    this.regionCost = base + Math.max(trueCost, falseCost) + COST_MODEL.instruction;
    return expr;
  }

  private visitLoop(expr: Expr): Expr {
    const outer = this.regionCost;
    this.regionCost = 0;
    const body = this.visit(X.Loop.getBody(expr));
    const cost = Math.max(COST_MODEL.loopIterationMinimum, this.regionCost);
    this.regionCost = outer;
    this.touches++;
    this.counters.loops++;
    this.counters.chargePoints++;
    this.counters.staticCost += cost;
    X.Loop.setBody(expr, this.m.block(null, [this.charge(i64Const(this.m, cost)), body], TYPE.auto));
    return expr;
  }

  /**
   * Moves every operand into a fresh local, evaluated in order, so code can run
   * between the operands and the instruction. Returns the stores and the locals.
   */
  private spill(slots: ChildSlot[]): { stores: Expr[]; locals: { index: number; type: binaryen.Type }[] } {
    const stores: Expr[] = [];
    const locals: { index: number; type: binaryen.Type }[] = [];
    for (const s of slots) {
      const value = s.get();
      const type = getExpressionType(value);
      const index = this.newLocal(type);
      s.set(this.m.local.get(index, type));
      stores.push(this.m.local.set(index, value));
      locals.push({ index, type });
      this.counters.spilledOperands++;
    }
    return { stores, locals };
  }

  private wrapCall(expr: Expr, slots: ChildSlot[], operandsTouchFuel: boolean): Expr {
    const type = getExpressionType(expr);
    // An unreachable-typed call has an operand that never returns: the call itself never happens.
    if (this.mode !== "cached" || type === TYPE.unreachable) return expr;
    const m = this.m;
    this.counters.callsWrapped++;
    // The write-back may only precede the operands when evaluating them cannot change the cached fuel.
    const pre = operandsTouchFuel ? this.spill(slots).stores : [];
    if (type === TYPE.none) return m.block(null, [...pre, this.writeBack(), expr, this.reload()], TYPE.none);
    const t = this.resultTemp(type);
    return m.block(null, [...pre, this.writeBack(), m.local.set(t, expr), this.reload(), m.local.get(t, type)], type);
  }

  private wrapReturn(expr: Expr, slots: ChildSlot[], valueTouchesFuel: boolean): Expr {
    if (this.mode !== "cached") return expr;
    const m = this.m;
    const value = slots[0]?.get();
    if (value === undefined) return m.block(null, [this.writeBack(), expr], TYPE.auto);
    const type = getExpressionType(value);
    if (type === TYPE.unreachable) return expr;
    if (!valueTouchesFuel) return m.block(null, [this.writeBack(), expr], TYPE.auto);
    const t = this.resultTemp(type);
    slots[0]!.set(m.local.get(t, type));
    return m.block(null, [m.local.set(t, value), this.writeBack(), expr], TYPE.auto);
  }

  /** memory.copy / memory.fill: the instruction (and its bounds check) first, then size / bulkBytesPerUnit. */
  private chargeBulkAfter(expr: Expr, slots: ChildSlot[]): Expr {
    const m = this.m;
    if (getExpressionType(expr) === TYPE.unreachable) return expr;
    const { stores, locals } = this.spill(slots);
    const size = locals[locals.length - 1]!;
    const amount = m.i64.shr_u(m.i64.extend_u(m.local.get(size.index, size.type)), i64Const(m, BULK_BYTES_SHIFT));
    this.counters.dynamicChargePoints++;
    this.counters.chargePoints++;
    return m.block(null, [...stores, expr, this.charge(amount)], TYPE.none);
  }

  /**
   * memory.grow: grows first, then charges growPerPage for each page added;
   * a refused grow (-1) charges nothing more and raises the grow-refused flag.
   */
  private chargeGrow(expr: Expr, slots: ChildSlot[]): Expr {
    const m = this.m;
    if (getExpressionType(expr) === TYPE.unreachable) return expr;
    const { stores, locals } = this.spill(slots);
    const delta = locals[0]!;
    const result = this.newLocal(TYPE.i32);
    const amount = m.i64.shl(m.i64.extend_u(m.local.get(delta.index, TYPE.i32)), i64Const(m, GROW_PAGE_SHIFT));
    this.counters.dynamicChargePoints++;
    this.counters.chargePoints++;
    return m.block(null, [
      ...stores,
      m.local.set(result, expr),
      m.if(m.i32.eq(m.local.get(result, TYPE.i32), m.i32.const(-1)),
        globalSet(m, this.sym.growRefused, m.i32.const(1)),
        this.charge(amount)),
      m.local.get(result, TYPE.i32),
    ], TYPE.i32);
  }

  /**
   * A call of a priced host function: its base joins the region's static
   * cost; its per-byte part is charged after the call from the lengths
   * passed (spilled to locals so they can be read again).
   */
  private hostCall(expr: Expr, slots: ChildSlot[], operandsTouchFuel: boolean, cost: HostCallFuel): Expr {
    const m = this.m;
    this.regionCost += COST_MODEL.call + cost.base;
    this.touches++;
    this.counters.hostCalls++;
    const type = getExpressionType(expr);
    const lengthSlots = cost.perByte > 0 ? cost.byteLengthParams.filter((i) => i < slots.length) : [];
    // Only i32 lengths are priced: a module whose import has another signature is refused at link time anyway.
    if (type === TYPE.unreachable || lengthSlots.length === 0 || lengthSlots.some((i) => getExpressionType(slots[i]!.get()) !== TYPE.i32)) {
      return this.wrapCall(expr, slots, operandsTouchFuel);
    }
    const { stores, locals } = this.spill(slots);
    let total: Expr | null = null;
    for (const i of lengthSlots) {
      const len = m.i64.extend_u(m.local.get(locals[i]!.index, TYPE.i32));
      total = total === null ? len : m.i64.add(total, len);
    }
    const amount = cost.perByte === 1 ? total! : m.i64.mul(total!, i64Const(m, cost.perByte));
    this.counters.dynamicChargePoints++;
    this.counters.chargePoints++;
    // Operands are locals now, so the write-back can go right before the call.
    const called = this.wrapCall(expr, slots, false);
    if (type === TYPE.none) return m.block(null, [...stores, called, this.charge(amount)], TYPE.none);
    const t = this.resultTemp(type);
    return m.block(null, [...stores, m.local.set(t, called), this.charge(amount), m.local.get(t, type)], type);
  }
}
