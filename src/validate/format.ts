// Human-readable validation output: one line per problem, then the report.

import type { ValidationIssue, ValidationResult } from "./types.js";

function issueLine(file: string, severity: "error" | "warning", issue: ValidationIssue): string {
  const at = issue.offset === undefined ? "" : ` at byte 0x${issue.offset.toString(16)}`;
  const where = issue.location ? ` (${issue.location})` : "";
  return `${file}: ${severity}${at}${where}: ${issue.message} [${issue.code}]`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const kib = n / 1024;
  return `${n} B (${kib >= 100 ? kib.toFixed(0) : kib.toFixed(1)} KiB)`;
}

/** A comma-separated list, shortened past `max` items so huge modules stay readable. */
function list(items: string[], max = 12): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")}, … and ${items.length - max} more`;
}

export function formatValidation(result: ValidationResult, file: string): string {
  const lines: string[] = [];
  for (const e of result.errors) lines.push(issueLine(file, "error", e));
  for (const w of result.warnings) lines.push(issueLine(file, "warning", w));
  const { report: r } = result;
  const verdict = result.ok
    ? `${file}: valid fwx module${result.warnings.length ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"})` : ""}`
    : `${file}: INVALID (${result.errors.length} error${result.errors.length === 1 ? "" : "s"})`;
  lines.push(verdict);
  const ram = r.ram;
  const pages = ram.declaredPages === 0 && ram.maxPages === null
    ? "no memory"
    : `${ram.declaredPages} initial page${ram.declaredPages === 1 ? "" : "s"}, ${ram.maxPages === null ? "no maximum" : `maximum ${ram.maxPages}`}`;
  const layout = [
    `data ends at ${ram.dataEnd}`,
    `heap base ${ram.heapBase ?? "n/a"}`,
    `stack ${ram.stackBytes === null ? "n/a" : bytes(ram.stackBytes)}`,
  ].join(", ");
  lines.push(`  flash       ${bytes(r.flashBytes)}`);
  // Memory, imports and features of a module never read are unknown, not "none".
  if (r.unread) {
    lines.push("  (the module was not read past the error above: nothing more to report)");
    return lines.join("\n");
  }
  // Never understate: a need read from the static data alone says so.
  const what = ram.measuredFrom === "static-data" ? "needs at least" : "needs";
  // Only a run shows the heap: `fwx ram` measures it on the simulator and sets the budget from it.
  const scope = ram.measuredFrom === "static-data"
    ? "static data only; heap and stack growth are not counted (fwx ram measures them)"
    : ram.measuredFrom === "stack-pointer"
      ? "stack counted; no __heap_base export, so .bss above the stack may not be, nor the heap"
      : "up to __heap_base: data, .bss and stack; heap growth is not counted (fwx ram measures it)";
  lines.push(`  RAM         ${what} ${bytes(ram.needBytes)} of a ${bytes(ram.budgetBytes)} budget (${scope}; ${layout})`);
  lines.push(`  memory      ${pages}`);
  lines.push(`  interfaces  ${r.interfaces.length ? r.interfaces.map((i) => `${i.name}@${i.major}.${i.minor}`).join(", ") : "none"}`);
  lines.push(`  imports     ${r.imports.length}${r.imports.length ? `: ${list(r.imports.map((i) => `${i.module}.${i.name}`))}` : ""}`);
  lines.push(`  exports     ${r.exports.length ? list(r.exports) : "none"}`);
  lines.push(`  features    ${r.features.length ? r.features.join(", ") : "MVP only"}`);
  return lines.join("\n");
}
