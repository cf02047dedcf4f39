// The last step of preparing a module, from the module as it will run
// (validated, instrumented, memory capped) to a PreparedModule: compile it,
// check the fuel exports, map its functions back to the module's own. Both
// ways to a prepared module end here: preparing it (prepare.ts) and a hit in
// the simulator's cache of prepared modules (prepared-cache.ts). Nothing here
// loads the fuel instrumenter.

import { FUEL_GET_EXPORT, FUEL_SET_EXPORT } from "../fuel/section.js";
import { parseModule, type ParsedModule } from "../wasm/reader.js";
import type { CappedModule } from "./memory-cap.js";
import { ModuleRefused, type PreparedModule } from "./refusal.js";
import type { FrameMap } from "./faults.js";

// The agent's reads of a module (linking, the memory cap, stack positions) need only its structure.
export const STRUCTURE_ONLY = { decodeCode: false } as const;

/**
 * Compiles the capped module and checks what instrumentation must have added. `original` is the
 * module as given (parsed structure only). Refusals name the step, as prepareModule's do.
 */
export function completePrepared(id: string, source: string, original: Uint8Array, originalParsed: ParsedModule, memory: CappedModule): PreparedModule {
  let compiled: WebAssembly.Module;
  try {
    compiled = new WebAssembly.Module(memory.bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new ModuleRefused(id, "compile", `${source}: the engine rejected the module: ${(e as Error).message}`);
  }
  const exports = new Set(WebAssembly.Module.exports(compiled).map((x) => x.name));
  for (const need of [FUEL_SET_EXPORT, FUEL_GET_EXPORT]) {
    if (!exports.has(need)) throw new ModuleRefused(id, "instrumentation", `${source}: the instrumented module lacks ${need}`);
  }
  const frames = frameMap(originalParsed, parseModule(memory.bytes, STRUCTURE_ONLY));
  return { id, compiled, memory, frames: { ...frames, original, instrumented: memory.bytes }, exports };
}

/**
 * Instrumentation re-adds every defined function in its original order and
 * appends its own; an import it adds (fuel_exhausted, when the module did not
 * import it) shifts defined functions up by one. The engine reports positions
 * in the capped module, which is what `running` is parsed from.
 */
function frameMap(original: ParsedModule, running: ParsedModule): Omit<FrameMap, "original" | "instrumented"> {
  const imports = (m: ParsedModule) => m.functions.filter((f) => f.imported).length;
  return {
    originalImports: imports(original),
    originalDefined: original.functions.length - imports(original),
    instrumentedImports: imports(running),
    bodyStarts: running.functions.filter((f) => !f.imported).map((f) => f.codeOffset ?? 0),
    originalNames: original.functionNames,
    instrumentedNames: running.functionNames,
  };
}
