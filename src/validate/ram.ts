// How much linear memory a module needs, read from its static layout, and
// the RAM budget checks. Layouts differ by toolchain:
//  - AssemblyScript: data from a low address up; the heap starts after the
//    last segment. No shadow-stack global unless the runtime needs one.
//  - LLVM (C, Rust, TinyGo): a mutable i32 `__stack_pointer` global holds the
//    top of a downward-growing stack. By default data comes first and the stack
//    follows it; with --stack-first the stack sits below the data.

import type { ParsedModule } from "../wasm/reader.js";
import type { IssueList, RamReport } from "./types.js";

const PAGE = 65536;

function exportedI32Global(m: ParsedModule, name: string): number | null {
  const exp = m.exports.find((e) => e.name === name && e.kind === "global");
  const init = exp ? m.globals[exp.index]?.init : undefined;
  return init && init.kind === "i32" ? init.value >>> 0 : null;
}

/** The stack-pointer global: named so in the name section, or LLVM's first mutable i32 global. */
function stackPointerInit(m: ParsedModule): number | null {
  let index: number | undefined;
  for (const [i, name] of m.globalNames) if (name === "__stack_pointer") index = i;
  const linkedByLlvm = m.exports.some((e) => e.name === "__heap_base" || e.name === "__data_end");
  if (index === undefined && linkedByLlvm) {
    index = m.globals.find((g) => !g.imported && g.mutable && g.type === "i32" && g.init?.kind === "i32")?.index;
  }
  const g = index === undefined ? undefined : m.globals[index];
  return g && g.mutable && g.init?.kind === "i32" ? g.init.value >>> 0 : null;
}

export function ramReport(m: ParsedModule, budgetBytes: number, issues: IssueList): RamReport {
  const mem = m.memories[0];
  let dataEnd = 0;
  let lowestData = Infinity;
  for (const d of m.data) {
    if (d.mode !== "active") continue;
    const at = d.offsetExpr;
    if (!at || at.kind !== "i32") {
      issues.warn({
        code: "data-offset-unknown", offset: d.offset, location: `data segment ${d.index}`,
        message: "the segment's address is not a constant, so the RAM figures leave it out",
      });
      continue;
    }
    const start = at.value >>> 0;
    dataEnd = Math.max(dataEnd, start + d.size);
    if (d.size > 0) lowestData = Math.min(lowestData, start);
  }
  const hasData = m.data.some((d) => d.mode === "active");
  const exportedHeapBase = exportedI32Global(m, "__heap_base");
  const heapBase = exportedHeapBase ?? (hasData ? dataEnd : null);
  const sp = stackPointerInit(m);
  let stackBytes: number | null = null;
  if (sp !== null) {
    // Stack-first layouts put the stack below every data segment.
    const stackBottom = sp <= lowestData ? 0 : exportedI32Global(m, "__data_end") ?? dataEnd;
    stackBytes = Math.max(0, sp - stackBottom);
  }
  const needBytes = Math.max(dataEnd, heapBase ?? 0, sp ?? 0);
  const measuredFrom = exportedHeapBase !== null ? "heap-base" : sp !== null ? "stack-pointer" : "static-data";
  if (measuredFrom === "static-data") warnIfStrippedStackPointer(m, needBytes, issues);
  return { declaredPages: mem?.initial ?? 0, maxPages: mem?.maximum ?? null, dataEnd, heapBase, stackBytes, needBytes, budgetBytes, measuredFrom };
}

/**
 * A stripped C or Rust module (no name section, no `__heap_base` export)
 * still starts with LLVM's stack pointer as global 0: a mutable i32 above
 * the static data. Its .bss and stack then lie beyond what the data
 * segments show, and nothing in the module says how far: say so loudly
 * rather than report a need that may be far too small.
 */
function warnIfStrippedStackPointer(m: ParsedModule, needBytes: number, issues: IssueList): void {
  const g = m.globals[0];
  if (!g || g.imported || !g.mutable || g.type !== "i32" || g.init?.kind !== "i32") return;
  const start = g.init.value >>> 0;
  const memBytes = (m.memories[0]?.initial ?? 0) * (m.memories[0]?.pageSize ?? PAGE);
  if (start <= needBytes || start > memBytes || start % 16 !== 0) return;
  issues.warn({
    code: "ram-need-unknown", offset: g.offset, location: "global 0",
    message: `global 0 starts at ${start}, as a C or Rust stack pointer does, but the module exports no __heap_base: its .bss, stack and heap cannot be counted, so the RAM need shown (${needBytes} bytes, static data only) may be far too small. Link with -Wl,--export=__heap_base (clang; Rust exports it by default)`,
  });
}

export function checkRamBudget(m: ParsedModule, ram: RamReport, issues: IssueList): void {
  const mem = m.memories[0];
  if (mem) {
    const initialBytes = mem.initial * mem.pageSize;
    // Below one page, wasm3 caps the single page at the board's limit and
    // traps past it, so one page is acceptable on any budget; the content
    // check below then decides.
    if (initialBytes > Math.max(ram.budgetBytes, mem.pageSize)) {
      issues.error({
        code: "memory-over-budget", offset: mem.offset, location: "memory 0",
        message: `the module declares ${mem.initial} initial pages (${initialBytes} bytes), more than the RAM budget of ${ram.budgetBytes} bytes`,
      });
    } else if (initialBytes > ram.budgetBytes) {
      issues.warn({
        code: "memory-capped", offset: mem.offset, location: "memory 0",
        message: `the page of ${initialBytes} bytes is capped at the ${ram.budgetBytes}-byte budget on the device; accesses past it trap`,
      });
    }
  }
  if (ram.needBytes > ram.budgetBytes) {
    const parts = [`data ends at ${ram.dataEnd}`];
    if (ram.heapBase !== null) parts.push(`heap base ${ram.heapBase}`);
    if (ram.stackBytes !== null) parts.push(`stack ${ram.stackBytes} bytes`);
    const last = [...m.data].reverse().find((d) => d.offsetExpr?.kind === "i32" && (d.offsetExpr.value >>> 0) + d.size === ram.dataEnd);
    issues.error({
      code: "ram-over-budget", offset: last && ram.dataEnd === ram.needBytes ? last.offset : (mem?.offset ?? 0),
      location: last && ram.dataEnd === ram.needBytes ? `data segment ${last.index}` : "memory 0",
      message: `the module needs ${ram.needBytes} bytes of RAM before any allocation (${parts.join(", ")}), more than the budget of ${ram.budgetBytes} bytes`,
    });
  }
}

/** Parses a RAM budget: bytes ("65536"), KiB ("64k"), MiB ("1m") or 64 KiB pages ("1p"). */
/** A RAM budget as text: a count and an optional unit (b, k/kib/kb, m/mib/mb, p/page/pages), any case. */
export const RAM_BUDGET_PATTERN = /^(\d+)\s*(|b|k|kib|kb|m|mib|mb|p|pages?)$/i;

export function parseRamBudget(text: string): number {
  const m = RAM_BUDGET_PATTERN.exec(text.trim());
  if (!m) throw new Error(`invalid RAM budget "${text}" (examples: 65536, 64k, 1m, 1p)`);
  const unit = m[2]!.toLowerCase();
  const scale = unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 * 1024 : unit.startsWith("p") ? PAGE : 1;
  const bytes = Number(m[1]) * scale;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > 2 ** 32) throw new Error(`RAM budget "${text}" must be between 1 byte and 4 GiB`);
  return bytes;
}
