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
import { childSlots, getExpressionId, ID, X, type Expr } from "./expressions.js";

// The export names live in section.ts (no binaryen), so the agent's thread can read a fault without loading binaryen.
import { RAM_FAULT_EXPORT, RAM_LIMIT_EXPORT } from "./section.js";
import { globalGet, globalSet } from "./binaryen-globals.js";
export { RAM_FAULT_EXPORT, RAM_LIMIT_EXPORT };


export interface RamBoundStats {
  /** Loads and stores given a bounds check. */
  accessesChecked: number;
  /** memory.fill / memory.copy given a range check. */
  bulkChecked: number;
}

export interface RamBound {
  /** `body` with every load and store checked; `scratch` is a fresh i32 local of its function. */
  rewrite(body: Expr, scratch: number): Expr;
  /** Adds the helpers and exports; called after the module's own functions are re-added, so their indices stay the same. */
  addFunctions(): void;
  stats: RamBoundStats;
}

/**
 * Adds the limit, the fault record, their exports and the refusing helpers.
 * The module's own functions then go through rewrite() as they are rebuilt
 * (instrumentFuel re-adds every function, the only way binaryen.js has to
 * give one a new local). `uniqueName` picks names that do not collide with
 * the module's.
 */
export function createRamBound(m: binaryen.Module, uniqueName: (base: string) => string, initialLimit = 0xffffffff): RamBound {
  const i32 = binaryen.i32;
  const i64 = binaryen.i64;
  // The limit is kept as an i64 so that address + offset + size never wraps.
  const limit = uniqueName("__fwx_ram_limit");
  const fault = uniqueName("__fwx_ram_fault_at");
  m.addGlobal(limit, i64, true, m.i64.const(initialLimit | 0, 0)); // default 0xffffffff: no limit until the host sets one
  m.addGlobal(fault, i64, true, m.i64.const(-1, -1));
  const setter = uniqueName(RAM_LIMIT_EXPORT);
  const getter = uniqueName(RAM_FAULT_EXPORT);
  const stats: RamBoundStats = { accessesChecked: 0, bulkChecked: 0 };
  const exported = () => {
    m.addFunction(setter, i32, binaryen.none, [], globalSet(m, limit, m.i64.extend_u(m.local.get(0, i32))));
    m.addFunctionExport(setter, RAM_LIMIT_EXPORT);
    m.addFunction(getter, binaryen.none, i64, [], globalGet(m, fault, i64));
    m.addFunctionExport(getter, RAM_FAULT_EXPORT);
  };
  if (!m.hasMemory()) return { rewrite: (body) => body, addFunctions: exported, stats };

  // Out of line, so each checked access costs a compare and a not-taken branch.
  const refuse = uniqueName("__fwx_ram_refuse");
  const check = uniqueName("__fwx_ram_check");
  const fill = uniqueName("__fwx_ram_fill");
  const copy = uniqueName("__fwx_ram_copy");
  const helpers = () => {
    const len = () => m.select(m.i32.gt_u(m.local.get(1, i32), m.i32.const(0x7fffffff)), m.i32.const(0x7fffffff), m.local.get(1, i32));
    m.addFunction(refuse, binaryen.createType([i32, i32]), binaryen.none, [], m.block(null, [
      globalSet(m, fault, m.i64.or(m.i64.extend_u(m.local.get(0, i32)), m.i64.shl(m.i64.extend_u(len()), m.i64.const(32, 0)))),
      m.unreachable(),
    ]));
    // (p, n): refuses unless p + n <= limit.
    const past = (p: Expr, n: Expr) => m.i64.gt_u(m.i64.add(m.i64.extend_u(p), m.i64.extend_u(n)), globalGet(m, limit, i64));
    m.addFunction(check, binaryen.createType([i32, i32]), binaryen.none, [],
      m.if(past(m.local.get(0, i32), m.local.get(1, i32)), m.call(refuse, [m.local.get(0, i32), m.local.get(1, i32)], binaryen.none)));
    m.addFunction(fill, binaryen.createType([i32, i32, i32]), binaryen.none, [], m.block(null, [
      m.call(check, [m.local.get(0, i32), m.local.get(2, i32)], binaryen.none),
      m.memory.fill(m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)),
    ]));
    m.addFunction(copy, binaryen.createType([i32, i32, i32]), binaryen.none, [], m.block(null, [
      m.call(check, [m.local.get(0, i32), m.local.get(2, i32)], binaryen.none),
      m.call(check, [m.local.get(1, i32), m.local.get(2, i32)], binaryen.none),
      m.memory.copy(m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)),
    ]));
  };

  const rewrite = (body: Expr, scratch: number): Expr => {
    // ptr -> { t = ptr; if (t + end > limit) refuse(t, end); t }: inline, as a call per access costs several times the access.
    const checked = (ptr: Expr, end: number): Expr => m.block(null, [
      m.local.set(scratch, ptr),
      m.if(m.i64.gt_u(m.i64.add(m.i64.extend_u(m.local.get(scratch, i32)), m.i64.const(end | 0, 0)), globalGet(m, limit, i64)),
        m.call(refuse, [m.local.get(scratch, i32), m.i32.const(end | 0)], binaryen.none)),
      m.local.get(scratch, i32),
    ], i32);
    const walk = (expr: Expr): Expr => {
      for (const slot of childSlots(expr)) slot.set(walk(slot.get()));
      const id = getExpressionId(expr);
      if (id === ID.Load || id === ID.Store) {
        const access = id === ID.Load ? X.Load : X.Store;
        access.setPtr(expr, checked(access.getPtr(expr), access.getOffset(expr) + access.getBytes(expr)));
        stats.accessesChecked++;
      } else if (id === ID.MemoryFill) {
        stats.bulkChecked++;
        return m.call(fill, [X.MemoryFill.getDest(expr), X.MemoryFill.getValue(expr), X.MemoryFill.getSize(expr)], binaryen.none);
      } else if (id === ID.MemoryCopy) {
        stats.bulkChecked++;
        return m.call(copy, [X.MemoryCopy.getDest(expr), X.MemoryCopy.getSource(expr), X.MemoryCopy.getSize(expr)], binaryen.none);
      }
      return expr;
    };
    return walk(body);
  };
  return { rewrite, addFunctions: () => { exported(); helpers(); }, stats };
}
