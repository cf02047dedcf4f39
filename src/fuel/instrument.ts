// Fuel metering by binary instrumentation, portable to wasm3 (which cannot
// interrupt running code). See rewrite.ts for the charging model and
// cost-model.ts for the weights. The output:
//   - imports fwx:core@1 fuel_exhausted () -> () (reusing the module's own import of it),
//   - exports __fwx_fuel_set(i64) and __fwx_fuel_get() -> i64,
//   - carries the `fwx.fuel` custom section,
//   - keeps the name section and every other custom section (fwx.abi).
//
// Pre-instrumented input is REFUSED (code "already-instrumented"): a module
// carrying `fwx.fuel` or exporting anything in the reserved `__fwx_` namespace.
// Instrumentation is never trusted, and a foreign fuel counter cannot be told
// apart from ordinary code to strip it reliably (left in place, it would run
// down with nobody refilling it and trap spuriously). Packages therefore keep
// the uninstrumented payload; the agent instruments that, and microcontroller
// payloads are instrumented at pack time from the same source.

import binaryen from "binaryen";
import { createRamBound, type RamBoundStats } from "./ram-bound.js";
import { COST_MODEL, COST_MODEL_VERSION, type CostModel } from "./cost-model.js";
import { FuelError } from "./errors.js";
import { callShape, externallyEnteredFunctions, planCallSiteCharges, type CallShape } from "./call-site.js";
import { isWasm3Type, typeName, UnsupportedExpression, X } from "./expressions.js";
import { FunctionRewriter, type FunctionMode, type FuelSymbols, type RewriteCounters } from "./rewrite.js";
import { encodeFuelSection, FUEL_SECTION_NAME, listCustomSections, readStartFunctionIndex, RESERVED_EXPORT_PREFIX, FUEL_SET_EXPORT, FUEL_GET_EXPORT, GROW_REFUSED_EXPORT } from "./section.js";
import { abiHostCallCosts, importKey, type HostCallCosts, type HostCallFuel } from "./host-calls.js";
import { walkSections, type SectionInfo } from "../wasm/sections.js";
import { globalGet, globalSet } from "./binaryen-globals.js";

export const FUEL_IMPORT_MODULE = "fwx:core@1";
export const FUEL_IMPORT_NAME = "fuel_exhausted";
export { RESERVED_EXPORT_PREFIX, FUEL_SET_EXPORT, FUEL_GET_EXPORT, GROW_REFUSED_EXPORT };
/** Fuel available before the host's first __fwx_fuel_set: it pays for the start function. */
export const DEFAULT_INSTANTIATE_FUEL = 1_000_000n;

export interface InstrumentOptions {
  /**
   * "cached" (default): fuel in a local per function, written back around calls;
   * small leaf-like functions are charged at their call sites (rewrite.ts).
   * "global": every function charges the global at its entry and every loop
   * iteration, the naive baseline kept for benchmarks. Its fuel totals can
   * differ slightly from "cached" where an `if` arm calls a caller-charged function.
   */
  strategy?: "cached" | "global";
  /** Initial value of the fuel counter, spent by the start function. Default DEFAULT_INSTANTIATE_FUEL. */
  instantiateFuel?: bigint;
  /** What host calls cost, by importKey(module, name). Default: this ABI's (host-calls.ts). */
  hostCallCosts?: HostCallCosts;
  /**
   * Checks every load and store against a RAM budget in bytes (ram-bound.ts),
   * for budgets a page cap cannot enforce. Absent: no checks (they cost 1.2x
   * to 2.4x on memory-bound kernels under Node). `initialLimitBytes` is the
   * budget the module starts with (default none): the C runtime sets it with
   * __fwx_ram_limit_set before the start function; the agent bakes it in
   * here, because Node runs the start function inside instantiation.
   */
  ramBound?: { initialLimitBytes?: number };
}

export interface FuelStats extends RewriteCounters {
  strategy: "cached" | "global";
  functionsInstrumented: number;
  /** Functions that keep the fuel in a local (they have loops or size-dependent charges). */
  functionsCached: number;
  /** Functions without a charge of their own: their call sites pay for them. */
  functionsChargedAtCallSites: number;
  /** Whether the module already imported fuel_exhausted and that import was reused. */
  fuelImportReused: boolean;
  costModel: CostModel;
  /** The RAM-budget checks added (src/fuel/ram-bound.ts); null when not asked for. */
  ramBound: RamBoundStats | null;
}

export interface InstrumentResult {
  bytes: Uint8Array;
  stats: FuelStats;
}

/** Features wasm3 runs; binaryen validates the output against exactly these, so no pass can add others. */
export const WASM3_FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.BulkMemory |
  binaryen.Features.Multivalue |
  // Newer binaryen splits memory.copy/fill out of BulkMemory and asserts unless both are set.
  ((binaryen.Features as unknown as Record<string, number>)["BulkMemoryOpt"] ?? 0);

export function instrumentFuel(bytes: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const strategy = options.strategy ?? "cached";
  const instantiateFuel = options.instantiateFuel ?? DEFAULT_INSTANTIATE_FUEL;
  const limit = options.ramBound?.initialLimitBytes;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit <= 0xffffffff)) {
    throw new RangeError(`ramBound.initialLimitBytes ${limit} is not a byte count of 0..2^32-1`);
  }
  if (instantiateFuel < 0n || instantiateFuel >= 1n << 63n) throw new RangeError(`instantiateFuel ${instantiateFuel} is outside 0..2^63-1`);
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) throw new FuelError("invalid-module", "input is not a valid WebAssembly module");
  let sections: SectionInfo[];
  try {
    sections = walkSections(bytes);
  } catch (e) {
    throw new FuelError("invalid-module", (e as Error).message);
  }
  const customSections = listCustomSections(bytes, sections).map((s) => s.name);
  if (customSections.includes(FUEL_SECTION_NAME)) {
    throw new FuelError(
      "already-instrumented",
      `input carries a "${FUEL_SECTION_NAME}" section; pre-instrumented modules are not trusted, instrument the uninstrumented payload instead`,
    );
  }
  let m: binaryen.Module;
  let startIndex: number | null;
  try {
    startIndex = readStartFunctionIndex(bytes, sections);
    m = binaryen.readBinary(bytes);
  } catch (e) {
    throw new FuelError("invalid-module", `binaryen could not read the module: ${(e as Error).message}`);
  }
  try {
    m.setFeatures(WASM3_FEATURES);
    return instrumentModule(m, strategy, instantiateFuel, customSections.includes("name"), startIndex, options.hostCallCosts ?? abiHostCallCosts(), options.ramBound);
  } finally {
    m.dispose();
  }
}

function instrumentModule(
  m: binaryen.Module,
  strategy: "cached" | "global",
  instantiateFuel: bigint,
  keepNames: boolean,
  startIndex: number | null,
  hostCallCosts: HostCallCosts,
  ramBound: { initialLimitBytes?: number } | undefined,
): InstrumentResult {
  checkModuleLevelFeatures(m);
  for (let i = 0; i < m.getNumExports(); i++) {
    const name = binaryen.getExportInfo(m.getExportByIndex(i)).name;
    if (name.startsWith(RESERVED_EXPORT_PREFIX)) {
      throw new FuelError(
        "already-instrumented",
        `input exports "${name}" from the reserved ${RESERVED_EXPORT_PREFIX} namespace; pre-instrumented modules are not trusted, instrument the uninstrumented payload instead`,
      );
    }
  }

  // Read before anything is added: binaryen numbers imported functions first, as the binary does.
  const startFunction = startIndex === null ? null : binaryen.getFunctionInfo(m.getFunctionByIndex(startIndex)).name;
  const funcs: binaryen.FunctionInfo[] = [];
  let fuelImport: string | null = null;
  const hostCalls = new Map<string, HostCallFuel>();
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module) {
      const cost = hostCallCosts.get(importKey(info.module, info.base ?? ""));
      if (cost) hostCalls.set(info.name, cost);
      if (info.module === FUEL_IMPORT_MODULE && info.base === FUEL_IMPORT_NAME) {
        if (info.params !== binaryen.none || info.results !== binaryen.none) {
          throw new FuelError("bad-fuel-import", `imports ${FUEL_IMPORT_MODULE} ${FUEL_IMPORT_NAME} with a signature other than () -> ()`);
        }
        fuelImport = info.name;
      }
    } else funcs.push(info);
  }
  const fuelImportReused = fuelImport !== null;
  if (fuelImport === null) {
    fuelImport = uniqueName(m, "__fwx_fuel_exhausted");
    m.addFunctionImport(fuelImport, FUEL_IMPORT_MODULE, FUEL_IMPORT_NAME, binaryen.none, binaryen.none);
  }
  funcs.push(...wrapTabledHostCalls(m, hostCalls));
  const sym: FuelSymbols = { global: uniqueName(m, "__fwx_fuel"), outOfFuel: uniqueName(m, "__fwx_fuel_out"), growRefused: "" };
  m.addGlobal(sym.global, binaryen.i64, true, m.i64.const(Number(instantiateFuel & 0xffffffffn), Number(instantiateFuel >> 32n)));
  sym.growRefused = uniqueName(m, "__fwx_grow_refused");
  m.addGlobal(sym.growRefused, binaryen.i32, true, m.i32.const(0));

  const counters: RewriteCounters = {
    loops: 0, chargePoints: 0, dynamicChargePoints: 0, callsWrapped: 0, callsChargedAtSite: 0, spilledOperands: 0, staticCost: 0, hostCalls: 0,
  };
  const infoByName = new Map(funcs.map((info) => [info.name, info]));
  const numLocalsOf = (info: binaryen.FunctionInfo) => binaryen.expandType(info.params).length + info.vars.length;
  const shapes = new Map<string, CallShape>();
  for (const info of funcs) {
    checkSignatureTypes(info);
    shapes.set(info.name, inFunction(info.name, () => callShape(info.body)));
  }
  // The naive baseline stays naive: every function charges at its own entry.
  const callSiteCosts =
    strategy === "global"
      ? new Map<string, number>()
      : planCallSiteCharges(shapes, externallyEnteredFunctions(m, startFunction), (name, calleeCosts) => {
          const info = infoByName.get(name)!;
          // Measuring leaves the body as it is: every call in it is caller-charged, so nothing is wrapped.
          const scratch = { ...counters };
          const rewriter = new FunctionRewriter(m, sym, "caller-charged", numLocalsOf(info), scratch, calleeCosts);
          return inFunction(name, () => rewriter.rewrite(info.body).entryCost);
        });

  const bound = ramBound ? createRamBound(m, (base) => uniqueName(m, base), ramBound.initialLimitBytes) : null;
  let functionsCached = 0;
  const rebuilt = funcs.map((info) => {
    const ref = m.getFunction(info.name);
    const localNames = new Map<number, string>();
    const numLocals = numLocalsOf(info);
    for (let l = 0; l < numLocals; l++) {
      if (X.Function.hasLocalName(ref, l)) localNames.set(l, X.Function.getLocalName(ref, l));
    }
    const mode: FunctionMode = callSiteCosts.has(info.name)
      ? "caller-charged"
      : strategy === "global" || !shapes.get(info.name)!.needsCachedFuel
        ? "global"
        : "cached";
    if (mode === "cached") functionsCached++;
    const { body, extraVars } = inFunction(info.name, () =>
      new FunctionRewriter(m, sym, mode, numLocals, counters, callSiteCosts, hostCalls).rewrite(info.body),
    );
    const vars = [...info.vars, ...extraVars];
    if (!bound) return { info, body, vars, localNames };
    // One more i32 local: the RAM bound's scratch (ram-bound.ts), after the fuel rewriter's.
    return { info, body: bound.rewrite(body, numLocals + extraVars.length), vars: [...vars, binaryen.i32], localNames };
  });

  // binaryen.js cannot add locals to an existing function, so every defined
  // function is re-added in its original order: indices (and with them the
  // name section and any index-based crash reports) stay the same.
  for (const f of rebuilt) m.removeFunction(f.info.name);
  for (const f of rebuilt) {
    const ref = m.addFunction(f.info.name, f.info.params, f.info.results, f.vars, f.body);
    for (const [index, name] of f.localNames) X.Function.setLocalName(ref, index, name);
  }

  addRuntimeFunctions(m, sym, fuelImport);
  bound?.addFunctions();
  m.addCustomSection(FUEL_SECTION_NAME, encodeFuelSection(COST_MODEL_VERSION));
  if (!m.validate()) throw new FuelError("internal", "the instrumented module failed binaryen validation (a bug in the instrumenter)");

  const previousDebugInfo = binaryen.getDebugInfo();
  let out: Uint8Array;
  try {
    // Names are emitted only when the input had them: binaryen would otherwise invent "0", "1", ...
    binaryen.setDebugInfo(keepNames);
    out = m.emitBinary();
  } finally {
    binaryen.setDebugInfo(previousDebugInfo);
  }
  return {
    bytes: out,
    stats: {
      ...counters,
      strategy,
      functionsInstrumented: rebuilt.length,
      functionsCached,
      functionsChargedAtCallSites: callSiteCosts.size,
      fuelImportReused,
      costModel: { ...COST_MODEL },
      ramBound: bound?.stats ?? null,
    },
  };
}

/**
 * A priced host function placed in a table would be reached by call_indirect,
 * whose target is not known where the call is instrumented, and would cost a
 * plain call. Each such table entry is replaced by a module function that
 * calls the import directly, so the direct call's price applies. Segments are
 * rebuilt in their original order (later segments overwrite earlier ones).
 * Returns the wrappers, to be instrumented with the module's own functions.
 */
function wrapTabledHostCalls(m: binaryen.Module, hostCalls: ReadonlyMap<string, HostCallFuel>): binaryen.FunctionInfo[] {
  const segments: binaryen.ElementSegmentInfo[] = [];
  for (let i = 0; i < m.getNumElementSegments(); i++) segments.push(binaryen.getElementSegmentInfo(m.getElementSegmentByIndex(i)));
  if (!segments.some((seg) => seg.data.some((name) => hostCalls.has(name)))) return [];
  const wrappers = new Map<string, string>();
  const wrapperOf = (name: string): string => {
    let w = wrappers.get(name);
    if (w === undefined) {
      const info = binaryen.getFunctionInfo(m.getFunction(name));
      const params = binaryen.expandType(info.params);
      w = uniqueName(m, `__fwx_host_${name}`);
      m.addFunction(w, info.params, info.results, [], m.call(name, params.map((t, i) => m.local.get(i, t)), info.results));
      wrappers.set(name, w);
    }
    return w;
  };
  const rebuilt = segments.map((seg) => ({
    ...seg,
    data: seg.data.map((name) => (hostCalls.has(name) ? wrapperOf(name) : name)),
    offset: m.copyExpression(seg.offset),
  }));
  // binaryen.js has both at run time; its index.d.ts does not declare them.
  const tables = m as unknown as {
    removeElementSegment(name: string): void;
    addActiveElementSegment(table: string, name: string, data: string[], offset: binaryen.ExpressionRef): number;
  };
  for (const seg of segments) tables.removeElementSegment(seg.name);
  for (const seg of rebuilt) tables.addActiveElementSegment(seg.table, seg.name, seg.data, seg.offset);
  return [...wrappers.values()].map((w) => binaryen.getFunctionInfo(m.getFunction(w)));
}

function checkSignatureTypes(info: binaryen.FunctionInfo): void {
  for (const t of [...binaryen.expandType(info.params), ...binaryen.expandType(info.results), ...info.vars]) {
    if (!isWasm3Type(t)) throw new FuelError("unsupported-feature", `uses ${typeName(t)}, a type wasm3 does not run`, info.name);
  }
}

/** Runs `fn` on behalf of function `name`, so that a refused instruction is reported with the function named. */
function inFunction<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UnsupportedExpression) throw new FuelError("unsupported-feature", e.message, name);
    throw e;
  }
}

function addRuntimeFunctions(m: binaryen.Module, sym: FuelSymbols, fuelImport: string): void {
  const i64 = binaryen.i64;
  // Zeroing first makes "fuel used" after an exhaustion trap exactly the budget.
  m.addFunction(sym.outOfFuel, binaryen.none, binaryen.none, [], m.block(null, [
    globalSet(m, sym.global, m.i64.const(0, 0)),
    m.call(fuelImport, [], binaryen.none),
    m.unreachable(),
  ]));
  const setName = uniqueName(m, FUEL_SET_EXPORT);
  // A negative budget is stored as 0: subtracting from a value near i64 min would wrap to a huge positive budget.
  // Setting the budget starts a callback, so it also clears the grow-refused flag.
  const requested = () => m.local.get(0, i64);
  m.addFunction(setName, i64, binaryen.none, [], m.block(null, [
    globalSet(m, sym.global, m.select(m.i64.ge_s(requested(), m.i64.const(0, 0)), requested(), m.i64.const(0, 0))),
    globalSet(m, sym.growRefused, m.i32.const(0)),
  ]));
  m.addFunctionExport(setName, FUEL_SET_EXPORT);
  const refusedName = uniqueName(m, GROW_REFUSED_EXPORT);
  m.addFunction(refusedName, binaryen.none, binaryen.i32, [], globalGet(m, sym.growRefused, binaryen.i32));
  m.addFunctionExport(refusedName, GROW_REFUSED_EXPORT);
  const getName = uniqueName(m, FUEL_GET_EXPORT);
  m.addFunction(getName, binaryen.none, i64, [], globalGet(m, sym.global, i64));
  m.addFunctionExport(getName, FUEL_GET_EXPORT);
}

/** Module-level constructs outside function bodies that wasm3 cannot run. */
function checkModuleLevelFeatures(m: binaryen.Module): void {
  if (m.hasMemory()) {
    const mem = m.getMemoryInfo();
    if (mem.shared) throw new FuelError("unsupported-feature", "shared memory (threads) is not supported by wasm3");
    if (mem.is64) throw new FuelError("unsupported-feature", "memory64 is not supported by wasm3");
  }
  if (m.getNumTables() > 1) throw new FuelError("unsupported-feature", `${m.getNumTables()} tables need reference types, which wasm3 does not run`);
  for (let i = 0; i < m.getNumElementSegments(); i++) {
    // Checked before binaryen.getElementSegmentInfo is ever called: it aborts on a passive segment, which has no offset.
    if (isPassiveElementSegment(m.getElementSegmentByIndex(i))) {
      throw new FuelError("unsupported-feature", `element segment ${i} is passive (table.init, reference types), which wasm3 does not run`);
    }
  }
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(m.getGlobalByIndex(i));
    if (!isWasm3Type(g.type)) throw new FuelError("unsupported-feature", `global ${g.name} has ${typeName(g.type)}, a type wasm3 does not run`);
  }
}

/** binaryen.js wraps this C export in getElementSegmentInfo but does not expose the flag by itself. */
const isPassiveElementSegment = (binaryen as unknown as { _BinaryenElementSegmentIsPassive(segment: number): number })
  ._BinaryenElementSegmentIsPassive;

function uniqueName(m: binaryen.Module, base: string): string {
  let name = base;
  for (let n = 1; m.getFunction(name) !== 0 || m.getGlobal(name) !== 0; n++) name = `${base}_${n}`;
  return name;
}
