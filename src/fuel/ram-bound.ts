// Enforces a module's RAM budget to the byte (issue 14). Pages are 64 KiB, so
// a capped memory (the agent's WebAssembly.Memory maximum, the mcu build's
// checked grow) can refuse memory.grow only at page granularity: a module
// with a 6 KiB budget still gets a whole page it could write. Every load,
// store, memory.fill and memory.copy therefore goes through a check against a
// byte limit the host sets with __fwx_ram_limit_set(bytes) (default: none).
// Past it the check records the address and traps; the host reads the address
// back with __fwx_ram_fault() (an i64: -1 when no access was refused, else
// the address in the low 32 bits and the access's length, at most 2^31 - 1,
// in the high ones) and
// names it, with the budget, in the fault reason. Applied by instrumentFuel,
// so the agent and the C runtime (wasm3, which cannot cap memory itself) run
// the same instrumented code.
import binaryen from "binaryen";
import { childSlots, X, type Expr } from "./expressions.js";

export const RAM_LIMIT_EXPORT = "__fwx_ram_limit_set";
export const RAM_FAULT_EXPORT = "__fwx_ram_fault";

interface MemoryAccessors {
  Load: { getOffset(e: Expr): number; getBytes(e: Expr): number };
  Store: { getOffset(e: Expr): number; getBytes(e: Expr): number };
  MemoryFill: { getDest(e: Expr): Expr; setDest(e: Expr, v: Expr): void; getSize(e: Expr): Expr; setSize(e: Expr, v: Expr): void };
  MemoryCopy: {
    getDest(e: Expr): Expr; setDest(e: Expr, v: Expr): void; getSource(e: Expr): Expr; setSource(e: Expr, v: Expr): void;
    getSize(e: Expr): Expr; setSize(e: Expr, v: Expr): void;
  };
}
const A = binaryen as unknown as MemoryAccessors;

export interface RamBoundStats {
  /** Loads and stores given a bounds check. */
  accessesChecked: number;
  /** memory.fill / memory.copy given a range check. */
  bulkChecked: number;
}

/**
 * Adds the limit, the fault record, their exports and the two checks, and
 * rewrites the bodies of `functions` (names of the module's own functions).
 * `uniqueName` picks names that do not collide with the module's.
 */
export function addRamBound(m: binaryen.Module, functions: readonly string[], uniqueName: (base: string) => string, initialLimit = 0xffffffff): RamBoundStats {
  const i32 = binaryen.i32;
  const i64 = binaryen.i64;
  const limit = uniqueName("__fwx_ram_limit");
  const fault = uniqueName("__fwx_ram_fault_at");
  m.addGlobal(limit, i32, true, m.i32.const(initialLimit | 0)); // default 0xffffffff: no limit until the host sets one
  m.addGlobal(fault, i64, true, m.i64.const(-1, -1));
  const setter = uniqueName(RAM_LIMIT_EXPORT);
  m.addFunction(setter, i32, binaryen.none, [], m.global.set(limit, m.local.get(0, i32)));
  m.addFunctionExport(setter, RAM_LIMIT_EXPORT);
  const getter = uniqueName(RAM_FAULT_EXPORT);
  m.addFunction(getter, binaryen.none, i64, [], m.global.get(fault, i64));
  m.addFunctionExport(getter, RAM_FAULT_EXPORT);
  const stats: RamBoundStats = { accessesChecked: 0, bulkChecked: 0 };
  if (!m.hasMemory()) return stats;

  const lim = () => m.global.get(limit, i32);
  // check(p, n) -> p: traps unless p + n <= limit, computed without wrapping (n > limit, or p > limit - n).
  const lenBits = () => m.i64.shl(m.i64.extend_u(m.select(m.i32.gt_u(m.local.get(1, i32), m.i32.const(0x7fffffff)), m.i32.const(0x7fffffff), m.local.get(1, i32))), m.i64.const(32, 0));
  const refuse = (p: Expr) => m.block(null, [m.global.set(fault, m.i64.or(m.i64.extend_u(p), lenBits())), m.unreachable()]);
  const check = uniqueName("__fwx_ram_check");
  m.addFunction(check, binaryen.createType([i32, i32]), i32, [], m.block(null, [
    m.if(m.i32.or(m.i32.gt_u(m.local.get(1, i32), lim()), m.i32.gt_u(m.local.get(0, i32), m.i32.sub(lim(), m.local.get(1, i32)))), refuse(m.local.get(0, i32))),
    m.local.get(0, i32),
  ], i32));

  const rewrite = (expr: Expr): Expr => {
    for (const slot of childSlots(expr)) slot.set(rewrite(slot.get()));
    const id = binaryen.getExpressionId(expr);
    if (id === binaryen.LoadId || id === binaryen.StoreId) {
      const acc = id === binaryen.LoadId ? A.Load : A.Store;
      const end = acc.getOffset(expr) + acc.getBytes(expr);
      const ptr = id === binaryen.LoadId ? X.Load : X.Store;
      ptr.setPtr(expr, m.call(check, [ptr.getPtr(expr), m.i32.const(end | 0)], i32));
      stats.accessesChecked++;
    } else if (id === binaryen.MemoryFillId || id === binaryen.MemoryCopyId) {
      // The size is an expression: evaluated once into a scratch local would need
      // a new local; instead the whole operation runs in a checked helper.
      stats.bulkChecked++;
      return bulkChecked(expr, id);
    }
    return expr;
  };

  const fill = uniqueName("__fwx_ram_fill");
  m.addFunction(fill, binaryen.createType([i32, i32, i32]), binaryen.none, [], m.block(null, [
    m.drop(m.call(check, [m.local.get(0, i32), m.local.get(2, i32)], i32)),
    m.memory.fill(m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)),
  ]));
  const copy = uniqueName("__fwx_ram_copy");
  m.addFunction(copy, binaryen.createType([i32, i32, i32]), binaryen.none, [], m.block(null, [
    m.drop(m.call(check, [m.local.get(0, i32), m.local.get(2, i32)], i32)),
    m.drop(m.call(check, [m.local.get(1, i32), m.local.get(2, i32)], i32)),
    m.memory.copy(m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)),
  ]));
  const bulkChecked = (expr: Expr, id: number): Expr => id === binaryen.MemoryFillId
    ? m.call(fill, [A.MemoryFill.getDest(expr), X_value(expr), A.MemoryFill.getSize(expr)], binaryen.none)
    : m.call(copy, [A.MemoryCopy.getDest(expr), A.MemoryCopy.getSource(expr), A.MemoryCopy.getSize(expr)], binaryen.none);
  const X_value = (expr: Expr): Expr => (binaryen as unknown as { MemoryFill: { getValue(e: Expr): Expr } }).MemoryFill.getValue(expr);

  const F = binaryen as unknown as { Function: { getBody(f: binaryen.FunctionRef): Expr; setBody(f: binaryen.FunctionRef, body: Expr): void } };
  for (const name of functions) {
    const f = m.getFunction(name);
    F.Function.setBody(f, rewrite(F.Function.getBody(f)));
  }
  return stats;
}
