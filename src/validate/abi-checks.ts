// Checks of a module against the host ABI: its imports (names, kinds,
// signatures), its lifecycle exports, and the fwx.abi custom section.

import { abi } from "../../host-abi/spec/index.js";
import { importKey, lowerAbi, type LoweredAbi, type LoweredFunction } from "../../host-abi/gen/lower.js";
import { ABI_SECTION_NAME, AbiSectionError, decodeAbiSection, type InterfaceRequirement } from "../wasm/abi-section.js";
import { formatSignature, type Import, type ParsedModule } from "../wasm/reader.js";
import { SECTION } from "../wasm/sections.js";
import type { IssueList } from "./types.js";

let cached: LoweredAbi | undefined;

/** The lowered host ABI of this build; lowering validates the spec, so it is done once. */
export function hostAbi(): LoweredAbi {
  cached ??= lowerAbi(abi);
  return cached;
}

const IMPORT_HINTS: Record<string, string> = {
  "env.abort": "build with fwx build, which routes abort to fwx:core@1",
  "env.seed": "Math.random needs a seed the host does not provide; avoid Math.random",
  "env.trace": "trace() is not available on devices; log through the fwx SDK (fwx:core@1 log)",
  "env.console.log": "console.log is not available on devices; log through the fwx SDK (fwx:core@1 log)",
  "env.Date.now": "Date.now is not available; use the monotonic clock (fwx:core@1 now_ms)",
};

function importLabel(imp: Import): string {
  return `import ${imp.index} "${imp.module}.${imp.name}"`;
}

function minorOf(version: string): number {
  return Number(version.split(".")[1]);
}

function hintFor(imp: Import, lowered: LoweredAbi): string | undefined {
  const full = `${imp.module}.${imp.name}`;
  if (IMPORT_HINTS[full]) return IMPORT_HINTS[full];
  if (imp.module.startsWith("wasi")) return "WASI is not available: build for a freestanding target (wasm32-unknown-unknown, -nostdlib) and use the fwx ABI";
  const m = /^fwx:([^@]+)@(\d+)$/.exec(imp.module);
  if (!m) return undefined;
  const iface = lowered.interfaces.find((i) => i.name === m[1]);
  if (!iface) return `this device offers: ${lowered.interfaces.map((i) => i.module).join(", ")}`;
  if (iface.major !== Number(m[2])) return `this device offers ${iface.module} (version ${iface.major}.${iface.minor})`;
  return `${iface.module} has: ${iface.functions.map((f) => f.name).join(", ")}`;
}

/** Checks every import; returns the ABI functions the module imports, in import order. */
export function checkImports(m: ParsedModule, issues: IssueList): LoweredFunction[] {
  const lowered = hostAbi();
  const used: LoweredFunction[] = [];
  for (const imp of m.imports) {
    const importName = `${imp.module}.${imp.name}`;
    const base = { offset: imp.offset, importName, location: importLabel(imp) };
    if (imp.kind !== "func") {
      const why = imp.kind === "memory"
        ? "a module defines and exports its own memory; the host ABI provides none"
        : `the host ABI provides functions only, no ${imp.kind} imports`;
      issues.error({ ...base, code: "import-kind", message: `${imp.kind} import is not allowed: ${why}` });
      continue;
    }
    const fn = lowered.functionByImport.get(importKey(imp.module, imp.name));
    if (!fn) {
      const hint = hintFor(imp, lowered);
      issues.error({
        ...base, funcIndex: imp.funcIndex, code: "import-not-in-abi",
        message: `import is not part of the fwx host ABI${hint ? ` (${hint})` : ""}`,
      });
      continue;
    }
    const found = formatSignature(imp.signature!);
    if (found !== fn.signature) {
      issues.error({
        ...base, funcIndex: imp.funcIndex, code: "import-signature",
        message: `wrong signature: the ABI defines ${fn.symbol} as ${fn.signature}, the module imports it as ${found}`,
      });
      continue;
    }
    used.push(fn);
  }
  return used;
}

/** Interfaces the given ABI functions belong to, minor = the newest `since` among them, sorted by name. */
export function interfacesOf(functions: readonly LoweredFunction[]): InterfaceRequirement[] {
  const lowered = hostAbi();
  const byName = new Map<string, InterfaceRequirement>();
  for (const f of functions) {
    const iface = lowered.interfaces.find((i) => i.name === f.iface)!;
    const minor = minorOf(f.spec.since);
    const prev = byName.get(f.iface);
    if (!prev) byName.set(f.iface, { name: f.iface, major: iface.major, minor });
    else prev.minor = Math.max(prev.minor, minor);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function checkLifecycleExports(m: ParsedModule, used: readonly LoweredFunction[], issues: IssueList): void {
  const lowered = hostAbi();
  const exportSection = m.sections.find((s) => s.id === SECTION.export);
  // Where a missing export is reported: the export section, or the end of a module without one.
  const exportsAt = exportSection ? { offset: exportSection.offset, location: "export section" } : { offset: m.size, location: "end of module" };
  for (const lc of lowered.lifecycle) {
    const exp = m.exports.find((e) => e.name === lc.spec.name);
    if (!exp) {
      if (lc.spec.required) {
        issues.error({
          code: "missing-init", ...exportsAt,
          message: `the module does not export ${lc.spec.name}, which the host calls to start it (expected ${lc.signature})`,
        });
      }
      continue;
    }
    const location = `export "${exp.name}"`;
    if (exp.kind !== "func") {
      issues.error({ code: "export-signature", offset: exp.offset, location, message: `${exp.name} must be a function, but the module exports a ${exp.kind}` });
      continue;
    }
    const found = formatSignature(m.functions[exp.index]!.signature);
    if (found !== lc.signature) {
      issues.error({
        code: "export-signature", offset: exp.offset, location, funcIndex: exp.index,
        message: `wrong signature: the host calls ${exp.name} as ${lc.signature}, the module exports ${found}`,
      });
    }
  }
  const known = new Set(lowered.lifecycle.map((l) => l.spec.name));
  for (const exp of m.exports) {
    if (known.has(exp.name) || exp.kind !== "func") continue;
    // A lifecycle name spelled another way (fwxOnTimer, onTimer, FWX_ON_TIMER: AssemblyScript's and
    // Rust's naming habits) is a callback the host will never call, and the module silently does nothing.
    const meant = lifecycleMeant(exp.name, known);
    // __fwx_* exports are refused as reserved (validate.ts checkReserved).
    if (meant === null && !exp.name.startsWith("fwx_")) continue;
    issues.warn({
      code: "unknown-lifecycle-export", offset: exp.offset, location: `export "${exp.name}"`,
      message: meant !== null
        ? `the host never calls ${exp.name}: did you mean ${meant}? (the host calls lifecycle exports by their exact names)`
        : `the host never calls ${exp.name}; lifecycle exports are ${[...known].join(", ")}`,
    });
  }
  if (used.some((f) => f.iface === "timer" && f.name === "start") && !m.exports.some((e) => e.name === "fwx_on_timer")) {
    issues.error({
      code: "missing-timer-callback", ...exportsAt,
      message: "the module starts timers (fwx:timer@1 start) but does not export fwx_on_timer(id: i32), so expiries could never be delivered",
    });
  }
}

/** The lifecycle export `name` stands for when spelled another way (case, underscores, without fwx_); null if none. */
function lifecycleMeant(name: string, known: ReadonlySet<string>): string | null {
  const fold = (n: string) => n.toLowerCase().replace(/[_-]/g, "");
  const folded = fold(name);
  for (const k of known) if (fold(k) === folded || fold(k) === `fwx${folded}`) return k;
  return null;
}

/** Cross-checks the fwx.abi custom section, if present, with the imports and with what this device offers. */
export function checkAbiSection(m: ParsedModule, needed: readonly InterfaceRequirement[], issues: IssueList): void {
  const sections = m.customSections.filter((s) => s.name === ABI_SECTION_NAME);
  if (sections.length === 0) return;
  const section = sections[0]!;
  const location = `${ABI_SECTION_NAME} section`;
  if (sections.length > 1) {
    issues.error({ code: "abi-section-duplicate", offset: sections[1]!.offset, location, message: `the module has ${sections.length} ${ABI_SECTION_NAME} sections; it must have at most one` });
  }
  let declared: InterfaceRequirement[];
  try {
    declared = decodeAbiSection(section.payload);
  } catch (e) {
    if (!(e instanceof AbiSectionError)) throw e;
    issues.error({ code: "abi-section-malformed", offset: section.payloadOffset + e.offset, location, message: e.message });
    return;
  }
  const lowered = hostAbi();
  for (const d of declared) {
    const offered = lowered.interfaces.find((i) => i.name === d.name);
    if (!offered || offered.major !== d.major || offered.minor < d.minor) {
      issues.error({
        code: "abi-section-unsupported", offset: section.payloadOffset, location,
        message: `the ${ABI_SECTION_NAME} section requires ${d.name}@${d.major}.${d.minor}, but this device offers ${offered ? `${offered.name}@${offered.major}.${offered.minor}` : `no "${d.name}" interface`}`,
      });
    }
  }
  for (const n of needed) {
    const d = declared.find((x) => x.name === n.name);
    const imp = m.imports.find((i) => i.module === `fwx:${n.name}@${n.major}`);
    const base = { offset: imp?.offset ?? section.payloadOffset, importName: imp ? `${imp.module}.${imp.name}` : undefined, location: imp ? importLabel(imp) : location };
    if (!d) {
      issues.error({ ...base, code: "abi-section-missing-interface", message: `the module imports from ${n.name}@${n.major}.${n.minor}, which its ${ABI_SECTION_NAME} section does not list` });
    } else if (d.major !== n.major || d.minor < n.minor) {
      issues.error({ ...base, code: "abi-section-mismatch", message: `the module imports functions of ${n.name}@${n.major}.${n.minor}, but its ${ABI_SECTION_NAME} section declares ${d.name}@${d.major}.${d.minor}` });
    }
  }
  for (const d of declared) {
    if (!needed.some((n) => n.name === d.name)) {
      issues.warn({ code: "abi-section-unused", offset: section.payloadOffset, location, message: `the ${ABI_SECTION_NAME} section lists ${d.name}@${d.major}.${d.minor}, but the module imports nothing from it` });
    }
  }
}
