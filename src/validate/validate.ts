// `validateModule`: may this wasm run as an fwx module? Checks, in order:
// readable structure (every section and function body decoded), features
// wasm3 cannot run, imports against the host ABI, lifecycle exports, the
// fwx.abi section, RAM against the budget; finally, when nothing else is
// wrong, V8 compiles the module, which adds full type checking of the code.

import { importKey } from "../../host-abi/gen/lower.js";
import { FEATURES } from "../wasm/features.js";
import type { InterfaceRequirement } from "../wasm/abi-section.js";
import { WasmParseError, formatSignature, parseModule, type ParsedModule } from "../wasm/reader.js";
import { checkAbiSection, checkImports, checkLifecycleExports, hostAbi, interfacesOf } from "./abi-checks.js";
import { checkRamBudget, ramReport } from "./ram.js";
import { DEFAULT_DEVICE_CLASS, MODULE_LIMITS } from "./limits.js";
import { checkDeclaredLimits, checkParsedLimits, shapeBounds } from "./resource-limits.js";
import { checkDeviceFormLimits } from "./device-form.js";
import { walkSections } from "../wasm/sections.js";
import { FUEL_SECTION_NAME, RESERVED_EXPORT_PREFIX } from "../fuel/section.js";
import { DEFAULT_RAM_BUDGET, IssueList, type ModuleReport, type ValidateOptions, type ValidationResult } from "./types.js";

export type { ModuleReport, RamReport, ValidationIssue, ValidationResult, ValidateOptions } from "./types.js";
export { formatValidation } from "./format.js";
export { parseRamBudget } from "./ram.js";

function funcLabel(m: ParsedModule, index: number): string {
  const name = m.functionNames.get(index);
  return name === undefined ? `function ${index}` : `function ${index} "${name}"`;
}

function sectionLabel(m: ParsedModule, offset: number): string | undefined {
  const s = m.sections.find((x) => offset >= x.offset && offset < x.end);
  return s && `${s.name} section`;
}

function checkFeatures(m: ParsedModule, issues: IssueList): void {
  for (const use of m.features) {
    const info = FEATURES[use.feature];
    if (info.supported) continue;
    issues.error({
      code: `unsupported-${use.feature}`,
      offset: use.offset,
      ...(use.funcIndex === undefined ? { location: sectionLabel(m, use.offset) } : { funcIndex: use.funcIndex, location: funcLabel(m, use.funcIndex) }),
      message: `${use.detail}: ${info.title} cannot run on wasm3${info.hint ? ` (${info.hint})` : ""}`,
    });
  }
}

function checkMemoryPresence(m: ParsedModule, usesPointers: boolean, issues: IssueList): void {
  if (m.memories.length === 0) {
    if (usesPointers) {
      issues.error({ code: "no-memory", offset: 8, message: "the module passes strings or buffers to the host but defines no linear memory" });
    }
    return;
  }
  if (!m.exports.some((e) => e.kind === "memory" && e.index === 0 && e.name === "memory")) {
    issues.warn({ code: "memory-not-exported", offset: m.memories[0]!.offset, location: "memory 0", message: 'memory 0 is not exported as "memory"; the device agent reads strings and buffers through that export' });
  }
}

/** V8 validates operand types and everything else the structural decoder leaves out. */
function engineCheck(bytes: Uint8Array, issues: IssueList): void {
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    if (!(e instanceof WebAssembly.CompileError)) throw e;
    const at = /@\+(\d+)/.exec(e.message);
    const reason = e.message.replace(/^WebAssembly\.Module\(\):\s*/, "").replace(/\s*@\+\d+$/, "");
    issues.error({ code: "invalid-module", ...(at ? { offset: Number(at[1]) } : {}), message: `the WebAssembly engine rejects the module: ${reason}` });
  }
}

function emptyReport(bytes: Uint8Array, budgetBytes: number): ModuleReport {
  return {
    unread: true,
    flashBytes: bytes.length,
    ram: { declaredPages: 0, maxPages: null, dataEnd: 0, heapBase: null, stackBytes: null, needBytes: 0, budgetBytes, measuredFrom: "static-data" },
    interfaces: [], imports: [], exports: [], features: [],
  };
}

/**
 * Names the host keeps for itself. The agent instruments every module it runs
 * and refuses input that looks instrumented already (src/fuel/instrument.ts),
 * so the validator refuses the same, and `fwx validate` and `fwx run` agree.
 */
function checkReserved(m: ParsedModule, issues: IssueList): void {
  for (const e of m.exports) {
    if (e.name.startsWith(RESERVED_EXPORT_PREFIX)) {
      issues.error({ code: "reserved-export", offset: e.offset, location: `export "${e.name}"`, message: `export names starting with ${RESERVED_EXPORT_PREFIX} are reserved for the host's fuel metering` });
    }
  }
  for (const c of m.customSections) {
    if (c.name === FUEL_SECTION_NAME) {
      issues.error({ code: "reserved-section", offset: c.offset, location: `"${c.name}" custom section`, message: `the "${FUEL_SECTION_NAME}" section marks an already instrumented module, which the host never trusts; submit the uninstrumented module` });
    }
  }
}

export function validateModule(bytes: Uint8Array, options: ValidateOptions = {}): ValidationResult {
  const budgetBytes = options.ramBudgetBytes ?? DEFAULT_RAM_BUDGET;
  const deviceClass = options.deviceClass ?? DEFAULT_DEVICE_CLASS;
  const limits = { limits: options.limits ?? MODULE_LIMITS[deviceClass], deviceClass };
  const issues = new IssueList();
  const unreadable = (e: WasmParseError) => {
    issues.error({ code: "malformed", offset: e.offset, message: `unreadable module: ${e.reason}` });
    return { ok: false, errors: issues.errors, warnings: issues.warnings, report: emptyReport(bytes, budgetBytes) };
  };
  let m: ParsedModule;
  try {
    // Sizes and counts first: a module past its limits is never walked further.
    if (!checkDeclaredLimits(bytes, walkSections(bytes), limits, issues)) {
      return { ok: false, errors: issues.errors, warnings: issues.warnings, report: emptyReport(bytes, budgetBytes) };
    }
    m = parseModule(bytes, { shapeBounds: shapeBounds(limits.limits) });
  } catch (e) {
    if (!(e instanceof WasmParseError)) throw e;
    return unreadable(e);
  }
  // Engines ignore a malformed name section, but the fuel instrumenter (binaryen)
  // does not, so a module with one could never run: it is an error here too.
  for (const w of m.warnings) issues.error({ code: "malformed-name-section", offset: w.offset, location: '"name" custom section', message: w.message });
  checkParsedLimits(m, limits, issues);
  checkReserved(m, issues);

  checkFeatures(m, issues);
  const used = checkImports(m, issues);
  checkLifecycleExports(m, used, issues);
  const interfaces = interfacesOf(used);
  checkAbiSection(m, interfaces, issues);
  checkMemoryPresence(m, used.some((f) => f.flat.params.some((p) => p.pointer)), issues);
  const ram = ramReport(m, budgetBytes, issues);
  checkRamBudget(m, ram, issues);
  // Only a module that is otherwise fine goes to the engine: its messages for
  // features it does not know would only repeat ours, less precisely.
  // Nor does a module past its limits: compiling it is the cost the limits avoid.
  if (!issues.errors.some((e) => e.code.startsWith("unsupported-") || e.code === "limit-exceeded")) engineCheck(bytes, issues);
  // A microcontroller installs the instrumented form: the limits hold for it too.
  if (deviceClass === "mcu" && issues.errors.length === 0) checkDeviceFormLimits(bytes, m, limits, issues);

  issues.errors.sort((a, b) => (a.offset ?? Infinity) - (b.offset ?? Infinity));
  const report: ModuleReport = {
    flashBytes: bytes.length,
    ram,
    interfaces,
    imports: m.imports.map((i) => ({ module: i.module, name: i.name, signature: i.signature ? formatSignature(i.signature) : i.kind })),
    exports: m.exports.map((e) => e.name),
    features: [...new Set(m.features.map((f) => f.feature))],
  };
  return { ok: issues.errors.length === 0, errors: issues.errors, warnings: issues.warnings, report };
}

/**
 * The interfaces a module needs, from its fwx:* function imports: major from
 * the import module, minor the newest `since` among the imported functions.
 * Imports that are not ABI functions are ignored here (validateModule reports
 * them). Throws WasmParseError when the module is unreadable.
 */
export function requiredInterfaces(bytes: Uint8Array): InterfaceRequirement[] {
  const m = parseModule(bytes);
  const lowered = hostAbi();
  const used = m.imports.flatMap((i) => {
    const f = i.kind === "func" ? lowered.functionByImport.get(importKey(i.module, i.name)) : undefined;
    return f ? [f] : [];
  });
  return interfacesOf(used);
}
