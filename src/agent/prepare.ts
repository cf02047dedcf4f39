// Everything done once per module binary before any instance runs: validate,
// link, instrument for fuel, cap memory, compile. Each step that can refuse a
// module throws ModuleRefused naming the step and every problem found.

import { validateModule, formatValidation } from "../validate/validate.js";
import { instrumentFuel } from "../fuel/instrument.js";
import { FuelError } from "../fuel/errors.js";
import { parseModule, WasmParseError, type ParsedModule } from "../wasm/reader.js";
import { capMemory, MemoryBudgetError, PAGE_BYTES, type CappedModule } from "./memory-cap.js";
import { formatLinkReport, linkModule } from "./link.js";
import { ModuleRefused, type PreparedModule, type PrepareOptions } from "./refusal.js";
import { completePrepared, STRUCTURE_ONLY } from "./prepared.js";

export { ModuleRefused, type PreparedModule, type PrepareOptions, type RefusalStep } from "./refusal.js";

/**
 * Prepares a module in the calling thread. Whatever goes wrong, the answer is
 * a PreparedModule or a ModuleRefused: an exception of any other kind, from
 * any step, is refused as "internal" with the error named, never passed on.
 * The device agent runs this in its preparation worker (prepare-pool.ts).
 */
export function prepareModule(bytes: Uint8Array, opts: PrepareOptions): PreparedModule {
  try {
    return prepareSteps(bytes, opts);
  } catch (e) {
    if (e instanceof ModuleRefused) throw e;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new ModuleRefused(opts.moduleId, "internal", `${opts.source}: preparing the module failed: ${what}`, [what]);
  }
}

function prepareSteps(bytes: Uint8Array, opts: PrepareOptions): PreparedModule {
  const { moduleId: id, source } = opts;
  let parsed: ParsedModule;
  try {
    // The validator decodes every instruction; linking and the memory cap need only the structure.
    parsed = parseModule(bytes, STRUCTURE_ONLY);
  } catch (e) {
    if (e instanceof WasmParseError) throw new ModuleRefused(id, "validation", `${source}: ${e.message}`);
    throw e;
  }
  const link = linkModule(parsed);
  if (!link.ok) {
    throw new ModuleRefused(id, "link", formatLinkReport(link, source), link.problems.map((p) => `${p.importName}: expected ${p.expected}, found ${p.found}`));
  }
  // Linking first: for import problems the per-import link report (with what
  // this device offers) is the more useful answer; the validator covers the rest.
  const validation = validateModule(bytes, {
    ramBudgetBytes: opts.ramBudgetBytes,
    ...(opts.deviceClass ? { deviceClass: opts.deviceClass } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  if (!validation.ok) {
    throw new ModuleRefused(id, "validation", formatValidation(validation, source), validation.errors.map((e) => e.message));
  }
  let instrumented: Uint8Array;
  let instrumentedParsed: ParsedModule;
  try {
    // A budget of whole pages is enforced exactly by the memory's maximum; below
    // a page (or between pages) every access is checked against it, at a cost.
    const subPage = opts.ramBudgetBytes % PAGE_BYTES !== 0 && opts.ramBudgetBytes < 2 ** 32;
    instrumented = instrumentFuel(bytes, subPage ? { ramBound: { initialLimitBytes: opts.ramBudgetBytes } } : {}).bytes;
    instrumentedParsed = parseModule(instrumented, STRUCTURE_ONLY);
  } catch (e) {
    if (e instanceof FuelError || e instanceof WasmParseError) throw new ModuleRefused(id, "instrumentation", `${source}: cannot meter the module: ${e.message}`);
    throw e;
  }
  const budgetPages = Math.max(1, Math.floor(opts.ramBudgetBytes / PAGE_BYTES));
  let memory: CappedModule;
  try {
    memory = { ...capMemory(instrumented, budgetPages, instrumentedParsed), ramBudgetBytes: opts.ramBudgetBytes };
  } catch (e) {
    if (e instanceof MemoryBudgetError) throw new ModuleRefused(id, "memory", `${source}: ${e.message}`);
    throw e;
  }
  return completePrepared(id, source, bytes, parsed, memory);
}
