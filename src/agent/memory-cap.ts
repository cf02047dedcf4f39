// Caps a module's linear memory at its RAM budget.
//
// Node cannot cap a memory a module defines itself (there is no Memory.type()
// and no hook on memory.grow), so before instantiation the module's memory
// definition is rewritten into an import, `fwx:agent`.`memory`, and the agent
// passes in a WebAssembly.Memory it created with `maximum` = budget pages.
// Chosen over patching the limits of the memory section in place because:
//   - the agent then owns the Memory object whether or not the module exports
//     it, so the glue's bounds checks and the high-water mark always work;
//   - the engine enforces the maximum (memory.grow returns -1), so there is no
//     instruction rewriting to get wrong;
//   - a module that already imports its memory gets the same treatment.
// Only the import and memory sections change; function, memory and data
// indices stay the same (memory 0 stays memory 0).

import { encodeU32 } from "../wasm/leb128.js";
import { ByteReader } from "../wasm/byte-reader.js";
import { parseModule, type MemoryType, type ParsedModule } from "../wasm/reader.js";
import { concatBytes, SECTION } from "../wasm/sections.js";

export const PAGE_BYTES = 65536;
export const AGENT_IMPORT_MODULE = "fwx:agent";

export class MemoryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MemoryBudgetError";
  }
}

export interface CappedModule {
  bytes: Uint8Array;
  /** Where the Memory goes in the import object; create one per instance with newMemory(). */
  importModule: string;
  importName: string;
  initialPages: number;
  maxPages: number;
  /** The budget to the byte, enforced below the page by the fuel instrumentation's checks (src/fuel/ram-bound.ts). */
  ramBudgetBytes?: number;
}

const enc = new TextEncoder();
const name = (s: string) => { const b = enc.encode(s); return [...encodeU32(b.length), ...b]; };
const limits = (min: number, max: number) => [0x01, ...encodeU32(min), ...encodeU32(max)];

function section(id: number, payload: number[] | Uint8Array): number[] {
  return [id, ...encodeU32(payload.length), ...payload];
}

/** The module's one memory (imported or defined), refusing what the agent cannot cap. */
function singleMemory(module: ParsedModule): MemoryType | null {
  if (module.memories.length > 1) throw new MemoryBudgetError(`the module has ${module.memories.length} memories; the agent runs single-memory modules only`);
  const mem = module.memories[0] ?? null;
  if (mem && (mem.shared || mem.memory64 || mem.pageSize !== PAGE_BYTES)) {
    const what = mem.shared ? "a shared memory" : mem.memory64 ? "a 64-bit memory" : `a memory with ${mem.pageSize}-byte pages`;
    throw new MemoryBudgetError(`the module declares ${what} (byte 0x${mem.offset.toString(16)}); the agent caps only plain 32-bit memories`);
  }
  return mem;
}

/**
 * Rewrites `bytes` so its memory is host-provided and capped at `budgetPages`.
 * A module with no memory gets an empty, ungrowable one (so every pointer it
 * passes fails the glue's bounds check instead of reaching a missing memory).
 * `module` is `bytes` parsed, when the caller has it already.
 */
export function capMemory(bytes: Uint8Array, budgetPages: number, module: ParsedModule = parseModule(bytes, { decodeCode: false })): CappedModule {
  const declared = singleMemory(module);
  const imported = module.imports.find((i) => i.kind === "memory");
  const initial = declared?.initial ?? 0;
  const maxPages = Math.min(declared?.maximum ?? budgetPages, budgetPages);
  if (initial > budgetPages) {
    throw new MemoryBudgetError(`the module declares ${initial} initial memory pages (${initial * 64} KiB) but its RAM budget is ${budgetPages} pages (${budgetPages * 64} KiB)`);
  }
  if (imported) {
    // Already imported: provide ours under its name; the declared limits must admit it.
    return { bytes, importModule: imported.module, importName: imported.name, initialPages: initial, maxPages };
  }
  // Parts are kept as views and joined once: modules can be far larger than
  // what spreading into an array (one argument per byte) tolerates.
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  const importEntry = [...name(AGENT_IMPORT_MODULE), ...name("memory"), 0x02, ...limits(initial, maxPages)];
  const importSec = module.sections.find((s) => s.id === SECTION.import);
  let inserted = false;
  for (const s of module.sections) {
    if (s.id === SECTION.import) {
      const r = new ByteReader(bytes, s.payloadOffset, s.end, "import section");
      const count = r.u32("import count");
      const rest = bytes.subarray(r.pos, s.end);
      const countBytes = encodeU32(count + 1);
      out.push(Uint8Array.from([SECTION.import, ...encodeU32(countBytes.length + rest.length + importEntry.length), ...countBytes]), rest, Uint8Array.from(importEntry));
      inserted = true;
      continue;
    }
    if (s.id === SECTION.memory) continue; // the definition moves into the import
    // No import section: it goes right after the type section (or first if there is none).
    if (!importSec && !inserted && s.id !== SECTION.custom && s.id !== SECTION.type) {
      out.push(Uint8Array.from(section(SECTION.import, [...encodeU32(1), ...importEntry])));
      inserted = true;
    }
    out.push(bytes.subarray(s.offset, s.end));
  }
  if (!inserted) out.push(Uint8Array.from(section(SECTION.import, [...encodeU32(1), ...importEntry])));
  return { bytes: concatBytes(out), importModule: AGENT_IMPORT_MODULE, importName: "memory", initialPages: initial, maxPages };
}

/** A fresh linear memory for one instance of a capped module. */
export function newMemory(plan: CappedModule): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: plan.initialPages, maximum: plan.maxPages });
}
