// Checks a module against the resource limits of its device class
// (limits.ts). In two passes: `checkDeclaredLimits` reads only section
// headers and the counts at the start of each section, so an oversized
// module is refused before the parser walks it; `checkParsedLimits` covers
// what needs the decoded module (table sizes, element entries, bodies, locals,
// and the operand stack and block nesting each body needs, measured by the
// decoder: src/wasm/code-shape.ts). Every error names the limit, the value
// found and the byte offset.

import { ByteReader, WasmParseError } from "../wasm/byte-reader.js";
import type { ParsedModule } from "../wasm/module.js";
import { parseModule } from "../wasm/reader.js";
import { SECTION, walkSections, type SectionInfo } from "../wasm/sections.js";
import { LIMIT_NAMES, type DeviceClass, type ModuleLimits } from "./limits.js";
import { IssueList, type ValidationIssue } from "./types.js";

export interface LimitContext {
  limits: ModuleLimits;
  /** For messages: which class the limits belong to. */
  deviceClass: DeviceClass;
}

function over(ctx: LimitContext, issues: IssueList, limit: keyof ModuleLimits, value: number, offset: number, location?: string, funcIndex?: number): boolean {
  const max = ctx.limits[limit];
  if (value <= max) return false;
  issues.error({
    code: "limit-exceeded", offset, ...(location ? { location } : {}), ...(funcIndex === undefined ? {} : { funcIndex }),
    message: `${LIMIT_NAMES[limit]}: ${value} exceeds the ${ctx.deviceClass} limit of ${max} (limit "${limit}")`,
  });
  return true;
}

/** The vector counts that open these sections, and the limit each is held to. */
const COUNTED: Partial<Record<number, keyof ModuleLimits>> = {
  [SECTION.type]: "types",
  [SECTION.import]: "imports",
  [SECTION.function]: "functions",
  [SECTION.global]: "globals",
  [SECTION.export]: "exports",
  [SECTION.element]: "elementSegments",
  [SECTION.data]: "dataSegments",
};

/** Returns false when a limit is exceeded: the caller must not parse the module then. */
export function checkDeclaredLimits(bytes: Uint8Array, sections: readonly SectionInfo[], ctx: LimitContext, issues: IssueList): boolean {
  let ok = !over(ctx, issues, "moduleBytes", bytes.length, 0);
  for (const s of sections) {
    const label = s.id === SECTION.custom ? `"${s.name}" custom section` : `${s.name} section`;
    const size = s.end - s.payloadOffset;
    if (s.id === SECTION.custom && s.name === "name") ok = !over(ctx, issues, "nameSectionBytes", size, s.offset, label) && ok;
    ok = !over(ctx, issues, "sectionBytes", size, s.offset, label) && ok;
    const limit = COUNTED[s.id];
    if (limit === undefined || size === 0) continue;
    let count: number;
    try {
      count = new ByteReader(bytes, s.payloadOffset, s.end, `the ${label}`).u32(`${s.name} count`);
    } catch (e) {
      if (e instanceof WasmParseError) continue; // the parser reports it with its context
      throw e;
    }
    ok = !over(ctx, issues, limit, count, s.payloadOffset, label) && ok;
  }
  return ok;
}

/** What the decoder measures against the limits while it walks the bodies. */
export const shapeBounds = (limits: ModuleLimits) => ({ operandStack: limits.operandStack, blockDepth: limits.blockDepth });

export function checkParsedLimits(m: ParsedModule, ctx: LimitContext, issues: IssueList): void {
  for (const [i, t] of m.tables.entries()) over(ctx, issues, "tableEntries", t.initial, t.offset, `table ${i}`);
  const elementSection = m.sections.find((s) => s.id === SECTION.element);
  if (elementSection) over(ctx, issues, "elementEntries", m.elementEntryCount, elementSection.offset, "element section");
  for (const f of m.functions) {
    if (f.imported || f.bodyOffset === undefined) continue;
    const location = `function ${f.index}${m.functionNames.has(f.index) ? ` "${m.functionNames.get(f.index)}"` : ""}`;
    if (f.bodySize !== undefined) over(ctx, issues, "bodyBytes", f.bodySize, f.bodyOffset, location, f.index);
    if (f.localCount !== undefined) over(ctx, issues, "localsPerFunction", f.localCount, f.bodyOffset, location, f.index);
    // At the instruction that first goes past the limit (where the C install
    // check stops), with the most the body needs as the value.
    if (f.shape) {
      over(ctx, issues, "operandStack", f.shape.maxOperands, f.shape.operandsOverAt ?? f.bodyOffset, location, f.index);
      over(ctx, issues, "blockDepth", f.shape.maxBlockDepth, f.shape.blockDepthOverAt ?? f.bodyOffset, location, f.index);
    }
  }
}

/**
 * The resource limits alone, for a module that is past validation already:
 * what `fwx pack` checks on the payload it signs (for mcu, the instrumented
 * device form the install check sees). Limit errors only; an unreadable
 * module is the caller's to report.
 */
export function limitIssues(bytes: Uint8Array, ctx: LimitContext): ValidationIssue[] {
  const issues = new IssueList();
  if (checkDeclaredLimits(bytes, walkSections(bytes), ctx, issues)) {
    checkParsedLimits(parseModule(bytes, { shapeBounds: shapeBounds(ctx.limits) }), ctx, issues);
  }
  return issues.errors;
}
